"""Year end: true-up of what was billed against the year's actual use, surplus refunds, and
the budget (estimated charges per member and service)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution
from edcoop.services.fiscal import fiscal_year_periods
from edcoop.services.models import ChargeMethod, ServiceYear, UsageRecord
from edcoop.services.perm import require

from .allocation import Charge, from_cents, split_cents, to_cents
from .models import BillingRun, Invoice, InvoiceLine
from .runs import _user, _write_invoices, compute, load_year

ZERO = Decimal(0)
POOL_METHODS = (ChargeMethod.POOL_BY_USAGE, ChargeMethod.POOL_BY_SHARE)


@dataclass
class TrueUpRow:
    institution_id: int
    name: str
    service: str
    estimated: Decimal = ZERO
    billed: Decimal = ZERO
    actual: Decimal = ZERO
    refund: Decimal = ZERO

    @property
    def adjustment(self) -> Decimal:
        return self.actual - self.billed - self.refund


def _sum_by(charges: list[Charge]) -> dict[tuple[int, str], Decimal]:
    out: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for c in charges:
        out[(c.member, c.service)] += c.amount
    return out


def estimates(agency: Agency, fiscal_year: int) -> dict[tuple[int, str], Decimal]:
    """Estimated charges for the year: subscriptions' quantities at budgeted pools."""
    data = load_year(agency, fiscal_year, month_index=None, usage=(), estimate=True)
    return _sum_by(compute(data))


def true_up_preview(agency: Agency, fiscal_year: int) -> list[TrueUpRow]:
    periods = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)
    usage = UsageRecord.objects.filter(agency=agency, period__in=periods).values(
        "institution_id", "service_id").annotate(q=Sum("quantity")).values_list(
        "institution_id", "service_id", "q")  # fmt: skip
    data = load_year(agency, fiscal_year, month_index=None, usage=list(usage))
    budget_charges = compute(data)
    actual = _sum_by(budget_charges)
    est = estimates(agency, fiscal_year)
    billed: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for inst, code, amount in InvoiceLine.objects.filter(
        invoice__agency=agency, invoice__fiscal_year=fiscal_year,
        invoice__status=Invoice.Status.ISSUED, invoice__run__kind=BillingRun.Kind.MONTHLY,
    ).values("invoice__institution_id", "service__code").annotate(t=Sum("amount")).values_list(
        "invoice__institution_id", "service__code", "t"):  # fmt: skip
        billed[(inst, code)] += amount
    # Surplus: a pool service whose actual cost came in under budget refunds the difference
    # to the members that paid into it, in proportion to what each was charged.
    refunds: dict[tuple[int, str], Decimal] = {}
    years = ServiceYear.objects.filter(service__agency=agency, fiscal_year=fiscal_year,
                                       actual_cost__isnull=False,
                                       service__charge_method__in=POOL_METHODS)  # fmt: skip
    for year in years.select_related("service"):
        surplus = year.budget - (year.actual_cost or ZERO)
        code = year.service.code
        payers = {m: to_cents(a) for (m, c), a in actual.items() if c == code and a > 0}
        if surplus > 0 and payers:
            for m, cents in split_cents(to_cents(surplus), dict(sorted(payers.items()))).items():
                refunds[(m, code)] = from_cents(cents)
    keys = set(actual) | set(billed) | set(est)
    names = dict(Institution.objects.filter(pk__in={k[0] for k in keys}).values_list("pk", "name"))
    rows = [
        TrueUpRow(m, names.get(m, ""), code, est.get((m, code), ZERO), billed.get((m, code), ZERO),
                  actual.get((m, code), ZERO), refunds.get((m, code), ZERO))
        for m, code in keys
    ]  # fmt: skip
    rows.sort(key=lambda r: (r.name, r.institution_id, r.service))
    return rows


@transaction.atomic
def true_up_post(*, user: Any, agency: Agency, fiscal_year: int) -> BillingRun:
    """Bill the true-up adjustments and surplus refunds as a run of the year's last month."""
    require(user, Action.BILLING_RUN, agency)
    period = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)[-1]
    if BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.TRUE_UP,
                                 period=period).exists():  # fmt: skip
        raise ValidationError({"fiscal_year": f"FY{fiscal_year} already has a true-up run."})
    rows = true_up_preview(agency, fiscal_year)
    charges: list[Charge] = []
    for r in rows:
        if r.actual - r.billed:
            charges.append(Charge(r.institution_id, r.service, r.actual - r.billed,
                                  kind="true_up", basis="actual use less billed"))  # fmt: skip
        if r.refund:
            charges.append(Charge(r.institution_id, r.service, -r.refund, kind="refund",
                                  basis="surplus refund, share of amount paid"))  # fmt: skip
    run = BillingRun(agency=agency, kind=BillingRun.Kind.TRUE_UP, period=period,
                     fiscal_year=fiscal_year, created_at=timezone.now(),
                     created_by=_user(user))  # fmt: skip
    run.save()
    data = load_year(agency, fiscal_year, month_index=None, usage=())
    _write_invoices(run, charges, data, lambda done, total: None)
    run.computed_at = timezone.now()
    run.save()
    audit.record("billing.true_up.compute", run, changes={
        "fiscal_year": fiscal_year, "invoices": run.invoice_count, "total": run.total})  # fmt: skip
    return run
