"""The year end as the database keeps it, for any year: whatever usage was recorded, whatever
memos and payments came in between the twelve monthly postings and whatever each service
actually cost, once the true-up posts

- every service (rate, pool by usage, pool by share, flat, committed seats; deficits
  assessed) has been billed exactly its actual cost, counting every invoice line of the
  year (monthly and true-up) less credit memos plus debit memos (manual and year-end);
- each member's statement balance is its invoices plus debit memos, less credit memos and
  payments.

The engine's own settlement (absorbed deficits included) is property-tested on plain values
in test_ledger_properties.py; this one goes through runs, posting, memos and the true-up."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcoop.billing import ledger, statements, yearend
from edcoop.billing.models import CreditMemo, CreditMemoLine, Invoice, InvoiceLine, Payment
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.members import services as member_services
from edcoop.services import services as svc
from edcoop.services.fiscal import fiscal_year_periods

from .conftest import TODAY

FY = 2026
PERIODS = fiscal_year_periods(FY, 7)
USAGE = ("300.010", "500.100", "500.200")  # rate, pool by usage, committed seats


@pytest.fixture
def catalog(north: Any) -> Any:
    with time_machine.travel(TODAY, tick=True):
        admin = north.users["agency_admin"]
        agency = north.agency
        a, b = north.institutions
        for inst, rwada in ((a, D("1000.00")), (b, D("3000.00"))):
            member_services.membership_year_set(
                user=admin, membership=inst.membership, fiscal_year=FY, enrollment=900,
                rwada=rwada, aid_ratio=D("0.5000"), full_value=D("1000000.00"),
            )  # fmt: skip
        spec = [
            ("300.010", "300", "rate", {"unit_rate": D("45.0000"), "unit": "hour"}),
            ("500.100", "500A", "pool_by_usage", {"unit": "device"}),
            ("001.000", "001", "pool_by_share", {"share_basis": "rwada", "aidable": False}),
            ("601.200", "600", "flat", {"flat_amount": D("1200.00")}),
            ("500.200", "500B", "committed_seats", {"unit_rate": D("100"), "unit": "seat"}),
        ]
        services = {}
        for code, group, method, extra in spec:
            services[code] = svc.service_create(
                user=admin, agency=agency, code=code, name=f"Service {code}",
                coser_group=group, charge_method=method, **extra,
            )  # fmt: skip
            svc.service_year_set(user=admin, service=services[code], fiscal_year=FY,
                                 budget=D("12000.00"))  # fmt: skip
            for inst in (a, b):
                svc.subscription_set(user=admin, institution=inst, service=services[code],
                                     fiscal_year=FY, quantity=D("12"))  # fmt: skip
        yield north, services


month_step = st.tuples(
    st.lists(st.tuples(st.sampled_from(USAGE), st.integers(0, 1), st.integers(1, 4000)),
             max_size=3),  # usage recorded for the month: service, member, hundredths
    st.one_of(st.none(), st.tuples(st.sampled_from(["credit", "debit"]), st.integers(0, 1),
                                   st.integers(1, 100_000))),  # a memo on a line of the month
    st.one_of(st.none(), st.tuples(st.integers(0, 1), st.integers(1, 2_000_000))),  # a payment
)  # fmt: skip


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(months=st.lists(month_step, min_size=12, max_size=12),
       actual=st.lists(st.integers(0, 4_000_000), min_size=5, max_size=5))  # fmt: skip
def test_true_up_bills_every_service_exactly_its_actual_cost(catalog, months, actual):
    north, services = catalog
    admin, agency = north.users["agency_admin"], north.agency
    members = north.institutions
    with time_machine.travel(TODAY, tick=True), transaction.atomic():
        # Every usage service is used at least once, so there is revenue to settle against.
        for code in USAGE:
            svc.usage_record(user=admin, institution=members[0], service=services[code],
                             period=PERIODS[2], quantity=D("3"))  # fmt: skip
        for period, (usage, memo, payment) in zip(PERIODS, months, strict=True):
            for code, who, hundredths in usage:
                svc.usage_record(user=admin, institution=members[who], service=services[code],
                                 period=period, quantity=D(hundredths) / 100,
                                 confirm_duplicate=True)  # fmt: skip
            run = billing_run_compute(user=admin, agency=agency, period=period)
            billing_run_post(user=admin, run=run)
            if memo is not None:
                kind, who, cents = memo
                line = InvoiceLine.objects.filter(
                    invoice__run=run, invoice__institution=members[who]).order_by("pk").first()
                amount = D(cents) / 100
                if line is not None and kind == "credit":
                    amount = min(amount, ledger.line_open(line))
                if line is not None and amount > 0:
                    ledger.memo_issue(user=admin, line=line, amount=amount, reason="p", kind=kind)
            if payment is not None:
                who, cents = payment
                ledger.payment_record(user=admin, institution=members[who],
                                      amount=D(cents) / 100, received_on=date(2026, 11, 20))
        costs = {}
        for (code, service), cents in zip(sorted(services.items()), actual, strict=True):
            costs[code] = D(cents) / 100
            svc.service_year_set(user=admin, service=service, fiscal_year=FY,
                                 budget=D("12000.00"), actual_cost=costs[code])  # fmt: skip
        yearend.true_up_post(user=admin, agency=agency, fiscal_year=FY)

        net: dict[str, D] = defaultdict(D)
        for code, amount in InvoiceLine.objects.filter(
            invoice__agency=agency, invoice__fiscal_year=FY, invoice__status="issued"
        ).values_list("service__code", "amount"):
            net[code] += amount
        for code, kind, amount in CreditMemoLine.objects.filter(
            memo__agency=agency, memo__fiscal_year=FY
        ).values_list("service__code", "memo__kind", "amount"):
            net[code] += -amount if kind == CreditMemo.Kind.CREDIT else amount
        assert dict(net) == costs  # every service, to the cent

        for inst in members:
            st_ = statements.statement(inst, date(2026, 11, 30))
            invoiced = sum((i.total for i in Invoice.objects.filter(institution=inst,
                                                                    status="issued")), D(0))
            memos = CreditMemo.objects.filter(institution=inst)
            debits = sum((m.amount for m in memos if m.kind == "debit"), D(0))
            credits = sum((m.amount for m in memos if m.kind == "credit"), D(0))
            paid = sum((p.amount for p in Payment.objects.filter(institution=inst)), D(0))
            assert st_.balance == invoiced + debits - credits - paid
            assert all(item.open >= 0 for item in st_.items)
        transaction.set_rollback(True)
