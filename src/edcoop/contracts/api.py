"""The contracts API (mounted from ``edcoop.api.urls``): the catalogue, contracts with their
checklist, purchase orders and their steps, quarterly sales reports. Thin: scoped lookup,
one service, one schema. See docs/contracts.md."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status

from edcoop.api import lookups
from edcoop.api.schemas import Error, In, Money
from edcoop.core import permissions
from edcoop.core.decimals import QUANTITY, UNIT_PRICE, api_decimal
from edcoop.core.permissions import Action
from edcoop.members.models import Institution

from . import fees, orders, queries, sales
from .models import IN_FORCE, Contract, ContractItem, PurchaseOrder, SalesReport

router = Router(tags=["contracts"])
if TYPE_CHECKING:
    Price = Decimal
    Quantity = Decimal
else:
    Price = api_decimal(UNIT_PRICE, "3.9000")
    Quantity = api_decimal(QUANTITY, "250")


class TierOut(Schema):
    min_quantity: Decimal
    unit_price: Decimal


class ItemOut(Schema):
    id: int
    contract_id: int
    sku: str
    description: str
    unit: str
    category: str
    unit_price: Decimal
    list_price: Decimal | None
    tiers: list[TierOut] = []

    @staticmethod
    def resolve_tiers(obj: ContractItem) -> list[Any]:
        return list(obj.tiers.all())


class ContractOut(Schema):
    id: int
    number: str
    title: str
    supplier: str
    category: str
    kind: str = Field(..., description="commodity, public_work or service.")
    source: str
    lead_agency: str
    solicitation_reference: str
    starts_on: date
    ends_on: date = Field(..., description="The term's end with every exercised renewal.")
    status: str = Field(..., description="active, expiring, expired, terminated or upcoming.")
    scope: str
    eligible_kinds: list[str]
    participants_only: bool
    requires_adoption: bool
    admin_fee_pct: Decimal

    @staticmethod
    def resolve_supplier(obj: Contract) -> str:
        return str(obj.supplier)

    @staticmethod
    def resolve_ends_on(obj: Contract) -> date:
        return obj.current_end()

    @staticmethod
    def resolve_status(obj: Contract) -> str:
        return obj.status_on(timezone.localdate())


class CheckOut(Schema):
    question: str
    answer: Literal["yes", "no", "unknown"]
    detail: str


class ContractDetailOut(ContractOut):
    checklist: list[CheckOut]
    items: list[ItemOut]

    @staticmethod
    def resolve_checklist(obj: Contract) -> list[Any]:
        return [c.__dict__ for c in obj.answered.checks]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_items(obj: Contract) -> list[Any]:
        return list(obj.items.filter(IN_FORCE).prefetch_related("tiers")[:500])


class CatalogueOut(Schema):
    contracts: list[ContractOut]
    items: list[ItemOut]
    total_items: int


class CatalogueQuery(Schema):
    q: str = Field("", max_length=200, description="Keywords (all must match).")
    category: str = Field("", max_length=100)
    supplier_id: int | None = None
    eligible_for: int | None = Field(None, description="An institution's id: only contracts "
                                                       "it may buy under today.")  # fmt: skip


def _institution(request: HttpRequest, agency: Any, pk: int) -> Institution:
    return permissions.get_or_404(permissions.institutions_for(lookups.caller(request), agency),
                                  pk=pk)  # fmt: skip


@router.get("/agencies/{slug}/contracts", response=CatalogueOut)
def catalogue(request: HttpRequest, slug: str, q: Query[CatalogueQuery]) -> Any:
    """Search the contract catalogue: contracts and price-list items by keyword, category,
    supplier, and "eligible for my institution". At most 50 of each."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    if q.q and "\x00" in q.q:
        from django.core.exceptions import ValidationError

        raise ValidationError({"q": "contains a NUL character"})
    criteria: dict[str, Any] = {"keyword": q.q, "category": q.category.replace("\x00", "")}
    if q.supplier_id is not None:
        criteria["supplier"] = permissions.get_or_404(permissions.suppliers_for(user, agency),
                                                      pk=q.supplier_id)  # fmt: skip
    if q.eligible_for is not None:
        criteria["institution"] = _institution(request, agency, q.eligible_for)
    found = queries.catalogue(user=user, agency=agency, **criteria)
    return {"contracts": found.contracts, "items": found.items, "total_items": found.total_items}


@router.get("/agencies/{slug}/contracts/{contract_id}", response=ContractDetailOut)
def contract_detail(request: HttpRequest, slug: str, contract_id: int,
                    institution_id: int | None = None) -> Any:  # fmt: skip
    """One contract, its first 500 price-list items, and the compliance checklist (for
    ``institution_id`` if given: eligibility too)."""
    agency = lookups.agency(request, slug)
    contract: Contract = permissions.get_or_404(
        permissions.contracts_for(lookups.caller(request), agency).select_related("supplier"),
        pk=contract_id)  # fmt: skip
    inst = _institution(request, agency, institution_id) if institution_id is not None else None
    contract.answered = queries.checklist(contract, inst, timezone.localdate())  # type: ignore[attr-defined]
    return contract


# Purchase orders -------------------------------------------------------------------------------


class LineIn(In):
    sku: str = Field("", max_length=60, description="A price-list item's SKU.")
    quantity: Quantity
    category: str = Field(
        "",
        max_length=100,
        description="Catalogue-discount contracts: the category instead of a SKU.",
    )
    description: str = Field("", max_length=300)
    list_price: Price | None = None
    unit_price: Price | None = Field(None, description="Optional check: refused unless it "
                                                       "equals the contract price.")  # fmt: skip


class OrderIn(In):
    institution_id: int
    contract_id: int
    lines: list[LineIn] = Field(..., min_length=1, max_length=orders.MAX_LINES)
    notes: str = Field("", max_length=500)
    funding: Literal["local", "federal"] = Field("local", description="What pays for it: "
                                                 "federal funds bring 2 CFR 200's thresholds.")
    kind: Literal["", "commodity", "public_work", "service"] = Field(
        "", description="What is bought; empty: the contract's kind.")
    request_key: str = Field(
        "",
        max_length=64,
        description="Your key for this order: the "
        "same key sent again returns the order already made (200).",
    )


class OrderLineOut(Schema):
    id: int
    sku: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    tier_min: Decimal | None
    amount: Money
    baseline_price: Decimal | None
    baseline_method: str
    received_quantity: Decimal

    @staticmethod
    def resolve_sku(obj: Any) -> str | None:
        return obj.item.sku if obj.item_id else None


def _issued(order: PurchaseOrder, copy: str) -> str | None:
    """A copy kept at approval; None for a draft (and a draft cancelled, which kept none)."""
    return copy if orders.has_copies(order) else None


class OrderOut(Schema):
    id: int
    number: str
    status: str
    institution_id: int
    contract_id: int
    ordered_on: date
    funding: str
    kind: str
    total: Money
    needs_finance_approval: bool
    # What the order was issued with, copied at approval and never changed after (its PDF
    # prints these); null on a draft, which prints the member, supplier and contract live.
    bill_to: str | None = Field(
        ..., description="Approved orders: the member as issued, its name over its billing "
        "address, one a line. Null for a draft.")  # fmt: skip
    vendor: str | None = Field(
        ..., description="Approved orders: the supplier as issued: legal name, d/b/a, "
        "e-mail, phone, one a line. Null for a draft.")  # fmt: skip
    contract_text: str | None = Field(
        ..., description="Approved orders: the contract as issued: number, title and lead "
        "agency. Null for a draft.")  # fmt: skip
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_needs_finance_approval(obj: PurchaseOrder) -> bool:
        return orders.needs_finance(obj)

    @staticmethod
    def resolve_bill_to(obj: PurchaseOrder) -> str | None:
        return _issued(obj, obj.bill_to)

    @staticmethod
    def resolve_vendor(obj: PurchaseOrder) -> str | None:
        return _issued(obj, obj.vendor)

    @staticmethod
    def resolve_contract_text(obj: PurchaseOrder) -> str | None:
        return _issued(obj, obj.contract_text)

    @staticmethod
    def resolve_lines(obj: PurchaseOrder) -> list[Any]:
        return list(obj.lines.select_related("item"))


@router.post("/agencies/{slug}/orders", response={200: OrderOut, 201: OrderOut})
def order_create(request: HttpRequest, slug: str, payload: OrderIn) -> Status[Any]:
    """A draft purchase order at contract prices (member buyers). Refusals name each line:
    ``lines[2].sku``, ``lines[1].quantity``, ``lines[1].unit_price``; nothing is written."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    institution = _institution(request, agency, payload.institution_id)
    contract = permissions.get_or_404(permissions.contracts_for(user, agency),
                                      pk=payload.contract_id)  # fmt: skip
    lines = [orders.LineInput(quantity=line.quantity, sku=line.sku, category=line.category,
                              description=line.description, list_price=line.list_price,
                              unit_price=line.unit_price) for line in payload.lines]  # fmt: skip
    key = payload.request_key.strip()
    before = key and PurchaseOrder.objects.filter(institution=institution,
                                                  request_key=key).exists()  # fmt: skip
    order = orders.order_create(user=user, institution=institution, contract=contract,
                                lines=lines, notes=payload.notes, request_key=key,
                                funding=payload.funding, kind=payload.kind)  # fmt: skip
    return Status(200 if before else 201, order)


@router.get("/agencies/{slug}/orders/{order_id}", response=OrderOut)
def order_detail(request: HttpRequest, slug: str, order_id: int) -> Any:
    agency = lookups.agency(request, slug)
    return permissions.get_or_404(queries.orders_for(lookups.caller(request), agency),
                                  pk=order_id)  # fmt: skip


class ReceivedIn(In):
    line_id: int
    quantity: str = Field(..., max_length=40, description="Total received so far.")


class StepIn(In):
    reason: str = Field("", max_length=300, description="Why (cancel).")
    received: list[ReceivedIn] = Field(
        default_factory=list, max_length=500,
        description="receive: quantities per line (the total received so far; none above "
        "what was ordered). Empty: every line in full.")  # fmt: skip


@router.post("/agencies/{slug}/orders/{order_id}/{step}", response=OrderOut)
def order_step(request: HttpRequest, slug: str, order_id: int,
               step: Literal["approve", "send", "receive", "close", "cancel"],
               payload: StepIn | None = None) -> Any:  # fmt: skip
    """Move an order: approve (finance above the agency's threshold), send, receive (every
    line in full, or ``received`` quantities per line: a short delivery leaves the order
    received with the shortfall, and a later delivery is received again), close, or cancel
    (with a ``reason``)."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    order: PurchaseOrder = permissions.get_or_404(queries.orders_for(user, agency), pk=order_id)
    if step == "cancel":
        orders.order_cancel(user=user, order=order, reason=payload.reason if payload else "")
    elif step == "receive":
        given = {r.line_id: r.quantity for r in payload.received} if payload else {}
        orders.order_receive(user=user, order=order, received=given or None)
    else:
        {"approve": orders.order_approve, "send": orders.order_send,
         "close": orders.order_close}[step](user=user, order=order)  # fmt: skip
    order.refresh_from_db()
    return order


# Sales reports ---------------------------------------------------------------------------------


class SaleIn(In):
    member: str = Field(..., max_length=200, description="Institution id, NCES, IPEDS or BEDS "
                                                         "code, or exact name.")  # fmt: skip
    sku: str = Field(..., max_length=60)
    quantity: str = Field(..., max_length=24, examples=["100"])
    unit_price: str = Field(..., max_length=24, examples=["3.90"])
    invoice_date: str = Field(..., max_length=10, examples=["2026-08-03"])


class ReportIn(In):
    year: int = Field(..., ge=2000, le=2100)
    quarter: int = Field(..., ge=1, le=4)
    sales: list[SaleIn] = Field(
        [],
        max_length=20000,
        description="Empty: no sales this quarter (the report is still required).",
    )
    csv: str = Field(
        "",
        max_length=2_000_000,
        description="Instead of ``sales``: the CSV "
        "text (member,sku,quantity,unit_price,invoice_date).",
    )


class FeeOut(Schema):
    id: int
    number: str
    sales: Money
    fee_pct: Decimal
    amount: Money = Field(..., description="Negative: an amendment's credit to the supplier.")
    issued_on: date
    due_on: date
    paid_on: date | None
    paid: Money
    open: Money

    @staticmethod
    def resolve_paid(obj: Any) -> Decimal:
        return fees.paid(obj)

    @staticmethod
    def resolve_open(obj: Any) -> Decimal:
        return fees.open_amount(obj)


class DifferenceOut(Schema):
    institution_id: int
    sku: str
    reported_quantity: Decimal
    ordered_quantity: Decimal
    reported_amount: Money
    ordered_amount: Money
    kind: str


class ReportOut(Schema):
    id: int
    contract_id: int
    year: int
    quarter: int
    filed_at: datetime
    total_sales: Money
    line_count: int
    version: int
    amends_id: int | None
    reason: str
    fee_invoice: FeeOut
    differences: list[DifferenceOut] | None = Field(
        None, description="Against EdCoop's orders; agency staff only."
    )


@router.post("/agencies/{slug}/contracts/{contract_id}/sales-reports",
             response={201: ReportOut})  # fmt: skip
def report_file(request: HttpRequest, slug: str, contract_id: int,
                payload: ReportIn) -> Status[Any]:  # fmt: skip
    """File a quarterly sales report (the contract's supplier, or the business office) and
    issue its admin fee invoice. Rows are checked all or nothing; refusals list each line."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    contract = permissions.get_or_404(permissions.contracts_for(user, agency), pk=contract_id)
    rows: list[Any] = (sales.read_file(payload.csv) if payload.csv
                       else [s.dict() for s in payload.sales])  # fmt: skip
    report = sales.report_file(user=user, contract=contract, year=payload.year,
                               quarter=payload.quarter, rows=rows)  # fmt: skip
    return Status(201, _report_out(request, agency, report))


def _report_out(request: HttpRequest, agency: Any, report: SalesReport) -> SalesReport:
    staff = permissions.can(lookups.caller(request), Action.SALES_REPORT_VIEW, agency)
    report.differences = sales.reconcile(report) if staff else None  # type: ignore[attr-defined]
    return report


@router.get("/agencies/{slug}/sales-reports/{report_id}", response=ReportOut)
def report_detail(request: HttpRequest, slug: str, report_id: int) -> Any:
    agency = lookups.agency(request, slug)
    report = permissions.get_or_404(queries.reports_for(lookups.caller(request), agency),
                                    pk=report_id)  # fmt: skip
    return _report_out(request, agency, report)


# Price-list versions -----------------------------------------------------------------------------


class VersionOut(Schema):
    number: int
    contract_id: int
    effective_on: date
    status: str
    row_count: int
    file_name: str
    uploaded_at: datetime
    decided_at: datetime | None
    reason: str
    applied_at: datetime | None


class DiffOut(Schema):
    added: int
    removed: int
    changed: int
    increases: int
    over_award: int


class VersionDetailOut(VersionOut):
    diff: DiffOut


class RejectIn(In):
    reason: str = Field(..., min_length=1, max_length=2000)


def _version_contract(request: HttpRequest, slug: str, contract_id: int) -> Contract:
    from . import pricelists

    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    contract = permissions.get_or_404(permissions.contracts_for(user, agency), pk=contract_id)
    if not permissions.is_agency_staff(user, agency) and not pricelists.may_upload(user,
                                                                                   contract):
        raise Http404
    return contract


@router.get("/agencies/{slug}/contracts/{contract_id}/price-lists",
            response=list[VersionOut])  # fmt: skip
def versions(request: HttpRequest, slug: str, contract_id: int) -> Any:
    """The contract's price-list versions, newest first (agency staff, or its supplier)."""
    return list(_version_contract(request, slug, contract_id).versions.all())


class UploadJobOut(Schema):
    job_id: int
    status: str = Field(..., description="queued, running, succeeded or failed.")
    done: int = Field(..., description="Lines (or rows) read so far, of about ``total``.")
    total: int
    error: str = Field(..., description="Why it failed; ``details`` lists each line.")
    details: list[str]
    version: int | None = Field(None, description="The version made (pending, or approved "
                                "for the agency's own import).")  # fmt: skip
    url: str = Field(..., description="This answer, to ask again.")
    page: str = Field(..., description="The same on the web: a page with a progress bar.")


def _job_out(contract: Contract, upload: Any) -> dict[str, Any]:
    job = upload.job
    slug = contract.agency.slug
    result = job.result or {}
    return {
        "job_id": job.pk, "status": job.status, "done": job.done, "total": job.total,
        "error": job.error, "details": result.get("details", []),
        "version": upload.version.number if upload.version_id else None,
        "url": f"/api/v1/agencies/{slug}/contracts/{contract.pk}/price-lists/uploads/{job.pk}",
        "page": reverse("job", args=[slug, job.pk]),
    }  # fmt: skip


@router.post("/agencies/{slug}/contracts/{contract_id}/price-lists",
             response={201: VersionDetailOut, 202: UploadJobOut})  # fmt: skip
def version_upload(request: HttpRequest, slug: str, contract_id: int,
                   effective_on: Form[date],
                   file: File[UploadedFile]) -> Status[Any]:  # fmt: skip
    """Upload a new version (multipart: ``file`` CSV or XLSX, ``effective_on``): checked all
    or nothing, then pending until the agency approves. The contract's supplier, or the
    agency's procurement staff. A small file is checked at once (201, the version); a large
    one (over 2 MB; a million rows take minutes) is kept and checked in the background:
    202 with the job to follow at ``url`` (progress, then the version made or each line's
    refusal)."""
    from . import pricelists
    from .models import PriceListUpload

    contract = _version_contract(request, slug, contract_id)
    user = lookups.caller(request)
    if file.size and file.size > 200 * 1024 * 1024:
        raise ValidationError({"file": "A price-list file is at most 200 MB."})
    if file.size and file.size > pricelists.inline_bytes():
        job = pricelists.upload_queue(user=user, contract=contract, data=file.read(),
                                      file_name=file.name or "", effective_on=effective_on)
        upload = PriceListUpload.objects.select_related("job").get(job=job)
        return Status(202, _job_out(contract, upload))
    version = pricelists.upload_version(user=user, contract=contract,
                                        data=file, file_name=file.name or "",
                                        effective_on=effective_on)  # fmt: skip
    return Status(201, _version_out(version))


@router.get("/agencies/{slug}/contracts/{contract_id}/price-lists/uploads/{job_id}",
            response=UploadJobOut)  # fmt: skip
def version_upload_job(request: HttpRequest, slug: str, contract_id: int, job_id: int) -> Any:
    """A large upload's background check: its progress, then the version it made or why
    nothing was saved (each line named in ``details``). Whoever uploaded it, or the agency's
    procurement staff."""
    from .models import PriceListUpload

    contract = _version_contract(request, slug, contract_id)
    jobs = permissions.jobs_for(lookups.caller(request), contract.agency)
    upload = permissions.get_or_404(
        PriceListUpload.objects.filter(contract=contract, job__in=jobs)
        .select_related("job", "version"), job_id=job_id)  # fmt: skip
    return _job_out(contract, upload)


def _version_out(version: Any) -> Any:
    from . import pricelists

    version.diff = pricelists.version_diff(version)
    return version


@router.get("/agencies/{slug}/contracts/{contract_id}/price-lists/{number}",
            response=VersionDetailOut)  # fmt: skip
def version_detail(request: HttpRequest, slug: str, contract_id: int, number: int) -> Any:
    contract = _version_contract(request, slug, contract_id)
    return _version_out(permissions.get_or_404(contract.versions.all(), number=number))


@router.post("/agencies/{slug}/contracts/{contract_id}/price-lists/{number}/approve",
             response=VersionDetailOut)  # fmt: skip
def version_approve(request: HttpRequest, slug: str, contract_id: int, number: int) -> Any:
    """The agency approves a pending version (procurement staff)."""
    from . import pricelists

    contract = _version_contract(request, slug, contract_id)
    version = permissions.get_or_404(contract.versions.all(), number=number)
    return _version_out(pricelists.version_approve(user=lookups.caller(request),
                                                   version=version))  # fmt: skip


@router.post("/agencies/{slug}/contracts/{contract_id}/price-lists/{number}/reject",
             response=VersionDetailOut)  # fmt: skip
def version_reject(request: HttpRequest, slug: str, contract_id: int, number: int,
                   payload: RejectIn) -> Any:  # fmt: skip
    from . import pricelists

    contract = _version_contract(request, slug, contract_id)
    version = permissions.get_or_404(contract.versions.all(), number=number)
    return _version_out(pricelists.version_reject(user=lookups.caller(request), version=version,
                                                  reason=payload.reason))  # fmt: skip


class AmendIn(In):
    reason: str = Field(..., min_length=1, max_length=500)
    sales: list[SaleIn] = Field([], max_length=20000,
                                description="Every row of the quarter as it should read; "
                                "empty: no sales after all.")  # fmt: skip
    csv: str = Field("", max_length=2_000_000, description="Instead of ``sales``: CSV text.")


@router.post("/agencies/{slug}/sales-reports/{report_id}/amendments",
             response={201: ReportOut})  # fmt: skip
def report_amend(request: HttpRequest, slug: str, report_id: int,
                 payload: AmendIn) -> Status[Any]:  # fmt: skip
    """Correct a filed report with a new version (the old one is kept), reconciled afresh,
    with a fee invoice adjusting the fee (negative: a credit)."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    report = permissions.get_or_404(queries.reports_for(user, agency), pk=report_id)
    rows: list[Any] = (sales.read_file(payload.csv) if payload.csv
                       else [s.dict() for s in payload.sales])  # fmt: skip
    new = sales.report_amend(user=user, report=report, rows=rows, reason=payload.reason)
    return Status(201, _report_out(request, agency, new))


class PaymentIn(In):
    amount: str = Field(..., max_length=24, examples=["120.00"])
    received_on: date
    reference: str = Field(..., min_length=1, max_length=100,
                           description="The supplier's check or transfer number.")
    request_key: str = Field("", max_length=100, description="Your idempotency key for this "
                             "payment (or the Idempotency-Key header): sent again with the "
                             "same payment, the answer is the first one's (200) and nothing "
                             "more is recorded; with a different payment, 409.")  # fmt: skip


@router.post("/agencies/{slug}/fee-invoices/{invoice_id}/payments",
             response={200: FeeOut, 201: FeeOut, 409: Error})  # fmt: skip
def fee_payment(request: HttpRequest, slug: str, invoice_id: int,
                payload: PaymentIn) -> Status[Any]:  # fmt: skip
    """Record a supplier's payment of an admin fee invoice (the business office). Partial
    payments add up; ``paid_on`` is set when they reach the amount; more than is due is
    refused naming ``amount``; a reference already recorded is refused. Send a
    ``request_key`` (or the ``Idempotency-Key`` header) so a retried request records one
    payment: the repeat records nothing and answers 200 with the invoice."""
    from .models import AdminFeeInvoice

    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    invoice = permissions.get_or_404(AdminFeeInvoice.objects.filter(
        report__in=queries.reports_for(user, agency)), pk=invoice_id)  # fmt: skip
    key = payload.request_key or request.headers.get("Idempotency-Key", "")
    try:
        payment = fees.fee_payment_record(user=user, invoice=invoice, amount=payload.amount,
                                          received_on=payload.received_on,
                                          reference=payload.reference,
                                          request_key=key)  # fmt: skip
    except fees.KeyConflict as exc:
        raise HttpError(409, " ".join(exc.messages)) from None
    invoice.refresh_from_db()
    return Status(200 if payment.repeated else 201, invoice)
