"""Monthly billing runs: compute a draft (every charge of the month, one invoice per member),
review it, then post it (invoices get gapless numbers and become immutable).

The run loads the month with a few bulk queries, hands plain values to
``allocation.compute_charges`` and writes invoices and lines with ``bulk_create``. The audit
trail gets one event for the computation, one for the posting and one per issued invoice,
not one per line (docs/billing.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution, Membership, MembershipYear
from edcoop.services.fiscal import fiscal_year_of, fiscal_year_periods
from edcoop.services.models import ChargeMethod, Service, ServiceYear, Subscription, UsageRecord
from edcoop.services.perm import require

from . import allocation
from .allocation import Charge, Participation, ServiceSpec, Usage, split_cents, to_cents
from .models import BillingRun, DocumentCounter, Invoice, InvoiceLine

Progress = Callable[[int, int], None]
BATCH = 5000
PAYMENT_TERMS_DAYS = 30
TWELFTHS = {i: 1 for i in range(12)}


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _noop(done: int, total: int) -> None:
    return None


def installment(annual: Decimal, month_index: int) -> Decimal:
    """The month's part of a yearly amount: twelve parts that sum to it exactly."""
    return allocation.from_cents(split_cents(to_cents(annual), TWELFTHS)[month_index])


@dataclass
class PeriodInput:
    """Plain values for the engine, plus what the run needs to name things."""

    services: list[ServiceSpec]
    participations: list[Participation]
    usage: list[Usage]
    basis: dict[int, dict[str, Decimal | int | None]]
    members: set[int]
    service_ids: dict[str, int]
    service_names: dict[str, str]
    usage_count: int


def _participants(
    agency: Agency, fiscal_year: int
) -> tuple[list[tuple[int, int, Decimal]], set[int]]:
    subs = list(
        Subscription.objects.filter(agency=agency, fiscal_year=fiscal_year).values_list(
            "institution_id", "service_id", "quantity"
        )
    )
    components = set(
        Membership.objects.filter(
            agency=agency, status=Membership.Status.ACTIVE, component=True
        ).values_list("institution_id", flat=True)
    )
    return subs, components


def load_year(
    agency: Agency,
    fiscal_year: int,
    *,
    month_index: int | None,
    usage: Iterable[tuple[int, int, Decimal]],
    estimate: bool = False,
    actual_costs: bool = False,
) -> PeriodInput:
    """The engine's input for one month of ``fiscal_year`` (``month_index`` 0-11) or, with
    ``month_index=None``, for the whole year. ``estimate`` uses the subscriptions' quantities
    as usage (the budget view); ``actual_costs`` the services' actual costs as pools."""
    services = list(Service.objects.filter(agency=agency, active=True).order_by("code"))
    years = {y.service_id: y for y in ServiceYear.objects.filter(
        service__agency=agency, fiscal_year=fiscal_year)}  # fmt: skip
    by_id = {s.pk: s for s in services}
    subs, components = _participants(agency, fiscal_year)
    specs = []
    for s in services:
        year = years.get(s.pk)
        pool = Decimal(0)
        if year is not None:
            pool = year.budget
            if actual_costs and year.actual_cost is not None:
                pool = year.actual_cost
        flat = s.flat_amount
        if month_index is not None:
            pool = installment(pool, month_index)
            flat = installment(flat, month_index)
        specs.append(ServiceSpec(code=s.code, method=s.charge_method, name=s.name,
                                 rate=s.unit_rate, pool=pool, basis=s.share_basis, flat=flat,
                                 admin_fee_pct=s.admin_fee_pct))  # fmt: skip
    participations: list[Participation] = []
    seen: set[tuple[int, int]] = set()
    members: set[int] = set(components)
    for inst, svc, qty in subs:
        service = by_id.get(svc)
        if service is None:
            continue
        committed = qty if month_index is None else (qty / 12).quantize(Decimal("0.0001"))
        participations.append(Participation(inst, service.code, committed))
        seen.add((inst, svc))
        members.add(inst)
    for s in services:
        if s.all_components:
            for inst in sorted(components):
                if (inst, s.pk) not in seen:
                    participations.append(Participation(inst, s.code))
    engine_usage: list[Usage] = []
    count = 0
    if estimate:
        for inst, svc, qty in subs:
            service = by_id.get(svc)
            if service and service.charge_method in (ChargeMethod.RATE, ChargeMethod.POOL_BY_USAGE,
                                                     ChargeMethod.COMMITTED_SEATS):  # fmt: skip
                engine_usage.append(Usage(inst, service.code, qty))
    else:
        for inst, svc, qty in usage:
            service = by_id.get(svc)
            if service is None:
                continue
            engine_usage.append(Usage(inst, service.code, qty))
            members.add(inst)
            count += 1
    figures: dict[int, dict[str, Decimal | int | None]] = {}
    for inst, rwada, enrollment, full_value in MembershipYear.objects.filter(
        membership__agency=agency, fiscal_year=fiscal_year
    ).values_list("membership__institution_id", "rwada", "enrollment", "full_value"):
        figures[inst] = {"rwada": rwada, "enrollment": enrollment, "full_value": full_value}
    return PeriodInput(
        services=specs, participations=participations, usage=engine_usage, basis=figures,
        members=members, service_ids={s.code: s.pk for s in services},
        service_names={s.code: s.name for s in services}, usage_count=count,
    )  # fmt: skip


def compute(data: PeriodInput) -> list[Charge]:
    try:
        return allocation.compute_charges(
            services=data.services, participations=data.participations, usage=data.usage,
            basis=data.basis,
        )  # fmt: skip
    except allocation.EngineError as exc:
        raise ValidationError(str(exc)) from None


def _describe(charge: Charge, names: dict[str, str]) -> str:
    name = names.get(charge.service, charge.service)
    if charge.kind == "admin_fee":
        return f"{charge.service} {name}: administrative fee"
    return f"{charge.service} {name}"


def month_index(agency: Agency, period: date) -> tuple[int, int]:
    fy = fiscal_year_of(period, agency.fiscal_year_start_month)
    return fy, fiscal_year_periods(fy, agency.fiscal_year_start_month).index(period)


@transaction.atomic
def billing_run_compute(
    *, user: Any, agency: Agency, period: date, progress: Progress | None = None
) -> BillingRun:
    """Compute (or recompute) the draft run of ``period``; refused once the month is posted."""
    require(user, Action.BILLING_RUN, agency)
    progress = progress or _noop
    if period.day != 1:
        raise ValidationError({"period": "A billing period is a month."})
    fy, index = month_index(agency, period)
    run = (
        BillingRun.objects.select_for_update()
        .filter(agency=agency, kind=BillingRun.Kind.MONTHLY, period=period)
        .first()
    )
    if run is not None and run.posted:
        raise ValidationError(
            {"period": f"{period:%B %Y} is already posted; posted runs never change. "
             "Correct an invoice with a credit memo."}
        )  # fmt: skip
    if run is None:
        run = BillingRun(agency=agency, kind=BillingRun.Kind.MONTHLY, period=period,
                         fiscal_year=fy, created_at=timezone.now(),
                         created_by=_user(user))  # fmt: skip
        run.save()
    else:
        InvoiceLine.objects.filter(invoice__run=run).delete()
        Invoice.objects.filter(run=run).delete()
    usage_rows = UsageRecord.objects.filter(agency=agency, period=period).values_list(
        "institution_id", "service_id", "quantity"
    )
    data = load_year(agency, fy, month_index=index, usage=usage_rows.iterator(chunk_size=BATCH))
    progress(1, 4)
    charges = compute(data)
    progress(2, 4)
    _write_invoices(run, charges, data, progress)
    run.computed_at = timezone.now()
    run.usage_count = data.usage_count
    run.save()
    audit.record("billing.run.compute", run, changes={
        "period": period, "invoices": run.invoice_count, "lines": run.line_count,
        "usage_records": run.usage_count, "total": run.total,
    })  # fmt: skip
    progress(4, 4)
    return run


def _write_invoices(
    run: BillingRun,
    charges: list[Charge],
    data: PeriodInput,
    progress: Progress,
    kind_map: dict[str, str] | None = None,
) -> None:
    by_member: dict[int, list[Charge]] = defaultdict(list)
    for c in charges:
        if c.amount:
            by_member[c.member].append(c)
    names = dict(Institution.objects.filter(pk__in=list(by_member)).values_list("pk", "name"))
    order = sorted(by_member, key=lambda m: (names.get(m, ""), m))
    invoices = [
        Invoice(agency_id=run.agency_id, run=run, institution_id=m, period=run.period,
                fiscal_year=run.fiscal_year,
                total=sum((c.amount for c in by_member[m]), Decimal(0)))
        for m in order
    ]  # fmt: skip
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    if any(inv.pk is None for inv in invoices):  # backends without RETURNING
        ids = dict(Invoice.objects.filter(run=run).values_list("institution_id", "pk"))
        for inv in invoices:
            inv.pk = ids[inv.institution_id]
    kind_map = kind_map or {}
    lines: list[InvoiceLine] = []
    written = 0
    total_lines = sum(len(v) for v in by_member.values())
    for inv in invoices:
        for c in by_member[inv.institution_id]:
            lines.append(InvoiceLine(
                invoice_id=inv.pk, service_id=data.service_ids[c.service],
                kind=kind_map.get(c.kind, c.kind), description=_describe(c, data.service_names),
                quantity=c.quantity, basis=c.basis[:100], share=c.share, rate=c.rate,
                amount=c.amount,
            ))  # fmt: skip
            if len(lines) >= BATCH:
                InvoiceLine.objects.bulk_create(lines)
                written += len(lines)
                lines = []
                progress(2 * total_lines + written, 4 * total_lines)
    if lines:
        InvoiceLine.objects.bulk_create(lines)
        written += len(lines)
    run.invoice_count = len(invoices)
    run.line_count = written
    run.total = sum((inv.total for inv in invoices), Decimal(0))


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
    """Issue the draft's invoices (gapless numbers, due in 30 days) and freeze the run."""
    require(user, Action.BILLING_RUN, run.agency)
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if run.posted:
        raise ValidationError({"status": "This run is already posted."})
    if run.computed_at is None:
        raise ValidationError({"status": "Compute the run before posting it."})
    agency = run.agency
    issued_on = issued_on or timezone.now().astimezone(agency.zone).date()
    invoices = list(
        Invoice.objects.filter(run=run)
        .select_related("institution")
        .order_by("institution__name", "institution_id")
    )
    numbers = _next_numbers(agency.pk, "INV", run.fiscal_year, len(invoices))
    for inv, number in zip(invoices, numbers, strict=True):
        inv.number = number
        inv.status = Invoice.Status.ISSUED
        inv.issued_on = issued_on
        inv.due_on = issued_on + timedelta(days=PAYMENT_TERMS_DAYS)
    # Still drafts in the database, so the bulk update passes the immutability guard.
    Invoice.objects.bulk_update(invoices, ["number", "status", "issued_on", "due_on"],
                                batch_size=500)  # fmt: skip
    for inv in invoices:
        audit.record("invoice.issue", inv, label=f"Invoice {inv.display_number} to "
                     f"{inv.institution.name}",
                     changes={"number": inv.display_number, "total": inv.total,
                              "period": inv.period})  # fmt: skip
    run.status = BillingRun.Status.POSTED
    run.posted_at = timezone.now()
    run.posted_by = user if getattr(user, "is_authenticated", False) else None
    BillingRun.objects.filter(pk=run.pk).update(
        status=run.status, posted_at=run.posted_at, posted_by=run.posted_by
    )
    audit.record("billing.run.post", run, changes={
        "status": ["draft", "posted"], "invoices": len(invoices), "total": run.total,
        "numbers": [f"{run.fiscal_year}-{numbers.start:05d}",
                    f"{run.fiscal_year}-{numbers.stop - 1:05d}"] if invoices else [],
    })  # fmt: skip
    return run
