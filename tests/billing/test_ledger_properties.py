"""Properties of the ledger and the true-up, for any sequence:

- a member's statement balance is its invoices plus debit memos, less credit memos and
  payments (reversed ones excluded), whatever was posted, credited, paid or reversed;
- the year-end settlement brings every service to exactly its actual cost (or, a deficit
  absorbed, to its revenue), whatever the charges, memos and cost.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcoop.billing import ledger, statements, yearend
from edcoop.billing.models import CreditMemo, Invoice, Payment
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.services.models import DeficitPolicy, Service

MONTHS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]

step = st.one_of(
    st.tuples(st.just("post"), st.integers(0, 2)),
    st.tuples(st.just("pay"), st.integers(1, 900_000), st.booleans()),
    st.tuples(st.just("credit"), st.integers(1, 50_000)),
    st.tuples(st.just("debit"), st.integers(1, 50_000)),
    st.tuples(st.just("reverse"), st.integers(0, 5)),
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_statement_balance_is_invoices_less_memos_less_payments(year, steps):
    with transaction.atomic():
        admin, agency = year.admin, year.tenant.agency
        for op in steps:
            kind = op[0]
            invoices = list(Invoice.objects.filter(institution=year.a, status="issued"))
            if kind == "post":
                period = MONTHS[op[1]]
                if not Invoice.objects.filter(period=period, status="issued").exists():
                    run = billing_run_compute(user=admin, agency=agency, period=period)
                    billing_run_post(user=admin, run=run, issued_on=period + timedelta(days=5))
            elif kind == "pay":
                target = invoices[0] if (op[2] and invoices) else None
                ledger.payment_record(
                    user=admin,
                    institution=year.a,
                    amount=D(op[1]) / 100,
                    received_on=date(2026, 11, 20),
                    invoice=target,
                )
            elif kind in ("credit", "debit") and invoices:
                line = invoices[-1].lines.first()
                amount = D(op[1]) / 100
                if kind == "credit":
                    amount = min(amount, ledger.line_open(line))
                if amount > 0:
                    ledger.memo_issue(
                        user=admin, line=line, amount=amount, reason="property", kind=kind
                    )
            elif kind == "reverse":
                open_payments = list(
                    Payment.objects.filter(institution=year.a, reversal__isnull=True)
                )
                if open_payments:
                    ledger.payment_reverse(
                        user=admin,
                        payment=open_payments[op[1] % len(open_payments)],
                        reason="returned",
                        reversed_on=date(2026, 11, 25),
                    )
        as_of = date(2026, 11, 30)
        st_ = statements.statement(year.a, as_of)
        invoiced = sum(
            (i.total for i in Invoice.objects.filter(institution=year.a, status="issued")), D(0)
        )
        memos = CreditMemo.objects.filter(institution=year.a)
        debits = sum((m.amount for m in memos if m.kind == "debit"), D(0))
        credits = sum((m.amount for m in memos if m.kind == "credit"), D(0))
        paid = sum(
            (p.amount for p in Payment.objects.filter(institution=year.a, reversal__isnull=True)),
            D(0),
        )
        assert st_.balance == invoiced + debits - credits - paid
        assert st_.unapplied >= 0
        assert all(item.open >= 0 for item in st_.items)
        # Unapplied credit remains only where no invoice is left open.
        assert st_.unapplied == 0 or all(item.open == 0 for item in st_.items)
        transaction.set_rollback(True)


cents = st.integers(0, 10**9).map(lambda c: D(c) / 100)


@settings(max_examples=300, deadline=None)
@given(
    charged=st.lists(cents, min_size=1, max_size=12),
    memo_share=st.lists(st.integers(0, 100), min_size=12, max_size=12),
    actual=cents,
    absorb=st.booleans(),
)
def test_settlement_brings_every_service_to_its_actual_cost(charged, memo_share, actual, absorb):
    service = Service(
        code="501.100",
        charge_method="pool_by_usage",
        deficit_policy=DeficitPolicy.ABSORB if absorb else DeficitPolicy.ASSESS,
    )
    rows = []
    for i, amount in enumerate(charged):
        memo = (amount * memo_share[i] / 100).quantize(D("0.01"))
        rows.append(yearend.TrueUpRow(i, f"m{i}", service.code, charged=amount, memos=memo))
    s = yearend.ServiceTrueUp(
        service,
        None,
        actual,
        charged=sum(r.charged for r in rows),
        memos=sum(r.memos for r in rows),
    )
    yearend._settle(s, rows)
    final = sum((r.final for r in rows), D(0))
    revenue = s.revenue
    if revenue > 0 and (actual <= revenue or not absorb):
        assert final == actual  # to the cent
    else:
        assert final == revenue and s.absorbed == max(actual - revenue, D(0))
    assert sum((r.settlement for r in rows), D(0)) == final - revenue
