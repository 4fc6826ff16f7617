"""Contract pages: the catalogue, a contract with its checklist, orders, sales reports and
patronage. Thin: find (scoped), parse, call one function, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode

from edcoop.core import permissions, tabular
from edcoop.core.pages import agency_or_404, allowed, posted
from edcoop.core.permissions import Action
from edcoop.members.forms import add_service_errors
from edcoop.members.models import Agency, Institution

from . import fees, orders, patronage, pdf, queries, sales, services
from .forms import (
    ORDER_LINES,
    AmendForm,
    FeePaymentForm,
    OrderForm,
    PatronageForm,
    ReasonForm,
    ReportForm,
    SearchForm,
)
from .models import (
    IN_FORCE,
    STATUS_LABELS,
    Contract,
    ContractDocument,
    ContractSettings,
    PatronageAllocation,
    PatronageYear,
    PriceListVersion,
    PurchaseOrder,
    SalesReport,
)


def _agency(request: HttpRequest, slug: str, action: Action) -> Agency:
    """The agency, for a user who may do ``action`` there for anything (staff, or a member
    or supplier role that carries it)."""
    agency = agency_or_404(request, slug)
    roles = permissions.assignments(request.user, agency)
    if not any(action in permissions.MATRIX.get(ra.role, ()) for ra in roles):
        raise PermissionDenied(f"You may not {action.value.replace('.', ' ')} here.")
    return agency


def _contract(request: HttpRequest, agency: Agency, pk: int) -> Contract:
    return permissions.get_or_404(permissions.contracts_for(request.user, agency)
                                  .select_related("supplier", "agency"), pk=pk)  # fmt: skip


@login_required
def catalogue(request: HttpRequest, slug: str) -> HttpResponse:
    agency = _agency(request, slug, Action.CONTRACT_VIEW)
    visible = permissions.contracts_for(request.user, agency)
    mine = queries.buyer_institutions(request.user, agency, Action.CONTRACT_VIEW)
    choices = mine or (
        list(Institution.objects.filter(agency=agency).order_by("name"))
        if permissions.can(request.user, Action.CONTRACT_VIEW, agency)
        else []
    )
    form = SearchForm(
        request.GET or None,
        categories=sorted(set(visible.values_list("category", flat=True))),
        suppliers=[(s.pk, str(s)) for s in permissions.suppliers_for(request.user, agency)
                   .filter(contracts__in=visible).distinct()],
        institutions=[(i.pk, i.name) for i in choices])  # fmt: skip
    criteria: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        criteria = {"keyword": data["q"], "category": data["category"]}
        if data["supplier"]:
            criteria["supplier"] = permissions.get_or_404(
                permissions.suppliers_for(request.user, agency), pk=data["supplier"]
            )
        if data["eligible_for"]:
            criteria["institution"] = next(i for i in choices if i.pk == data["eligible_for"])
    found = queries.catalogue(user=request.user, agency=agency, **criteria)
    today = timezone.localdate()
    days = ContractSettings.of(agency).expiring_days
    rows = [(c, c.status_on(today, days)) for c in found.contracts]
    return render(request, "contracts/catalogue.html", {
        "agency": agency, "form": form, "rows": rows, "found": found,
        "labels": STATUS_LABELS, "for_institution": criteria.get("institution"),
        **allowed(request.user, agency, Action.CONTRACT_EDIT),
    })  # fmt: skip


@login_required
def contract_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from . import pricelists

    agency = _agency(request, slug, Action.CONTRACT_VIEW)
    contract = _contract(request, agency, pk)
    today = timezone.localdate()
    pricelists.bring_into_effect(contract, today)
    mine = queries.buyer_institutions(request.user, agency, Action.CONTRACT_VIEW)
    institution = mine[0] if mine else None
    adopters = queries.buyer_institutions(request.user, agency, Action.CONTRACT_ADOPT)
    buyers = queries.buyer_institutions(request.user, agency, Action.ORDER_CREATE)
    status = contract.status_on(today, ContractSettings.of(agency).expiring_days)
    staff = permissions.can(request.user, Action.ORDER_VIEW, agency)
    committed, pooled = queries.commitments(contract) if staff else ([], [])
    return render(request, "contracts/contract.html", {
        "committed": committed, "pooled": pooled,
        **allowed(request.user, agency, Action.CONTRACT_EDIT),
        "agency": agency, "contract": contract, "status": status,
        "status_label": STATUS_LABELS[status], "checklist": queries.checklist(
            contract, institution, today), "institution": institution,
        "items": contract.items.filter(IN_FORCE).prefetch_related("tiers").order_by("sku")[:500],
        "item_count": contract.items.filter(IN_FORCE).count(),
        "withdrawn_count": contract.items.exclude(IN_FORCE).count(),
        "discounts": contract.discounts.all(),
        "documents": contract.documents.defer("content"),
        "renewals": contract.renewals.all(),
        "adopted": set(contract.adoptions.values_list("institution_id", flat=True)),
        "adopters": adopters, "can_order": bool(buyers),
        "can_price": permissions.is_agency_staff(request.user, agency)
        or pricelists.may_upload(request.user, contract),
        "pending_versions": contract.versions.filter(status="pending").count(),
        "can_file": permissions.can(request.user, Action.SALES_REPORT_FILE, agency)
        or permissions.can(request.user, Action.SALES_REPORT_FILE, agency,
                           supplier=contract.supplier),
    })  # fmt: skip


@login_required
def document(request: HttpRequest, slug: str, pk: int, doc: int) -> HttpResponse:
    agency = _agency(request, slug, Action.CONTRACT_VIEW)
    contract = _contract(request, agency, pk)
    found = ContractDocument.objects.filter(contract=contract, pk=doc).first()
    if found is None:
        raise Http404("No such document.")
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    response["Content-Disposition"] = content_disposition_header(True, found.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def adopt(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.CONTRACT_ADOPT)
    contract = _contract(request, agency, pk)
    if request.method != "POST":
        return redirect("contracts:contract", slug, pk)
    # Matched as text: "\u00b2".isdigit() is True, yet int("\u00b2") fails.
    mine = {str(i.pk): i for i in queries.buyer_institutions(request.user, agency,
                                                             Action.CONTRACT_ADOPT)}  # fmt: skip
    institution = mine.get(str(request.POST.get("institution", "")))
    if institution is None:
        raise Http404("No such institution.")
    try:
        services.contract_adopt(user=request.user, contract=contract, institution=institution)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{institution} adopted contract {contract.number}.")
    return redirect("contracts:contract", slug, pk)


@login_required
def order_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.ORDER_CREATE)
    contract = _contract(request, agency, pk)
    mine = queries.buyer_institutions(request.user, agency, Action.ORDER_CREATE)
    discount = contract.pricing == Contract.Pricing.DISCOUNT
    import uuid

    form = OrderForm(posted(request), institutions=[(i.pk, i.name) for i in mine],
                     discount=discount, initial={"request_key": uuid.uuid4().hex})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lines = []
        for n in range(1, ORDER_LINES + 1):
            sku, qty = data.get(f"sku_{n}", ""), data.get(f"quantity_{n}", "")
            if not sku and not qty:
                continue
            if discount:
                lines.append(
                    orders.LineInput(
                        quantity=qty,
                        category=sku,
                        description=data.get(f"description_{n}", ""),
                        list_price=data.get(f"list_price_{n}"),
                    )
                )
            else:
                lines.append(orders.LineInput(quantity=qty, sku=sku))
        institution = next(i for i in mine if i.pk == data["institution"])
        try:
            order = orders.order_create(user=request.user, institution=institution,
                                        contract=contract, lines=lines, notes=data["notes"],
                                        request_key=data["request_key"], kind=data["kind"],
                                        funding=data["funding"] or "local")  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, _line_errors(exc))
        else:
            messages.success(request, f"Draft {order.number} saved at contract prices.")
            return redirect("contracts:order", slug, order.pk)
    return render(request, "contracts/order_new.html", {
        "agency": agency, "contract": contract, "form": form, "discount": discount,
        "items": contract.items.filter(IN_FORCE).prefetch_related("tiers").order_by("sku")[:200],
    })  # fmt: skip


def _line_errors(exc: ValidationError) -> ValidationError:
    """``lines[2].quantity`` -> the form's ``quantity_2`` field."""
    if not hasattr(exc, "error_dict"):
        return exc
    out: dict[str, list[str]] = {}
    for key, msgs in exc.message_dict.items():
        if key.startswith("lines[") and "]." in key:
            n, field = key[6:].split("].", 1)
            field = "sku" if field in ("sku", "unit_price") else field
            key = f"{field}_{n}"
        out.setdefault(key, []).extend(msgs)
    return ValidationError(out)


@login_required
def order_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = _agency(request, slug, Action.ORDER_VIEW)
    rows = queries.orders_for(request.user, agency)[:500]
    return render(request, "contracts/orders.html", {"agency": agency, "orders": rows})


def _order(request: HttpRequest, agency: Agency, pk: int) -> PurchaseOrder:
    return permissions.get_or_404(queries.orders_for(request.user, agency), pk=pk)


@login_required
def order_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.ORDER_VIEW)
    order = _order(request, agency, pk)
    scope = {"institution": order.institution}
    return render(request, "contracts/order.html", {
        "agency": agency, "order": order, "lines": order.lines.select_related("item"),
        "printed": orders.printed(order), "needs_finance": orders.needs_finance(order),
        "short": order.status in ("received", "closed") and orders.shortfall(order),
        "threshold": ContractSettings.of(agency).approval_threshold,
        "baselines": orders.BASELINE_LABELS, "cancel_form": ReasonForm(),
        **allowed(request.user, agency, Action.ORDER_CREATE, Action.ORDER_APPROVE, **scope),
    })  # fmt: skip


STEPS = {"approve": orders.order_approve, "send": orders.order_send,
         "receive": orders.order_receive, "close": orders.order_close}  # fmt: skip


@login_required
def order_step(request: HttpRequest, slug: str, pk: int, step: str) -> HttpResponse:
    agency = _agency(request, slug, Action.ORDER_VIEW)
    order = _order(request, agency, pk)
    if request.method != "POST" or (step not in STEPS and step != "cancel"):
        return redirect("contracts:order", slug, pk)
    try:
        if step == "cancel":
            orders.order_cancel(user=request.user, order=order,
                                reason=request.POST.get("reason", "")[:300])  # fmt: skip
        elif step == "receive":
            # One field per line (``received-<line id>``, the total received so far); a form
            # without them receives every line in full.
            keys = {k.removeprefix("received-"): v[:40] for k, v in request.POST.items()
                    if k.startswith("received-")}  # fmt: skip
            # ASCII digits only: "\u00b2".isdigit() is True, yet int("\u00b2") fails.
            given = {int(k): v for k, v in keys.items()
                     if k.isascii() and k.isdigit() and len(k) < 31}  # fmt: skip
            if len(given) != len(keys):
                raise ValidationError({"received": "A line is not on this order."})
            orders.order_receive(user=request.user, order=order, received=given or None)
        else:
            STEPS[step](user=request.user, order=order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        order.refresh_from_db()
        messages.success(request, f"{order.number} is now {order.get_status_display().lower()}.")
    return redirect("contracts:order", slug, pk)


@login_required
def order_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.ORDER_VIEW)
    order = _order(request, agency, pk)
    try:
        data = pdf.order_pdf(order)
    except pdf.PdfUnavailable:
        messages.error(request, "PDF orders are not available on this server yet (its "
                                "administrator needs to install the Pango library).")  # fmt: skip
        return redirect("contracts:order", slug, pk)
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"{order.number}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename) or ""
    return response


# Sales reports ---------------------------------------------------------------------------------


@login_required
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = _agency(request, slug, Action.SALES_REPORT_VIEW)
    visible = permissions.contracts_for(request.user, agency)
    own = permissions.supplier_scope(request.user, agency, Action.SALES_REPORT_VIEW)
    if own is not None:
        visible = visible.filter(supplier_id__in=own)
    expected = sales.expected_reports(agency, timezone.localdate(),
                                      visible.prefetch_related("renewals"))  # fmt: skip
    return render(request, "contracts/reports.html", {
        "agency": agency, "expected": sorted(expected, key=lambda e: (e.state == "on time",
                                             -e.year, -e.quarter, e.contract.number)),
        "reports": queries.reports_for(request.user, agency)[:200],
    })  # fmt: skip


@login_required
def report_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.SALES_REPORT_VIEW)
    report: SalesReport = permissions.get_or_404(queries.reports_for(request.user, agency), pk=pk)
    names = dict(Institution.objects.filter(agency=agency).values_list("pk", "name"))
    staff = permissions.can(request.user, Action.SALES_REPORT_VIEW, agency)
    due = sales.due_on(agency, report.year, report.quarter)
    fee = getattr(report, "fee_invoice", None)
    versions = list(SalesReport.objects.filter(
        contract=report.contract, year=report.year, quarter=report.quarter,
    ).select_related("fee_invoice").order_by("version"))  # fmt: skip
    return render(request, "contracts/report.html", {
        "agency": agency, "report": report, "fee": fee, "versions": versions,
        "latest": versions[-1].pk == report.pk, "last_version": versions[-1],
        "payments": list(fee.payments.all()) if fee else [],
        "fee_open": fees.open_amount(fee) if fee else None,
        "payment_form": FeePaymentForm(initial={"received_on": timezone.localdate()})
        if fee and fee.amount > 0 and permissions.can(request.user, Action.BILLING_ADJUST, agency)
        else None,
        "can_amend": permissions.can(request.user, Action.SALES_REPORT_FILE, agency)
        or permissions.can(request.user, Action.SALES_REPORT_FILE, agency,
                           supplier=report.contract.supplier),
        "lines": report.lines.select_related("institution")[:200],
        "differences": sales.reconcile(report) if staff else None, "names": names,
        "due": due, "late": report.filed_at.astimezone(agency.zone).date() > due,
    })  # fmt: skip


@login_required
def report_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.SALES_REPORT_FILE)
    contract = _contract(request, agency, pk)
    form = ReportForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows: list[tabular.Row] = []
            if data["file"] is not None:
                if data["file"].size > 200 * 1024 * 1024:
                    raise ValidationError({"file": "A report file is at most 200 MB."})
                rows = sales.read_file(data["file"])
            report = sales.report_file(
                user=request.user,
                contract=contract,
                year=data["year"],
                quarter=data["quarter"],
                rows=rows,
            )
        except ValidationError as exc:
            add_service_errors(form, _rows_errors(exc))
        else:
            messages.success(request, f"Filed {report}; admin fee invoice "
                                      f"{report.fee_invoice.number} issued.")  # fmt: skip
            return redirect("contracts:report", slug, report.pk)
    return render(request, "contracts/report_new.html", {
        "agency": agency, "contract": contract, "form": form})  # fmt: skip


@login_required
def report_amend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.SALES_REPORT_FILE)
    report: SalesReport = permissions.get_or_404(queries.reports_for(request.user, agency), pk=pk)
    form = AmendForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows: list[Any] = []
            if data["file"] is not None:
                if data["file"].size > 200 * 1024 * 1024:
                    raise ValidationError({"file": "A report file is at most 200 MB."})
                rows = sales.read_file(data["file"])
            new = sales.report_amend(user=request.user, report=report, rows=rows,
                                     reason=data["reason"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, _rows_errors(exc))
        else:
            messages.success(request, f"Filed {new}; fee adjustment "
                                      f"{new.fee_invoice.number} issued.")  # fmt: skip
            return redirect("contracts:report", slug, new.pk)
    return render(request, "contracts/report_amend.html", {
        "agency": agency, "report": report, "form": form})  # fmt: skip


def _fee_invoice(request: HttpRequest, agency: Agency, pk: int) -> Any:
    from .models import AdminFeeInvoice

    visible = queries.reports_for(request.user, agency)
    return permissions.get_or_404(AdminFeeInvoice.objects.filter(report__in=visible)
                                  .select_related("report__contract", "supplier", "agency"),
                                  pk=pk)  # fmt: skip


@login_required
def fee_invoice_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = _agency(request, slug, Action.SALES_REPORT_VIEW)
    invoice = _fee_invoice(request, agency, pk)
    try:
        data = fees.fee_invoice_pdf(invoice)
    except pdf.PdfUnavailable:
        messages.error(request, "PDF invoices are not available on this server yet (its "
                                "administrator needs to install the Pango library).")  # fmt: skip
        return redirect("contracts:report", slug, invoice.report_id)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, f"{invoice.number}.pdf") or ""  # fmt: skip
    return response


@login_required
def fee_payment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from edcoop.core import formatting

    agency = _agency(request, slug, Action.SALES_REPORT_VIEW)
    invoice = _fee_invoice(request, agency, pk)
    if request.method != "POST":
        return redirect("contracts:report", slug, invoice.report_id)
    form = FeePaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{k}: {' '.join(str(m) for m in v)}"
                                         for k, v in form.errors.items()))  # fmt: skip
        return redirect("contracts:report", slug, invoice.report_id)
    try:
        payment = fees.fee_payment_record(user=request.user, invoice=invoice,
                                          **form.cleaned_data)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}"
                                         for k, v in exc.message_dict.items()))  # fmt: skip
    else:
        invoice.refresh_from_db()
        done = f"; paid in full on {formatting.day(invoice.paid_on)}" if invoice.paid_on else ""
        # Sent twice (a double click): the answer is the first one's, and nothing more is
        # recorded.
        twice = " (the form was sent twice; it is recorded once)" if payment.repeated else ""
        messages.success(request, f"Payment of {formatting.money(payment.amount)} recorded on "
                                  f"{invoice.number}{twice}{done}.")  # fmt: skip
    return redirect("contracts:report", slug, invoice.report_id)


def _rows_errors(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict") and "rows" in exc.error_dict:
        return ValidationError({"file": exc.message_dict["rows"]})
    return exc


# Patronage -------------------------------------------------------------------------------------


@login_required
def patronage_page(request: HttpRequest, slug: str) -> HttpResponse:
    agency = _agency(request, slug, Action.PATRONAGE_VIEW)
    can_run = permissions.can(request.user, Action.PATRONAGE_RUN, agency)
    form = PatronageForm(posted(request)) if can_run else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            year = patronage.patronage_distribute(user=request.user, agency=agency,
                                                  **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"FY{year.fiscal_year} patronage allocated to "
                                      f"{year.allocations.count()} members.")  # fmt: skip
            return redirect("contracts:patronage", slug)
    own = permissions.member_scope(request.user, agency, Action.PATRONAGE_VIEW)
    allocations = PatronageAllocation.objects.filter(year__agency=agency).select_related(
        "year", "institution"
    )
    if own is not None:
        allocations = allocations.filter(institution_id__in=own)
    return render(request, "contracts/patronage.html", {
        "agency": agency, "form": form, "staff": own is None,
        "years": PatronageYear.objects.filter(agency=agency),
        "allocations": allocations.order_by("-year__fiscal_year", "institution__name")[:500],
    })  # fmt: skip


@login_required
def savings_page(request: HttpRequest, slug: str) -> HttpResponse:
    from . import savings

    agency = _agency(request, slug, Action.ORDER_VIEW)
    lines = queries.savings_lines(request.user, agency)
    tables = [(title, savings.summed(lines, by)) for title, by in
              (("By member", "member"), ("By category", "category"),
               ("By fiscal year", "year"))]  # fmt: skip
    return render(request, "contracts/savings.html", {
        "agency": agency, "tables": tables, "methods": orders.BASELINE_LABELS,
        "pooling": queries.pooling(request.user, agency),
        "unmeasured": sum(1 for line in lines if line.baseline is None),
    })  # fmt: skip


@login_required
def price_list_import(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from . import pricelists
    from .forms import PriceListForm

    agency = agency_or_404(request, slug, Action.CONTRACT_EDIT)
    contract = _contract(request, agency, pk)
    form = PriceListForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_PRICE_FILE:
                raise ValidationError({"file": "A price-list file is at most 200 MB."})
            if upload.size > pricelists.inline_bytes():  # minutes of work: a job, with progress
                job = pricelists.upload_queue(
                    user=request.user, contract=contract, data=upload.read(),
                    file_name=upload.name or "", effective_on=None,
                    back_url=reverse("contracts:contract", args=[slug, pk]))  # fmt: skip
                return redirect("job", slug, job.pk)
            written = pricelists.import_price_list(user=request.user, contract=contract,
                                                   data=upload, file_name=upload.name or "")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{written} price-list items saved.")
            return redirect("contracts:contract", slug, pk)
    return render(request, "contracts/price_list.html", {
        "agency": agency, "contract": contract, "form": form})  # fmt: skip


@login_required
def contract_new(request: HttpRequest, slug: str) -> HttpResponse:
    from .forms import ContractForm

    agency = agency_or_404(request, slug, Action.CONTRACT_EDIT)
    suppliers = list(permissions.suppliers_for(request.user, agency))
    form = ContractForm(posted(request), suppliers=[(x.pk, str(x)) for x in suppliers])
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        supplier = next(x for x in suppliers if x.pk == fields.pop("supplier"))
        try:
            contract = services.contract_create(user=request.user, agency=agency,
                                                supplier=supplier, **fields)  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Contract {contract.number} added. Import its price list "
                                      "next.")  # fmt: skip
            return redirect("contracts:contract", slug, contract.pk)
    return render(request, "contracts/contract_new.html", {"agency": agency, "form": form})


DASHBOARD_TITLES = {
    "spend": "Spend by fiscal year, category and supplier",
    "use": "Contract utilisation",
    "expiring": "Contracts expiring or expired within the last year",
    "fees": "Admin fees due and paid",
    "no_area": "Members with no service area (only national contracts are open to them)",
}


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    from edcoop.core import formatting
    from edcoop.core.charts import Bar, bar_chart
    from edcoop.core.views import export_format, export_response

    agency = agency_or_404(request, slug, Action.ORDER_VIEW)
    tables = queries.dashboard(agency, timezone.localdate())
    fmt = export_format(request)
    wanted = request.GET.get("table", "")
    if fmt and wanted in tables:
        header, rows = tables[wanted]
        return export_response(fmt, f"{agency.slug}-contracts-{wanted}", header, rows)
    by_category: dict[str, Any] = {}
    for _year, category, _supplier, amount in tables["spend"][1]:
        by_category[category] = by_category.get(category, 0) + amount
    chart = bar_chart("Spend under contracts by category, all years",
                      [Bar(c, v) for c, v in sorted(by_category.items())],
                      describe="Orders sent to suppliers, by contract category; the table "
                      "below gives each year and supplier.", fmt=formatting.money) if (
                          by_category) else None  # fmt: skip
    return render(request, "contracts/dashboard.html", {
        "agency": agency, "chart": chart,
        "tables": [(key, DASHBOARD_TITLES[key], *tables[key]) for key in DASHBOARD_TITLES],
    })  # fmt: skip


# Price-list versions ---------------------------------------------------------------------------


def _versions_contract(request: HttpRequest, slug: str, pk: int) -> tuple[Agency, Contract]:
    """Agency staff who see contracts, or the contract's own supplier (others: 404)."""
    agency = _agency(request, slug, Action.CONTRACT_VIEW)
    contract = _contract(request, agency, pk)
    from . import pricelists

    staff = permissions.is_agency_staff(request.user, agency)
    if not staff and not pricelists.may_upload(request.user, contract):
        raise Http404
    return agency, contract


@login_required
def price_versions(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from . import pricelists
    from .forms import PriceVersionForm

    agency, contract = _versions_contract(request, slug, pk)
    may_upload = pricelists.may_upload(request.user, contract)
    form = PriceVersionForm(posted(request), request.FILES or None) if may_upload else None
    if form is not None and request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_PRICE_FILE:
                raise ValidationError({"file": "A price-list file is at most 200 MB."})
            if upload.size > pricelists.inline_bytes():  # minutes of work: a job, with progress
                job = pricelists.upload_queue(
                    user=request.user, contract=contract, data=upload.read(),
                    file_name=upload.name or "", effective_on=form.cleaned_data["effective_on"],
                    back_url=reverse("contracts:price_versions", args=[slug, pk]))  # fmt: skip
                return redirect("job", slug, job.pk)
            version = pricelists.upload_version(
                user=request.user, contract=contract, data=upload, file_name=upload.name,
                effective_on=form.cleaned_data["effective_on"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Version {version.number} ({version.row_count} items) "
                                      "uploaded; it waits for the agency's approval.")  # fmt: skip
            return redirect("contracts:price_version", slug, pk, version.number)
    elif request.method == "POST" and form is None:
        raise PermissionDenied("You may not upload a price list for this contract.")
    return render(request, "contracts/price_versions.html", {
        "agency": agency, "contract": contract, "form": form,
        "versions": contract.versions.select_related("uploaded_by", "decided_by"),
        "in_effect": pricelists.in_effect(contract, timezone.localdate()),
    })  # fmt: skip


MAX_PRICE_FILE = 200 * 1024 * 1024


@login_required
def price_version(request: HttpRequest, slug: str, pk: int, number: int) -> HttpResponse:
    from . import pricelists

    agency, contract = _versions_contract(request, slug, pk)
    version = permissions.get_or_404(contract.versions.all(), number=number)
    decide = permissions.can(request.user, Action.CONTRACT_EDIT, agency) and (
        version.status == PriceListVersion.Status.PENDING)  # fmt: skip
    form = ReasonForm(posted(request) if request.POST.get("decision") == "reject" else None)
    if request.method == "POST":
        if not permissions.can(request.user, Action.CONTRACT_EDIT, agency):
            raise PermissionDenied("Only the agency's procurement staff decide.")
        if request.POST.get("decision") == "approve":
            try:
                pricelists.version_approve(user=request.user, version=version)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Version {version.number} approved.")
                return redirect("contracts:price_version", slug, pk, number)
        try:
            if request.POST.get("decision") == "reject" and form.is_valid():
                pricelists.version_reject(user=request.user, version=version,
                                          reason=form.cleaned_data["reason"])  # fmt: skip
                messages.success(request, f"Version {version.number} rejected.")
                return redirect("contracts:price_version", slug, pk, number)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "contracts/price_version.html", {
        "agency": agency, "contract": contract, "version": version, "decide": decide,
        "form": form, "diff": pricelists.version_diff(version),
        "rows": version.rows.all()[:200],
    })  # fmt: skip


PURCHASING_TITLES = {
    "spend": "Spend by period, category and contract",
    "savings": "Savings by fiscal year and baseline",
    "orders": "Open orders",
    "contracts": "Contracts adopted or bought under",
}


@login_required
def purchasing(request: HttpRequest, slug: str) -> HttpResponse:
    """A member's own purchasing dashboard (its roles see their institution; agency staff who
    read orders pick any member): spend over time, savings, open orders, contracts."""
    from edcoop.core import formatting
    from edcoop.core.charts import Bar, bar_chart
    from edcoop.core.views import export_format, export_response

    agency = _agency(request, slug, Action.ORDER_VIEW)
    staff = permissions.can(request.user, Action.ORDER_VIEW, agency)
    choices = (list(Institution.objects.filter(agency=agency).order_by("name")) if staff
               else queries.buyer_institutions(request.user, agency, Action.ORDER_VIEW))
    if not choices:
        raise PermissionDenied("You buy for no member of this agency.")
    wanted = request.GET.get("institution", "")
    chosen = next((i for i in choices if str(i.pk) == wanted), None)
    if wanted and chosen is None:
        raise Http404("No such member.")
    institution = chosen or choices[0]
    period = request.GET.get("period", "quarter")
    period = period if period in queries.PERIODS else "quarter"
    mine = queries.member_purchasing(institution, period)
    fmt = export_format(request)
    table = request.GET.get("table", "")
    if fmt and table in mine.tables:
        header, rows = mine.tables[table]
        return export_response(fmt, f"{agency.slug}-{institution.pk}-{table}", header, rows)
    chart = bar_chart(
        f"{institution.name}: spend under contracts by {period}",
        [Bar(label, value) for label, value in mine.by_period[-24:]],
        describe=f"Orders sent to suppliers, by the {period} ordered; the table below gives "
        "each period's categories and contracts.", fmt=formatting.money,
    ) if mine.by_period else None  # fmt: skip
    return render(request, "contracts/purchasing.html", {
        "agency": agency, "mine": mine, "institution": institution, "choices": choices,
        "period": period, "chart": chart, "staff": staff,
        "download_query": urlencode({"institution": str(institution.pk), "period": period}) + "&",
        "tables": [(k, PURCHASING_TITLES[k], *mine.tables[k]) for k in PURCHASING_TITLES],
    })  # fmt: skip
