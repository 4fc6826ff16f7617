"""Governance pages: the compliance rule table and the check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from edcoop.core import permissions
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action
from edcoop.members.forms import add_service_errors

from . import selectors, services
from .forms import CheckForm, RuleForm
from .models import ComplianceRule


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


@login_required
def rule_reset(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.COMPLIANCE_EDIT)
    if request.method != "POST":
        return redirect("governance:rule_edit", slug, key)
    try:
        services.rule_reset(user=request.user, agency=agency, key=key)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The shipped rule applies again.")
    return redirect("governance:compliance", slug)
