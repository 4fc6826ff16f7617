"""Monthly billing runs: compute a draft (every charge of the month, one invoice per member),
review it, then post it (invoices get gapless numbers and become immutable).

What a month bills: every service delivered in it (``available_from``/``available_until``),
for every member whose membership and subscription cover some day of it (joined, left,
``starts_on``, ``ends_on``). A yearly amount (pool, flat charge, commitment) is billed in
twelve installments that sum to the year exactly, one per month covered, so a late join, a
withdrawal or a deactivated service bills exactly its months.

The run goes service by service (usage streamed from the database in service order), so
memory holds one service's charges at a time; invoices and lines are written with
``bulk_create``. A draft remembers what it was computed from (``BillingRun.inputs``);
posting refuses a draft whose inputs changed since. The audit trail gets one event for the
computation, one for the posting and one per issued invoice, not one per line.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.permissions import Action
from edcoop.members.models import (
    Agency,
    Institution,
    LetterheadVersion,
    Membership,
    MembershipYear,
)
from edcoop.services.fiscal import fiscal_year_of, fiscal_year_periods
from edcoop.services.models import (
    ChargeMethod,
    EmptyMonth,
    Service,
    ServiceYear,
    Subscription,
    UsageRecord,
)
from edcoop.services.perm import require

from . import allocation, closing
from .allocation import Charge, Participation, ServiceSpec, Usage, split_cents, to_cents
from .models import BillingRun, DocumentCounter, Invoice, InvoiceLine

Progress = Callable[[int, int], None]
BATCH = 5000
# What an issued invoice copies from the agency and the member (billing/documents.py).
SNAPSHOT_FIELDS = (
    "bill_to", "account_number", "purchase_order", "terms_days", "remit_to",
    "payment_instructions", "letterhead",
)  # fmt: skip
TWELFTHS = {i: 1 for i in range(12)}
ZERO = Decimal(0)
FOUR_PLACES = Decimal("0.0001")


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _noop(done: int, total: int) -> None:
    return None


def installment(annual: Decimal, month_index: int) -> Decimal:
    """The month's part of a yearly amount: twelve parts that sum to it exactly."""
    return allocation.from_cents(split_cents(to_cents(annual), TWELFTHS)[month_index])


def month_bounds(period: date) -> tuple[date, date]:
    nxt = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return period, nxt - timedelta(days=1)


@dataclass
class SubRow:
    institution_id: int
    quantity: Decimal
    starts_on: date | None
    ends_on: date | None

    def covers(self, first: date, last: date) -> bool:
        return (self.starts_on is None or self.starts_on <= last) and (
            self.ends_on is None or self.ends_on >= first
        )


@dataclass
class ServiceCharges:
    """One service's charges for a month or a year, and the months it deferred."""

    service: Service
    charges: list[Charge]
    deferred: Decimal = ZERO


class YearContext:
    """One fiscal year of one agency, loaded once: services and their budgets, memberships
    and their dates, basis figures. Subscriptions and usage are read per service."""

    def __init__(self, agency: Agency, fiscal_year: int) -> None:
        self.agency = agency
        self.fiscal_year = fiscal_year
        self.periods = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)
        self.services = list(Service.objects.filter(agency=agency).order_by("pk"))
        self.by_id = {s.pk: s for s in self.services}
        self.by_code = {s.code: s for s in self.services}
        self.years = {
            y.service_id: y
            for y in ServiceYear.objects.filter(service__agency=agency, fiscal_year=fiscal_year)
        }
        self.memberships = {
            m.institution_id: m
            for m in Membership.objects.filter(agency=agency).only(
                "institution_id", "status", "component", "joined_on", "left_on"
            )
        }
        self.figures: dict[int, dict[str, Decimal | int | None]] = {}
        for inst, rwada, enrollment, full_value in MembershipYear.objects.filter(
            membership__agency=agency, fiscal_year=fiscal_year
        ).values_list("membership__institution_id", "rwada", "enrollment", "full_value"):
            self.figures[inst] = {
                "rwada": rwada,
                "enrollment": enrollment,
                "full_value": full_value,
            }

    # Who is in, which month ---------------------------------------------------------------

    def bounds(self, index: int) -> tuple[date, date]:
        return month_bounds(self.periods[index])

    def member_in(self, institution_id: int, index: int) -> bool:
        m = self.memberships.get(institution_id)
        return m is not None and m.member_between(*self.bounds(index))

    def components_in(self, index: int) -> list[int]:
        first, last = self.bounds(index)
        return sorted(
            i for i, m in self.memberships.items() if m.component and m.member_between(first, last)
        )

    def months_covered(self, sub: SubRow, service: Service) -> list[int]:
        out = []
        for i in range(12):
            first, last = self.bounds(i)
            if (
                service.available(first, last)
                and sub.covers(first, last)
                and self.member_in(sub.institution_id, i)
            ):
                out.append(i)
        return out

    def pool(self, service: Service, *, actual: bool = False) -> Decimal:
        year = self.years.get(service.pk)
        if year is None:
            return ZERO
        if actual and year.actual_cost is not None:
            return year.actual_cost
        return year.budget

    def spec(self, service: Service, *, pool: Decimal = ZERO, flat: Decimal = ZERO) -> ServiceSpec:
        return ServiceSpec(
            code=service.code,
            method=service.charge_method,
            name=service.name,
            rate=service.unit_rate,
            pool=pool,
            basis=service.share_basis,
            flat=flat,
            admin_fee_pct=service.admin_fee_pct,
        )

    # Subscriptions and usage, grouped by service -------------------------------------------

    def subscriptions(self) -> dict[int, list[SubRow]]:
        out: dict[int, list[SubRow]] = defaultdict(list)
        rows = Subscription.objects.filter(agency=self.agency, fiscal_year=self.fiscal_year)
        for svc, inst, qty, starts, ends in (
            rows.order_by("service_id", "institution_id")
            .values_list("service_id", "institution_id", "quantity", "starts_on", "ends_on")
            .iterator(chunk_size=BATCH)
        ):
            out[svc].append(SubRow(inst, qty, starts, ends))
        return out

    def stream_subscriptions(self) -> Iterator[tuple[int, list[SubRow]]]:
        rows = Subscription.objects.filter(agency=self.agency, fiscal_year=self.fiscal_year)
        it = (
            rows.order_by("service_id", "institution_id")
            .values_list("service_id", "institution_id", "quantity", "starts_on", "ends_on")
            .iterator(chunk_size=BATCH)
        )
        for svc, group in groupby(it, key=lambda r: r[0]):
            yield svc, [SubRow(r[1], r[2], r[3], r[4]) for r in group]

    def last_year_shares(self, service: Service) -> dict[int, Decimal]:
        """The previous fiscal year's usage of ``service`` per member (for the
        bill-by-last-year's-shares choice)."""
        periods = fiscal_year_periods(self.fiscal_year - 1, self.agency.fiscal_year_start_month)
        return dict(
            UsageRecord.objects.filter(service=service, period__in=periods)
            .values("institution_id")
            .annotate(q=Sum("quantity"))
            .values_list("institution_id", "q")
        )

    # Charges -------------------------------------------------------------------------------

    def month_service(
        self,
        service: Service,
        index: int,
        subs: list[SubRow],
        usage: dict[int, Decimal],
        *,
        actual: bool = False,
    ) -> ServiceCharges:
        """One service's charges for month ``index`` of the year."""
        first, last = self.bounds(index)
        if not service.available(first, last):
            if usage:
                raise ValidationError(
                    f"{service.code} is not delivered in {first:%B %Y} but has usage recorded."
                )
            return ServiceCharges(service, [])
        method = service.charge_method
        participants = [
            s for s in subs if s.covers(first, last) and self.member_in(s.institution_id, index)
        ]
        parts: list[Participation] = []
        seen = set()
        for s in participants:
            committed = ZERO
            if method == ChargeMethod.COMMITTED_SEATS:
                committed = (s.quantity / 12).quantize(FOUR_PLACES)
            parts.append(Participation(s.institution_id, service.code, committed))
            seen.add(s.institution_id)
        if service.all_components:
            parts.extend(
                Participation(i, service.code) for i in self.components_in(index) if i not in seen
            )
        pool = installment(self.pool(service, actual=actual), index)
        flat = installment(service.flat_amount, index)
        deferred = ZERO
        uses = [Usage(m, service.code, q) for m, q in sorted(usage.items())]
        if method == ChargeMethod.POOL_BY_USAGE and pool and not any(q for q in usage.values()):
            shares = {}
            if service.empty_month == EmptyMonth.LAST_YEAR:
                covered = {p.member for p in parts}
                shares = {
                    m: q for m, q in self.last_year_shares(service).items() if m in covered and q
                }
            if shares:
                uses = [Usage(m, service.code, q) for m, q in sorted(shares.items())]
            else:
                deferred = pool
        charges = _engine([self.spec(service, pool=pool, flat=flat)], parts, uses, self.figures)
        if method == ChargeMethod.POOL_BY_USAGE and uses and not usage:
            for c in charges:
                c.basis = "last year's share of pool by usage"
        return ServiceCharges(service, charges, deferred)

    def year_service(
        self,
        service: Service,
        subs: list[SubRow],
        usage_by_month: dict[int, dict[int, Decimal]],
        *,
        actual: bool = False,
        estimate: bool = False,
    ) -> ServiceCharges:
        """One service's charges for the whole year, as they should stand on the year's
        final data: months billed one by one where a month stands alone (rate, flat, pool by
        share), the year's totals where the rule is yearly (pool by usage, committed seats).
        ``estimate`` puts the subscriptions' quantities in place of usage (the budget)."""
        method = service.charge_method
        if method in (ChargeMethod.POOL_BY_USAGE, ChargeMethod.COMMITTED_SEATS) or (
            estimate and method == ChargeMethod.RATE
        ):
            covered = {s.institution_id: self.months_covered(s, service) for s in subs}
            parts = []
            for s in subs:
                months = len(covered[s.institution_id])
                if not months:
                    continue
                committed = ZERO
                if method == ChargeMethod.COMMITTED_SEATS:
                    committed = (s.quantity * months / 12).quantize(FOUR_PLACES)
                parts.append(Participation(s.institution_id, service.code, committed))
            totals: dict[int, Decimal] = defaultdict(Decimal)
            if estimate:
                for s in subs:
                    if covered[s.institution_id]:
                        totals[s.institution_id] += s.quantity
            else:
                for month in usage_by_month.values():
                    for m, q in month.items():
                        totals[m] += q
            uses = [Usage(m, service.code, q) for m, q in sorted(totals.items()) if q]
            available = sum(1 for i in range(12) if service.available(*self.bounds(i)))
            pool = self.pool(service, actual=actual)
            if available < 12:  # a service delivered part of the year bills its months only
                pool = sum(
                    (installment(pool, i) for i in range(12) if service.available(*self.bounds(i))),
                    ZERO,
                )
            return ServiceCharges(
                service, _engine([self.spec(service, pool=pool)], parts, uses, self.figures)
            )
        charges: list[Charge] = []
        for i in range(12):
            charges.extend(
                self.month_service(
                    service, i, subs, usage_by_month.get(i, {}), actual=actual
                ).charges
            )
        return ServiceCharges(service, charges)


def _engine(
    specs: list[ServiceSpec],
    parts: list[Participation],
    uses: list[Usage],
    figures: dict[int, dict[str, Decimal | int | None]],
) -> list[Charge]:
    try:
        return allocation.compute_charges(
            services=specs, participations=parts, usage=uses, basis=figures
        )
    except allocation.EngineError as exc:
        raise ValidationError(str(exc)) from None


def year_charges(
    agency: Agency,
    fiscal_year: int,
    *,
    actual: bool = False,
    estimate: bool = False,
    services: Iterable[int] | None = None,
) -> list[ServiceCharges]:
    """Every service's charges for the year on its final data (see ``year_service``)."""
    ctx = YearContext(agency, fiscal_year)
    subs = ctx.subscriptions()
    usage: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    if not estimate:
        index = {p: i for i, p in enumerate(ctx.periods)}
        for svc, inst, period, q in (
            UsageRecord.objects.filter(agency=agency, period__in=ctx.periods)
            .values("service_id", "institution_id", "period")
            .annotate(q=Sum("quantity"))
            .values_list("service_id", "institution_id", "period", "q")
        ):
            usage[svc][index[period]][inst] = q
    wanted = set(services) if services is not None else None
    out = []
    for service in ctx.services:
        if wanted is not None and service.pk not in wanted:
            continue
        if not subs.get(service.pk) and not usage.get(service.pk) and not service.all_components:
            continue
        out.append(
            ctx.year_service(
                service,
                subs.get(service.pk, []),
                usage.get(service.pk, {}),
                actual=actual,
                estimate=estimate,
            )
        )
    return out


def month_index(agency: Agency, period: date) -> tuple[int, int]:
    fy = fiscal_year_of(period, agency.fiscal_year_start_month)
    return fy, fiscal_year_periods(fy, agency.fiscal_year_start_month).index(period)


# What a draft was computed from ------------------------------------------------------------


def _digest(rows: Iterable[Any]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()[:16]


def inputs_of(agency: Agency, period: date) -> dict[str, Any]:
    """What the month's charges depend on, each part summarised so a change shows: usage
    of the month, the year's subscriptions, the catalog's terms, the year's budgets, the
    members' dates and figures."""
    fy = fiscal_year_of(period, agency.fiscal_year_start_month)
    usage = UsageRecord.objects.filter(agency=agency, period=period).aggregate(
        n=Count("pk"), q=Sum("quantity"), last=Max("pk"), first=Min("pk"), ids=Sum("pk")
    )
    subs = Subscription.objects.filter(agency=agency, fiscal_year=fy).aggregate(
        n=Count("pk"),
        q=Sum("quantity"),
        ids=Sum("pk"),
        starts=Count("starts_on"),
        ends=Count("ends_on"),
        latest_start=Max("starts_on"),
        latest_end=Max("ends_on"),
        earliest_end=Min("ends_on"),
    )
    terms = (
        Service.objects.filter(agency=agency)
        .order_by("pk")
        .values_list(
            "pk",
            "charge_method",
            "unit_rate",
            "share_basis",
            "flat_amount",
            "admin_fee_pct",
            "all_components",
            "available_from",
            "available_until",
            "empty_month",
        )
    )
    budgets = (
        ServiceYear.objects.filter(service__agency=agency, fiscal_year=fy)
        .order_by("service_id")
        .values_list("service_id", "budget")
    )
    members = (
        Membership.objects.filter(agency=agency)
        .order_by("pk")
        .values_list("pk", "status", "component", "joined_on", "left_on")
    )
    figures = (
        MembershipYear.objects.filter(membership__agency=agency, fiscal_year=fy)
        .order_by("pk")
        .values_list("pk", "rwada", "enrollment", "full_value")
    )
    return {
        "usage": {
            "records": usage["n"],
            "quantity": str(usage["q"] or 0),
            "digest": _digest([usage["first"], usage["last"], usage["ids"]]),
        },
        "subscriptions": {"count": subs["n"], "digest": _digest(sorted(subs.items()))},
        "services": {"digest": _digest(terms)},
        "budgets": {"digest": _digest(budgets)},
        "members": {"digest": _digest([*members, *figures])},
    }


INPUT_LABELS = {
    "usage": "usage recorded for the month",
    "subscriptions": "the year's subscriptions (quantities or dates)",
    "services": "the catalog's terms (rates, charge methods, fees, availability)",
    "budgets": "the year's budgets (cost pools)",
    "members": "members (joining or leaving dates, RWADA, enrollment, full value)",
}


def input_changes(run: BillingRun) -> list[str]:
    """What changed since the draft was computed, one sentence each (empty: nothing)."""
    if run.posted or run.computed_at is None:
        return []
    now = inputs_of(run.agency, run.period)
    before = run.inputs or {}
    out = []
    for key, label in INPUT_LABELS.items():
        if before.get(key) == now.get(key):
            continue
        if key == "usage":
            was, is_ = before.get("usage", {}), now["usage"]
            newer = UsageRecord.objects.filter(
                agency=run.agency, period=run.period, recorded_at__gt=run.computed_at
            )
            text = (
                f"Usage for {run.period:%B %Y}: {was.get('records', 0)} records "
                f"({was.get('quantity', '0')} units) when computed, {is_['records']} "
                f"({is_['quantity']} units) now"
            )
            shown = list(newer.select_related("institution", "service")[:5])
            if shown:
                text += "; recorded since: " + "; ".join(
                    f"{u.institution.name}, {u.service.code}, {u.quantity.normalize():f} "
                    f"{u.service.unit}"
                    for u in shown
                )
                extra = newer.count() - len(shown)
                if extra > 0:
                    text += f" and {extra} more"
            out.append(text + ".")
        else:
            out.append(f"Changed since computing: {label}.")
    return out


# Computing and posting ---------------------------------------------------------------------


@transaction.atomic
def billing_run_compute(
    *, user: Any, agency: Agency, period: date, progress: Progress | None = None
) -> BillingRun:
    """Compute (or recompute) the draft run of ``period``; refused once the month is posted,
    before it has begun, or when its fiscal year is closed."""
    require(user, Action.BILLING_RUN, agency)
    progress = progress or _noop
    if period.day != 1:
        raise ValidationError({"period": "A billing period is a month."})
    fy, index = month_index(agency, period)
    closing.ensure_begun(agency, period)
    closing.ensure_open(agency, fy, "period", "billing runs")
    run = (
        BillingRun.objects.select_for_update()
        .filter(agency=agency, kind=BillingRun.Kind.MONTHLY, period=period)
        .first()
    )
    if run is not None and run.posted:
        raise ValidationError(
            {
                "period": f"{period:%B %Y} is already posted; posted runs never change. "
                "Correct an invoice with a credit memo."
            }
        )
    if run is None:
        run = BillingRun(
            agency=agency,
            kind=BillingRun.Kind.MONTHLY,
            period=period,
            fiscal_year=fy,
            created_at=timezone.now(),
            created_by=_user(user),
        )
        run.save()
    else:
        InvoiceLine.objects.filter(invoice__run=run).delete()
        Invoice.objects.filter(run=run).delete()
    run.inputs = inputs_of(agency, period)
    ctx = YearContext(agency, fy)
    progress(1, 4)
    usage_rows = (
        UsageRecord.objects.filter(agency=agency, period=period)
        .order_by("service_id")
        .values_list("service_id", "institution_id", "quantity")
    )
    usage_count = 0

    def per_service() -> Iterator[ServiceCharges]:
        nonlocal usage_count
        usage_it = groupby(usage_rows.iterator(chunk_size=BATCH), key=lambda r: r[0])
        pending_usage = next(usage_it, None)
        subs_it = ctx.stream_subscriptions()
        pending_subs = next(subs_it, None)
        for service in ctx.services:
            subs: list[SubRow] = []
            while pending_subs is not None and pending_subs[0] < service.pk:
                pending_subs = next(subs_it, None)
            if pending_subs is not None and pending_subs[0] == service.pk:
                subs = pending_subs[1]
                pending_subs = next(subs_it, None)
            usage: dict[int, Decimal] = {}
            while pending_usage is not None and pending_usage[0] < service.pk:
                pending_usage = next(usage_it, None)
            if pending_usage is not None and pending_usage[0] == service.pk:
                for _, inst, q in pending_usage[1]:
                    usage[inst] = usage.get(inst, ZERO) + q
                    usage_count += 1
                pending_usage = next(usage_it, None)
            if not subs and not usage and not service.all_components:
                continue
            yield ctx.month_service(service, index, subs, usage)

    _write_invoices(run, per_service(), progress)
    run.computed_at = timezone.now()
    run.usage_count = usage_count
    run.save()
    audit.record(
        "billing.run.compute",
        run,
        changes={
            "period": period,
            "invoices": run.invoice_count,
            "lines": run.line_count,
            "usage_records": run.usage_count,
            "total": run.total,
        },
    )
    progress(4, 4)
    return run


def _describe(charge: Charge, service: Service) -> str:
    if charge.kind == "admin_fee":
        return f"{service.code} {service.name}: administrative fee"
    return f"{service.code} {service.name}"


@dataclass
class _Drafts:
    """Draft invoices created on demand, one per member, totals kept as lines are written."""

    run: BillingRun
    ids: dict[int, int] = field(default_factory=dict)
    totals: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def invoice_id(self, member: int) -> int:
        pk = self.ids.get(member)
        if pk is None:
            inv = Invoice(
                agency_id=self.run.agency_id,
                run=self.run,
                institution_id=member,
                period=self.run.period,
                fiscal_year=self.run.fiscal_year,
            )
            inv.save()
            pk = self.ids[member] = inv.pk
        return pk


def _write_invoices(
    run: BillingRun,
    results: Iterable[ServiceCharges],
    progress: Progress,
    kind_map: dict[str, str] | None = None,
) -> None:
    """Write each service's charges as lines of the members' draft invoices (created as
    needed), a batch at a time; then the invoices' totals."""
    members = run.agency.memberships.values_list("institution_id", flat=True)
    drafts = _Drafts(run)
    # Every member gets its draft up front in one bulk insert (names decide nothing here:
    # posting numbers invoices in member-name order).
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                agency_id=run.agency_id,
                run=run,
                institution_id=m,
                period=run.period,
                fiscal_year=run.fiscal_year,
            )
            for m in members
        ],
        batch_size=1000,
    )
    if any(inv.pk is None for inv in invoices):  # backends without RETURNING
        drafts.ids = dict(Invoice.objects.filter(run=run).values_list("institution_id", "pk"))
    else:
        drafts.ids = {inv.institution_id: inv.pk for inv in invoices}
    kind_map = kind_map or {}
    lines: list[InvoiceLine] = []
    written = 0
    for result in results:
        service = result.service
        for c in result.charges:
            if not c.amount:
                continue
            drafts.totals[c.member] += c.amount
            lines.append(
                InvoiceLine(
                    invoice_id=drafts.invoice_id(c.member),
                    service_id=service.pk,
                    kind=kind_map.get(c.kind, c.kind),
                    description=_describe(c, service),
                    quantity=c.quantity,
                    basis=c.basis[:100],
                    share=c.share,
                    rate=c.rate,
                    amount=c.amount,
                )
            )
            if len(lines) >= BATCH:
                InvoiceLine.objects.bulk_create(lines)
                written += len(lines)
                lines = []
                progress(2, 4)
    if lines:
        InvoiceLine.objects.bulk_create(lines)
        written += len(lines)
    charged = {m: t for m, t in drafts.totals.items()}
    Invoice.objects.filter(run=run).exclude(institution_id__in=list(charged)).delete()
    by_id = {drafts.ids[m]: t for m, t in charged.items()}
    rows = [Invoice(pk=pk, total=t) for pk, t in by_id.items()]
    Invoice.objects.bulk_update(rows, ["total"], batch_size=1000)
    run.invoice_count = len(by_id)
    run.line_count = written
    run.total = sum(by_id.values(), ZERO)
    progress(3, 4)


def _next_numbers(agency_id: int, series: str, fiscal_year: int, count: int) -> range:
    counter, _ = DocumentCounter.objects.get_or_create(
        agency_id=agency_id, series=series, fiscal_year=fiscal_year
    )
    counter = DocumentCounter.objects.select_for_update().get(pk=counter.pk)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return range(first, first + count)


@transaction.atomic
def billing_run_post(*, user: Any, run: BillingRun, issued_on: date | None = None) -> BillingRun:
    """Issue the draft's invoices (gapless numbers, due after the agency's payment terms)
    and freeze the run.

    Refused for a month that has not begun, a closed year, and a monthly draft whose inputs
    changed after it was computed (recompute it first; ``input_changes`` says what)."""
    require(user, Action.BILLING_RUN, run.agency)
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if run.posted:
        raise ValidationError({"status": "This run is already posted."})
    if run.computed_at is None:
        raise ValidationError({"status": "Compute the run before posting it."})
    agency = run.agency
    if run.kind == BillingRun.Kind.MONTHLY:
        closing.ensure_begun(agency, run.period)
        closing.ensure_open(agency, run.fiscal_year, "status", "billing runs")
        changes = input_changes(run)
        if changes:
            raise ValidationError(
                {
                    "status": "The draft's inputs changed after it was computed; recompute it "
                    "before posting. " + " ".join(changes)
                }
            )
    issued_on = issued_on or closing.agency_today(agency)
    invoices = list(
        Invoice.objects.filter(run=run)
        .select_related("institution")
        .order_by("institution__name", "institution_id")
    )
    numbers = _next_numbers(agency.pk, "INV", run.fiscal_year, len(invoices))
    from .documents import snapshot_parties

    letterhead = LetterheadVersion.issue(agency)  # one row for the run's invoices
    for inv, number in zip(invoices, numbers, strict=True):
        inv.number = number
        inv.status = Invoice.Status.ISSUED
        inv.issued_on = issued_on
        inv.due_on = issued_on + timedelta(days=agency.payment_terms_days)
        snapshot_parties(inv, agency, letterhead)
    # Still drafts in the database, so the bulk update passes the immutability guard.
    Invoice.objects.bulk_update(
        invoices,
        ["number", "status", "issued_on", "due_on", *SNAPSHOT_FIELDS],
        batch_size=500,
    )
    for inv in invoices:
        audit.record(
            "invoice.issue",
            inv,
            label=f"Invoice {inv.display_number} to {inv.institution.name}",
            changes={"number": inv.display_number, "total": inv.total, "period": inv.period},
        )
    run.status = BillingRun.Status.POSTED
    run.posted_at = timezone.now()
    run.posted_by = user if getattr(user, "is_authenticated", False) else None
    BillingRun.objects.filter(pk=run.pk).update(
        status=run.status, posted_at=run.posted_at, posted_by=run.posted_by
    )
    audit.record(
        "billing.run.post",
        run,
        changes={
            "status": ["draft", "posted"],
            "invoices": len(invoices),
            "total": run.total,
            "numbers": [
                f"{run.fiscal_year}-{numbers.start:05d}",
                f"{run.fiscal_year}-{numbers.stop - 1:05d}",
            ]
            if invoices
            else [],
        },
    )
    from .ledger import apply_credits, members_with_credit

    for inst in {inv.institution_id for inv in invoices} & members_with_credit(agency):
        apply_credits(agency=agency, institution_id=inst, on=issued_on)
    return run


def institution_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Institution.objects.filter(pk__in=list(ids)).values_list("pk", "name"))
