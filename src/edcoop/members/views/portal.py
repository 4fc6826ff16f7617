"""The member portal (one institution) and the supplier portal (one supplier).

Lookups go through ``permissions.institutions_for`` / ``suppliers_for``, so another
institution or supplier, even of the same agency, is a 404 for a member or supplier user.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from edcoop.core import permissions, tasks
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action

from .. import services
from ..forms import ConfirmForm, InstitutionForm, SupplierProfileForm, add_service_errors
from ..models import Agency, Institution, Membership
from ._common import supplier_or_404
from .console import _cert_labels


def _institution(request: HttpRequest, agency: Agency, pk: int) -> Institution:
    institution = permissions.get_or_404(permissions.institutions_for(request.user, agency), pk=pk)
    permissions.require(request.user, Action.INSTITUTION_VIEW, agency, institution=institution)
    return institution


def _edit_fields(request: HttpRequest, agency: Agency) -> set[str]:
    if permissions.is_agency_staff(request.user, agency):
        return {*services.INSTITUTION_FIELDS, *services.BILLING_FIELDS}
    return set(services.MEMBER_EDITABLE_FIELDS)


@login_required
def institution_portal(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    institution = _institution(request, agency, pk)
    membership = Membership.objects.filter(institution=institution).first()
    years = membership.years.order_by("-fiscal_year") if membership else []
    sees_billing = permissions.can(
        request.user, Action.BILLING_VIEW, agency, institution=institution
    )
    balance = None
    if sees_billing:
        from edcoop.billing import closing, statements

        balance = statements.statement(institution, closing.agency_today(agency)).balance
    return render(
        request,
        "portal/institution.html",
        {
            "agency": agency,
            "institution": institution,
            "membership": membership,
            "years": years,
            "tasks": tasks.member_tasks_for(request.user, agency, institution),
            "balance": balance,
            "can_demand": permissions.can(
                request.user, Action.DEMAND_COMMIT, agency, institution=institution
            ),
            "can_edit": permissions.can(
                request.user, Action.INSTITUTION_EDIT, agency, institution=institution
            ),
        },
    )


@login_required
def institution_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    institution = _institution(request, agency, pk)
    permissions.require(request.user, Action.INSTITUTION_EDIT, agency, institution=institution)
    only = _edit_fields(request, agency)
    initial = {name: getattr(institution, name) for name in only}
    form = InstitutionForm(posted(request), initial=initial, only=only)
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_update(
                user=request.user, institution=institution, **form.cleaned_data
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Saved your institution's details.")
            return redirect("members:portal", agency.slug, institution.pk)
    return render(
        request,
        "members/institution_edit.html",
        {"agency": agency, "form": form, "institution": institution,
         "cancel_url": reverse("members:portal", args=[agency.slug, institution.pk])},
    )  # fmt: skip


@login_required
def supplier_portal(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = supplier_or_404(request, agency, pk)
    return render(
        request,
        "portal/supplier.html",
        {
            "agency": agency,
            "supplier": supplier,
            "certifications": _cert_labels(supplier),
            "tasks": tasks.supplier_tasks_for(request.user, agency, supplier),
            "can_edit": permissions.can(
                request.user, Action.SUPPLIER_EDIT, agency, supplier=supplier
            ),
            "change_requests": supplier.change_requests.all(),
        },
    )


@login_required
def supplier_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = supplier_or_404(request, agency, pk)
    permissions.require(request.user, Action.SUPPLIER_EDIT, agency, supplier=supplier)
    represents = services.represents(request.user, supplier)
    form = SupplierProfileForm(posted(request), represents=represents, initial={
        name: getattr(supplier, name) for name in SupplierProfileForm.base_fields
        if name not in ("tax_id", "new_tax_id")
    })  # fmt: skip
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if new_tax_id := fields.pop("new_tax_id", ""):
            fields["tax_id"] = new_tax_id
        if not represents:
            fields.pop("email", None)  # shown, not editable: it belongs to the supplier
        try:
            saved = services.supplier_update(user=request.user, supplier=supplier, **fields)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Saved the company profile.")
            for notice in saved.notices:
                messages.info(request, notice)
            return redirect("members:supplier_portal", agency.slug, supplier.pk)
    return render(request, "portal/supplier_edit.html",
                  {"agency": agency, "supplier": supplier, "form": form})  # fmt: skip


@login_required
def supplier_contact_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The link mailed to a new contact address: a representative of the supplier, signed
    in, confirms it (a POST, so that mail scanners following links change nothing)."""
    agency = agency_or_404(request, slug)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            supplier = services.supplier_contact_confirm(
                user=request.user, agency=agency, token=token
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Notices now go to {supplier.email}.")
            return redirect("members:supplier_portal", agency.slug, supplier.pk)
    return render(request, "portal/supplier_contact_confirm.html",
                  {"agency": agency, "form": form})  # fmt: skip
