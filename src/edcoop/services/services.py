"""Writes on the service catalog, requests, subscriptions and usage.

Each function checks permission, validates, writes in one transaction and records the
audit event in that same transaction (see docs/billing.md).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.decimals import MONEY
from edcoop.core.decimals import QUANTITY as QUANTITY_BOUNDS
from edcoop.core.money import quantize_money
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution, Membership
from edcoop.services.perm import require

from .fiscal import fiscal_year_of
from .models import (
    ChargeMethod,
    Service,
    ServicePosition,
    ServiceRequest,
    ServiceYear,
    Subscription,
    UsageRecord,
)

SERVICE_FIELDS = (
    "code", "name", "coser_group", "category", "description", "unit", "aidable", "capacity",
    "charge_method", "unit_rate", "share_basis", "flat_amount", "admin_fee_pct",
    "all_components", "active", "available_from", "available_until", "deficit_policy",
    "empty_month", "gl_account",
)  # fmt: skip

# Default request deadlines (Wayne-Finger Lakes BOCES policy 4110/4120): preliminary by
# Feb 1 and final by May 1 before the fiscal year.
PRELIMINARY_DUE = (2, 1)
FINAL_DUE = (5, 1)


def _today(agency: Agency) -> date:
    return timezone.now().astimezone(agency.zone).date()


def _ensure_open(agency: Agency, fiscal_year: int, field: str, what: str) -> None:
    from edcoop.billing.closing import ensure_open

    ensure_open(agency, fiscal_year, field, what)


USAGE_METHODS = (ChargeMethod.RATE, ChargeMethod.POOL_BY_USAGE, ChargeMethod.COMMITTED_SEATS)


def _clean_save(obj: Any) -> None:
    obj.full_clean()
    obj.save()


@transaction.atomic
def service_create(*, user: Any, agency: Agency, **fields: Any) -> Service:
    require(user, Action.SERVICE_CATALOG_EDIT, agency)
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    service = Service(agency=agency, **fields)
    if Service.objects.filter(agency=agency, code=service.code).exists():
        raise ValidationError({"code": f"{agency} already has a service {service.code}."})
    _check_terms(service)
    _clean_save(service)
    audit.record_create("service.create", service)
    return service


@transaction.atomic
def service_update(*, user: Any, service: Service, **fields: Any) -> Service:
    require(user, Action.SERVICE_CATALOG_EDIT, service.agency)
    unknown = set(fields) - set(SERVICE_FIELDS) | ({"code"} & set(fields))
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    service = Service.objects.select_for_update().get(pk=service.pk)
    names = list(SERVICE_FIELDS)
    before = audit.snapshot(service, names)
    for name, value in fields.items():
        setattr(service, name, value)
    _check_terms(service)
    _clean_save(service)
    audit.record(
        "service.update", service, changes=audit.diff(before, audit.snapshot(service, names))
    )
    return service


@transaction.atomic
def service_deactivate(*, user: Any, service: Service, last_day: date) -> Service:
    """Stop a service: no new requests, and no billing after ``last_day`` (its months up to
    then bill as usual and true up cleanly)."""
    require(user, Action.SERVICE_CATALOG_EDIT, service.agency)
    service = Service.objects.select_for_update().get(pk=service.pk)
    if not isinstance(last_day, date):
        raise ValidationError({"last_day": "Enter the last day the service is delivered."})
    if service.available_from and last_day < service.available_from:
        raise ValidationError({"last_day": "The last day comes before the service started."})
    if (last_day - _today(service.agency)).days > 366:
        raise ValidationError({"last_day": "Choose a day within a year from today."})
    # The months after the last day stop billing: none of them may be in a closed year.
    from edcoop.billing.closing import ensure_open_on

    for day in (last_day, service.available_until):
        if day is not None:
            ensure_open_on(service.agency, day, "last_day", "a service's last day")
    posted = _posted_months(service.agency)
    after = [p for p in posted if p > last_day]
    used_after = UsageRecord.objects.filter(service=service, period__gt=last_day).exists()
    if used_after:
        raise ValidationError({"last_day": "Usage is recorded after that day."})
    if after and UsageRecord.objects.filter(service=service, period__in=after).exists():
        raise ValidationError({"last_day": "Months after that day are already billed."})
    before = audit.snapshot(service, ["active", "available_until"])
    service.active = False
    service.available_until = last_day
    _clean_save(service)
    after_ = audit.snapshot(service, ["active", "available_until"])
    audit.record("service.deactivate", service, changes=audit.diff(before, after_))
    return service


def _posted_months(agency: Agency) -> list[date]:
    from edcoop.billing.models import BillingRun

    return list(BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.MONTHLY,
                                          status=BillingRun.Status.POSTED).values_list(
        "period", flat=True))  # fmt: skip


def _bounded(value: Any, bounds: Any, field: str) -> Decimal:
    from edcoop.core.decimals import DecimalInputError, parse_decimal

    try:
        return parse_decimal(value, bounds)
    except DecimalInputError as exc:
        raise ValidationError({field: f"{field.replace('_', ' ').capitalize()} {exc}."}) from None


def _check_terms(service: Service) -> None:
    if service.charge_method in (ChargeMethod.RATE, ChargeMethod.COMMITTED_SEATS) and (
        service.unit_rate is None or service.unit_rate <= 0
    ):
        raise ValidationError({"unit_rate": "This charge method needs a unit rate above zero."})
    if service.charge_method == ChargeMethod.FLAT and not service.flat_amount:
        raise ValidationError({"flat_amount": "A flat charge needs its yearly amount."})


@transaction.atomic
def service_year_set(
    *,
    user: Any,
    service: Service,
    fiscal_year: int,
    budget: Decimal,
    actual_cost: Decimal | None = None,
    positions: list[tuple[str, Decimal, Decimal]] | None = None,
) -> ServiceYear:
    """A service's budget (cost pool) for a fiscal year, its actual cost once known, and the
    staff positions behind it (title, salary, FTE) for the aid's salary cap."""
    from edcoop.billing.aid import salary_over_cap

    require(user, Action.SERVICE_CATALOG_EDIT, service.agency)
    _ensure_open(service.agency, fiscal_year, "fiscal_year", "budgets and actual costs")
    for name, value in (("budget", budget), ("actual_cost", actual_cost)):
        if value is not None:
            _bounded(value, MONEY, name)
    year, created = ServiceYear.objects.select_for_update().get_or_create(
        service=service, fiscal_year=fiscal_year
    )
    names = ["budget", "actual_cost", "salaries", "salary_over_cap"]
    before = None if created else audit.snapshot(year, names)
    year.budget = budget
    year.actual_cost = actual_cost
    if positions is not None:
        year.positions.all().delete()
        rows = [ServicePosition(service_year=year, title=t, salary=s, fte=f)
                for t, s, f in positions]  # fmt: skip
        for row in rows:
            row.full_clean(exclude=["service_year"])
        ServicePosition.objects.bulk_create(rows)
        year.salaries = quantize_money(sum((r.salary * r.fte for r in rows), Decimal(0)))
        year.salary_over_cap = salary_over_cap(
            service.agency, fiscal_year, [(r.salary, r.fte) for r in rows]
        )
    _clean_save(year)
    audit.record("service_year.set", year, agency_id=service.agency_id,
                 changes=audit.diff(before, audit.snapshot(year, names)))  # fmt: skip
    return year


def request_due(agency: Agency, fiscal_year: int, kind: str) -> date | None:
    """When a request for ``fiscal_year`` is due (Feb 1 / May 1 of the year it starts)."""
    start_year = fiscal_year - 1
    if kind == ServiceRequest.Kind.PRELIMINARY:
        return date(start_year, *PRELIMINARY_DUE)
    if kind == ServiceRequest.Kind.FINAL:
        return date(start_year, *FINAL_DUE)
    return None


def _active_member(agency: Agency, institution: Institution) -> None:
    if institution.agency_id != agency.pk:
        raise ValidationError({"institution": "The institution belongs to another agency."})
    status = Membership.objects.filter(institution=institution).values_list("status", flat=True)
    if list(status) != [Membership.Status.ACTIVE]:
        raise ValidationError({"institution": f"{institution} is not an active member."})


@transaction.atomic
def request_file(
    *,
    user: Any,
    institution: Institution,
    service: Service,
    fiscal_year: int,
    kind: str,
    quantity: Decimal,
    note: str = "",
) -> ServiceRequest:
    """A member asks for a service next year (preliminary, final) or mid-year (additional)."""
    agency = institution.agency
    require(user, Action.SERVICE_REQUEST_FILE, agency, institution=institution)
    _active_member(agency, institution)
    if service.agency_id != agency.pk or not service.active:
        raise ValidationError({"service": "No such service in the catalog."})
    if kind not in ServiceRequest.Kind.values:
        raise ValidationError({"kind": f"{kind!r} is not a kind of request."})
    quantity = _bounded(quantity, QUANTITY_BOUNDS, "quantity")
    _ensure_open(agency, fiscal_year, "fiscal_year", "requests")
    due = request_due(agency, fiscal_year, kind)
    now = timezone.now()
    req = ServiceRequest(
        agency=agency, institution=institution, service=service, fiscal_year=fiscal_year,
        kind=kind, quantity=quantity, submitted_at=now, due_on=due,
        late=bool(due and _today(agency) > due),
        submitted_by=user if getattr(user, "is_authenticated", False) else None, note=note,
    )  # fmt: skip
    _clean_save(req)
    audit.record_create("service_request.file", req)
    return req


@transaction.atomic
def request_decide(
    *, user: Any, request: ServiceRequest, approve: bool, quantity: Decimal | None = None
) -> ServiceRequest:
    """Approve a request into the member's subscription for the year (its quantity is the
    estimate or commitment), or decline it."""
    require(user, Action.SERVICE_REQUEST_DECIDE, request.agency)
    req = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    _ensure_open(req.agency, req.fiscal_year, "fiscal_year", "requests")
    if req.status != ServiceRequest.Status.SUBMITTED:
        raise ValidationError({"status": f"This request was already {req.status}."})
    req.status = ServiceRequest.Status.APPROVED if approve else ServiceRequest.Status.DECLINED
    req.decided_at = timezone.now()
    req.save(update_fields=["status", "decided_at"])
    audit.record("service_request.decide", req, changes={"status": ["submitted", req.status]})
    if approve:
        subscription_set(
            user=user, institution=req.institution, service=req.service,
            fiscal_year=req.fiscal_year, quantity=req.quantity if quantity is None else quantity,
            request=req,
        )  # fmt: skip
    return req


@transaction.atomic
def subscription_set(
    *,
    user: Any,
    institution: Institution,
    service: Service,
    fiscal_year: int,
    quantity: Decimal,
    request: ServiceRequest | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Subscription:
    """Create or change a member's subscription (approved participation) for a year; a
    start or end date within the year prorates its charges by month."""
    agency = institution.agency
    require(user, Action.SERVICE_REQUEST_DECIDE, agency)
    _active_member(agency, institution)
    if service.agency_id != agency.pk:
        raise ValidationError({"service": "No such service in the catalog."})
    quantity = _bounded(quantity, QUANTITY_BOUNDS, "quantity")
    _ensure_open(agency, fiscal_year, "fiscal_year", "subscriptions")
    periods = _fy_periods(agency, fiscal_year)
    first, last = periods[0], (periods[-1].replace(day=28) + timedelta(days=4)).replace(
        day=1) - timedelta(days=1)  # fmt: skip
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if day is not None and not first <= day <= last:
            raise ValidationError({name: f"Choose a day within FY{fiscal_year} ({first} to "
                                   f"{last})."})  # fmt: skip
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": "The subscription ends before it starts."})
    sub = (
        Subscription.objects.select_for_update()
        .filter(institution=institution, service=service, fiscal_year=fiscal_year)
        .first()
    )
    if sub is None:
        sub = Subscription(agency=agency, institution=institution, service=service,
                           fiscal_year=fiscal_year, quantity=quantity, request=request,
                           approved_at=timezone.now(), starts_on=starts_on,
                           ends_on=ends_on)  # fmt: skip
        _clean_save(sub)
        audit.record_create("subscription.create", sub)
        return sub
    names = ["quantity", "starts_on", "ends_on"]
    before = audit.snapshot(sub, names)
    sub.quantity = quantity
    sub.starts_on, sub.ends_on = starts_on, ends_on
    sub.request = request or sub.request
    _clean_save(sub)
    audit.record("subscription.update", sub,
                 changes=audit.diff(before, audit.snapshot(sub, names)))  # fmt: skip
    return sub


def subscription_dates_set(
    *, user: Any, subscription: Subscription, starts_on: date | None, ends_on: date | None
) -> Subscription:
    """Set the days within its year a subscription starts and ends (its quantity stays): a
    month is billed when the subscription covers at least one day of it; the true-up
    recomputes the year on the same dates. Empty: from the year's first day, to its last."""
    return subscription_set(
        user=user, institution=subscription.institution, service=subscription.service,
        fiscal_year=subscription.fiscal_year, quantity=subscription.quantity,
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip


def _period_posted(agency: Agency, period: date) -> bool:
    from edcoop.billing.models import BillingRun

    return BillingRun.objects.filter(
        agency=agency, kind=BillingRun.Kind.MONTHLY, period=period,
        status=BillingRun.Status.POSTED,
    ).exists()  # fmt: skip


def check_usage(
    *,
    agency: Agency,
    subscription: Subscription | None,
    institution: Institution,
    service: Service,
    period: date,
    quantity: Decimal,
    pending: Decimal = Decimal(0),
) -> None:
    """The rules every usage record meets (shared by the form, the API and the import)."""
    from edcoop.billing.closing import ensure_begun
    from edcoop.billing.runs import month_bounds

    if quantity is None or quantity < 0:
        raise ValidationError({"quantity": "A quantity cannot be negative."})
    if period.day != 1:
        raise ValidationError({"period": "A period is a month (its first day)."})
    fy = fiscal_year_of(period, agency.fiscal_year_start_month)
    if service.charge_method not in USAGE_METHODS:
        raise ValidationError(
            {"service": f"{service.code} is billed {service.get_charge_method_display().lower()}"
             ", not by usage: record no usage for it."}
        )  # fmt: skip
    ensure_begun(agency, period)
    _ensure_open(agency, fy, "period", "usage")
    if subscription is None:
        raise ValidationError(
            {"service": f"{institution} has no subscription to {service.code} for FY{fy}."}
        )
    first, last = month_bounds(period)
    if not service.available(first, last):
        raise ValidationError({"period": f"{service.code} is not delivered in {period:%B %Y}."})
    if not (
        (subscription.starts_on is None or subscription.starts_on <= last)
        and (subscription.ends_on is None or subscription.ends_on >= first)
    ):
        raise ValidationError(
            {"period": f"{institution}'s subscription to {service.code} does not cover "
             f"{period:%B %Y}."}
        )  # fmt: skip
    if _period_posted(agency, period):
        raise ValidationError(
            {"period": f"{period:%B %Y} is already billed; correct it with a credit memo."}
        )
    if service.charge_method != ChargeMethod.POOL_BY_USAGE and (
        quantity * service.unit_rate > MONEY.largest
    ):
        raise ValidationError(
            {"quantity": f"{quantity.normalize():f} {service.unit} at "
             f"{service.unit_rate.normalize():f} is more than an invoice line can hold."}
        )  # fmt: skip
    if service.capacity is not None:
        used = UsageRecord.objects.filter(
            service=service, period__in=_fy_periods(agency, fy)
        ).aggregate(total=Sum("quantity"))["total"] or Decimal(0)
        left = max(service.capacity - used - pending, Decimal(0))
        if used + pending + quantity > service.capacity:
            raise ValidationError(
                {"quantity": f"{service.code} has {service.capacity.normalize():f} "
                 f"{service.unit} a year and {left.normalize():f} left; this is beyond "
                 "capacity."}
            )  # fmt: skip


def probable_duplicate(
    agency: Agency, institution: Institution, service: Service, period: date, quantity: Decimal
) -> UsageRecord | None:
    """The same member, service, month and quantity already recorded: most likely the same
    usage entered twice (under another reference)."""
    return UsageRecord.objects.filter(agency=agency, institution=institution, service=service,
                                      period=period, quantity=quantity).first()  # fmt: skip


def _fy_periods(agency: Agency, fy: int) -> list[date]:
    from .fiscal import fiscal_year_periods

    return fiscal_year_periods(fy, agency.fiscal_year_start_month)


def find_subscription(
    agency: Agency, institution: Institution, service: Service, period: date
) -> Subscription | None:
    fy = fiscal_year_of(period, agency.fiscal_year_start_month)
    return Subscription.objects.filter(
        institution=institution, service=service, fiscal_year=fy
    ).first()


@transaction.atomic
def usage_record(
    *,
    user: Any,
    institution: Institution,
    service: Service,
    period: date,
    quantity: Decimal,
    external_ref: str = "",
    note: str = "",
    confirm_duplicate: bool = False,
) -> UsageRecord:
    """Record one month's usage. The same member, service, month and quantity already on
    file is refused as a probable double entry unless ``confirm_duplicate``."""
    agency = institution.agency
    require(user, Action.USAGE_RECORD, agency)
    if service.agency_id != agency.pk:
        raise ValidationError({"service": "No such service in the catalog."})
    quantity = _bounded(quantity, QUANTITY_BOUNDS, "quantity")
    for name, value, limit in (("external_ref", external_ref, 100), ("note", note, 300)):
        if len(value) > limit or "\x00" in value:
            raise ValidationError({name: f"At most {limit} characters of text."})
    if (
        external_ref
        and UsageRecord.objects.filter(agency=agency, external_ref=external_ref).exists()
    ):
        raise ValidationError({"external_ref": f"Usage {external_ref!r} is already recorded."})
    subscription = find_subscription(agency, institution, service, period)
    check_usage(agency=agency, subscription=subscription, institution=institution,
                service=service, period=period, quantity=quantity)  # fmt: skip
    twin = probable_duplicate(agency, institution, service, period, quantity)
    if twin is not None and not confirm_duplicate:
        raise ValidationError(
            {"confirm_duplicate": f"The same usage ({quantity.normalize():f} {service.unit} of "
             f"{service.code} for {period:%B %Y}) is already recorded"
             + (f" as {twin.external_ref!r}" if twin.external_ref else "")
             + ". Confirm to record it again."},
            code="duplicate",
        )  # fmt: skip
    record = UsageRecord(
        agency=agency, subscription=subscription, institution=institution, service=service,
        period=period, quantity=quantity, external_ref=external_ref, note=note,
        recorded_at=timezone.now(),
    )  # fmt: skip
    _clean_save(record)
    audit.record_create("usage.record", record)
    if twin is not None:
        audit.record("usage.duplicate_confirmed", record, changes={"same_as": twin.pk})
    return record
