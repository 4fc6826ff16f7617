"""A contract made from a final award: its source, eligibility and price list come from the
award; nothing is made from an award that is not final or for a supplier it did not name."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from tests.procurement.conftest import bid, clock  # noqa: F401  (fixtures)
from tests.procurement.test_evaluation import recommended, three  # noqa: F401

from edcoop.contracts import services
from edcoop.procurement import awarding
from edcoop.procurement.models import ProcurementSettings


def _final(north: Any, three: Any, clock: Any) -> Any:  # noqa: F811
    solicitation, second, third = three
    ProcurementSettings.objects.create(agency=north.agency, protest_days=7)
    award = recommended(north, solicitation, third)
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="2026-41",
        board_date=clock.now.date(),
    )
    award = awarding.award_notice(user=north.users["procurement_officer"], award=award)
    clock.set(award.standstill_ends_at + timedelta(minutes=1))
    awarding.finalize_due()
    solicitation.refresh_from_db()
    return solicitation, second, third


def test_contract_from_a_final_award(north: Any, three: Any, clock: Any) -> None:  # noqa: F811
    officer = north.users["procurement_officer"]
    solicitation, second, third = three
    with pytest.raises(ValidationError, match="no final primary award"):
        services.contract_from_award(user=officer, solicitation=solicitation, supplier=second,
                                     number="C-A", starts_on=date(2026, 7, 1),
                                     ends_on=date(2027, 6, 30))  # fmt: skip
    solicitation, second, third = _final(north, three, clock)
    lines = [x for x in awarding.final_award_lines(solicitation) if x.supplier_id == third.pk
             and x.rank == "primary"]  # fmt: skip
    contract = services.contract_from_award(
        user=officer,
        solicitation=solicitation,
        supplier=third,
        number="C-A",
        starts_on=date(2026, 7, 1),
        ends_on=date(2027, 6, 30),
        admin_fee_pct="1.5",
    )
    assert contract.source == "award" and contract.solicitation_id == solicitation.pk
    assert contract.solicitation_reference == solicitation.number
    assert contract.supplier == third and contract.admin_fee_pct == Decimal("1.5")
    got = {i.sku: (i.unit_price, i.solicitation_item_id) for i in contract.items.all()}
    assert got == {x.item.number: (x.unit_price, x.item_id) for x in lines}
    assert contract.scope == solicitation.eligibility
    assert contract.participants_only is (not solicitation.open_to_all_eligible)
    with pytest.raises(ValidationError, match="already has this number"):
        services.contract_from_award(user=officer, solicitation=solicitation, supplier=third,
                                     number="C-A", starts_on=date(2026, 7, 1),
                                     ends_on=date(2027, 6, 30))  # fmt: skip


def test_committed_against_purchased(north: Any, three: Any, clock: Any) -> None:  # noqa: F811
    from django.utils import timezone

    from edcoop.contracts import orders, queries
    from edcoop.members import services as member_services
    from edcoop.members.models import Membership
    from edcoop.procurement.models import DemandCommitment

    area = member_services.service_area_create(agency=north.agency, name="North", counties=[])
    Membership.objects.filter(institution=north.institution).update(service_area=area)
    solicitation, _second, third = _final(north, three, clock)
    line = next(x for x in awarding.final_award_lines(solicitation)
                if x.supplier_id == third.pk and x.rank == "primary")  # fmt: skip
    DemandCommitment.objects.create(
        item=line.item,
        institution=north.institution,
        quantity=Decimal(40),
        committed_at=timezone.now(),
    )
    contract = services.contract_from_award(
        user=north.users["procurement_officer"], solicitation=solicitation, supplier=third,
        number="C-B", starts_on=timezone.localdate() - timedelta(days=1),
        ends_on=timezone.localdate() + timedelta(days=300))  # fmt: skip
    buyer = north.users["member_buyer"]
    order = orders.order_create(
        user=buyer,
        institution=north.institution,
        contract=contract,
        lines=[orders.LineInput("25", sku=line.item.number)],
    )
    orders.order_approve(user=buyer, order=order)
    orders.order_send(user=buyer, order=order)
    rows, pooled = queries.commitments(contract)
    mine = [r for r in rows if r.member == north.institution.name and r.sku == line.item.number]
    assert [(r.committed, r.purchased) for r in mine] == [(Decimal(40), Decimal(25))]
    assert any(t.sku == line.item.number and t.purchased == Decimal(25) for t in pooled)


def test_the_awarded_price_stays_the_ceiling_after_a_lower_version(
    north: Any, three: Any, clock: Any  # noqa: F811
) -> None:
    """Awarded at 10.00; an approved version lowers it to 9.00; a later version may go back
    to 10.00, not to 10.01 (refused naming the line and the ceiling)."""
    from edcoop.contracts import pricelists
    from edcoop.procurement.models import AwardLine

    officer = north.users["procurement_officer"]
    solicitation, _second, third = _final(north, three, clock)
    line = next(x for x in awarding.final_award_lines(solicitation)
                if x.supplier_id == third.pk and x.rank == "primary")  # fmt: skip
    AwardLine.objects.filter(pk=line.pk).update(unit_price=Decimal("10.00"))
    today = clock.now.date()
    contract = services.contract_from_award(
        user=officer, solicitation=solicitation, supplier=third, number="C-CEIL",
        starts_on=today, ends_on=today + timedelta(days=365))  # fmt: skip
    sku = line.item.number
    others = "".join(f"{i.sku},{i.description},{i.unit},{i.unit_price}\n"
                     for i in contract.items.exclude(sku=sku))  # fmt: skip
    header = "sku,description,unit,unit_price\n"

    def version(price: str) -> Any:
        body = f"{header}{sku},{line.item.description},{line.item.unit},{price}\n{others}"
        return pricelists.upload_version(user=officer, contract=contract, data=body,
                                         effective_on=today, today=today)  # fmt: skip

    lowered = pricelists.version_approve(user=officer, version=version("9.00"), today=today)
    assert lowered.status == "approved"
    assert contract.items.get(sku=sku).unit_price == Decimal("9.00")
    back = version("10.00")
    assert pricelists.version_diff(back).over_award == 0
    assert pricelists.version_approve(user=officer, version=back, today=today).status == (
        "approved")
    assert contract.items.get(sku=sku).unit_price == Decimal("10.00")
    with pytest.raises(ValidationError) as refused:
        version("10.01")
    said = str(refused.value)
    assert "line 2" in said.lower() and "10.01" in said and "10.0000" in said
    assert contract.versions.count() == 2
    assert contract.items.get(sku=sku).awarded_price == Decimal("10.00")
