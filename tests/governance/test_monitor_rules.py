"""The monitor checks each order against the rule for its own funding source and kind, by
hand at every boundary of the shipped rules, and flags public works piggybacked on another
government's contract by New York members (GML §103(16))."""

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
