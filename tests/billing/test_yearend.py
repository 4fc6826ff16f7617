"""True-up, surplus refund, aid estimate, statement aging, credit memos."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from edcoop.billing import aid, services, statements, yearend
from edcoop.billing.models import Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.services import services as svc


def post(year, period):
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=period)
    return billing_run_post(user=year.admin, run=run, issued_on=period + timedelta(days=32))


def test_true_up_compares_billed_with_actual_and_refunds_a_pool_surplus(year):
    post(year, year.sept)
    # The tech pool comes in $2,000 under its $12,000 budget.
    svc.service_year_set(user=year.admin, service=year.s["usage"], fiscal_year=2027,
                         budget=D("12000.00"), actual_cost=D("10000.00"))  # fmt: skip
    rows = {(r.institution_id, r.service): r for r in yearend.true_up_preview(year.tenant.agency,
                                                                               2027)}  # fmt: skip
    a, b = year.a.pk, year.b.pk
    # The year's usage (a 1, b 2) allocates the whole $12,000 pool 1:2: 4,000 / 8,000.
    # Billed in September: 333.33 / 666.67. The $2,000 surplus is refunded in proportion to
    # the 4,000 : 8,000 charged: 666.67 / 1,333.33 (the odd cent to a, larger remainder).
    assert rows[(a, "500.100")].actual == D("4000.00")
    assert rows[(a, "500.100")].billed == D("333.33")
    assert rows[(a, "500.100")].refund + rows[(b, "500.100")].refund == D("2000.00")
    assert rows[(a, "500.100")].refund == D("666.67")
    assert rows[(a, "500.100")].adjustment == D("4000.00") - D("333.33") - D("666.67")
    # Flat: 1,200 a year; billed 100 so far, 1,100 to true up.
    assert rows[(a, "601.200")].actual == D("1380.00")  # 1,200 + 15% fee
    run = yearend.true_up_post(user=year.admin, agency=year.tenant.agency, fiscal_year=2027)
    assert run.invoice_count == 2
    with pytest.raises(ValidationError):
        yearend.true_up_post(user=year.admin, agency=year.tenant.agency, fiscal_year=2027)


def test_aid_excludes_salary_above_the_cap_and_uses_the_aid_ratio(year):
    post(year, year.sept)
    rows = {r.institution_id: r for r in aid.aid_estimate(year.tenant.agency, 2027)}
    a = rows[year.a.pk]
    # Aidable (administration is not aidable): 450 + 333.33 + 100 + 15 + 200 = 1,098.33; no
    # salary over the cap on those services, so approved = 1,098.33; x aid ratio 0.5 = 549.17.
    assert a.aidable == D("1098.33")
    assert a.aid == D("549.17")
    assert a.net == a.charges - a.aid


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
    services.credit_memo_issue(user=year.admin, invoice=first, amount=D("50.00"),
                               reason="Hours entered twice")  # fmt: skip
    services.payment_record(user=year.admin, institution=year.a, amount=D("1000.00"),
                            received_on=date(2026, 11, 10))  # fmt: skip
    st = statements.statement(year.a, date(2026, 12, 5))
    assert st.balance == first.total + second.total - D("50.00") - D("1000.00")
    # first: 63 days old -> 60-89; second: 33 days -> 30-59.
    assert st.aging["60"] == first.total - D("50.00") - D("1000.00")
    assert st.aging["30"] == second.total
    with pytest.raises(ValidationError):
        services.credit_memo_issue(user=year.admin, invoice=first, amount=first.total,
                                   reason="too much")  # fmt: skip
