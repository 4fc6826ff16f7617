"""Billing pages: the agency's runs, invoices, catalog, budget, year end and exports; a
member's billing. Thin: find (scoped), check, call one service function, render."""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from edcoop.core import permissions
from edcoop.core.charts import Bar, bar_chart
from edcoop.core.jobs import job_start
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action
from edcoop.core.templatetags.edcoop_ui import money
from edcoop.core.views import export_format, export_response, export_urls, paginate
from edcoop.members.forms import add_service_errors
from edcoop.members.models import Agency, Institution
from edcoop.services import services as service_writes
from edcoop.services.fiscal import fiscal_year_of
from edcoop.services.models import Service, ServiceYear, Subscription, UsageRecord

from . import aid, closing, documents, exports, ledger, statements, yearend
from .forms import (
    ConfirmForm,
    InvoiceFilterForm,
    MemoForm,
    PaymentForm,
    ReceiptsForm,
    RefundChoiceForm,
    ReopenForm,
    ReverseForm,
    RunForm,
    ServiceStopForm,
    ServiceTermsForm,
)
from .jobs import BILLING_RUN
from .models import BillingRun, CreditMemo, Invoice, InvoiceLine, Payment, RefundChoice, YearClose
from .receipts import ReceiptsImportFailed, import_receipts
from .runs import billing_run_compute, billing_run_post, input_changes
from .tasks import month_to_bill

logger = logging.getLogger("edcoop.billing")

INLINE_LIMIT = 5000  # usage records a run computes while the page waits; more: a job


def _today(agency: Agency) -> Any:
    return closing.agency_today(agency)


def _fy(agency: Agency) -> int:
    return fiscal_year_of(_today(agency), agency.fiscal_year_start_month)


def _fiscal_year_or_404(fiscal_year: int) -> int:
    if not 1990 <= fiscal_year <= 2100:
        raise Http404("No such fiscal year.")
    return fiscal_year


@login_required
def billing_home(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    can_run = permissions.can(request.user, Action.BILLING_RUN, agency)
    ready = month_to_bill(agency)  # the first begun month with no run, offered as the default
    form = RunForm(posted(request), initial={"period": f"{ready:%Y-%m}"} if ready else None)
    if request.method == "POST":
        permissions.require(request.user, Action.BILLING_RUN, agency)
        if form.is_valid():
            period = form.cleaned_data["period"]
            count = UsageRecord.objects.filter(agency=agency, period=period).count()
            try:
                closing.ensure_begun(agency, period)
                if count > INLINE_LIMIT:
                    job = job_start(
                        kind=BILLING_RUN, title=f"Billing run for {period:%B %Y}",
                        user=request.user, agency_id=agency.pk,
                        params={"period": f"{period:%Y-%m}",
                                "back_url": reverse("billing:home", args=[slug])},
                    )  # fmt: skip
                    return redirect("job", slug, job.pk)
                run = billing_run_compute(user=request.user, agency=agency, period=period)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, f"Draft for {period:%B %Y} computed: review it, then post."
                )
                return redirect("billing:run", slug, run.pk)
    runs = BillingRun.objects.filter(agency=agency).order_by("-period", "-pk")
    fy = _fy(agency)
    return render(request, "billing/home.html", {
        "agency": agency, "form": form, "can_run": can_run, "page": paginate(request, runs),
        "fiscal_year": fy, "receivables": statements.receivables(agency, _today(agency)),
        "previous_closed": closing.year_closed(agency, fy - 1),
        "can_record_usage": permissions.can(request.user, Action.USAGE_RECORD, agency),
        "can_adjust": permissions.can(request.user, Action.BILLING_ADJUST, agency),
    })  # fmt: skip


def _run(request: HttpRequest, agency: Agency, pk: int) -> BillingRun:
    return permissions.get_or_404(BillingRun.objects.filter(agency=agency), pk=pk)


@login_required
def run_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    run = _run(request, agency, pk)
    invoices = run.invoices.select_related("institution").order_by("institution__name", "pk")
    # The month before, member by member, so a reviewer sees what moved.
    previous = None
    if run.kind == BillingRun.Kind.MONTHLY:
        previous = (
            BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.MONTHLY,
                                      period__lt=run.period)
            .order_by("-period", "-pk").first()
        )  # fmt: skip
    before = (
        dict(previous.invoices.values_list("institution_id", "total")) if previous else {}
    )
    page = paginate(request, invoices)
    rows = [
        (inv, before.get(inv.institution_id), inv.total - before[inv.institution_id]
         if inv.institution_id in before else None)
        for inv in page.object_list
    ]  # fmt: skip
    return render(request, "billing/run.html", {
        "agency": agency, "run": run, "page": page, "rows": rows, "previous": previous,
        "total_change": run.total - previous.total if previous else None,
        "changes": input_changes(run) if run.kind == BillingRun.Kind.MONTHLY else [],
        "memos": run.memos.select_related("institution").order_by("number"),
        "can_run": permissions.can(request.user, Action.BILLING_RUN, agency),
    })  # fmt: skip


@login_required
def run_post(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_RUN)
    run = _run(request, agency, pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            billing_run_post(user=request.user, run=run)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Posted {run}: {run.invoice_count} invoices issued.")
            return redirect("billing:run", slug, run.pk)
    return render(request, "billing/run_post.html", {
        "agency": agency, "run": run, "form": form,
        "changes": input_changes(run) if run.kind == BillingRun.Kind.MONTHLY else [],
        "cancel_url": reverse("billing:run", args=[slug, run.pk]),
    })  # fmt: skip


def _invoices(request: HttpRequest, agency: Agency) -> Any:
    return permissions.billing_records_for(request.user, agency, Invoice).filter(
        status=Invoice.Status.ISSUED
    )


@login_required
def invoice_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    qs = (
        _invoices(request, agency).select_related("institution").order_by("-period", "number", "pk")
    )
    form = InvoiceFilterForm(request.GET or None)
    state = ""
    if form.is_valid():
        state = form.cleaned_data["state"]
        if member := form.cleaned_data["member"].strip():
            qs = qs.filter(institution__name__icontains=member)
    # Balances for the whole (filtered) list: a few grouped queries (ledger), then the
    # state filter on them, since a balance is not a column.
    balances = ledger.invoice_balances(qs)
    today = _today(agency)

    def state_of(inv: Invoice) -> str:
        if balances[inv.pk].balance <= 0:
            return "paid"
        return "overdue" if inv.due_on and inv.due_on < today else "open"

    if state:
        due = dict(qs.values_list("pk", "due_on"))
        keep = [
            pk for pk, b in balances.items()
            if (state == "paid" and b.balance <= 0)
            or (state in ("open", "overdue") and b.balance > 0
                and (state == "open" or (due[pk] is not None and due[pk] < today)))
        ]  # fmt: skip
        qs = qs.filter(pk__in=keep)
    labels = {"paid": "Paid", "open": "Open", "overdue": "Overdue"}
    if fmt := export_format(request):
        return export_response(
            fmt, f"{agency.slug}-invoices",
            ["Number", "Member", "Period", "Issued on", "Due on", "Total", "Balance", "Status"],
            ([i.display_number, i.institution.name, f"{i.period:%Y-%m}", i.issued_on, i.due_on,
              i.total, balances[i.pk].balance, labels[state_of(i)]] for i in qs.iterator()),
        )  # fmt: skip
    page = paginate(request, qs)
    rows = [(inv, balances[inv.pk].balance, state_of(inv)) for inv in page.object_list]
    return render(request, "billing/invoice_list.html", {
        "agency": agency, "page": page, "rows": rows, "labels": labels, "form": form,
        "filtered": bool(request.GET.get("state") or request.GET.get("member")),
        "export_urls": export_urls(request),
    })  # fmt: skip


def _invoice(request: HttpRequest, agency: Agency, pk: int) -> Invoice:
    """An issued invoice; billing staff also open the drafts of a run they are reviewing."""
    agency_wide = permissions.can(request.user, Action.BILLING_VIEW, agency)
    visible = (
        permissions.billing_records_for(request.user, agency, Invoice)
        if agency_wide
        else _invoices(request, agency)
    )
    invoice = permissions.get_or_404(visible, pk=pk)
    if not agency_wide:
        permissions.require(request.user, Action.BILLING_VIEW, agency,
                            institution=invoice.institution)  # fmt: skip
    return invoice


@login_required
def invoice_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    invoice = _invoice(request, agency, pk)
    context = documents.invoice_context(invoice)
    if export_format(request) == "xlsx":
        response = HttpResponse(
            documents.invoice_workbook(invoice),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="invoice-{invoice.display_number}.xlsx"'
        )
        return response
    if fmt := export_format(request):
        return export_response(
            fmt, f"invoice-{invoice.display_number}",
            ["Service", "Description", "Kind", "Quantity", "Basis", "Share", "Rate", "Amount"],
            ([ln.service.code, ln.description, ln.get_kind_display(), ln.quantity, ln.basis,
              ln.share, ln.rate, ln.amount] for ln in context["lines"]),
        )  # fmt: skip
    return render(request, "billing/invoice.html", {
        **context, "agency": agency, "export_urls": export_urls(request),
        "staff": permissions.can(request.user, Action.BILLING_VIEW, agency),
        "can_adjust": permissions.can(request.user, Action.BILLING_ADJUST, agency)
        and invoice.issued and not closing.year_closed(agency, invoice.fiscal_year),
    })  # fmt: skip


@login_required
def invoice_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from .pdf import PdfUnavailable
    from .pdf import invoice_pdf as render_pdf

    agency = agency_or_404(request, slug)
    invoice = _invoice(request, agency, pk)
    try:
        pdf = render_pdf(invoice)
    except PdfUnavailable:
        logger.exception("invoice PDF cannot be drawn")
        messages.error(
            request,
            "PDF invoices are not available on this server yet (its administrator needs to "
            "install the Pango library). The CSV and Excel downloads hold the same lines.",
        )
        return redirect("billing:invoice", agency.slug, invoice.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.display_number}.pdf"'
    return response


@login_required
def memo_new(request: HttpRequest, slug: str, pk: int, line_id: int) -> HttpResponse:
    """Confirmation page: a credit or debit memo correcting one line of an issued invoice."""
    agency = agency_or_404(request, slug)
    invoice = _invoice(request, agency, pk)
    permissions.require(request.user, Action.BILLING_ADJUST, agency)
    line = permissions.get_or_404(InvoiceLine.objects.filter(invoice=invoice), pk=line_id)
    form = MemoForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            memo = ledger.memo_issue(user=request.user, line=line, amount=data["amount"],
                                     reason=data["reason"], kind=data["kind"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Issued {memo} for {money(memo.amount)} on invoice "
                             f"{invoice.display_number}.")  # fmt: skip
            return redirect("billing:invoice", slug, invoice.pk)
    return render(request, "billing/memo_new.html", {
        "agency": agency, "invoice": invoice, "line": line, "form": form,
        "creditable": ledger.line_open(line),
        "cancel_url": reverse("billing:invoice", args=[slug, invoice.pk]),
    })  # fmt: skip


@login_required
def service_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SERVICE_VIEW)
    fy = _fy(agency)
    qs = Service.objects.filter(agency=agency).order_by("code")
    counts: dict[int, int] = defaultdict(int)
    for service_id in Subscription.objects.filter(agency=agency, fiscal_year=fy).values_list(
        "service_id", flat=True
    ):
        counts[service_id] += 1
    pools = {
        y.service_id: y.budget
        for y in ServiceYear.objects.filter(service__agency=agency, fiscal_year=fy)
    }
    if fmt := export_format(request):
        return export_response(
            fmt, f"{agency.slug}-services",
            ["Code", "Name", "CoSer group", "Charge method", "Unit", "Rate", "Aidable",
             "Participants", f"FY{fy} pool", "GL account", "Delivered until"],
            ([s.code, s.name, s.get_coser_group_display(), s.get_charge_method_display(), s.unit,
              s.unit_rate, "yes" if s.aidable else "no", counts.get(s.pk, 0),
              pools.get(s.pk), s.gl_account, s.available_until] for s in qs),
        )  # fmt: skip
    rows = [{"service": s, "participants": counts.get(s.pk, 0), "pool": pools.get(s.pk)}
            for s in qs]  # fmt: skip
    return render(request, "billing/services.html", {
        "agency": agency, "rows": rows, "fiscal_year": fy, "export_urls": export_urls(request),
        "can_edit": permissions.can(request.user, Action.SERVICE_CATALOG_EDIT, agency),
    })  # fmt: skip


# Year end --------------------------------------------------------------------------------------


@login_required
def year_end(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    preview = yearend.true_up_preview(agency, fiscal_year)
    if (fmt := export_format(request)) is not None:
        return export_response(
            fmt, f"{agency.slug}-true-up-fy{fiscal_year}",
            ["Member", "Service", "Estimated", "Charged on the year's data", "Billed",
             "Memos (credits less debits)", "Use adjustment", "Surplus refund (-) / deficit (+)",
             "Final"],
            ([r.name, r.service, r.estimated, r.charged, r.billed, r.memos, r.use_adjustment,
              r.settlement, r.final] for r in preview.rows),
        )  # fmt: skip
    run = BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.TRUE_UP,
                                    fiscal_year=fiscal_year).first()  # fmt: skip
    closed_row = YearClose.objects.filter(agency=agency, fiscal_year=fiscal_year).first()
    choices = dict(RefundChoice.objects.filter(agency=agency, fiscal_year=fiscal_year)
                   .values_list("institution_id", "disposition"))  # fmt: skip
    keys = ("charged", "billed", "memos", "revenue", "settlement", "absorbed")
    totals = {key: sum((getattr(s, key) for s in preview.services), Decimal(0)) for key in keys}
    return render(request, "billing/year_end.html", {
        "agency": agency, "fiscal_year": fiscal_year, "preview": preview, "totals": totals,
        "checklist": closing.checklist(agency, fiscal_year), "true_up_run": run,
        "closed": closed_row, "choices": choices,
        "aid": aid.aid_estimate(agency, fiscal_year),
        "export_urls": export_urls(request),
        "can_run": permissions.can(request.user, Action.BILLING_RUN, agency),
        "can_reopen": permissions.can(request.user, Action.BILLING_REOPEN, agency),
        "reopen_form": ReopenForm(None),
    })  # fmt: skip


@login_required
def true_up_post(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """Confirmation page: bill the true-up, issue the refunds, close the year."""
    agency = agency_or_404(request, slug, Action.BILLING_RUN)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            run = yearend.true_up_post(user=request.user, agency=agency, fiscal_year=fiscal_year)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Posted the FY{fiscal_year} true-up: "
                             f"{run.invoice_count} invoices and {run.memos.count()} credit "
                             f"memos issued; FY{fiscal_year} is closed.")  # fmt: skip
            return redirect("billing:run", slug, run.pk)
    preview = yearend.true_up_preview(agency, fiscal_year)
    owing = {r.institution_id for r in preview.rows if r.adjustment > 0}
    refunded = {r.institution_id for r in preview.rows if r.adjustment < 0}
    return render(request, "billing/true_up_post.html", {
        "agency": agency, "fiscal_year": fiscal_year, "form": form,
        "checklist": closing.checklist(agency, fiscal_year),
        "owing": len(owing), "refunded": len(refunded),
        "billed": sum((r.adjustment for r in preview.rows if r.adjustment > 0), Decimal(0)),
        "refund": -sum((r.adjustment for r in preview.rows if r.adjustment < 0), Decimal(0)),
        "already": BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.TRUE_UP,
                                             fiscal_year=fiscal_year).first(),
        "cancel_url": reverse("billing:year_end", args=[slug, fiscal_year]),
    })  # fmt: skip


@login_required
def year_reopen(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """The agency administrator reopens a closed year, with a reason (audited)."""
    agency = agency_or_404(request, slug, Action.BILLING_REOPEN)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    form = ReopenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            closing.year_reopen(user=request.user, agency=agency, fiscal_year=fiscal_year,
                                reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"FY{fiscal_year} is open again for corrections.")
            return redirect("billing:year_end", slug, fiscal_year)
    return render(request, "billing/year_reopen.html", {
        "agency": agency, "fiscal_year": fiscal_year, "form": form,
        "cancel_url": reverse("billing:year_end", args=[slug, fiscal_year]),
    })  # fmt: skip


@login_required
def year_reclose(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_RUN)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    if request.method != "POST":
        return redirect("billing:year_end", slug, fiscal_year)
    try:
        closing.year_reclose(user=request.user, agency=agency, fiscal_year=fiscal_year)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"FY{fiscal_year} is closed again.")
    return redirect("billing:year_end", slug, fiscal_year)


@login_required
def aid_export(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """Per district and service: the figures a BOCES files with its aid claim."""
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    return exports.aid_response(agency, fiscal_year, export_format(request) or "csv")


@login_required
def gl_export(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """The general-ledger file of posted invoices and memos, per district, by GL account."""
    agency = agency_or_404(request, slug)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    institution = None
    if request.GET.get("member"):
        try:
            member_id = int(request.GET["member"])
        except ValueError:
            raise Http404("No such member.") from None
        institution = _member(request, agency, member_id)
        permissions.require(request.user, Action.BILLING_VIEW, agency, institution=institution)
    else:
        permissions.require(request.user, Action.BILLING_VIEW, agency)
    if (fmt := export_format(request)) is not None:
        return exports.gl_response(agency, fiscal_year, fmt, institution=institution)
    members = Institution.objects.filter(
        agency=agency, invoices__fiscal_year=fiscal_year, invoices__status=Invoice.Status.ISSUED
    ).distinct()
    return render(request, "billing/gl.html", {
        "agency": agency, "fiscal_year": fiscal_year, "institution": institution,
        "members": members.order_by("name") if institution is None else [],
        "unmapped": exports.unmapped_services(agency, fiscal_year),
        "export_urls": export_urls(request),
    })  # fmt: skip


# Budget ----------------------------------------------------------------------------------------


@login_required
def budget(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """Per service: budget, estimate, billed so far, deferred pool months, projection; per
    member: estimated charges."""
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    lines = yearend.budget_lines(agency, fiscal_year)
    est = yearend.estimates(agency, fiscal_year)
    by_member: dict[int, Decimal] = defaultdict(Decimal)
    for (member, _), amount in est.items():
        by_member[member] += amount
    names = dict(Institution.objects.filter(pk__in=list(by_member)).values_list("pk", "name"))
    members = sorted(
        ({"pk": m, "name": names.get(m, ""), "estimated": a} for m, a in by_member.items()),
        key=lambda r: (r["name"], r["pk"]),
    )
    if (fmt := export_format(request)) is not None:
        return export_response(
            fmt, f"{agency.slug}-budget-fy{fiscal_year}",
            ["Code", "Service", "Charge method", "Participants", "Budget", "Estimated charges",
             "Billed to date", "Deferred", "Deferred months", "Projected revenue",
             "Projected cost", "Projected surplus (+) / deficit (-)"],
            ([r.service.code, r.service.name, r.service.get_charge_method_display(),
              r.participants, r.budget, r.estimated, r.billed, r.deferred,
              ", ".join(r.deferred_months), r.projected_revenue, r.projected_cost,
              r.projected_surplus] for r in lines),
        )  # fmt: skip
    total = {key: sum((getattr(r, key) or Decimal(0) for r in lines), Decimal(0))
             for key in ("budget", "estimated", "billed", "deferred", "projected_revenue",
                         "projected_cost", "projected_surplus")}  # fmt: skip
    return render(request, "billing/budget.html", {
        "agency": agency, "fiscal_year": fiscal_year, "lines": lines, "members": members,
        "total": total, "export_urls": export_urls(request),
        "can_edit": permissions.can(request.user, Action.SERVICE_CATALOG_EDIT, agency),
        "months_posted": lines[0].months_posted if lines else 0,
    })  # fmt: skip


@login_required
def service_stop(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Stop delivering a service (mid-year): its months up to the last day bill as usual,
    none after, and the true-up follows."""
    agency = agency_or_404(request, slug, Action.SERVICE_CATALOG_EDIT)
    service = permissions.get_or_404(Service.objects.filter(agency=agency), pk=pk)
    form = ServiceStopForm(posted(request), initial={"last_day": service.available_until})
    if request.method == "POST" and form.is_valid():
        try:
            service_writes.service_deactivate(user=request.user, service=service,
                                              last_day=form.cleaned_data["last_day"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{service.code} is delivered until "
                             f"{form.cleaned_data['last_day']:%B %-d, %Y}.")  # fmt: skip
            return redirect("billing:services", slug)
    return render(request, "billing/service_stop.html", {
        "agency": agency, "service": service, "form": form,
        "cancel_url": reverse("billing:services", args=[slug]),
    })  # fmt: skip


@login_required
def service_terms(request: HttpRequest, slug: str, fiscal_year: int, pk: int) -> HttpResponse:
    """A service's year: actual cost, what a deficit does, what an empty month bills, and the
    GL account districts book it to."""
    agency = agency_or_404(request, slug, Action.SERVICE_CATALOG_EDIT)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    service = permissions.get_or_404(Service.objects.filter(agency=agency), pk=pk)
    year = ServiceYear.objects.filter(service=service, fiscal_year=fiscal_year).first()
    initial = {"actual_cost": year.actual_cost if year else None,
               "deficit_policy": service.deficit_policy, "empty_month": service.empty_month,
               "gl_account": service.gl_account}  # fmt: skip
    form = ServiceTermsForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service_writes.service_update(
                user=request.user, service=service, deficit_policy=data["deficit_policy"],
                empty_month=data["empty_month"], gl_account=data["gl_account"].strip(),
            )  # fmt: skip
            if data["actual_cost"] is not None or year is not None:
                service_writes.service_year_set(
                    user=request.user, service=service, fiscal_year=fiscal_year,
                    budget=year.budget if year else Decimal(0), actual_cost=data["actual_cost"],
                )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {service.code} for FY{fiscal_year}.")
            return redirect("billing:budget", slug, fiscal_year)
    return render(request, "billing/service_terms.html", {
        "agency": agency, "fiscal_year": fiscal_year, "service": service, "year": year,
        "form": form, "cancel_url": reverse("billing:budget", args=[slug, fiscal_year]),
    })  # fmt: skip


@login_required
def member_budget(request: HttpRequest, slug: str, fiscal_year: int, pk: int) -> HttpResponse:
    """One member's estimated charges for the year, by service."""
    agency = agency_or_404(request, slug)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    institution = _member(request, agency, pk)
    permissions.require(request.user, Action.BILLING_VIEW, agency, institution=institution)
    est = yearend.estimates(agency, fiscal_year)
    subs = {s.service.code: s for s in Subscription.objects.filter(
        institution=institution, fiscal_year=fiscal_year).select_related("service")}  # fmt: skip
    services = {s.code: s for s in Service.objects.filter(agency=agency)}
    rows: list[dict[str, Any]] = []
    for (member, code), amount in sorted(est.items(), key=lambda kv: kv[0][1]):
        if member != institution.pk:
            continue
        sub = subs.get(code)
        rows.append({"service": services[code], "quantity": sub.quantity if sub else None,
                     "sub": sub, "estimated": amount})  # fmt: skip
    return render(request, "billing/member_budget.html", {
        "agency": agency, "institution": institution, "fiscal_year": fiscal_year, "rows": rows,
        "total": sum((r["estimated"] for r in rows), Decimal(0)),
        "staff": permissions.can(request.user, Action.BILLING_VIEW, agency),
    })  # fmt: skip


# A member's billing ----------------------------------------------------------------------------


@login_required
def member_billing(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A member's subscriptions, usage, invoices, statement and cost against budget."""
    agency = agency_or_404(request, slug)
    institution = permissions.get_or_404(permissions.institutions_for(request.user, agency), pk=pk)
    permissions.require(request.user, Action.BILLING_VIEW, agency, institution=institution)
    fy = _fy(agency)
    today = _today(agency)
    subs = (
        Subscription.objects.filter(institution=institution, fiscal_year=fy)
        .select_related("service")
        .order_by("service__code")
    )
    estimates = yearend.estimates(agency, fy)
    invoices = Invoice.objects.filter(institution=institution, status=Invoice.Status.ISSUED)
    ytd: dict[str, Decimal] = defaultdict(Decimal)
    for code, amount in InvoiceLine.objects.filter(
        invoice__in=invoices.filter(fiscal_year=fy)
    ).values_list("service__code", "amount"):
        ytd[code] += amount
    rows: list[dict[str, Any]] = []
    for sub in subs:
        code = sub.service.code
        rows.append({"sub": sub, "budget": estimates.get((institution.pk, code), Decimal(0)),
                     "ytd": ytd.get(code, Decimal(0))})  # fmt: skip
    bars = [Bar(f"{r['sub'].service.code} {r['sub'].service.name}", r["ytd"], r["budget"])
            for r in rows if r["budget"] or r["ytd"]]  # fmt: skip
    chart = bar_chart(
        f"FY{fy} cost to date against budget", bars,
        describe="Bars show charges invoiced so far this year by service; the black mark is "
        "the year's estimated budget. The table below gives the figures.", fmt=money,
    ) if bars else ""  # fmt: skip
    usage = UsageRecord.objects.filter(institution=institution).select_related(
        "service").order_by("-period", "service__code")[:24]  # fmt: skip
    payments = Payment.objects.filter(institution=institution).select_related(
        "reversal").order_by("-received_on", "-pk")[:24]  # fmt: skip
    memos = CreditMemo.objects.filter(institution=institution).order_by("-issued_on", "-number")
    choice = RefundChoice.objects.filter(institution=institution, fiscal_year=fy).first()
    return render(request, "billing/member.html", {
        "agency": agency, "institution": institution, "fiscal_year": fy, "rows": rows,
        "chart": chart, "invoices": invoices.order_by("-period", "-number")[:24],
        "statement": statements.statement(institution, today), "usage": usage,
        "payments": payments, "memos": memos[:24], "refund_choice": choice,
        "total_budget": sum((r["budget"] for r in rows), Decimal(0)),
        "total_ytd": sum((r["ytd"] for r in rows), Decimal(0)),
        "can_adjust": permissions.can(request.user, Action.BILLING_ADJUST, agency),
        "can_set_dates": permissions.can(request.user, Action.SERVICE_REQUEST_DECIDE, agency),
        "can_choose": permissions.can(request.user, Action.BILLING_REFUND_CHOOSE, agency,
                                      institution=institution),
        "can_file": permissions.can(request.user, Action.SERVICE_REQUEST_FILE, agency,
                                    institution=institution),
    })  # fmt: skip


@login_required
def statement_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The member's statement of account as of today, as a PDF to send or file."""
    from .pdf import PdfUnavailable
    from .pdf import statement_pdf as render_pdf

    agency = agency_or_404(request, slug)
    institution = _member(request, agency, pk)
    permissions.require(request.user, Action.BILLING_VIEW, agency, institution=institution)
    try:
        pdf = render_pdf(institution, _today(agency))
    except PdfUnavailable:
        logger.exception("statement PDF cannot be drawn")
        messages.error(request, "PDF statements are not available on this server yet (its "
                       "administrator needs to install the Pango library).")  # fmt: skip
        return redirect("billing:member", agency.slug, institution.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"statement-{institution.pk}-{_today(agency):%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def member_billing_url(agency: Agency, institution: Institution) -> str:
    return reverse("billing:member", args=[agency.slug, institution.pk])


def _member(request: HttpRequest, agency: Agency, pk: int) -> Institution:
    return permissions.get_or_404(permissions.institutions_for(request.user, agency), pk=pk)


@login_required
def payment_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Record a payment received from a member (on one invoice, or oldest open first)."""
    agency = agency_or_404(request, slug)
    institution = _member(request, agency, pk)
    permissions.require(request.user, Action.BILLING_ADJUST, agency)
    invoices = Invoice.objects.filter(
        agency=agency, institution=institution, status=Invoice.Status.ISSUED
    ).order_by("-period", "-number")
    form = PaymentForm(posted(request), invoices=invoices,
                       initial={"received_on": _today(agency)})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = ledger.payment_record(
                user=request.user, institution=institution, amount=data["amount"],
                received_on=data["received_on"], reference=data["reference"],
                invoice=data["invoice"],
            )  # fmt: skip
            unapplied = ledger.payment_unapplied(payment)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            text = f"Recorded a payment of {money(payment.amount)} from {institution.name}"
            if unapplied:
                text += (f": {money(payment.amount - unapplied)} applied to open invoices, "
                         f"{money(unapplied)} held as unapplied credit")  # fmt: skip
            messages.success(request, text + ".")
            return redirect("billing:member", slug, institution.pk)
    return render(request, "billing/payment_new.html", {
        "agency": agency, "institution": institution, "form": form,
        "statement": statements.statement(institution, _today(agency)),
        "cancel_url": member_billing_url(agency, institution),
    })  # fmt: skip


@login_required
def payment_reverse(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Confirmation page: reverse a payment (a new record; the payment itself never changes)."""
    agency = agency_or_404(request, slug, Action.BILLING_ADJUST)
    payment = permissions.get_or_404(
        permissions.billing_records_for(request.user, agency, Payment), pk=pk)  # fmt: skip
    form = ReverseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            ledger.payment_reverse(user=request.user, payment=payment,
                                   reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Reversed the payment of {money(payment.amount)}.")
            return redirect("billing:member", slug, payment.institution_id)
    return render(request, "billing/payment_reverse.html", {
        "agency": agency, "payment": payment, "form": form,
        "cancel_url": member_billing_url(agency, payment.institution),
    })  # fmt: skip


@login_required
def refund_choice(request: HttpRequest, slug: str, pk: int, fiscal_year: int) -> HttpResponse:
    """The member chooses: apply its year-end refunds to open invoices, or carry them."""
    agency = agency_or_404(request, slug)
    institution = _member(request, agency, pk)
    permissions.require(request.user, Action.BILLING_REFUND_CHOOSE, agency,
                        institution=institution)  # fmt: skip
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    current = RefundChoice.objects.filter(institution=institution,
                                          fiscal_year=fiscal_year).first()  # fmt: skip
    form = RefundChoiceForm(
        posted(request),
        initial={"disposition": current.disposition if current else CreditMemo.Disposition.APPLY},
    )
    if request.method == "POST" and form.is_valid():
        try:
            ledger.refund_choose(user=request.user, institution=institution,
                                 fiscal_year=fiscal_year,
                                 disposition=form.cleaned_data["disposition"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved how FY{fiscal_year} refunds are handled.")
            return redirect("billing:member", slug, institution.pk)
    return render(request, "billing/refund_choice.html", {
        "agency": agency, "institution": institution, "fiscal_year": fiscal_year,
        "form": form, "cancel_url": member_billing_url(agency, institution),
    })  # fmt: skip


@login_required
def receipts_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a cash-receipts CSV: every payment applied, or none."""
    agency = agency_or_404(request, slug, Action.BILLING_ADJUST)
    form = ReceiptsForm(posted(request), request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            form.add_error("file", "At most 5 MB.")
        else:
            try:
                result = import_receipts(user=request.user, agency=agency, data=upload.read())
            except ReceiptsImportFailed as exc:
                errors = exc.errors[:200]
                form.add_error(None, f"Nothing was recorded: {len(exc.errors)} problem(s) "
                               "listed below.")  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, f"Recorded {result.recorded} payments ({money(result.total)}); "
                    f"{result.unchanged} already recorded; {money(result.unapplied)} held as "
                    "unapplied credit.",
                )  # fmt: skip
                return redirect("billing:home", slug)
    return render(request, "billing/receipts_import.html", {
        "agency": agency, "form": form, "errors": errors,
        "cancel_url": reverse("billing:home", args=[slug]),
    })  # fmt: skip
