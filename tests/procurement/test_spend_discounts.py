"""Spend discounts and capacities in responses: sealed with the prices, checked at the limits,
shown on the tabulation after the opening and fed into the optimal award.

The hand-worked case (every item per item): North bids 1.01 (1,000 cases) at 30.00, 1.02
(100) at 50.00, 2.01 (333) at 0.30, with 5% off its whole award from $34,000; Second bids
29.50, 49.00 and 0.29 with no discount.

- Lowest price per item: Second takes all three: 29,500.00 + 4,900.00 + 96.57 = 34,496.57.
- North reaches $34,000 only with both papers (30,000 + 5,000 = 35,000; any other pair
  stays below). Papers to North, milk to Second: 35,000 - 1,750.00 + 96.57 = 33,346.57.
  All three to North: 35,099.90 - 1,755.00 (5% of 35,099.90 = 1,754.995, half-up) =
  33,344.90, the optimum, 1,151.67 below the lowest-price award.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from tests.api.conftest import _api_for
from tests.web.conftest import client_for

from edcoop.procurement import awarding, evaluation, opening, responses, sealing
from edcoop.procurement.models import BidLine, Response

from .conftest import OPENING, build_bid, items, offer, second_supplier

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def per_item(north, clock):
    from .conftest import approve

    approve(north, north.supplier)
    return build_bid(north, number="IFB-2026-09", basis="per_item")


def _submit(north, s, supplier, rep, prices, **extra):
    return responses.response_submit(user=rep, solicitation=s, supplier=supplier,
                                      data=offer(s, prices, **extra))  # fmt: skip


def _open(s, clock):
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=s)
    s.refresh_from_db()
    return s


@pytest.fixture
def two_bids(north, per_item, clock):
    second, rep2 = second_supplier(north)
    _submit(north, per_item, north.supplier, north.users["supplier_rep"],
            {"1.01": "30.00", "1.02": "50.00", "2.01": "0.30"},
            spend_discounts=[("34000", "5")])  # fmt: skip
    _submit(north, per_item, second, rep2, {"1.01": "29.50", "1.02": "49.00", "2.01": "0.29"})
    s = _open(per_item, clock)
    evaluation.findings_propose(user=north.users["procurement_officer"], solicitation=s)
    return s, second


def _by_item(inputs, result):
    return {inputs.items[a.item].number: inputs.responses[a.supplier].supplier.legal_name
            for a in result.awards}  # fmt: skip


def test_the_spend_discount_changes_the_optimal_award(north, two_bids):
    s, _second = two_bids
    inputs, low = awarding.compute(s, method="lowest_price")
    assert _by_item(inputs, low) == {"1.01": "Second Paper Co", "1.02": "Second Paper Co",
                                     "2.01": "Second Paper Co"}  # fmt: skip
    assert low.total == D("34496.57")
    inputs, best = awarding.compute(s, method="optimal")
    assert best.status == "optimal" and best.gap == 0.0
    assert _by_item(inputs, best) == {"1.01": "North Paper Co", "1.02": "North Paper Co",
                                      "2.01": "North Paper Co"}  # fmt: skip
    assert [(d.gross, d.percent, d.amount) for d in best.discounts] == [
        (D("35099.90"), D("5"), D("1755.00"))
    ]
    assert best.total == D("33344.90") and best.saving == D("1151.67")
    award = awarding.award_recommend(user=north.users["procurement_officer"], solicitation=s,
                                     basis="Optimal award with North's spend discount.",
                                     method="optimal")  # fmt: skip
    assert award.total == D("33344.90")


def test_capacity_splits_the_item(north, per_item, clock):
    """Neither can supply the 1,000 cases of 1.01 alone (Second at most 600, North 700), so
    the item is split from the lowest price up: Second 600 at 29.50, North the other 400 at
    30.00 (17,700.00 + 12,000.00)."""
    second, rep2 = second_supplier(north)
    mine = offer(per_item, {"1.01": "30.00"})
    mine.lines[0].max_quantity = "700"
    responses.response_submit(user=north.users["supplier_rep"], solicitation=per_item,
                              supplier=north.supplier, data=mine)  # fmt: skip
    data = offer(per_item, {"1.01": "29.50"})
    data.lines[0].max_quantity = "600"
    responses.response_submit(user=rep2, solicitation=per_item, supplier=second, data=data)
    s = _open(per_item, clock)
    assert BidLine.objects.get(response__supplier=second).max_quantity == D("600")
    inputs, result = awarding.compute(s, method="lowest_price")
    lines = sorted((inputs.responses[a.supplier].supplier.legal_name, a.quantity, a.amount)
                   for a in result.awards)  # fmt: skip
    assert lines == [("North Paper Co", D("400"), D("12000.00")),
                     ("Second Paper Co", D("600"), D("17700.00"))]  # fmt: skip


@pytest.mark.parametrize(("steps", "capacity", "field", "message"), [
    ([("34000", "0")], None, "spend_discounts", "above 0 and below 100"),
    ([("34000", "100")], None, "spend_discounts", "percent"),
    ([("34000", "NaN")], None, "spend_discounts", "percent"),
    ([("1e20", "5")], None, "spend_discounts", "minimum award total"),
    ([("-1", "5")], None, "spend_discounts", "cannot be negative"),
    ([("34000", "2.555")], None, "spend_discounts", "decimal places"),
    ([("34000", "5"), ("34000", "6")], None, "spend_discounts", "two steps start at $34,000.00"),
    ([("34000", "5"), ("50000", "4")], None, "spend_discounts", "must give more than the 5%"),
    ([("1", "1")] * 21, None, "spend_discounts", "at most 20 steps"),
    ([("34000\x00", "5")], None, "spend_discounts", "minimum award total"),
    ([], "0", "max_", "above 0"),
    ([], "-5", "max_", "cannot be negative"),
    ([], "1" * 40, "max_", "maximum quantity"),
    ([], "abc", "max_", "maximum quantity"),
])  # fmt: skip
def test_bad_discounts_and_capacities_are_refused_naming_the_field(
    north, per_item, steps, capacity, field, message
):
    data = offer(per_item, {"2.01": "0.29"}, spend_discounts=steps)
    data.lines[0].max_quantity = capacity
    with pytest.raises(ValidationError) as e:
        responses.response_submit(user=north.users["supplier_rep"], solicitation=per_item,
                                  supplier=north.supplier, data=data)  # fmt: skip
    assert any(k.startswith(field) for k in e.value.message_dict), e.value.message_dict
    assert message in str(e.value)
    assert not Response.objects.exists()


def test_discounts_and_capacities_are_sealed_until_the_opening(north, per_item, clock):
    data = offer(per_item, {"2.01": "0.29"}, spend_discounts=[("41234.56", "7.25")])
    data.lines[0].max_quantity = "98765"
    receipt = responses.response_submit(user=north.users["supplier_rep"], solicitation=per_item,
                                        supplier=north.supplier, data=data)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM procurement_response")
        blobs = [bytes(row[0]) for row in cursor.fetchall()]
    assert blobs and all(b"41234" not in b and b"98765" not in b and b"7.25" not in b
                         for b in blobs)  # fmt: skip
    r = Response.objects.get()
    assert r.spend_discounts == [] and not BidLine.objects.exists()
    # Part of the bid: in the receipt's canonical content, so a changed discount is a
    # different receipt (and the opening checks it), and the keyed hash hides it from a
    # reader who knows the prices: no guessed percent matches without the secret.
    content = sealing.unseal_for(north.users["supplier_rep"], r, what="own response")
    assert content["spend_discounts"] == [{"min_total": "41234.56", "percent": "7.25"}]
    assert content["lines"][0]["max_quantity"] == "98765"
    assert sealing.receipt_hash(content, receipt.secret) == receipt.sha256
    for pct in (f"{D(q) / 4:f}" for q in range(1, 400)):
        guess = {**content, "spend_discounts": [{"min_total": "41234.56", "percent": pct}]}
        data = sealing.canonical(guess)
        assert hashlib.sha256(data).hexdigest() != receipt.sha256
        assert hmac.new(bytes.fromhex(r.content_sha256), data, hashlib.sha256).hexdigest() != (
            receipt.sha256
        )
    s = _open(per_item, clock)
    r.refresh_from_db()
    assert r.responsive and r.spend_discounts == [{"min_total": "41234.56", "percent": "7.25"}]
    assert BidLine.objects.get().max_quantity == D("98765")
    page = client_for(north.users["procurement_officer"]).get(
        reverse("procurement:tabulation", args=["north", s.pk])
    ).content.decode()
    assert "7.25% from $41,234.56" in page and "at most 98,765" in page
    detail = client_for(north.users["procurement_officer"]).get(
        reverse("procurement:response", args=["north", s.pk, r.pk])
    ).content.decode()
    assert "7.25% off the whole award from $41,234.56" in detail and "98,765" in detail


def test_a_tampered_discount_makes_the_response_unreadable_not_the_opening(north, per_item,
                                                                           clock):  # fmt: skip
    _submit(north, per_item, north.supplier, north.users["supplier_rep"], {"2.01": "0.29"},
            spend_discounts=[("100", "5")])  # fmt: skip
    r = Response.objects.get()
    content = sealing.unseal_for(north.users["supplier_rep"], r, what="own response")
    content["spend_discounts"] = [{"min_total": "100", "percent": "150"}]
    r.sealed, envelope = sealing.seal_content(content)
    r.content_sha256 = envelope.receipt_hash
    r.save()
    _open(per_item, clock)
    r.refresh_from_db()
    assert r.responsive is False and "spend discount" in r.nonresponsive_reasons[0]


def test_the_portal_form_and_the_api_carry_them(north, per_item, clock):
    second, rep2 = second_supplier(north)
    rep = client_for(north.users["supplier_rep"])
    url = reverse("procurement:respond", args=["north", north.supplier.pk, per_item.pk])
    its = items(per_item)
    form = {f"price_{its['2.01'].pk}": "0.31", f"max_{its['2.01'].pk}": "200",
            "spend_discounts": "50000: 2; 100000: 3.5%", "attestations": ["non_collusion"],
            "action": "submit", "idempotency_key": "k1"}  # fmt: skip
    bad = rep.post(url, {**form, "spend_discounts": "50000 2"})
    assert bad.status_code == 400 and "write a step as minimum award total: percent" in (
        bad.content.decode()
    )
    assert rep.post(url, form).status_code == 302
    api = _api_for(rep2)
    body = {"supplier_id": second.pk, "attestations": ["non_collusion"],
            "lines": [{"item_id": its["2.01"].pk, "unit_price": "0.30", "max_quantity": "150"}],
            "spend_discounts": [{"min_total": "10", "percent": "1"}]}  # fmt: skip
    path = f"/agencies/north/solicitations/{per_item.pk}/responses"
    refused = api.post(path, {**body, "spend_discounts": [{"min_total": "10", "percent": "1e20"}]})
    assert refused.status_code == 422 and "percent" in refused.content.decode()
    assert api.post(path, body).status_code == 201
    s = _open(per_item, clock)
    tab = _api_for(north.users["procurement_officer"]).get(
        f"/agencies/north/solicitations/{s.pk}/tabulation"
    ).json()
    suppliers = {x["name"]: x["spend_discounts"] for x in tab["suppliers"]}
    assert suppliers == {
        "North Paper Co": [{"min_total": "50000.00", "percent": "2"},
                           {"min_total": "100000.00", "percent": "3.5"}],
        "Second Paper Co": [{"min_total": "10.00", "percent": "1"}],
    }  # fmt: skip
    milk = next(r for r in tab["rows"] if r["item"] == "2.01")
    assert sorted(b["max_quantity"] for b in milk["bids"]) == ["150", "200"]
