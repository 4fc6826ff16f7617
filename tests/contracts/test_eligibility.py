"""Who may buy under a contract: regional vs national scope, institution kinds, §119-o
participants, and membership that costs nothing and asks no minimum purchase."""

from __future__ import annotations

from typing import Any

import pytest

from edcoop.contracts import eligibility, services
from edcoop.contracts.eligibility import Member, Terms
from edcoop.members import services as member_services
from edcoop.members.models import Institution, Membership

from .conftest import make_contract

K12 = "public_k12"
COLLEGE = "community_college"


def terms(scope: str = "national", kinds: tuple[str, ...] = (), areas: tuple[int, ...] = (),
          only: bool = False, participants: tuple[int, ...] = ()) -> Terms:  # fmt: skip
    return Terms(scope, frozenset(kinds), frozenset(areas), only, frozenset(participants))


def member(pk: int = 1, kind: str = K12, active: bool = True, area: int | None = 7) -> Member:
    return Member(pk, kind, kind.replace("_", " "), active, area)


@pytest.mark.parametrize(("t", "m", "allowed"), [
    # national: anywhere, in or out of a service area
    (terms("national"), member(area=None), True),
    (terms("national"), member(area=7), True),
    # regional: only members in the agency's service area (and its named areas, if any)
    (terms("service_area"), member(area=None), False),
    (terms("service_area"), member(area=7), True),
    (terms("service_area", areas=(7,)), member(area=7), True),
    (terms("service_area", areas=(8,)), member(area=7), False),
    # institution kinds
    (terms(kinds=(K12,)), member(kind=K12), True),
    (terms(kinds=(K12,)), member(kind=COLLEGE), False),
    (terms(kinds=(K12, COLLEGE)), member(kind=COLLEGE), True),
    # a GML §119-o bid: its participants only
    (terms(only=True, participants=(1, 2)), member(pk=1), True),
    (terms(only=True, participants=(1, 2)), member(pk=3), False),
    (terms(only=False, participants=(1, 2)), member(pk=3), True),
    # membership must be active
    (terms(), member(active=False), False),
    (terms(), None, False),
])  # fmt: skip
def test_eligibility_matrix(t: Terms, m: Member | None, allowed: bool) -> None:
    assert (eligibility.refusals(t, m) == []) is allowed


def test_every_reason_is_given_at_once() -> None:
    why = eligibility.refusals(terms("service_area", kinds=(COLLEGE,), only=True),
                               member(area=None, active=False))  # fmt: skip
    assert len(why) == 4


def test_regional_contract_on_real_records(north: Any) -> None:
    area = member_services.service_area_create(agency=north.agency, name="North", counties=[])
    inside, outside = north.institutions
    Membership.objects.filter(institution=inside).update(service_area=area)
    contract = make_contract(north, scope="service_area", eligible_kinds=[K12])
    assert services.refusals(contract, inside) == []
    why = services.refusals(contract, outside)[0]
    assert "records no service area" in why and "national" in why


def test_member_without_area_may_use_national_but_not_regional(north: Any) -> None:
    """No service area on the membership: not in any area, so a regional contract (even one
    naming no areas) refuses it, a national one admits it, and the agency sees it listed."""
    from datetime import date

    from edcoop.contracts import queries

    _, no_area = north.institutions
    regional = make_contract(north, number="C-REG", scope="service_area")
    national = make_contract(north, number="C-NAT", scope="national")
    assert services.refusals(regional, no_area) and services.refusals(national, no_area) == []
    header, rows = queries.dashboard(north.agency, date(2026, 9, 1))["no_area"]
    assert header[0] == "Member" and no_area.name in [r[0] for r in rows]


def test_participants_only_on_real_records(north: Any) -> None:
    took_part, stayed_out = north.institutions
    contract = make_contract(north, participants_only=True)
    services.eligibility_set(user=north.users["procurement_officer"], contract=contract,
                             participants=[took_part])  # fmt: skip
    assert services.refusals(contract, took_part) == []
    assert "§119-o" in services.refusals(contract, stayed_out)[0]


def test_another_agencys_institution_is_never_eligible(north: Any, nation: Any) -> None:
    contract = make_contract(north)
    assert services.refusals(contract, nation.institution) == [
        "The institution is not a member of the agency."]  # fmt: skip


def test_national_member_with_no_purchases_keeps_full_access(nation: Any) -> None:
    """No membership fee and no minimum purchase: nothing bought, nothing lost."""
    contract = make_contract(nation, eligible_kinds=[])
    college = Institution.objects.create(agency=nation.agency, name="Far College",
                                         kind=COLLEGE, state="AK")  # fmt: skip
    Membership.objects.create(agency=nation.agency, institution=college,
                              status=Membership.Status.ACTIVE)  # fmt: skip
    assert not college.purchase_orders.exists()
    assert services.refusals(contract, college) == []
