"""Year end: the true-up of what was billed against the year's final data, the surplus or
deficit of every service against its actual cost, the budget and its projection.

For each service and member (docs/billing.md, "Year end"):

- **charged** (``base``): the year's charges recomputed on its final data at the year's
  terms: months one by one where a month stands alone (rate, flat, pool by share: a late
  join, a withdrawal, a deactivated service bill exactly their months), the year's totals
  where the rule is yearly (pool by usage split on the year's usage, committed seats);
- **billed**: the posted monthly invoices; the **use adjustment** is charged - billed;
- **memos**: manual credit memos less debit memos on the service's lines; they stand;
- **revenue** = charged - memos; against the **actual cost** the difference is a surplus
  (always refunded) or a deficit (assessed, or absorbed by the agency, per service),
  split by each member's share of revenue with ``split_cents``: after the true-up every
  service's revenue is exactly its actual cost (or, a deficit absorbed, its revenue).

Posting bills the positive parts on one true-up invoice per member and gives the negative
parts back as a credit memo (applied to open invoices or carried to next year, as the
member chose), then closes the year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.permissions import Action
from edcoop.members.models import Agency
from edcoop.services.fiscal import fiscal_year_periods
from edcoop.services.models import ChargeMethod, DeficitPolicy, Service, ServiceYear
from edcoop.services.perm import require

from . import closing
from .allocation import from_cents, split_cents, to_cents
from .models import (
    BillingRun,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    MoneySum,
    RefundChoice,
)
from .runs import _user, billing_run_post, installment, institution_names, year_charges

ZERO = Decimal(0)


@dataclass
class TrueUpRow:
    institution_id: int
    name: str
    service: str
    estimated: Decimal = ZERO
    charged: Decimal = ZERO
    billed: Decimal = ZERO
    memos: Decimal = ZERO  # credits less debits
    settlement: Decimal = ZERO  # + deficit assessed, - surplus refunded

    @property
    def use_adjustment(self) -> Decimal:
        return self.charged - self.billed

    @property
    def final(self) -> Decimal:
        """What the member bears for the service once the true-up posts."""
        return self.charged - self.memos + self.settlement

    @property
    def adjustment(self) -> Decimal:
        return self.use_adjustment + self.settlement


@dataclass
class ServiceTrueUp:
    service: Service
    budget: Decimal | None
    actual_cost: Decimal | None
    charged: Decimal = ZERO
    billed: Decimal = ZERO
    memos: Decimal = ZERO
    settlement: Decimal = ZERO
    absorbed: Decimal = ZERO
    note: str = ""

    @property
    def revenue(self) -> Decimal:
        return self.charged - self.memos

    @property
    def surplus(self) -> Decimal:
        """Positive: revenue above actual cost (refunded); negative: a deficit."""
        if self.actual_cost is None:
            return ZERO
        return self.revenue - self.actual_cost

    @property
    def final(self) -> Decimal:
        return self.revenue + self.settlement


@dataclass
class TrueUp:
    fiscal_year: int
    rows: list[TrueUpRow] = field(default_factory=list)
    services: list[ServiceTrueUp] = field(default_factory=list)


def _sum_by(results: Any) -> tuple[dict[tuple[int, str], Decimal], dict[str, Service]]:
    out: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    services = {}
    for r in results:
        services[r.service.code] = r.service
        for c in r.charges:
            out[(c.member, c.service)] += c.amount
    return out, services


def estimates(agency: Agency, fiscal_year: int) -> dict[tuple[int, str], Decimal]:
    """Estimated charges for the year: subscriptions' quantities at budgeted terms."""
    return _sum_by(year_charges(agency, fiscal_year, estimate=True))[0]


def billed_lines(agency: Agency, fiscal_year: int) -> dict[tuple[int, str], Decimal]:
    """Posted monthly charges (service and fee lines) per member and service code."""
    out: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for inst, code, amount in (
        InvoiceLine.objects.filter(
            invoice__agency=agency,
            invoice__fiscal_year=fiscal_year,
            invoice__status=Invoice.Status.ISSUED,
            invoice__run__kind=BillingRun.Kind.MONTHLY,
        )
        .values("invoice__institution_id", "service__code")
        .annotate(t=MoneySum("amount"))
        .values_list("invoice__institution_id", "service__code", "t")
    ):
        out[(inst, code)] += amount
    return out


def memo_net(
    agency: Agency, fiscal_year: int, *, source: str = CreditMemo.Source.MANUAL
) -> dict[tuple[int, str], Decimal]:
    """Credits less debits per member and service code (memos of ``source``)."""
    out: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for inst, code, kind, amount in (
        CreditMemoLine.objects.filter(
            memo__agency=agency,
            memo__fiscal_year=fiscal_year,
            memo__source=source,
        )
        .values("memo__institution_id", "service__code", "memo__kind")
        .annotate(t=MoneySum("amount"))
        .values_list("memo__institution_id", "service__code", "memo__kind", "t")
    ):
        out[(inst, code)] += amount if kind == CreditMemo.Kind.CREDIT else -amount
    return out


def true_up_preview(agency: Agency, fiscal_year: int) -> TrueUp:
    charged, services = _sum_by(year_charges(agency, fiscal_year))
    billed = billed_lines(agency, fiscal_year)
    memos = memo_net(agency, fiscal_year)
    est = estimates(agency, fiscal_year)
    codes = {c for _, c in (*charged, *billed, *memos)}
    for s in Service.objects.filter(agency=agency, code__in=codes - set(services)):
        services[s.code] = s
    years = {
        y.service_id: y
        for y in ServiceYear.objects.filter(service__agency=agency, fiscal_year=fiscal_year)
    }
    keys = set(charged) | set(billed) | set(memos)
    names = institution_names({m for m, _ in keys | set(est)})
    rows = {
        k: TrueUpRow(
            k[0],
            names.get(k[0], ""),
            k[1],
            est.get(k, ZERO),
            charged.get(k, ZERO),
            billed.get(k, ZERO),
            memos.get(k, ZERO),
        )
        for k in keys
    }
    result = TrueUp(fiscal_year)
    by_code: dict[str, list[TrueUpRow]] = defaultdict(list)
    for r in rows.values():
        by_code[r.service].append(r)
    for code in sorted(by_code):
        service = services[code]
        year = years.get(service.pk)
        members = sorted(by_code[code], key=lambda r: r.institution_id)
        st = ServiceTrueUp(
            service,
            year.budget if year else None,
            year.actual_cost if year else None,
            charged=sum((r.charged for r in members), ZERO),
            billed=sum((r.billed for r in members), ZERO),
            memos=sum((r.memos for r in members), ZERO),
        )
        _settle(st, members)
        result.services.append(st)
    result.rows = sorted(rows.values(), key=lambda r: (r.name, r.institution_id, r.service))
    return result


def _settle(st: ServiceTrueUp, members: list[TrueUpRow]) -> None:
    """Split the service's surplus (refund) or deficit (assessment) among its members by
    their share of its revenue; a deficit absorbed, or nobody to share it, stays with the
    agency."""
    if st.actual_cost is None:
        st.note = "No actual cost entered: no surplus or deficit."
        return
    gap = st.actual_cost - st.revenue  # + deficit, - surplus
    if not gap:
        return
    if gap > 0 and st.service.deficit_policy == DeficitPolicy.ABSORB:
        st.absorbed = gap
        st.note = "Deficit absorbed by the agency."
        return
    weights = {r.institution_id: max(to_cents(r.charged - r.memos), 0) for r in members}
    if not any(weights.values()):
        if gap > 0:
            st.absorbed = gap
            st.note = "No member was charged: the cost stays with the agency."
        else:
            st.note = "No member was charged: nothing to refund."
        return
    parts = split_cents(to_cents(gap), weights)
    for r in members:
        r.settlement = from_cents(parts[r.institution_id])
    st.settlement = gap
    st.note = (
        "Deficit assessed by share of revenue."
        if gap > 0
        else "Surplus refunded by share of revenue."
    )


@transaction.atomic
def true_up_post(*, user: Any, agency: Agency, fiscal_year: int) -> BillingRun:
    """Bill the year's adjustments (one true-up invoice per member owing more), refund the
    rest as credit memos (applied or carried as each member chose), and close the year."""
    require(user, Action.BILLING_RUN, agency)
    period = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)[-1]
    if BillingRun.objects.filter(
        agency=agency, kind=BillingRun.Kind.TRUE_UP, period=period
    ).exists():
        raise ValidationError({"fiscal_year": f"FY{fiscal_year} already has a true-up run."})
    closing.ensure_open(agency, fiscal_year, "fiscal_year", "a true-up")
    missing = [i for i in closing.checklist(agency, fiscal_year) if not i.done]
    if missing:
        raise ValidationError(
            {
                "fiscal_year": "The true-up is not ready: "
                + "; ".join(f"{i.label.lower()} ({i.detail})" for i in missing)
                + "."
            }
        )
    preview = true_up_preview(agency, fiscal_year)
    services = {s.service.code: s.service for s in preview.services}
    invoice_lines: dict[int, list[InvoiceLine]] = defaultdict(list)
    memo_lines: dict[int, list[CreditMemoLine]] = defaultdict(list)
    for r in preview.rows:
        service = services[r.service]
        name = f"{service.code} {service.name}"
        for amount, kind_up, kind_down, text in (
            (
                r.use_adjustment,
                InvoiceLine.Kind.TRUE_UP,
                CreditMemoLine.Kind.TRUE_UP,
                "true-up to the year's actual use",
            ),
            (
                r.settlement,
                InvoiceLine.Kind.DEFICIT,
                CreditMemoLine.Kind.REFUND,
                "deficit assessed" if r.settlement > 0 else "surplus refunded",
            ),
        ):
            if amount > 0:
                invoice_lines[r.institution_id].append(
                    InvoiceLine(
                        service=service,
                        kind=kind_up,
                        description=f"{name}: {text}",
                        amount=amount,
                        basis="share of the service's revenue"
                        if kind_up == InvoiceLine.Kind.DEFICIT
                        else "charged on the year's data less billed",
                    )
                )
            elif amount < 0:
                memo_lines[r.institution_id].append(
                    CreditMemoLine(
                        service=service,
                        kind=kind_down,
                        description=f"{name}: {text}",
                        amount=-amount,
                    )
                )
    now = timezone.now()
    run = BillingRun(
        agency=agency,
        kind=BillingRun.Kind.TRUE_UP,
        period=period,
        fiscal_year=fiscal_year,
        created_at=now,
        computed_at=now,
        created_by=_user(user),
    )
    run.save()
    invoices = []
    for inst, inv_lines in invoice_lines.items():
        inv = Invoice(
            agency=agency,
            run=run,
            institution_id=inst,
            period=period,
            fiscal_year=fiscal_year,
            total=sum((ln.amount for ln in inv_lines), ZERO),
        )
        inv.save()
        for ln in inv_lines:
            ln.invoice = inv
        InvoiceLine.objects.bulk_create(inv_lines)
        invoices.append(inv)
    run.invoice_count = len(invoices)
    run.line_count = sum(len(v) for v in invoice_lines.values())
    run.total = sum((inv.total for inv in invoices), ZERO)
    run.save()
    audit.record(
        "billing.true_up.compute",
        run,
        changes={
            "fiscal_year": fiscal_year,
            "invoices": run.invoice_count,
            "total": run.total,
            "refunds": sum((ln.amount for v in memo_lines.values() for ln in v), ZERO),
        },
    )
    run = billing_run_post(user=user, run=run)
    from .ledger import _issue, apply_credits

    choices = dict(
        RefundChoice.objects.filter(agency=agency, fiscal_year=fiscal_year).values_list(
            "institution_id", "disposition"
        )
    )
    institutions = {i.pk: i for i in agency.institutions.filter(pk__in=list(memo_lines))}
    today = closing.agency_today(agency)
    for inst, m_lines in sorted(memo_lines.items()):
        disposition = choices.get(inst, CreditMemo.Disposition.APPLY)
        memo = _issue(
            agency=agency,
            institution=institutions[inst],
            kind=CreditMemo.Kind.CREDIT,
            fiscal_year=fiscal_year,
            amount=sum((mline.amount for mline in m_lines), ZERO),
            reason=f"FY{fiscal_year} year-end true-up: refunds",
            user=user,
            source=CreditMemo.Source.TRUE_UP,
            disposition=disposition,
            run=run,
            issued_on=today,
        )
        for mline in m_lines:
            mline.memo = memo
        CreditMemoLine.objects.bulk_create(m_lines)
        audit.record_create("credit_memo.issue", memo)
    closing.close(user=user, agency=agency, fiscal_year=fiscal_year)
    for inst in set(memo_lines) | set(invoice_lines):
        apply_credits(agency=agency, institution_id=inst, on=today)
    return run


# The budget and its projection ----------------------------------------------------------------


@dataclass
class BudgetLine:
    service: Service
    participants: int
    budget: Decimal | None
    estimated: Decimal
    billed: Decimal  # posted monthly charges less memos, to date
    deferred: Decimal  # pool installments of posted months that billed nothing
    deferred_months: list[str]
    projected_revenue: Decimal
    projected_cost: Decimal | None
    months_posted: int
    quantity: Decimal = ZERO

    @property
    def unit_cost(self) -> Decimal | None:
        """Estimated charges per unit subscribed."""
        if not self.quantity:
            return None
        return (self.estimated / self.quantity).quantize(Decimal("0.01"))

    @property
    def projected_surplus(self) -> Decimal | None:
        if self.projected_cost is None:
            return None
        return self.projected_revenue - self.projected_cost


def budget_lines(agency: Agency, fiscal_year: int) -> list[BudgetLine]:
    """Per service: budget, estimate, billed so far, deferred pool months, and the projected
    surplus (+) or deficit (-) against the actual cost (or, until it is entered, the budget).
    Revenue is projected by method: pools and flat charges bill their year; rate and seat
    services at the pace of the months posted so far."""
    from edcoop.services.models import Subscription

    periods = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)
    posted_runs = dict(
        BillingRun.objects.filter(
            agency=agency,
            kind=BillingRun.Kind.MONTHLY,
            fiscal_year=fiscal_year,
            status=BillingRun.Status.POSTED,
        ).values_list("period", "pk")
    )
    months_posted = len(posted_runs)
    billed_by: dict[int, Decimal] = defaultdict(Decimal)
    months_with_lines: dict[int, set[Any]] = defaultdict(set)
    for service_id, period, amount in (
        InvoiceLine.objects.filter(
            invoice__run_id__in=list(posted_runs.values()),
        )
        .values("service_id", "invoice__period")
        .annotate(t=MoneySum("amount"))
        .values_list("service_id", "invoice__period", "t")
    ):
        billed_by[service_id] += amount
        if amount:
            months_with_lines[service_id].add(period)
    memos = memo_net(agency, fiscal_year)
    memo_by_code: dict[str, Decimal] = defaultdict(Decimal)
    for (_, code), amount in memos.items():
        memo_by_code[code] += amount
    est_by_code: dict[str, Decimal] = defaultdict(Decimal)
    for (_, code), amount in estimates(agency, fiscal_year).items():
        est_by_code[code] += amount
    participants: dict[int, int] = defaultdict(int)
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    for service_id, quantity in Subscription.objects.filter(
        agency=agency, fiscal_year=fiscal_year
    ).values_list("service_id", "quantity"):
        participants[service_id] += 1
        quantities[service_id] += quantity
    years = {
        y.service_id: y
        for y in ServiceYear.objects.filter(service__agency=agency, fiscal_year=fiscal_year)
    }
    out = []
    for s in Service.objects.filter(agency=agency).order_by("code"):
        year = years.get(s.pk)
        if not participants.get(s.pk) and not billed_by.get(s.pk) and year is None:
            continue
        billed = billed_by.get(s.pk, ZERO) - memo_by_code.get(s.code, ZERO)
        deferred = ZERO
        deferred_months: list[str] = []
        if s.charge_method == ChargeMethod.POOL_BY_USAGE and year is not None:
            for i, p in enumerate(periods):
                if p in posted_runs and p not in months_with_lines[s.pk]:
                    deferred += installment(year.budget, i)
                    deferred_months.append(f"{p:%b %Y}")
        estimated = est_by_code.get(s.code, ZERO)
        if s.charge_method in (ChargeMethod.RATE, ChargeMethod.COMMITTED_SEATS):
            projected = (
                (billed * 12 / months_posted).quantize(Decimal("0.01"))
                if (months_posted)
                else estimated
            )
        elif s.charge_method == ChargeMethod.POOL_BY_USAGE:
            projected = (year.budget if year else ZERO) - memo_by_code.get(s.code, ZERO)
        else:
            projected = estimated - memo_by_code.get(s.code, ZERO)
        cost = None
        if year is not None:
            cost = year.actual_cost if year.actual_cost is not None else year.budget
        out.append(
            BudgetLine(
                service=s,
                participants=participants.get(s.pk, 0),
                budget=year.budget if year else None,
                estimated=estimated,
                billed=billed,
                deferred=deferred,
                deferred_months=deferred_months,
                projected_revenue=projected,
                projected_cost=cost,
                months_posted=months_posted,
                quantity=quantities.get(s.pk, ZERO),
            )
        )
    return out
