"""The shared-services and billing API (mounted from ``edcoop.api.urls``): the catalog,
subscriptions, usage (read, and record: idempotent on ``external_ref``), billing runs,
invoices with their lines, and a member's statement. Thin handlers: a schema in, a scoped
lookup through ``core.permissions``, one service, a schema out. Decimals are strings."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import PlainSerializer, WithJsonSchema

from edcoop.api import lookups
from edcoop.api.pagination import Pages
from edcoop.api.schemas import In, Money
from edcoop.core import permissions
from edcoop.core.decimals import QUANTITY, api_decimal
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution
from edcoop.services import services as service_writes
from edcoop.services.fiscal import parse_period
from edcoop.services.models import Service, Subscription, UsageRecord

from . import ledger, statements
from .models import BillingRun, CreditMemo, Invoice, InvoiceLine, Payment

router = Router(tags=["billing"])


def _quantize(places: int) -> Any:
    quantum = Decimal(1).scaleb(-places)
    return lambda value: str(Decimal(value).quantize(quantum))


def _schema(places: int, example: str) -> dict[str, Any]:
    return {"type": "string", "format": "decimal", "pattern": rf"^-?\d+\.\d{{{places}}}$",
            "examples": [example]}  # fmt: skip


Quantity = Annotated[
    Decimal, PlainSerializer(_quantize(4), return_type=str), WithJsonSchema(_schema(4, "12.5000"))
]
Rate = Annotated[
    Decimal, PlainSerializer(_quantize(4), return_type=str), WithJsonSchema(_schema(4, "78.5000"))
]
Share = Annotated[
    Decimal, PlainSerializer(_quantize(6), return_type=str), WithJsonSchema(_schema(6, "0.250000"))
]


# Schemas ----------------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    coser_group: str
    category: str
    description: str
    unit: str
    aidable: bool
    capacity: Quantity | None
    charge_method: str
    unit_rate: Rate
    share_basis: str
    flat_amount: Money
    admin_fee_pct: Money
    active: bool


class Ref(Schema):
    id: int
    name: str


class ServiceRef(Schema):
    id: int
    code: str
    name: str


class SubscriptionOut(Schema):
    id: int
    institution: Ref
    service: ServiceRef
    fiscal_year: int
    quantity: Quantity
    starts_on: date | None = Field(..., description="Billing starts with this month; null: "
                                   "the year's first day.")  # fmt: skip
    ends_on: date | None = Field(..., description="Billing stops after this month; null: the "
                                 "year's last day.")  # fmt: skip
    approved_at: datetime | None


class SubscriptionDatesIn(In):
    starts_on: date | None = Field(None, description="A day within the fiscal year, or null.")
    ends_on: date | None = Field(None, description="A day within the fiscal year, or null.")


class UsageOut(Schema):
    id: int
    institution: Ref
    service: ServiceRef
    period: str = Field(..., examples=["2026-11"])
    quantity: Quantity
    external_ref: str
    note: str
    recorded_at: datetime

    @staticmethod
    def resolve_period(obj: UsageRecord) -> str:
        return f"{obj.period:%Y-%m}"


class UsageIn(In):
    institution_id: int
    service: str = Field(..., max_length=20, description="The service's code, e.g. 601.010.")
    period: str = Field(..., max_length=20, description="The month, YYYY-MM.",
                        examples=["2026-11"])
    quantity: api_decimal(QUANTITY, "37.5")  # type: ignore[valid-type]
    external_ref: str = Field("", max_length=100, description="Idempotency key (recommended).")
    note: str = Field("", max_length=300)
    confirm_duplicate: bool = Field(
        False,
        description="Record it even though the same member, service, month and "
        "quantity is already recorded (a probable double entry is refused otherwise).",
    )


class RunOut(Schema):
    id: int
    kind: str
    period: str
    fiscal_year: int
    status: str
    computed_at: datetime | None
    posted_at: datetime | None
    invoice_count: int
    line_count: int
    usage_count: int
    total: Money

    @staticmethod
    def resolve_period(obj: BillingRun) -> str:
        return f"{obj.period:%Y-%m}"


class InvoiceOut(Schema):
    id: int
    number: str
    institution: Ref
    period: str
    fiscal_year: int
    issued_on: date | None
    due_on: date | None
    total: Money

    @staticmethod
    def resolve_number(obj: Invoice) -> str:
        return obj.display_number

    @staticmethod
    def resolve_period(obj: Invoice) -> str:
        return f"{obj.period:%Y-%m}"


class LineOut(Schema):
    id: int = Field(..., description="Address a memo to this line: POST "
                    "invoices/{invoice_id}/lines/{id}/memos.")  # fmt: skip
    service: ServiceRef
    kind: str
    description: str
    quantity: Quantity
    basis: str
    share: Share | None
    rate: Rate | None
    amount: Money


class CreditMemoOut(Schema):
    id: int
    number: str
    kind: str
    issued_on: date
    amount: Money
    reason: str
    invoice_id: int | None
    line_ids: list[int] = Field(..., description="The invoice lines the memo corrects.")

    @staticmethod
    def resolve_line_ids(obj: CreditMemo) -> list[int]:
        return [pk for pk in obj.lines.values_list("invoice_line_id", flat=True) if pk]

    @staticmethod
    def resolve_number(obj: Any) -> str:
        return str(obj.display_number)


class InvoiceDetail(InvoiceOut):
    lines: list[LineOut]
    credit_memos: list[CreditMemoOut]

    @staticmethod
    def resolve_lines(obj: Invoice) -> Any:
        return obj.lines.select_related("service").order_by("pk")

    @staticmethod
    def resolve_credit_memos(obj: Invoice) -> Any:
        return obj.credit_memos.order_by("issued_on", "number")


class OpenItemOut(Schema):
    invoice: str
    invoice_id: int
    issued_on: date | None
    total: Money
    debits: Money
    credits: Money
    paid: Money
    open: Money
    age_days: int


class StatementOut(Schema):
    institution: Ref
    as_of: date
    balance: Money
    unapplied: Money = Field(..., description="Payments and credit memos not yet applied.")
    aging: dict[str, Money] = Field(..., description='Keys "current", "30", "60", "90+".')
    items: list[OpenItemOut]


# Helpers ----------------------------------------------------------------------------------


def _member_scope(user: Any, agency: Agency, *actions: Action) -> bool:
    """Does the user hold one of ``actions`` agency-wide, or for an institution it belongs to?"""
    for action in actions:
        if permissions.can(user, action, agency):
            return True
    return any(
        ra.institution_id and action in permissions.MATRIX.get(ra.role, ())
        for ra in permissions.assignments(user, agency)
        for action in actions
    )


def _require_any(user: Any, agency: Agency, *actions: Action) -> None:
    if not _member_scope(user, agency, *actions):
        raise PermissionDenied("You may not see this part of billing here.")


def _filter_period(qs: QuerySet[Any], text: str | None) -> QuerySet[Any]:
    return qs.filter(period=parse_period(text)) if text else qs


# Catalog, subscriptions, usage ------------------------------------------------------------


class ServiceFilters(Schema):
    active: bool | None = None
    coser_group: str | None = None


@router.get("/agencies/{slug}/services", response=list[ServiceOut])
@paginate(Pages)
def service_list(
    request: HttpRequest, slug: str, filters: Query[ServiceFilters]
) -> QuerySet[Service]:
    """The service catalog (staff who read services; members who file requests)."""
    agency = lookups.agency(request, slug)
    _require_any(lookups.caller(request), agency, Action.SERVICE_VIEW,
                 Action.SERVICE_REQUEST_FILE)  # fmt: skip
    qs = Service.objects.filter(agency=agency).order_by("code", "pk")
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.coser_group:
        qs = qs.filter(coser_group=filters.coser_group)
    return qs


class SubscriptionFilters(Schema):
    fiscal_year: int | None = None
    institution_id: int | None = None
    service: str | None = Field(None, description="A service code.")


@router.get("/agencies/{slug}/subscriptions", response=list[SubscriptionOut])
@paginate(Pages)
def subscription_list(
    request: HttpRequest, slug: str, filters: Query[SubscriptionFilters]
) -> QuerySet[Subscription]:
    """Approved subscriptions: all for staff, a member user's own institution's otherwise."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    _require_any(user, agency, Action.SERVICE_VIEW, Action.SERVICE_REQUEST_FILE,
                 Action.BILLING_VIEW)  # fmt: skip
    qs = permissions.service_records_for(user, agency, Subscription).select_related(
        "institution", "service").order_by("fiscal_year", "institution__name", "service__code",
                                           "pk")  # fmt: skip
    if filters.fiscal_year is not None:
        qs = qs.filter(fiscal_year=filters.fiscal_year)
    if filters.institution_id is not None:
        qs = qs.filter(institution_id=filters.institution_id)
    if filters.service:
        qs = qs.filter(service__code=filters.service)
    return qs


@router.put("/agencies/{slug}/subscriptions/{subscription_id}/dates", response=SubscriptionOut)
def subscription_dates_set(
    request: HttpRequest, slug: str, subscription_id: int, payload: SubscriptionDatesIn
) -> Subscription:
    """Set when a subscription starts and ends within its year (business office); a month
    bills when the subscription covers one day of it. Audited (``subscription.update``)."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    _require_any(user, agency, Action.SERVICE_VIEW, Action.SERVICE_REQUEST_FILE,
                 Action.BILLING_VIEW)  # fmt: skip
    sub = permissions.get_or_404(
        permissions.service_records_for(user, agency, Subscription).select_related(
            "institution", "service"), pk=subscription_id)  # fmt: skip
    return service_writes.subscription_dates_set(
        user=user, subscription=sub, starts_on=payload.starts_on, ends_on=payload.ends_on
    )


class UsageFilters(Schema):
    period: str | None = Field(None, description="A month, YYYY-MM.")
    institution_id: int | None = None
    service: str | None = Field(None, description="A service code.")
    external_ref: str | None = None


@router.get("/agencies/{slug}/usage", response=list[UsageOut])
@paginate(Pages)
def usage_list(
    request: HttpRequest, slug: str, filters: Query[UsageFilters]
) -> QuerySet[UsageRecord]:
    """Monthly usage records: all for staff, a member user's own institution's otherwise."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    _require_any(user, agency, Action.SERVICE_VIEW, Action.SERVICE_REQUEST_FILE,
                 Action.BILLING_VIEW)  # fmt: skip
    qs = permissions.service_records_for(user, agency, UsageRecord).select_related(
        "institution", "service").order_by("period", "institution__name", "service__code",
                                           "pk")  # fmt: skip
    qs = _filter_period(qs, filters.period)
    if filters.institution_id is not None:
        qs = qs.filter(institution_id=filters.institution_id)
    if filters.service:
        qs = qs.filter(service__code=filters.service)
    if filters.external_ref:
        qs = qs.filter(external_ref=filters.external_ref)
    return qs


@router.post("/agencies/{slug}/usage", response={200: UsageOut, 201: UsageOut})
def usage_create(request: HttpRequest, slug: str, payload: UsageIn) -> Status[Any]:
    """Record one month's usage (business office). Safe to retry: a record whose
    ``external_ref`` is already recorded with the same values answers 200 with it; with
    other values it is refused (400)."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    institution: Institution = permissions.get_or_404(
        permissions.institutions_for(user, agency), pk=payload.institution_id
    )
    permissions.require(user, Action.USAGE_RECORD, agency)
    service = Service.objects.filter(agency=agency, code=payload.service).first()
    if service is None:
        raise ValidationError({"service": f"No service {payload.service!r} in the catalog."})
    period = parse_period(payload.period)
    ref = payload.external_ref.strip()
    if ref:
        found = UsageRecord.objects.filter(agency=agency, external_ref=ref).first()
        if found is not None and (found.institution_id, found.service_id, found.period,
                                  found.quantity) == (institution.pk, service.pk, period,
                                                      payload.quantity):  # fmt: skip
            return Status(200, found)
        if found is not None:
            raise ValidationError(
                {"external_ref": f"Usage {ref!r} is already recorded with other values."}
            )
    record = service_writes.usage_record(
        user=user, institution=institution, service=service, period=period,
        quantity=payload.quantity, external_ref=ref, note=payload.note,
        confirm_duplicate=payload.confirm_duplicate,
    )  # fmt: skip
    return Status(201, record)


# Runs, invoices, statements ---------------------------------------------------------------


@router.get("/agencies/{slug}/billing/runs", response=list[RunOut])
@paginate(Pages)
def run_list(request: HttpRequest, slug: str, fiscal_year: int | None = None) -> Any:
    """Billing runs, newest month first (billing staff)."""
    agency = lookups.agency(request, slug)
    permissions.require(lookups.caller(request), Action.BILLING_VIEW, agency)
    qs = BillingRun.objects.filter(agency=agency).order_by("-period", "kind", "-pk")
    return qs if fiscal_year is None else qs.filter(fiscal_year=fiscal_year)


class InvoiceFilters(Schema):
    fiscal_year: int | None = None
    period: str | None = Field(None, description="A month, YYYY-MM.")
    institution_id: int | None = None


def _invoices(request: HttpRequest, slug: str) -> QuerySet[Invoice]:
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    _require_any(user, agency, Action.BILLING_VIEW)
    return permissions.billing_records_for(user, agency, Invoice).filter(
        status=Invoice.Status.ISSUED).select_related("institution")  # fmt: skip


@router.get("/agencies/{slug}/invoices", response=list[InvoiceOut])
@paginate(Pages)
def invoice_list(
    request: HttpRequest, slug: str, filters: Query[InvoiceFilters]
) -> QuerySet[Invoice]:
    """Issued invoices: all for billing staff, a member user's own institution's otherwise."""
    qs = _invoices(request, slug).order_by("fiscal_year", "number", "pk")
    qs = _filter_period(qs, filters.period)
    if filters.fiscal_year is not None:
        qs = qs.filter(fiscal_year=filters.fiscal_year)
    if filters.institution_id is not None:
        qs = qs.filter(institution_id=filters.institution_id)
    return qs


@router.get("/agencies/{slug}/invoices/{invoice_id}", response=InvoiceDetail)
def invoice_detail(request: HttpRequest, slug: str, invoice_id: int) -> Invoice:
    """One issued invoice with its lines and credit memos."""
    return permissions.get_or_404(_invoices(request, slug), pk=invoice_id)


@router.get("/agencies/{slug}/memberships/{membership_id}/statement", response=StatementOut)
def membership_statement(
    request: HttpRequest, slug: str, membership_id: int, as_of: date | None = None
) -> dict[str, Any]:
    """A member's statement: open invoices less credits and payments, aged by invoice date."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    membership = permissions.get_or_404(permissions.memberships_for(user, agency),
                                        pk=membership_id)  # fmt: skip
    institution = membership.institution
    permissions.require(user, Action.BILLING_VIEW, agency, institution=institution)
    day = as_of or timezone.now().astimezone(agency.zone).date()
    st = statements.statement(institution, day)
    return {
        "institution": institution, "as_of": day, "balance": st.balance,
        "unapplied": st.unapplied, "aging": st.aging,
        "items": [{"invoice": i.invoice.display_number, "invoice_id": i.invoice.pk,
                   "issued_on": i.invoice.issued_on, "total": i.invoice.total,
                   "debits": i.debits, "credits": i.credits, "paid": i.paid, "open": i.open,
                   "age_days": i.age(day)} for i in st.items if i.open],
    }  # fmt: skip


# Payments and memos: the ledger's own write functions (billing/ledger.py) -------------------

PaymentAmount = api_decimal(ledger.POSITIVE_MONEY, "1250.00")


class PaymentIn(In):
    columns = (Payment,)
    institution_id: int
    amount: PaymentAmount  # type: ignore[valid-type]
    received_on: date = Field(..., description="The day the money was received (not ahead "
                              "of today, not in a closed fiscal year).")  # fmt: skip
    reference: str = Field("", description="Check or ACH number. With a reference, the same "
                           "payment sent again (same member, reference, day and amount) "
                           "answers 200 with the one recorded: safe to retry.")  # fmt: skip
    invoice_ids: list[int] = Field([], max_length=100, description="The invoices this "
                                   "payment is for, paid in this order; then the oldest open "
                                   "invoices. What is left is unapplied credit.")  # fmt: skip


class ApplicationOut(Schema):
    invoice_id: int
    invoice: str
    amount: Money
    applied_on: date


class PaymentOut(Schema):
    id: int
    institution: Ref
    amount: Money
    received_on: date
    reference: str
    invoice_ids: list[int] = Field(..., description="The invoices the payment was for, in "
                                   "the order named.")  # fmt: skip
    applications: list[ApplicationOut]
    unapplied: Money = Field(..., description="What is not applied to any invoice (0 once "
                             "reversed).")  # fmt: skip
    reversed_on: date | None
    reversal_reason: str | None

    @staticmethod
    def resolve_applications(obj: Payment) -> list[dict[str, Any]]:
        return [{"invoice_id": a.invoice_id, "invoice": a.invoice.display_number,
                 "amount": a.amount, "applied_on": a.applied_on}
                for a in obj.applications.select_related("invoice").order_by("applied_on",
                                                                             "pk")]  # fmt: skip

    @staticmethod
    def resolve_invoice_ids(obj: Payment) -> list[int]:
        chosen = list(obj.choices.order_by("rank").values_list("invoice_id", flat=True))
        return chosen or ([obj.invoice_id] if obj.invoice_id else [])

    @staticmethod
    def resolve_unapplied(obj: Payment) -> Decimal:
        return Decimal("0.00") if _reversal(obj) else ledger.payment_unapplied(obj)

    @staticmethod
    def resolve_reversed_on(obj: Payment) -> date | None:
        r = _reversal(obj)
        return r.reversed_on if r else None

    @staticmethod
    def resolve_reversal_reason(obj: Payment) -> str | None:
        r = _reversal(obj)
        return r.reason if r else None


def _reversal(payment: Payment) -> Any:
    try:
        return payment.reversal
    except Payment.reversal.RelatedObjectDoesNotExist:
        return None


class ReversalIn(In):
    reason: str = Field(..., max_length=300, description="Why (returned check, wrong "
                        "member).")  # fmt: skip
    reversed_on: date | None = Field(None, description="Default today; not before the "
                                     "payment, not in a closed fiscal year.")  # fmt: skip


class MemoIn(In):
    kind: CreditMemo.Kind = Field(CreditMemo.Kind.CREDIT, description="credit lowers what is "
                                  "owed on the line (at most what is left on it); debit "
                                  "raises it.")  # fmt: skip
    amount: PaymentAmount  # type: ignore[valid-type]
    reason: str = Field(..., max_length=500)


class PaymentFilters(Schema):
    institution_id: int | None = None


@router.get("/agencies/{slug}/payments", response=list[PaymentOut])
@paginate(Pages)
def payment_list(
    request: HttpRequest, slug: str, filters: Query[PaymentFilters]
) -> QuerySet[Payment]:
    """Payments received, newest first: all for billing staff, a member's own otherwise."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    _require_any(user, agency, Action.BILLING_VIEW)
    qs = permissions.billing_records_for(user, agency, Payment).select_related(
        "institution").order_by("-received_on", "-pk")  # fmt: skip
    if filters.institution_id is not None:
        qs = qs.filter(institution_id=filters.institution_id)
    return qs


@router.post("/agencies/{slug}/payments", response={200: PaymentOut, 201: PaymentOut})
def payment_create(request: HttpRequest, slug: str, payload: PaymentIn) -> Status[Any]:
    """Record a payment (business office) and apply it: the invoice named, then the oldest
    open invoices; the rest is unapplied credit. Audited (``payment.record``)."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    institution: Institution = permissions.get_or_404(
        permissions.institutions_for(user, agency), pk=payload.institution_id
    )
    permissions.require(user, Action.BILLING_ADJUST, agency)
    found_invoices = Invoice.objects.filter(institution=institution, pk__in=payload.invoice_ids,
                                            status=Invoice.Status.ISSUED).in_bulk()  # fmt: skip
    unknown = [pk for pk in payload.invoice_ids if pk not in found_invoices]
    if unknown:
        raise ValidationError({"invoice_ids": f"No issued invoice {unknown[0]} of this member."})
    if len(set(payload.invoice_ids)) != len(payload.invoice_ids):
        raise ValidationError({"invoice_ids": "Name each invoice once."})
    invoices = [found_invoices[pk] for pk in payload.invoice_ids]
    reference = payload.reference.strip()
    if reference:
        found = Payment.objects.filter(
            institution=institution, reference=reference, received_on=payload.received_on,
            amount=payload.amount).first()  # fmt: skip
        if found is not None and PaymentOut.resolve_invoice_ids(found) == payload.invoice_ids:
            return Status(200, found)
        if found is not None:
            raise ValidationError({"reference": f"Payment {reference!r} of that day and amount "
                                   "is already recorded for other invoices."})  # fmt: skip
    payment = ledger.payment_record(
        user=user, institution=institution, amount=payload.amount,
        received_on=payload.received_on, reference=reference, invoices=invoices,
    )  # fmt: skip
    return Status(201, payment)


def _payment(request: HttpRequest, slug: str, payment_id: int) -> Payment:
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    _require_any(user, agency, Action.BILLING_VIEW)
    return permissions.get_or_404(
        permissions.billing_records_for(user, agency, Payment).select_related(
            "institution", "agency"), pk=payment_id)  # fmt: skip


@router.get("/agencies/{slug}/payments/{payment_id}", response=PaymentOut)
def payment_detail(request: HttpRequest, slug: str, payment_id: int) -> Payment:
    """One payment with where it went."""
    return _payment(request, slug, payment_id)


@router.post("/agencies/{slug}/payments/{payment_id}/reverse", response=PaymentOut)
def payment_reverse(
    request: HttpRequest, slug: str, payment_id: int, payload: ReversalIn
) -> Payment:
    """Reverse a payment (returned check, wrong member): a new record, never an edit; the
    invoices it paid are open again. Audited (``payment.reverse``)."""
    payment = _payment(request, slug, payment_id)
    ledger.payment_reverse(user=lookups.caller(request), payment=payment,
                           reason=payload.reason, reversed_on=payload.reversed_on)  # fmt: skip
    return Payment.objects.select_related("institution", "reversal").get(pk=payment.pk)


@router.post("/agencies/{slug}/invoices/{invoice_id}/lines/{line_id}/memos",
             response={201: CreditMemoOut})  # fmt: skip
def memo_create(
    request: HttpRequest, slug: str, invoice_id: int, line_id: int, payload: MemoIn
) -> Status[Any]:
    """Issue a credit or debit memo on one line of an issued invoice (business office),
    applied at once. Audited (``credit_memo.issue`` / ``debit_memo.issue``)."""
    invoice = permissions.get_or_404(_invoices(request, slug), pk=invoice_id)
    line = permissions.get_or_404(InvoiceLine.objects.filter(invoice=invoice), pk=line_id)
    memo = ledger.memo_issue(user=lookups.caller(request), line=line, amount=payload.amount,
                             reason=payload.reason, kind=payload.kind.value)  # fmt: skip
    return Status(201, memo)
