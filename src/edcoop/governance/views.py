"""Governance pages: the compliance rule table and the check."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header

from edcoop.core import formatting, permissions
from edcoop.core.charts import Bar, bar_chart
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action
from edcoop.members.forms import add_service_errors
from edcoop.members.models import Agency, Institution, Membership
from edcoop.procurement import selectors as procurement_selectors
from edcoop.procurement.files import Upload
from edcoop.procurement.models import Solicitation
from edcoop.services.fiscal import fiscal_year_of

from . import annual, audit_files, report_files, selectors, services
from . import monitor as monitor_engine
from .forms import (
    AuditExportForm,
    CheckForm,
    PiggybackForm,
    PublicDocumentForm,
    RuleForm,
    StudyDistrictsForm,
    StudyForm,
    WithdrawForm,
)
from .models import ComplianceRule, PublicDocument, SavingsStudy


@login_required
def compliance(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.COMPLIANCE_VIEW)
    asked = "amount" in request.GET
    form = CheckForm(request.GET if asked else None, initial={"jurisdiction": agency.state})
    result = None
    if asked and form.is_valid():
        try:
            result = services.compliance_check(agency=agency, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
    rows = selectors.rule_rows(agency)
    return render(request, "governance/compliance.html", {
        "agency": agency, "form": form, "result": result, "rows": rows,
        "piggybacking": list(selectors.piggyback_authorities(agency).values()),
        "can_edit": permissions.can(request.user, Action.COMPLIANCE_EDIT, agency),
    })  # fmt: skip


@login_required
def rule_edit(request: HttpRequest, slug: str, key: str | None = None) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.COMPLIANCE_EDIT)
    row = None
    if key is not None:
        row = (ComplianceRule.objects.filter(agency=agency, key=key).first()
               or ComplianceRule.objects.filter(agency__isnull=True, key=key).first())  # fmt: skip
        if row is None:
            raise Http404("No such rule.")
    form = RuleForm(posted(request), initial=RuleForm.initial_from(row))
    if key is not None:
        del form.fields["key"]
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        target = key or fields.pop("key", "")
        fields.pop("key", None)
        try:
            if not target:
                raise ValidationError({"key": "Give the new rule a short key."})
            if key is None and selectors.key_taken(agency, target):
                raise ValidationError({"key": "A rule with this key exists; edit it instead."})
            saved = services.rule_save(user=request.user, agency=agency, key=target, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved: {saved.name}. It applies to {agency.name} only.")
            return redirect("governance:compliance", slug)
    return render(request, "governance/rule_edit.html", {
        "agency": agency, "form": form, "row": row, "key": key,
        "is_default": row is not None and row.agency_id is None,
    })  # fmt: skip


def _reset_own(request: HttpRequest, slug: str, reset: Any, done: str, edit: HttpResponse
               ) -> HttpResponse:  # fmt: skip
    """Going back to a shipped record (a rule, a piggybacking authority): POST only, then
    the compliance page with what happened."""
    agency = agency_or_404(request, slug, Action.COMPLIANCE_EDIT)
    if request.method != "POST":
        return edit
    try:
        reset(user=request.user, agency=agency)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("governance:compliance", slug)


@login_required
def rule_reset(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    return _reset_own(request, slug, partial(services.rule_reset, key=key),
                      "The shipped rule applies again.",
                      redirect("governance:rule_edit", slug, key))  # fmt: skip


@login_required
def piggyback_edit(request: HttpRequest, slug: str, jurisdiction: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.COMPLIANCE_EDIT)
    row = selectors.piggyback_authorities(agency).get(jurisdiction)
    if row is None:
        raise Http404("No piggybacking authority is recorded for that jurisdiction.")
    initial = {name: getattr(row, name) for name in services.PIGGYBACK_FIELDS}
    form = PiggybackForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.piggyback_save(user=request.user, agency=agency,
                                            jurisdiction=jurisdiction, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved: {saved.name}. It applies to {agency.name} only.")
            return redirect("governance:compliance", slug)
    return render(request, "governance/piggyback_edit.html", {
        "agency": agency, "form": form, "row": row, "is_default": row.agency_id is None,
    })  # fmt: skip


@login_required
def piggyback_reset(request: HttpRequest, slug: str, jurisdiction: str) -> HttpResponse:
    return _reset_own(request, slug,
                      partial(services.piggyback_reset, jurisdiction=jurisdiction),
                      "The shipped record applies again.",
                      redirect("governance:piggyback_edit", slug, jurisdiction))  # fmt: skip


# Savings studies ----------------------------------------------------------------------------


def _study(request: HttpRequest, slug: str, pk: int) -> tuple[Agency, SavingsStudy]:
    """A study the visitor may see: staff see drafts; anyone sees a published one."""
    agency = get_object_or_404(Agency, slug=slug)
    study = permissions.get_or_404(selectors.studies_for(request.user, agency), pk=pk)
    return agency, study


def studies(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    rows = selectors.studies_for(request.user, agency)
    return render(request, "governance/studies.html", {
        "agency": agency, "studies": rows,
        "can_edit": permissions.can(request.user, Action.STUDY_EDIT, agency),
    })  # fmt: skip


def study_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency, study = _study(request, slug, pk)
    result, problems = selectors.study_result(study)
    chart = None
    if result is not None:
        chart = bar_chart(
            f"Saving after aid per district, {study.service_name}",
            [Bar(r.name, r.saving_after_aid) for r in result.districts],
            describe="Each district's yearly saving after BOCES aid; the table gives every "
                     "figure, before aid too.", fmt=formatting.money,
        )  # fmt: skip
    return render(request, "governance/study.html", {
        "agency": agency, "study": study, "result": result, "problems": problems,
        "chart": chart, "can_edit": permissions.can(request.user, Action.STUDY_EDIT, agency),
        "staff": permissions.can(request.user, Action.STUDY_VIEW, agency),
    })  # fmt: skip


@login_required
def study_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.STUDY_EDIT)
    study = None
    today = timezone.now().astimezone(agency.zone).date()
    this_year = fiscal_year_of(today, agency.fiscal_year_start_month)
    initial: dict[str, object] = {"aidable": True, "sensitivity_pct": "10", "basis": "rwada",
                                  "fiscal_year": this_year}  # fmt: skip
    if pk is not None:
        study = permissions.get_or_404(SavingsStudy.objects.filter(agency=agency), pk=pk)
        initial = {name: getattr(study, name) for name in services.STUDY_FIELDS}
    form = StudyForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if study is None:
                study = services.study_create(user=request.user, agency=agency,
                                              **form.cleaned_data)  # fmt: skip
            else:
                services.study_update(user=request.user, study=study, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved. Now enter each district's in-house cost.")
            return redirect("governance:study_districts", slug, study.pk)
    return render(request, "governance/study_edit.html", {
        "agency": agency, "study": study, "form": form,
    })  # fmt: skip


@login_required
def study_districts(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.STUDY_EDIT)
    study = permissions.get_or_404(SavingsStudy.objects.filter(agency=agency), pk=pk)
    districts = list(Institution.objects.filter(
        agency=agency, membership__status=Membership.Status.ACTIVE,
        kind=Institution.Kind.PUBLIC_K12).order_by("name"))  # fmt: skip
    initial: dict[str, object] = {}
    for row in study.districts.all():
        initial[f"d{row.institution_id}-include"] = True
        for name in services.DISTRICT_FIELDS:
            initial[f"d{row.institution_id}-{name}"] = getattr(row, name)
    form = StudyDistrictsForm(posted(request), initial=initial, districts=districts,
                              custom=study.basis == SavingsStudy.Basis.CUSTOM)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.study_set_districts(user=request.user, study=study, rows=form.rows())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved the districts' in-house costs.")
            return redirect("governance:study", slug, study.pk)
    return render(request, "governance/study_districts.html", {
        "agency": agency, "study": study, "form": form,
    })  # fmt: skip


@login_required
def study_publish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.STUDY_EDIT)
    study = permissions.get_or_404(SavingsStudy.objects.filter(agency=agency), pk=pk)
    if request.method == "POST":
        try:
            services.study_publish(user=request.user, study=study)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Published: anyone can now read the study.")
    return redirect("governance:study", slug, study.pk)


@login_required
def study_copy(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.STUDY_EDIT)
    study = permissions.get_or_404(SavingsStudy.objects.filter(agency=agency), pk=pk)
    if request.method != "POST":
        return redirect("governance:study", slug, study.pk)
    copy = services.study_copy(user=request.user, study=study)
    messages.success(request, "A new draft with the same figures: revise it, then publish.")
    return redirect("governance:study_edit", slug, copy.pk)


# The transparency page ----------------------------------------------------------------------


def transparency(request: HttpRequest, slug: str) -> HttpResponse:
    """What the agency makes public, on one page: solicitations, tabulations, studies,
    budgets and audits, open data. No sign-in; nothing sealed or private."""
    agency = get_object_or_404(Agency, slug=slug)
    solicitations = procurement_selectors.public_solicitations(agency).order_by("-published_at")
    today = timezone.now().astimezone(agency.zone).date()
    this_year = fiscal_year_of(today, agency.fiscal_year_start_month)
    documents = list(selectors.public_documents(agency))
    return render(request, "governance/transparency.html", {
        "agency": agency, "fiscal_year": this_year,
        "open_now": solicitations.filter(status=Solicitation.Status.PUBLISHED)[:20],
        "opened": solicitations.filter(opened_at__isnull=False).order_by("-opened_at")[:20],
        "studies": SavingsStudy.objects.filter(agency=agency, status=SavingsStudy.Status.PUBLISHED),
        "budgets": selectors.service_budgets(agency, this_year),
        "awards": procurement_selectors.public_awards(agency).order_by("-noticed_at")[:20],
        "contracts": selectors.public_contracts(agency, today),
        "documents": documents,
        "can_post": permissions.can(request.user, Action.PUBLIC_DOCUMENT_POST, agency),
    })  # fmt: skip


def public_document(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    document = get_object_or_404(PublicDocument, agency=agency, pk=pk, withdrawn_at__isnull=True)
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    return response


@login_required
def public_document_new(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.PUBLIC_DOCUMENT_POST)
    form = PublicDocumentForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.public_document_post(
                user=request.user, agency=agency, kind=data["kind"], title=data["title"],
                fiscal_year=data["fiscal_year"], upload=Upload.from_file(data["file"]),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Posted on the transparency page.")
            return redirect("governance:transparency", slug)
    return render(request, "governance/public_document_new.html", {"agency": agency, "form": form})


@login_required
def public_document_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.PUBLIC_DOCUMENT_POST)
    document = get_object_or_404(PublicDocument, agency=agency, pk=pk, withdrawn_at__isnull=True)
    form = WithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.public_document_withdraw(user=request.user, document=document,
                                              reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{document.title} is off the public page.")
            return redirect("governance:transparency", slug)
    return render(request, "governance/public_document_withdraw.html",
                  {"agency": agency, "document": document, "form": form})  # fmt: skip


# Annual reports ---------------------------------------------------------------------------


@login_required
def annual_report(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's annual report (billing staff, auditors), or a member's (its own
    administrator and finance officer too): the page, ``?format=pdf`` or ``?format=xlsx``."""
    agency = agency_or_404(request, slug)
    can_agency = permissions.can(request.user, Action.BILLING_VIEW, agency)
    members = [i for i in permissions.institutions_for(request.user, agency).order_by("name")
               if can_agency or permissions.can(request.user, Action.BILLING_VIEW, agency,
                                                institution=i)]  # fmt: skip
    if not members and not can_agency:
        permissions.require(request.user, Action.BILLING_VIEW, agency)
    today = timezone.now().astimezone(agency.zone).date()
    this_year = fiscal_year_of(today, agency.fiscal_year_start_month)
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        year = 0
    if not 1990 <= year <= this_year + 1:
        raise Http404("No such fiscal year.")
    institution = None
    member = request.GET.get("member") or ""
    if member:
        institution = next((i for i in members if str(i.pk) == member), None)
        if institution is None:
            raise Http404("No such member.")
    elif not can_agency:
        institution = members[0]
    report = annual.annual_report(agency, year, institution)
    fmt = request.GET.get("format")
    if fmt in ("pdf", "xlsx"):
        try:
            data, content_type = (
                (report_files.annual_pdf(report), "application/pdf") if fmt == "pdf"
                else (report_files.annual_xlsx(report), report_files.XLSX)
            )  # fmt: skip
        except report_files.PdfUnavailable:
            return HttpResponse("PDF printing is not available on this server.", status=503,
                                content_type="text/plain")  # fmt: skip
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            True, f"{report.filename}.{fmt}"
        )
        return response
    years = sorted({this_year, year, *annual.report_years(agency)}, reverse=True)
    query = f"year={year}" + (f"&member={institution.pk}" if institution else "")
    return render(request, "governance/annual.html", {
        "agency": agency, "report": report, "members": members, "can_agency": can_agency,
        "years": years, "query": query, **report_files.context(report),
    })  # fmt: skip


ZIP, XLSX = "application/zip", audit_files.XLSX


# Audit support -----------------------------------------------------------------------------


@login_required
def audit_export(request: HttpRequest, slug: str) -> HttpResponse:
    """An auditor's export of the audit trail for a period, with what vouches for it; and
    the procurement file of each solicitation."""
    agency = agency_or_404(request, slug, Action.AUDIT_VIEW)
    today = timezone.now().astimezone(agency.zone).date()
    asked = "since" in request.GET
    form = AuditExportForm(
        request.GET if asked else None,
        initial={"since": today.replace(day=1), "until": today, "format": "xlsx"},
    )
    if asked and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        name = f"{agency.slug}-audit-trail-{since}-{until}"
        if form.cleaned_data["format"] == "zip":
            data, content_type = (
                audit_files.audit_trail_zip(agency, since, until),
                "application/zip",
            )
        else:
            data, content_type = (
                audit_files.audit_trail_xlsx(agency, since, until),
                audit_files.XLSX,
            )
        response = HttpResponse(data, content_type=content_type)
        ext = form.cleaned_data["format"]
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.{ext}")
        return response
    published = permissions.solicitations_for(request.user, agency).filter(
        published_at__isnull=False
    )
    solicitations = published.order_by("-published_at")[:50]
    since = today.replace(day=1)
    return render(request, "governance/audit_export.html", {
        "agency": agency, "form": form, "solicitations": solicitations,
        "verification": audit_files.verification_for(agency, since, today),
    })  # fmt: skip


@login_required
def procurement_file(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.AUDIT_VIEW)
    solicitation = permissions.get_or_404(
        permissions.solicitations_for(request.user, agency), pk=pk
    )
    response = HttpResponse(audit_files.procurement_file(solicitation), content_type=ZIP)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{agency.slug}-procurement-file-{solicitation.number}.zip"
    )
    return response


# The compliance monitor -----------------------------------------------------------------------


@login_required
def monitor(request: HttpRequest, slug: str) -> HttpResponse:
    """The monitor's flags: the agency's (officers, auditors), or one member's purchases
    (``?member=``; a member's administrator and finance officer see only their own)."""
    agency = agency_or_404(request, slug)
    whole = permissions.can(request.user, Action.COMPLIANCE_MONITOR, agency)
    members = [i for i in permissions.institutions_for(request.user, agency).order_by("name")
               if whole or permissions.can(request.user, Action.COMPLIANCE_MONITOR, agency,
                                           institution=i)]  # fmt: skip
    if not whole and not members:
        permissions.require(request.user, Action.COMPLIANCE_MONITOR, agency)
    institution = None
    member = request.GET.get("member") or ""
    if member:
        institution = next((i for i in members if str(i.pk) == member), None)
        if institution is None:
            raise Http404("No such member.")
    elif not whole:
        institution = members[0]
    flags = monitor_engine.with_reviews(agency, monitor_engine.flags_for(agency, institution))
    proof = monitor_engine.opening_proof(agency) if institution is None else None
    counts: dict[str, int] = {}
    for flag in flags:
        counts[flag.label] = counts.get(flag.label, 0) + 1
    reviewer = permissions.can(request.user, Action.COMPLIANCE_REVIEW, agency)
    return render(request, "governance/monitor.html", {
        "agency": agency, "flags": flags, "proof": proof, "institution": institution,
        "members": members, "whole": whole, "counts": sorted(counts.items()),
        "reviewer": reviewer, "open": sum(1 for f in flags if f.review is None),
    })  # fmt: skip


@login_required
def flag_review(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency records its review of one flag (explained, corrected, referred)."""
    from .forms import FlagReviewForm

    agency = agency_or_404(request, slug, Action.COMPLIANCE_REVIEW)
    if request.method != "POST":
        return redirect("governance:monitor", slug)
    form = FlagReviewForm(request.POST)
    if form.is_valid():
        try:
            services.flag_review(user=request.user, agency=agency,
                                 flag_key=form.cleaned_data["flag"],
                                 decision=form.cleaned_data["decision"],
                                 note=form.cleaned_data["note"])  # fmt: skip
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                messages.error(request, " ".join(errors))
        else:
            messages.success(request, "Review recorded: the flag is resolved while its "
                                      "evidence stays the same.")  # fmt: skip
    else:
        for name, problems in form.errors.items():
            messages.error(request, f"{name}: {' '.join(str(p) for p in problems)}")
    return redirect("governance:monitor", slug)
