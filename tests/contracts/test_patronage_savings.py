"""Patronage splits that add up to the cent, none in a loss year; savings arithmetic and
the aggregate-demand effect."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcoop.contracts import patronage, pricing, sales, savings
from edcoop.contracts.models import Contract, ContractItem, PatronageYear

D = Decimal


def test_worked_example_cash_equity_and_the_minimum_check() -> None:
    shares = patronage.allocate(D("1000.00"), {1: D("7000"), 2: D("2900"), 3: D("100")},
                                D(20), D("25.00"))  # fmt: skip
    got = [(s.key, s.amount, s.cash, s.equity, s.withheld) for s in shares]
    assert got == [
        (1, D("700.00"), D("140.00"), D("560.00"), False),
        (2, D("290.00"), D("58.00"), D("232.00"), False),
        (3, D("10.00"), D("0.00"), D("10.00"), True),  # $2.00 cash is under the $25 check
    ]


@settings(suppress_health_check=[HealthCheck.too_slow])  # 2 cores shared: generation is slow
@given(st.integers(min_value=0, max_value=10**11),
       st.dictionaries(st.integers(1, 500), st.integers(0, 10**9), min_size=1, max_size=40),
       st.integers(0, 100))  # fmt: skip
def test_patronage_sums_exactly(cents: int, weights: dict[int, int], pct: int) -> None:
    total = D(cents) / 100
    shares = patronage.allocate(total, {k: D(v) for k, v in weights.items()}, D(pct), D(25))
    if not any(weights.values()) or not cents:
        assert shares == []
        return
    assert sum(s.amount for s in shares) == total
    assert all(s.cash + s.equity == s.amount and s.cash >= 0 and s.equity >= 0 for s in shares)


def _report(tenant: Any, paper: Contract, amount_rows: list[tuple[int, str]]) -> None:
    rows = [{"member": str(pk), "sku": "CP-8511", "quantity": q, "unit_price": "4.10",
             "invoice_date": "2026-08-03"} for pk, q in amount_rows]  # fmt: skip
    sales.report_file(user=tenant.users["supplier_rep"], contract=paper, year=2026, quarter=3,
                      rows=rows, today=date(2026, 11, 20))  # fmt: skip


def test_distribution_from_reported_purchases(north: Any, paper: Contract,
                                              ream: ContractItem) -> None:  # fmt: skip
    a, b = north.institutions
    _report(north, paper, [(a.pk, "1000"), (b.pk, "3000")])  # $4,100 and $12,300
    year = patronage.patronage_distribute(
        user=north.users["business_office"],
        agency=north.agency,
        fiscal_year=2027,
        net_income="50000.00",
        distributable="1000.01",
    )
    rows = {r.institution_id: r for r in year.allocations.all()}
    assert rows[a.pk].amount + rows[b.pk].amount == D("1000.01")
    assert (rows[a.pk].amount, rows[b.pk].amount) == (D("250.00"), D("750.01"))
    assert (rows[b.pk].cash, rows[b.pk].equity) == (D("150.00"), D("600.01"))
    with pytest.raises(ValidationError, match="already distributed"):
        patronage.patronage_distribute(user=north.users["business_office"],
                                       agency=north.agency, fiscal_year=2027,
                                       net_income="1", distributable="0")  # fmt: skip


def test_a_loss_year_distributes_nothing(north: Any) -> None:
    office = north.users["business_office"]
    with pytest.raises(ValidationError, match="loss year"):
        patronage.patronage_distribute(user=office, agency=north.agency, fiscal_year=2027,
                                       net_income="-500.00", distributable="100")  # fmt: skip
    year = patronage.patronage_distribute(user=office, agency=north.agency, fiscal_year=2027,
                                          net_income="-500.00", distributable="0")  # fmt: skip
    assert year.allocations.count() == 0
    assert PatronageYear.objects.get().net_income == D("-500.00")


@pytest.mark.parametrize(("income", "share", "field"), [
    ("1000", "2000", "distributable"), ("1e5", "0", "net_income"),
    ("1000", "-1", "distributable"), ("9999999999999", "0", "net_income"),
])  # fmt: skip
def test_bad_figures_are_refused(north: Any, income: str, share: str, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        patronage.patronage_distribute(user=north.users["business_office"],
                                       agency=north.agency, fiscal_year=2027,
                                       net_income=income, distributable=share)  # fmt: skip
    assert field in exc.value.message_dict
    assert not PatronageYear.objects.exists()


def test_only_the_business_office_distributes(north: Any, nation: Any) -> None:
    for user in (north.users["member_admin"], north.users["procurement_officer"],
                 nation.users["business_office"]):  # fmt: skip
        with pytest.raises(PermissionDenied):
            patronage.patronage_distribute(user=user, agency=north.agency, fiscal_year=2027,
                                           net_income="1", distributable="0")  # fmt: skip


def test_savings_per_line_and_summed_with_the_method() -> None:
    lines = [
        savings.Line("A", "Paper", 2027, "list_price", D("100"), D("3.90"), D("6.49")),
        savings.Line("A", "Paper", 2027, "member_last_price", D("10"), D("4.10"), D("4.60")),
        savings.Line("B", "Paper", 2027, "list_price", D("3"), D("4.10"), None),  # no baseline
        savings.Line("B", "Science", 2026, "benchmark", D("2.5"), D("1.001"), D("1.333")),
    ]
    assert savings.line_saving(lines[0]) == D("259.00")
    assert savings.line_saving(lines[2]) is None
    assert savings.summed(lines, "member") == {
        ("A", "list_price"): D("259.00"),
        ("A", "member_last_price"): D("5.00"),
        ("B", "benchmark"): D("0.83"),
    }  # 3.33 - 2.50 (each extension rounded to the cent)
    assert savings.summed(lines, "year")[("2027", "list_price")] == D("259.00")


def test_aggregate_demand_effect() -> None:
    tiers = [pricing.TierPrice(D(100), D("3.90")), pricing.TierPrice(D(500), D("3.75"))]
    rows = savings.aggregate_demand(D("4.10"), tiers, {"A": D(80), "B": D(300), "C": D(150)})
    assert [(r.member, r.alone_price, r.pooled_price, r.effect) for r in rows] == [
        ("A", D("4.10"), D("3.75"), D("28.00")), ("B", D("3.90"), D("3.75"), D("45.00")),
        ("C", D("3.90"), D("3.75"), D("22.50"))]  # fmt: skip


def test_the_basis_is_reported_sales_in_force_not_edcoop_orders(north: Any, paper: Contract,
                                                                 ream: ContractItem) -> None:
    """Hand-worked, $100.00 to distribute. A ordered 1,000 reams in EdCoop ($4,100.00) but
    its supplier reported 200 ($820.00); B bought outside EdCoop and the supplier reported
    100 ($410.00). Reported sales are the basis: A 820/1230 x 100 = 66.666.. -> 66.67,
    B 33.333.. -> 33.33 (largest remainder; sum 100.00). Then the report is amended to A 300
    ($1,230.00), B 100: only the latest version counts: A 1230/1640 x 100 = 75.00, B 25.00."""
    from edcoop.contracts import orders
    from edcoop.contracts.orders import LineInput

    a, b = north.institutions
    order = orders.order_create(user=north.users["member_buyer"], institution=a,
                                contract=paper, lines=[LineInput("1000", sku="CP-8511")],
                                ordered_on=date(2026, 8, 1))  # fmt: skip
    assert order.total == D("3750.00")  # not the basis
    rows = [{"member": str(pk), "sku": "CP-8511", "quantity": q, "unit_price": "4.10",
             "invoice_date": "2026-08-03"} for pk, q in ((a.pk, "200"), (b.pk, "100"))]
    first = sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                              quarter=3, rows=rows, today=date(2026, 11, 20))  # fmt: skip
    assert patronage.purchases_in(north.agency, 2027) == {a.pk: D("820.00"), b.pk: D("410.00")}
    rows[0]["quantity"] = "300"
    sales.report_amend(user=north.users["supplier_rep"], report=first, rows=rows,
                       reason="A's September invoice", today=date(2026, 11, 21))  # fmt: skip
    assert patronage.purchases_in(north.agency, 2027) == {a.pk: D("1230.00"), b.pk: D("410.00")}
    year = patronage.patronage_distribute(user=north.users["business_office"],
                                          agency=north.agency, fiscal_year=2027,
                                          net_income="5000", distributable="100")  # fmt: skip
    rows_out = {r.institution_id: r.amount for r in year.allocations.all()}
    assert rows_out == {a.pk: D("75.00"), b.pk: D("25.00")}
    assert "suppliers reported" in year.basis and "latest version" in year.basis


def test_the_shares_before_amendment_by_hand() -> None:
    shares = patronage.allocate(D("100"), {1: D("820.00"), 2: D("410.00")}, D(20), D(25))
    assert [s.amount for s in shares] == [D("66.67"), D("33.33")]
