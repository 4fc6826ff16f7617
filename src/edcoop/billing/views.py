"""Billing pages: the agency's runs, invoices, catalog and year end; a member's billing."""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from edcoop.core import permissions
from edcoop.core.charts import Bar, bar_chart
from edcoop.core.jobs import job_start
from edcoop.core.money import quantize_money
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action
from edcoop.core.templatetags.edcoop_ui import money
from edcoop.core.views import export_format, export_response, export_urls, paginate
from edcoop.members.forms import add_service_errors
from edcoop.members.models import Agency, Institution
from edcoop.services.fiscal import fiscal_year_of
from edcoop.services.models import Service, ServiceYear, Subscription, UsageRecord

from . import aid, statements, yearend
from . import services as billing_services
from .forms import ConfirmForm, CreditMemoForm, PaymentForm, RunForm
from .jobs import BILLING_RUN
from .models import BillingRun, Invoice
from .runs import billing_run_compute, billing_run_post

logger = logging.getLogger("edcoop.billing")

INLINE_LIMIT = 5000  # usage records a run computes while the page waits; more: a job


def _today(agency: Agency) -> Any:
    return timezone.now().astimezone(agency.zone).date()


def _fy(agency: Agency) -> int:
    return fiscal_year_of(_today(agency), agency.fiscal_year_start_month)


@login_required
def billing_home(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    can_run = permissions.can(request.user, Action.BILLING_RUN, agency)
    form = RunForm(posted(request))
    if request.method == "POST":
        permissions.require(request.user, Action.BILLING_RUN, agency)
        if form.is_valid():
            period = form.cleaned_data["period"]
            count = UsageRecord.objects.filter(agency=agency, period=period).count()
            if count > INLINE_LIMIT:
                job = job_start(
                    kind=BILLING_RUN, title=f"Billing run for {period:%B %Y}", user=request.user,
                    agency_id=agency.pk, params={"period": f"{period:%Y-%m}",
                                                 "back_url": reverse("billing:home", args=[slug])},
                )  # fmt: skip
                return redirect("job", slug, job.pk)
            try:
                run = billing_run_compute(user=request.user, agency=agency, period=period)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, f"Draft for {period:%B %Y} computed: review it, then post."
                )
                return redirect("billing:run", slug, run.pk)
    runs = BillingRun.objects.filter(agency=agency).order_by("-period", "-pk")
    return render(request, "billing/home.html", {
        "agency": agency, "form": form, "can_run": can_run, "page": paginate(request, runs),
        "fiscal_year": _fy(agency),
        "can_record_usage": permissions.can(request.user, Action.USAGE_RECORD, agency),
    })  # fmt: skip


def _run(request: HttpRequest, agency: Agency, pk: int) -> BillingRun:
    return permissions.get_or_404(BillingRun.objects.filter(agency=agency), pk=pk)


@login_required
def run_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    run = _run(request, agency, pk)
    invoices = run.invoices.select_related("institution").order_by("institution__name", "pk")
    return render(request, "billing/run.html", {
        "agency": agency, "run": run, "page": paginate(request, invoices),
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
    if fmt := export_format(request):
        return export_response(
            fmt, f"{agency.slug}-invoices",
            ["Number", "Member", "Period", "Issued on", "Due on", "Total"],
            ([i.display_number, i.institution.name, f"{i.period:%Y-%m}", i.issued_on, i.due_on,
              i.total] for i in qs.iterator()),
        )  # fmt: skip
    return render(request, "billing/invoice_list.html", {
        "agency": agency, "page": paginate(request, qs), "export_urls": export_urls(request),
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
    lines = invoice.lines.select_related("service").order_by("pk")
    if fmt := export_format(request):
        return export_response(
            fmt, f"invoice-{invoice.display_number}",
            ["Service", "Description", "Kind", "Quantity", "Basis", "Share", "Rate", "Amount"],
            ([ln.service.code, ln.description, ln.get_kind_display(), ln.quantity, ln.basis,
              ln.share, ln.rate, ln.amount] for ln in lines),
        )  # fmt: skip
    return render(request, "billing/invoice.html", {
        "agency": agency, "invoice": invoice, "lines": lines,
        "credit_memos": invoice.credit_memos.all(), "export_urls": export_urls(request),
        "staff": permissions.can(request.user, Action.BILLING_VIEW, agency),
        "can_adjust": permissions.can(request.user, Action.BILLING_ADJUST, agency),
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
             "Participants", f"FY{fy} pool"],
            ([s.code, s.name, s.get_coser_group_display(), s.get_charge_method_display(), s.unit,
              s.unit_rate, "yes" if s.aidable else "no", counts.get(s.pk, 0),
              pools.get(s.pk)] for s in qs),
        )  # fmt: skip
    rows = [{"service": s, "participants": counts.get(s.pk, 0), "pool": pools.get(s.pk)}
            for s in qs]  # fmt: skip
    return render(request, "billing/services.html", {
        "agency": agency, "rows": rows, "fiscal_year": fy, "export_urls": export_urls(request),
    })  # fmt: skip


@login_required
def year_end(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    if not 1990 <= fiscal_year <= 2100:
        raise Http404("No such fiscal year.")
    rows = yearend.true_up_preview(agency, fiscal_year)
    totals = {
        "estimated": sum((r.estimated for r in rows), Decimal(0)),
        "billed": sum((r.billed for r in rows), Decimal(0)),
        "actual": sum((r.actual for r in rows), Decimal(0)),
        "refund": sum((r.refund for r in rows), Decimal(0)),
        "adjustment": sum((r.adjustment for r in rows), Decimal(0)),
    }
    return render(request, "billing/year_end.html", {
        "agency": agency, "fiscal_year": fiscal_year, "rows": rows, "totals": totals,
        "aid_rows": aid.aid_estimate(agency, fiscal_year),
        "can_run": permissions.can(request.user, Action.BILLING_RUN, agency),
    })  # fmt: skip


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
    from .models import InvoiceLine

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
    return render(request, "billing/member.html", {
        "agency": agency, "institution": institution, "fiscal_year": fy, "rows": rows,
        "chart": chart, "invoices": invoices.order_by("-period", "-number")[:24],
        "statement": statements.statement(institution, today), "usage": usage,
        "total_budget": sum((r["budget"] for r in rows), Decimal(0)),
        "total_ytd": sum((r["ytd"] for r in rows), Decimal(0)),
        "can_adjust": permissions.can(request.user, Action.BILLING_ADJUST, agency),
        "can_file": permissions.can(request.user, Action.SERVICE_REQUEST_FILE, agency,
                                    institution=institution),
    })  # fmt: skip


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
            payment = billing_services.payment_record(
                user=request.user, institution=institution, amount=data["amount"],
                received_on=data["received_on"], reference=data["reference"],
                invoice=data["invoice"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Recorded a payment of {money(payment.amount)} from "
                             f"{institution.name}.")  # fmt: skip
            return redirect("billing:member", slug, institution.pk)
    return render(request, "billing/payment_new.html", {
        "agency": agency, "institution": institution, "form": form,
        "cancel_url": member_billing_url(agency, institution),
    })  # fmt: skip


@login_required
def credit_memo_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Confirmation page: issue a credit memo that corrects an issued invoice."""
    agency = agency_or_404(request, slug)
    invoice = _invoice(request, agency, pk)
    permissions.require(request.user, Action.BILLING_ADJUST, agency)
    form = CreditMemoForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            memo = billing_services.credit_memo_issue(
                user=request.user, invoice=invoice, amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Issued credit memo {memo.display_number} for "
                             f"{money(memo.amount)} on invoice {invoice.display_number}.")
            return redirect("billing:invoice", slug, invoice.pk)
    credited = sum((m.amount for m in invoice.credit_memos.all()), Decimal(0))
    return render(request, "billing/credit_memo_new.html", {
        "agency": agency, "invoice": invoice, "form": form, "credited": credited,
        "creditable": invoice.total - credited,
        "cancel_url": reverse("billing:invoice", args=[slug, invoice.pk]),
    })  # fmt: skip


def _fiscal_year_or_404(fiscal_year: int) -> int:
    if not 1990 <= fiscal_year <= 2100:
        raise Http404("No such fiscal year.")
    return fiscal_year


@login_required
def true_up_post(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """Confirmation page: bill the year-end true-up and surplus refunds, and post them."""
    agency = agency_or_404(request, slug, Action.BILLING_RUN)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                run = yearend.true_up_post(user=request.user, agency=agency,
                                           fiscal_year=fiscal_year)  # fmt: skip
                run = billing_run_post(user=request.user, run=run)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Posted the FY{fiscal_year} true-up: "
                             f"{run.invoice_count} invoices issued.")  # fmt: skip
            return redirect("billing:run", slug, run.pk)
    rows = yearend.true_up_preview(agency, fiscal_year)
    members = {r.institution_id for r in rows if r.adjustment or r.refund}
    return render(request, "billing/true_up_post.html", {
        "agency": agency, "fiscal_year": fiscal_year, "form": form,
        "members": len(members),
        "adjustment": sum((r.actual - r.billed for r in rows), Decimal(0)),
        "refund": sum((r.refund for r in rows), Decimal(0)),
        "already": BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.TRUE_UP,
                                             fiscal_year=fiscal_year).first(),
        "cancel_url": reverse("billing:year_end", args=[slug, fiscal_year]),
    })  # fmt: skip


@login_required
def budget(request: HttpRequest, slug: str, fiscal_year: int) -> HttpResponse:
    """The year's budget per service (participants, pool, estimated unit cost) and per
    member (estimated charges), from the subscriptions' quantities at budgeted pools."""
    agency = agency_or_404(request, slug, Action.BILLING_VIEW)
    fiscal_year = _fiscal_year_or_404(fiscal_year)
    est = yearend.estimates(agency, fiscal_year)
    subs = Subscription.objects.filter(agency=agency, fiscal_year=fiscal_year)
    participants: dict[int, int] = defaultdict(int)
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    for service_id, quantity in subs.values_list("service_id", "quantity"):
        participants[service_id] += 1
        quantities[service_id] += quantity
    pools = dict(ServiceYear.objects.filter(service__agency=agency, fiscal_year=fiscal_year)
                 .values_list("service_id", "budget"))  # fmt: skip
    by_code: dict[str, Decimal] = defaultdict(Decimal)
    by_member: dict[int, Decimal] = defaultdict(Decimal)
    for (member, code), amount in est.items():
        by_code[code] += amount
        by_member[member] += amount
    services: list[dict[str, Any]] = []
    for s in Service.objects.filter(agency=agency).order_by("code"):
        if not participants.get(s.pk) and not by_code.get(s.code):
            continue
        total = by_code.get(s.code, Decimal(0))
        qty = quantities.get(s.pk, Decimal(0))
        services.append({
            "service": s, "participants": participants.get(s.pk, 0), "pool": pools.get(s.pk),
            "quantity": qty, "estimated": total,
            "unit_cost": quantize_money(total / qty) if qty else None,
        })  # fmt: skip
    names = dict(Institution.objects.filter(pk__in=list(by_member)).values_list("pk", "name"))
    members = sorted(
        ({"pk": m, "name": names.get(m, ""), "estimated": a} for m, a in by_member.items()),
        key=lambda r: (r["name"], r["pk"]),
    )
    if (fmt := export_format(request)) is not None:
        return export_response(
            fmt, f"{agency.slug}-budget-fy{fiscal_year}",
            ["Code", "Service", "Charge method", "Participants", "Pool", "Estimated quantity",
             "Estimated charges", "Estimated unit cost"],
            ([r["service"].code, r["service"].name, r["service"].get_charge_method_display(),
              r["participants"], r["pool"], r["quantity"], r["estimated"], r["unit_cost"]]
             for r in services),
        )  # fmt: skip
    return render(request, "billing/budget.html", {
        "agency": agency, "fiscal_year": fiscal_year, "services": services, "members": members,
        "total": sum(by_code.values(), Decimal(0)), "export_urls": export_urls(request),
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
                     "estimated": amount})  # fmt: skip
    return render(request, "billing/member_budget.html", {
        "agency": agency, "institution": institution, "fiscal_year": fiscal_year, "rows": rows,
        "total": sum((r["estimated"] for r in rows), Decimal(0)),
        "staff": permissions.can(request.user, Action.BILLING_VIEW, agency),
    })  # fmt: skip
