"""The monitor checks each order against the rule for its own funding source and kind, by
hand at every boundary of the shipped rules, flags public works piggybacked on another
government's contract by New York members (GML §103(16)), and purchases piggybacked after
that authority's sunset (2026-06-30 unless extended; the agency records an extension)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from tests.contracts.conftest import make_contract

from edcoop.contracts import orders, services
from edcoop.contracts.models import Contract, PurchaseOrder
from edcoop.contracts.orders import LineInput
from edcoop.governance import monitor

START, END = date(2025, 1, 1), date(2027, 12, 31)


def _contract(north: Any, number: str, price: str, **fields: Any) -> Contract:
    """A contract whose record shows no competitive solicitation, one item at ``price``."""
    contract = make_contract(north, number=number, solicitation_method="", solicited_on=None,
                             solicitation_reference="", starts_on=START, ends_on=END,
                             **fields)  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract, sku="X",
                       description="The thing", unit="each", unit_price=price)  # fmt: skip
    return contract


def _buy(north: Any, contract: Contract, on: date, **kw: Any) -> PurchaseOrder:
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=contract, lines=[LineInput(quantity="1", sku="X")],
                                ordered_on=on, **kw)  # fmt: skip
    return orders.order_approve(user=north.users["member_finance"], order=order)


def _kinds(north: Any) -> list[str]:
    return [f.kind for f in monitor.purchase_flags(north.agency)]


# NY GML §103 with local funds: $20,000 for purchases, $35,000 for public works ---------------


@pytest.mark.django_db
@pytest.mark.parametrize(("price", "kind", "flagged"), [
    ("20000.00", "commodity", False),   # exactly at: not over $20,000
    ("20000.01", "commodity", True),    # one cent over
    ("20000.01", "service", True),
    ("20000.01", "public_work", False),  # public works are bid only over $35,000
    ("35000.00", "public_work", False),
    ("35000.01", "public_work", True),
])  # fmt: skip
def test_local_funds_by_kind(north, price, kind, flagged):
    contract = _contract(north, "C-1", price, kind=kind, source=Contract.Source.AWARD)
    order = _buy(north, contract, date(2026, 3, 2))
    assert order.kind == kind and order.funding == "local"  # the kind defaults from the contract
    assert _kinds(north) == (["over_threshold"] if flagged else [])


@pytest.mark.django_db
def test_the_order_may_say_it_buys_a_public_work_under_a_commodity_contract(north):
    contract = _contract(north, "C-1", "30000.00", source=Contract.Source.AWARD)
    _buy(north, contract, date(2026, 3, 2), kind="public_work")
    assert _kinds(north) == []  # $30,000 of public work: under $35,000
    _buy(north, contract, date(2026, 3, 3))  # the contract's kind: a commodity over $20,000
    assert _kinds(north) == ["over_threshold"]


# 2 CFR 200 with federal funds: micro-purchase $10,000 until 2025-09-30, $15,000 from 2025-10-01


@pytest.mark.django_db
@pytest.mark.parametrize(("price", "on", "flagged"), [
    ("10000.00", date(2025, 9, 30), False),  # at the old micro-purchase threshold
    ("10000.01", date(2025, 9, 30), True),   # one cent over it: quotes needed
    ("12000.00", date(2025, 9, 30), True),
    ("12000.00", date(2025, 10, 1), False),  # the same purchase the day the threshold rose
    ("15000.00", date(2025, 10, 1), False),
    ("15000.01", date(2025, 10, 1), True),
])  # fmt: skip
def test_federal_funds_micro_purchase_threshold(north, price, on, flagged):
    contract = _contract(north, "C-F", price, source=Contract.Source.AWARD)
    _buy(north, contract, on, funding="federal")
    flags = monitor.purchase_flags(north.agency)
    assert [f.kind for f in flags] == (["over_threshold"] if flagged else [])
    if flagged:
        assert "federal funds" in " ".join(flags[0].evidence)
        assert "2 CFR 200" in " ".join(flags[0].evidence)


@pytest.mark.django_db
def test_the_same_purchase_with_local_funds_passes(north):
    contract = _contract(north, "C-F", "12000.00", source=Contract.Source.AWARD)
    _buy(north, contract, date(2025, 9, 30))
    assert _kinds(north) == []  # NY §104-b quotes: the board's own policy, not a bidding flag


@pytest.mark.django_db
def test_federal_micro_purchases_split_to_stay_under_the_threshold(north):
    contract = _contract(north, "C-F", "8000.00", source=Contract.Source.AWARD)
    _buy(north, contract, date(2025, 11, 3), funding="federal")
    _buy(north, contract, date(2025, 12, 1), funding="federal")
    flags = monitor.purchase_flags(north.agency)
    assert [f.kind for f in flags] == ["split"] and flags[0].amount == D("16000.00")
    # Local and federal orders are not added together: each is its own rule.
    _buy(north, contract, date(2025, 12, 2))
    assert [f.kind for f in monitor.purchase_flags(north.agency)] == ["split"]


# Piggybacked public works -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_public_work_under_another_governments_contract_is_flagged_in_new_york(north):
    external = make_contract(north, number="C-PW", kind="public_work", starts_on=START,
                             ends_on=END, lead_agency="Erie County")  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=external, sku="X",
                       description="Roof repair", unit="job", unit_price="500.00")  # fmt: skip
    order = _buy(north, external, date(2026, 3, 2))
    flags = monitor.purchase_flags(north.agency)
    assert [f.kind for f in flags] == ["piggyback_public_work"]
    evidence = " ".join(flags[0].evidence)
    assert order.number in flags[0].subject and "Erie County" in evidence
    assert "GML §103(16)" in evidence and flags[0].url.endswith(f"/{order.pk}/")


@pytest.mark.django_db
def test_piggybacking_commodities_or_the_agencys_own_public_work_bid_is_no_flag(north):
    external = make_contract(north, number="C-GOODS", starts_on=START, ends_on=END)
    own = make_contract(north, number="C-OWN", kind="public_work", source="award",
                        starts_on=START, ends_on=END)  # fmt: skip
    for c in (external, own):
        services.item_save(user=north.users["procurement_officer"], contract=c, sku="X",
                           description="Thing", unit="each", unit_price="500.00")  # fmt: skip
        _buy(north, c, date(2026, 3, 2))
    assert _kinds(north) == []
    # A public work bought under the commodity contract is piggybacked all the same.
    _buy(north, external, date(2026, 3, 3), kind="public_work")
    assert _kinds(north) == ["piggyback_public_work"]


@pytest.mark.django_db
def test_outside_new_york_piggybacking_a_public_work_is_no_flag(north):
    north.institution.state = "CO"
    north.institution.save()
    external = make_contract(north, number="C-PW", kind="public_work", starts_on=START,
                             ends_on=END)  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=external, sku="X",
                       description="Roof repair", unit="job", unit_price="500.00")  # fmt: skip
    _buy(north, external, date(2026, 3, 2))
    assert "piggyback_public_work" not in _kinds(north)


# Piggybacking after the authority's sunset (GML §103(16): until 2026-06-30 unless extended) --


def _piggybacked(north: Any, number: str = "C-PB", **fields: Any) -> Contract:
    """A competitively bid commodity contract another government let: a $500 item."""
    fields = {"lead_agency": "Erie County", "starts_on": START, "ends_on": END, **fields}
    contract = make_contract(north, number=number, **fields)
    services.item_save(user=north.users["procurement_officer"], contract=contract, sku="X",
                       description="Chairs", unit="each", unit_price="500.00")  # fmt: skip
    return contract


@pytest.mark.django_db
def test_the_shipped_authority_is_the_reference_s():
    from edcoop.governance.models import PiggybackAuthority

    ny = PiggybackAuthority.objects.get(agency__isnull=True, jurisdiction="NY")
    assert ny.effective_to == date(2026, 6, 30)  # "sunset June 30, 2026 unless extended"
    assert ny.effective_from is None  # its start is not in the reference: not checked
    assert "GML §103(16)" in ny.name and "June 30, 2026 unless extended" in ny.source
    assert "lowest responsible bidder or on best value" in ny.source
    assert "Lynch v. Maine-Endwell" in ny.source and ny.source_url.endswith("/GMU/103")
    assert list(PiggybackAuthority.objects.values_list("jurisdiction", flat=True)) == ["NY"]


@pytest.mark.django_db
@pytest.mark.parametrize(("on", "flagged"), [
    (date(2026, 6, 30), False),  # the sunset's last day: still in force
    (date(2026, 7, 1), True),    # the day after: lapsed
    (date(2027, 3, 2), True),
])  # fmt: skip
def test_a_purchase_under_another_governments_contract_after_the_sunset(north, on, flagged):
    contract = _piggybacked(north)
    order = _buy(north, contract, on)
    flags = monitor.purchase_flags(north.agency)
    assert [f.kind for f in flags] == (["piggyback_lapsed"] if flagged else [])
    if flagged:
        flag = flags[0]
        evidence = " ".join(flag.evidence)
        assert flag.subject == f"Order {order.number} under C-PB"
        assert f"Ordered on {on:%b} {on.day}, {on.year}" in evidence and "Erie County" in evidence
        assert "in force until Jun 30, 2026" in evidence and "GML §103(16)" in evidence
        assert flag.url == f"/a/north/orders/{order.pk}/" and flag.amount == D("500.00")
        assert flag.label.startswith("Purchase under another government's contract after")


@pytest.mark.django_db
def test_the_agencys_extension_removes_the_flag_and_another_agencys_does_not(north, nation):
    from edcoop.core.models import AuditEvent
    from edcoop.governance import services as governance

    _buy(north, _piggybacked(north), date(2026, 7, 1))
    governance.piggyback_save(user=nation.users["procurement_officer"], agency=nation.agency,
                              jurisdiction="NY", effective_to=None,
                              source="Another agency's reading: extended.")  # fmt: skip
    assert _kinds(north) == ["piggyback_lapsed"]
    governance.piggyback_save(user=north.users["procurement_officer"], agency=north.agency,
                              jurisdiction="NY", effective_to=date(2028, 6, 30),
                              source="GML §103(16), extended to June 30, 2028 by L.2026 "
                                     "(example)")  # fmt: skip
    assert _kinds(north) == []
    event = AuditEvent.objects.get(action="piggyback_authority.create", agency_id=north.agency.pk)
    assert event.changes["effective_to"][1] == "2028-06-30"
    # An order after the extended end is flagged again, naming the agency's record.
    _buy(north, _piggybacked(north, "C-PB2", ends_on=date(2029, 6, 30)), date(2028, 7, 1))
    flags = monitor.purchase_flags(north.agency)
    assert [f.kind for f in flags] == ["piggyback_lapsed"]
    assert "until Jun 30, 2028" in " ".join(flags[0].evidence) and "L.2026" in flags[0].evidence[1]
    governance.piggyback_reset(user=north.users["procurement_officer"], agency=north.agency,
                               jurisdiction="NY")  # fmt: skip
    assert _kinds(north) == ["piggyback_lapsed", "piggyback_lapsed"]
    assert AuditEvent.objects.filter(action="piggyback_authority.reset").count() == 1


@pytest.mark.django_db
def test_no_end_recorded_by_the_agency_means_no_flag(north):
    from edcoop.governance import services as governance

    _buy(north, _piggybacked(north), date(2027, 1, 4))
    governance.piggyback_save(user=north.users["agency_admin"], agency=north.agency,
                              jurisdiction="NY", effective_to=None,
                              source="GML §103(16) as extended without a sunset")  # fmt: skip
    assert _kinds(north) == []


@pytest.mark.django_db
def test_outside_new_york_or_under_the_agencys_own_contracts_no_lapse_flag(north):
    from edcoop.contracts import services as contracts

    own = _piggybacked(north, "C-OWN", lead_agency=north.agency.name)  # recorded as its own
    coop = _piggybacked(north, "C-119O", lead_agency="Erie 1 BOCES", participants_only=True)
    contracts.eligibility_set(user=north.users["procurement_officer"], contract=coop,
                              participants=[north.institution])  # fmt: skip
    awarded = _piggybacked(north, "C-AWD", source="award")
    for c in (own, coop, awarded):
        _buy(north, c, date(2026, 9, 1))
    assert _kinds(north) == []  # the agency's own contracts and §119-o bids are not piggybacking
    north.institution.state = "CO"
    north.institution.save()
    _buy(north, _piggybacked(north), date(2026, 9, 1))
    assert _kinds(north) == []  # Colorado has no sunset on record


@pytest.mark.django_db
def test_a_lapse_flag_is_reviewed_by_its_evidence(north):
    from edcoop.governance import services as governance

    _buy(north, _piggybacked(north), date(2026, 7, 1))
    flag = next(f for f in monitor.flags_for(north.agency) if f.kind == "piggyback_lapsed")
    review = governance.flag_review(user=north.users["procurement_officer"],
                                    agency=north.agency, flag_key=flag.key, decision="referred",
                                    note="Referred to counsel: was §103(16) extended?")  # fmt: skip
    again = monitor.with_reviews(north.agency, monitor.flags_for(north.agency))
    assert next(f for f in again if f.kind == "piggyback_lapsed").review == review


@pytest.mark.django_db
def test_the_people_who_edit_rules_edit_the_authority_on_its_page(north):
    from django.core.exceptions import PermissionDenied

    from edcoop.core.models import AuditEvent
    from edcoop.governance import services as governance

    for role in ("business_office", "auditor", "member_admin", "supplier_rep"):
        with pytest.raises(PermissionDenied):
            governance.piggyback_save(user=north.users[role], agency=north.agency,
                                      jurisdiction="NY", effective_to=None)  # fmt: skip
    officer = Client()
    officer.force_login(north.users["procurement_officer"])
    rules = officer.get("/a/north/compliance/").content.decode()
    assert "NY GML §103(16)" in rules and "Jun 30, 2026" in rules
    assert 'href="/a/north/compliance/piggybacking/NY/"' in rules
    url = "/a/north/compliance/piggybacking/NY/"
    assert officer.get(url).status_code == 200
    form = {"name": "NY GML §103(16) (extended)", "effective_from": "",
            "effective_to": "2026-01-01", "source": "x", "source_url": ""}  # fmt: skip
    bad = officer.post(url, {**form, "effective_from": "2026-05-01"})
    assert bad.status_code == 200 and "cannot end before it starts" in bad.content.decode()
    done = officer.post(url, {**form, "effective_to": "2028-06-30",
                              "source": "L.2026: extended to June 30, 2028"})  # fmt: skip
    assert done.status_code == 302
    assert "Jun 30, 2028" in officer.get("/a/north/compliance/").content.decode()
    assert AuditEvent.objects.filter(action="piggyback_authority.create").count() == 1
    buyer = Client()
    buyer.force_login(north.users["member_buyer"])
    assert buyer.get(url).status_code in (403, 404)
    assert officer.post(url + "reset/").status_code == 302
    assert "Jun 30, 2028" not in officer.get("/a/north/compliance/").content.decode()
    assert officer.get("/a/north/compliance/piggybacking/ZZ/").status_code == 404


# Input ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("funding", "state"), ("funding", "\x00"),
                                              ("kind", "goods"), ("kind", "x" * 100_000)])
def test_bad_funding_or_kind_is_refused_naming_the_field(north, field, value):
    contract = _contract(north, "C-1", "10.00")
    with pytest.raises(ValidationError) as err:
        _buy(north, contract, date(2026, 3, 2), **{field: value})
    assert field in err.value.message_dict
    assert not PurchaseOrder.objects.exists()
    with pytest.raises(ValidationError) as err:
        make_contract(north, number="C-2", kind="goods")
    assert "kind" in err.value.message_dict


@pytest.mark.django_db
def test_the_api_takes_and_shows_funding_and_kind(north):
    contract = _contract(north, "C-1", "10.00")
    client = Client()
    client.force_login(north.users["member_buyer"])
    url = f"/api/v1/agencies/{north.agency.slug}/orders"
    body = {"institution_id": north.institution.pk, "contract_id": contract.pk,
            "lines": [{"sku": "X", "quantity": "1"}], "funding": "federal"}  # fmt: skip
    answer = client.post(url, body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["funding"] == "federal" and answer.json()["kind"] == "commodity"
    bad = client.post(url, {**body, "funding": "state"}, content_type="application/json")
    assert bad.status_code == 422 and "funding" in bad.content.decode()
    shown = client.get(f"/api/v1/agencies/{north.agency.slug}/contracts/{contract.pk}")
    if shown.status_code == 200:
        assert shown.json()["kind"] == "commodity"
