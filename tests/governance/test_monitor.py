"""The compliance monitor: split purchases and purchases over a threshold decided by the
agency's rule table on the 12-month aggregate, purchases under expired contracts, and the
proof from the audit trail that no response was read before its opening."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.contracts.conftest import make_contract
from tests.procurement.conftest import OPENING, offer

from edcoop.contracts import orders, services
from edcoop.contracts.orders import LineInput
from edcoop.core import audit
from edcoop.governance import monitor
from edcoop.governance.compliance import Method
from edcoop.procurement import opening, responses
from edcoop.procurement.models import BidLine, Response

TODAY = timezone.localdate()
THRESHOLD = D("20000.00")


def over_20k(amount: D, day: date) -> Method:
    return Method.SEALED_BIDS if amount > THRESHOLD else Method.QUOTES


def p(key: int, day: date, amount: str, group: tuple[Any, ...] = (1, 1, "paper")) -> Any:
    return monitor.Purchase(key, f"PO-{key}", group, day, D(amount))


# The engine, by hand ---------------------------------------------------------------------------


def test_two_orders_that_together_pass_the_threshold_are_a_likely_split():
    d = date(2026, 9, 1)
    found = monitor.aggregate_flags([p(1, d, "12000.00"), p(2, d + timedelta(days=20),
                                                             "8000.01")], over_20k)  # fmt: skip
    assert [(f.kind, f.total, [x.key for x in f.purchases]) for f in found] == [
        ("split", D("20000.01"), [1, 2])
    ]


def test_exactly_at_the_threshold_is_not_over_it():
    d = date(2026, 9, 1)
    assert monitor.aggregate_flags([p(1, d, "12000.00"), p(2, d, "8000.00")], over_20k) == []


def test_orders_more_than_12_months_apart_do_not_add_up():
    d = date(2025, 9, 1)
    rows = [p(1, d, "12000.00"), p(2, d + timedelta(days=365), "12000.00")]
    assert monitor.aggregate_flags(rows, over_20k) == []
    rows = [p(1, d, "12000.00"), p(2, d + timedelta(days=364), "12000.00")]
    assert [f.kind for f in monitor.aggregate_flags(rows, over_20k)] == ["split"]


def test_other_members_suppliers_or_categories_do_not_add_up():
    d = date(2026, 9, 1)
    rows = [p(1, d, "12000.00", (1, 1, "paper")), p(2, d, "12000.00", (2, 1, "paper")),
            p(3, d, "12000.00", (1, 2, "paper")), p(4, d, "12000.00", (1, 1, "milk"))]  # fmt: skip
    assert monitor.aggregate_flags(rows, over_20k) == []


def test_one_order_over_the_threshold_is_flagged_alone_and_a_third_joins_the_split():
    d = date(2026, 9, 1)
    rows = [p(1, d, "25000.00"), p(2, d, "15000.00"), p(3, d + timedelta(days=1), "6000.00"),
            p(4, d + timedelta(days=2), "1000.00")]  # fmt: skip
    found = monitor.aggregate_flags(rows, over_20k)
    assert [(f.kind, [x.key for x in f.purchases]) for f in found] == [
        ("over_threshold", [1]),
        ("split", [2, 3, 4]),
    ]
    assert found[1].total == D("22000.00")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 2_500_000)), max_size=12))
def test_a_group_is_flagged_exactly_when_some_12_months_pass_the_threshold(rows):
    start = date(2025, 1, 1)
    purchases = [p(i, start + timedelta(days=d), f"{c / 100:.2f}") for i, (d, c) in
                 enumerate(rows)]  # fmt: skip
    found = monitor.aggregate_flags(purchases, over_20k)
    small = [x for x in purchases if x.amount <= THRESHOLD]
    windows = any(
        sum((y.amount for y in small if 0 <= (x.day - y.day).days < 365), D(0)) > THRESHOLD
        and sum(1 for y in small if 0 <= (x.day - y.day).days < 365) >= 2
        for x in small
    )
    assert any(f.kind == "split" for f in found) == windows
    assert sorted(x.key for f in found if f.kind == "over_threshold" for x in f.purchases) == \
        sorted(x.key for x in purchases if x.amount > THRESHOLD)  # fmt: skip
    for f in found:
        assert all(x.amount <= THRESHOLD for x in f.purchases) or f.kind == "over_threshold"


def brute_force(purchases, method_for):
    """The reference: for each order, its window rebuilt from every earlier order of its
    group (quadratic); an order joins the open split while its window holds one of the
    split's orders."""
    groups = {}
    for x in purchases:
        groups.setdefault(x.group, []).append(x)
    out = []
    for group in sorted(groups, key=repr):
        rows = sorted(groups[group], key=lambda x: (x.day, repr(x.key)))
        split = None
        for i, x in enumerate(rows):
            if method_for(x.amount, x.day) == Method.SEALED_BIDS:
                out.append(("over_threshold", [x.key], x.amount))
                continue
            window = [y for y in rows[: i + 1] if (x.day - y.day).days < 365
                      and method_for(y.amount, y.day) != Method.SEALED_BIDS]  # fmt: skip
            total = sum((y.amount for y in window), D(0))
            if len(window) < 2 or method_for(total, x.day) != Method.SEALED_BIDS:
                continue
            if split is not None and set(split[1]) & {y.key for y in window}:
                split[1].append(x.key)
                split[2] = total
                continue
            split = ["split", [y.key for y in window], total]
            out.append(split)
    return [tuple(f) for f in out]


def switching(amount: D, day: date) -> Method:
    """A threshold that changes on an effective date ($20,000, then $25,000 from 2026)."""
    return Method.SEALED_BIDS if amount > (THRESHOLD if day.year < 2026 else D("25000")) \
        else Method.QUOTES  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 900), st.integers(1, 3_000_000), st.integers(0, 2),
                          st.integers(0, 1)), max_size=40),
       st.sampled_from([over_20k, switching]))  # fmt: skip
def test_the_sliding_window_finds_what_the_brute_force_finds(rows, method_for):
    start = date(2025, 1, 1)
    purchases = [p(i, start + timedelta(days=d), f"{c / 100:.2f}", (m, 1, ("paper", "milk")[k]))
                 for i, (d, c, m, k) in enumerate(rows)]  # fmt: skip
    found = monitor.aggregate_flags(purchases, method_for)
    assert [(f.kind, [x.key for x in f.purchases], f.total) for f in found] == \
        brute_force(purchases, method_for)  # fmt: skip


def test_a_long_run_of_small_orders_is_one_flag():
    """Daily $100 orders for two years: one pattern, one flag holding every order (not a
    new flag, listing a year of orders, for each day of the second year); a pause of more
    than a year starts a new one."""
    d = date(2025, 1, 1)
    rows = [p(i, d + timedelta(days=i), "100.00") for i in range(730)]
    rows += [p(1000 + i, d + timedelta(days=1200 + i), "100.00") for i in range(250)]
    found = monitor.aggregate_flags(rows, over_20k)
    assert [(f.kind, [x.key for x in f.purchases], f.total) for f in found] == \
        brute_force(rows, over_20k)  # fmt: skip
    assert [len(f.purchases) for f in found] == [730, 250]
    assert found[0].total == D("36500.00") and found[1].total == D("25000.00")


# On the records --------------------------------------------------------------------------------


@pytest.fixture
def uncompeted(north):
    """A contract of the agency's own whose record shows no competitive solicitation, with a
    $1,000 item (another government's would also be piggybacking after NY's sunset)."""
    contract = make_contract(north, number="C-SOLE", solicitation_method="", solicited_on=None,
                             solicitation_reference="", lead_agency=north.agency.name,
                             starts_on=TODAY - timedelta(days=400),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract, sku="DESK",
                       description="Teacher desk", unit="each", unit_price="1000.00")  # fmt: skip
    return contract


def _linked(flags, slug="north"):
    """Every flag links to a page of its agency's that exists, and shows its evidence."""
    from django.urls import resolve

    for flag in flags:
        assert flag.url.startswith(f"/a/{slug}/"), (flag.kind, flag.url)
        resolve(flag.url)  # raises Resolver404 for a link to nowhere
        assert flag.evidence and all(flag.evidence), flag.kind
    return flags


def _purchase_flags(agency):
    """The flags on orders (the test contracts also owe sales reports)."""
    return _linked([f for f in monitor.flags_for(agency) if f.kind != "sales_report_missing"])


def _buy(north, contract, qty, days_ago):
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=contract, lines=[LineInput(quantity=qty, sku="DESK")],
                                ordered_on=TODAY - timedelta(days=days_ago))  # fmt: skip
    return orders.order_approve(user=north.users["member_finance"], order=order)


@pytest.mark.django_db
def test_split_orders_on_a_contract_nobody_bid_are_flagged_with_evidence(north, uncompeted):
    first = _buy(north, uncompeted, "12", 40)
    _buy(north, uncompeted, "9", 10)
    flags = _purchase_flags(north.agency)
    assert [f.kind for f in flags] == ["split"]
    assert flags[0].amount == D("21000.00")
    evidence = " ".join(flags[0].evidence)
    assert "$12,000.00" in evidence and "$9,000.00" in evidence and "C-SOLE" in evidence
    assert flags[0].url == f"/a/north/orders/{first.pk}/"  # the pattern's first order
    # The same orders under a competitively bid contract are no flag at all.
    competed = make_contract(north, number="C-BID", lead_agency=north.agency.name,
                             starts_on=TODAY - timedelta(days=400),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=competed, sku="DESK",
                       description="Teacher desk", unit="each", unit_price="1000.00")  # fmt: skip
    _buy(north, competed, "30", 5)
    assert [f.kind for f in _purchase_flags(north.agency)] == ["split"]


@pytest.mark.django_db
def test_an_order_placed_after_the_contract_ended_is_flagged(north, uncompeted):
    order = _buy(north, uncompeted, "1", 10)
    services.contract_terminate(user=north.users["procurement_officer"], contract=uncompeted,
                                on=TODAY - timedelta(days=20), reason="Closed")  # fmt: skip
    flags = _purchase_flags(north.agency)
    assert [f.kind for f in flags] == ["expired_contract"]
    assert "terminated" in flags[0].evidence[0]
    assert flags[0].url == f"/a/north/orders/{order.pk}/"


@pytest.mark.django_db
def test_members_see_only_their_own_flags(north, nation, uncompeted):
    _buy(north, uncompeted, "25", 3)
    url = "/a/north/compliance/monitor/"
    officer = Client()
    officer.force_login(north.users["procurement_officer"])
    page = officer.get(url).content.decode()
    assert "over a bidding threshold" in page and "no response was read before" in page
    finance = Client()
    finance.force_login(north.users["member_finance"])  # district 1, whose order it is
    assert "over a bidding threshold" in finance.get(url).content.decode()
    other = north.institutions[1].pk
    assert finance.get(f"{url}?member={other}").status_code == 404
    for role in ("member_buyer", "supplier_rep", "evaluator"):
        other = Client()
        other.force_login(north.users[role])
        assert other.get(url).status_code == 403, role
    outsider = Client()
    outsider.force_login(nation.users["auditor"])
    assert outsider.get(url).status_code == 404


# Sealed responses ------------------------------------------------------------------------------


def _submit(north, s):
    return responses.response_submit(
        user=north.users["supplier_rep"], solicitation=s, supplier=north.supplier,
        data=offer(s, {"1.01": "30.00", "1.02": "40.00", "2.01": "0.29"}),
    )  # fmt: skip


@pytest.mark.django_db
def test_a_proper_opening_proves_nothing_was_read_before(north, bid, clock):
    _submit(north, bid)
    with pytest.raises(Exception, match="sealed"):
        from edcoop.procurement import sealing

        sealing.unseal_for(north.users["auditor"], Response.objects.get(is_current=True))
    clock.set(OPENING)
    opening.solicitation_open(user=north.users["procurement_officer"], solicitation=bid)
    proof = monitor.opening_proof(north.agency)
    assert proof.holds and len(proof.events) == 1 and proof.opened == 1
    assert len(proof.refused) == 1  # the refused attempt is shown, not counted as a read


@pytest.mark.django_db
def test_an_opening_before_its_time_is_caught_from_the_trail(north, bid, clock):
    _submit(north, bid)
    response = Response.objects.get(is_current=True)
    # Someone writes an opening event while the bid is still sealed.
    audit.record("response.open", response, agency_id=north.agency.pk,
                 label=f"{response.supplier} response to {bid.number}")  # fmt: skip
    proof = monitor.opening_proof(north.agency)
    assert not proof.holds
    _linked(proof.flags)
    assert "has not happened" in proof.flags[0].evidence[0]


@pytest.mark.django_db
def test_prices_in_clear_for_a_sealed_bid_are_caught(north, bid, clock):
    _submit(north, bid)
    response = Response.objects.get(is_current=True)
    BidLine.objects.create(response=response, item=bid.items.first(), unit_price=D("1.00"))
    proof = monitor.opening_proof(north.agency)
    assert [f.subject for f in proof.flags] == [f"{bid.number}: contents in clear while sealed"]
    _linked(proof.flags)


@pytest.mark.django_db
def test_orders_no_rule_covers_are_named_never_passed(north, uncompeted):
    from edcoop.governance.models import ComplianceRule

    ComplianceRule.objects.filter(jurisdiction="NY").delete()
    _buy(north, uncompeted, "25", 3)
    flags = _purchase_flags(north.agency)
    assert [f.kind for f in flags] == ["no_rule"]
    assert "No rule" in flags[0].evidence[0]


@pytest.mark.django_db
def test_quarters_with_no_sales_report_are_flagged(north):
    contract = make_contract(north, number="C-OLD", starts_on=TODAY - timedelta(days=400),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    flags = [f for f in monitor.flags_for(north.agency) if f.kind == "sales_report_missing"]
    assert len(flags) >= 3 and all("C-OLD" in f.subject for f in flags)
    assert all(f.on < TODAY for f in flags)
    assert f"{contract.supplier} has not filed" in flags[0].evidence[0]
    assert {f.url for f in _linked(flags)} == {f"/a/north/contracts/{contract.pk}/"}


@pytest.mark.django_db
def test_a_best_value_award_scored_without_attestation_is_flagged(north, bid, clock):
    from edcoop.procurement.models import Award, Criterion, Evaluator, Score

    _submit(north, bid)
    clock.set(OPENING)
    opening.solicitation_open(user=north.users["procurement_officer"], solicitation=bid)
    response = Response.objects.get(is_current=True)
    criterion = Criterion.objects.create(solicitation=bid, name="Price", weight=D("100"))
    now = timezone.now()
    attested = Evaluator.objects.create(solicitation=bid, user=north.users["agency_admin"],
                                        added_at=now, coi_attested_at=now)  # fmt: skip
    unattested = Evaluator.objects.create(solicitation=bid, user=north.users["evaluator"],
                                          added_at=now)  # fmt: skip
    for e in (attested, unattested):
        Score.objects.create(evaluator=e, response=response, criterion=criterion, score=D("8"))
    Award.objects.create(solicitation=bid, method=Award.Method.BEST_VALUE, basis="Scores",
                         recommended_at=now)  # fmt: skip
    flags = [f for f in monitor.flags_for(north.agency) if f.kind == "award_without_coi"]
    assert len(_linked(flags)) == 1
    assert flags[0].evidence == ["north-evaluator scored 1 criterion score(s) with no "
                                 "attestation on record."]  # fmt: skip
    unattested.coi_attested_at = now
    unattested.save()
    assert not [f for f in monitor.flags_for(north.agency) if f.kind == "award_without_coi"]
