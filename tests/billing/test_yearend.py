"""True-up preview, surplus refund on a pool, aid estimate, statement aging, memos."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from edcoop.billing import aid, ledger, statements, yearend
from edcoop.billing.models import Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.services import services as svc


def post(year, period):
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=period)
    return billing_run_post(user=year.admin, run=run, issued_on=period + timedelta(days=32))


def test_true_up_preview_charges_the_year_and_refunds_a_pool_surplus(year):
    post(year, year.sept)
    # The tech pool comes in $2,000 under its $12,000 budget.
    svc.service_year_set(user=year.admin, service=year.s["usage"], fiscal_year=2027,
                         budget=D("12000.00"), actual_cost=D("10000.00"))  # fmt: skip
    preview = yearend.true_up_preview(year.tenant.agency, 2027)
    rows = {(r.institution_id, r.service): r for r in preview.rows}
    a, b = year.a.pk, year.b.pk
    # The year's usage (a 1, b 2) takes the whole $12,000 pool 1:2: 4,000 / 8,000.
    # Billed in September: 333.33 / 666.67. The $2,000 surplus goes back in proportion to
    # the 4,000 : 8,000 charged: 666.67 / 1,333.33 (the odd cent to a, larger remainder).
    assert rows[(a, "500.100")].charged == D("4000.00")
    assert rows[(a, "500.100")].billed == D("333.33")
    assert rows[(a, "500.100")].settlement == D("-666.67")
    assert rows[(b, "500.100")].settlement == D("-1333.33")
    assert rows[(a, "500.100")].use_adjustment == D("4000.00") - D("333.33")
    assert rows[(a, "500.100")].final + rows[(b, "500.100")].final == D("10000.00")
    # Flat: 1,200 a year in twelve installments, plus the 15% fee on each.
    assert rows[(a, "601.200")].charged == D("1380.00")
    # Not ready: eleven months are not posted and most actual costs are missing.
    with pytest.raises(ValidationError, match="not ready"):
        yearend.true_up_post(user=year.admin, agency=year.tenant.agency, fiscal_year=2027)


def test_aid_uses_the_aid_years_ratio_and_the_two_district_rule(year):
    post(year, year.sept)
    for inst in (year.a, year.b):
        aid.aid_ratio_set(user=year.admin, agency=year.tenant.agency, institution_id=inst.pk,
                          aid_year=2028, ratio=D("0.5000"),
                          data_years="2025 full value / 2025-26 RWADA")  # fmt: skip
    estimate = aid.aid_estimate(year.tenant.agency, 2027)
    assert estimate.aid_year == 2028
    a = {r.institution_id: r for r in estimate.members}[year.a.pk]
    # Only a used speech therapy (450.00) and the workshops (200.00): shared by fewer than
    # two districts, not aidable. Aidable: the tech pool 333.33 and the flat charge 100.00
    # with its 15.00 fee (both districts); no staff salaries entered, so no cap (estimate).
    assert a.aidable == D("448.33")
    assert a.aid == D("166.67") + D("50.00") + D("7.50")
    assert a.net == a.charges - a.aid
    assert set(estimate.not_shared) == {"300.010", "500.200"}
    assert "500.100" in estimate.missing_staff


def test_salary_above_cap_is_excluded(year):
    y = svc.service_year_set(user=year.admin, service=year.s["rate"], fiscal_year=2027,
                             budget=D("100000.00"),
                             positions=[("Therapist", D("70000.00"), D("1")),
                                        ("Aide", D("25000.00"), D("1"))])  # fmt: skip
    # (70,000 - 30,000) x 1 = 40,000 over the cap; 25,000 is under it.
    assert y.salary_over_cap == D("40000.00")
    assert aid.approved_ratio(y) == D("0.6")


def test_statement_ages_open_invoices_and_applies_payments_and_credits(year):
    post(year, year.sept)  # issued 2026-10-03
    post(year, date(2026, 10, 1))  # issued 2026-11-02
    first, second = Invoice.objects.filter(institution=year.a).order_by("period")
    line = first.lines.get(service=year.s["rate"], kind="service")
    ledger.memo_issue(user=year.admin, line=line, amount=D("50.00"),
                      reason="Hours entered twice")  # fmt: skip
    ledger.payment_record(user=year.admin, institution=year.a, amount=D("1000.00"),
                          received_on=date(2026, 11, 10))  # fmt: skip
    st = statements.statement(year.a, date(2026, 12, 5))
    assert st.balance == first.total + second.total - D("50.00") - D("1000.00")
    # first: 63 days old -> 60-89; second: 33 days -> 30-59.
    assert st.aging["60"] == first.total - D("50.00") - D("1000.00")
    assert st.aging["30"] == second.total
    assert st.unapplied == 0
    # The line had 450.00; 50.00 is credited, so 400.00 is the most another memo can take.
    with pytest.raises(ValidationError, match="400"):
        ledger.memo_issue(user=year.admin, line=line, amount=D("400.01"), reason="too much")
