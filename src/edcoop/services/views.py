"""Service pages: members file requests for services, the business office approves or
declines them into subscriptions, and records monthly usage. Every write goes through
``services.services``; lookups are scoped by ``core.permissions`` (another agency: 404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from edcoop.billing.forms import ConfirmForm
from edcoop.core import permissions
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action
from edcoop.core.views import paginate
from edcoop.members.forms import add_service_errors
from edcoop.members.models import Agency, Institution, Membership

from . import services
from .fiscal import fiscal_year_of
from .forms import ApproveForm, RequestForm, SubscriptionDatesForm, UsageForm
from .models import Service, ServiceRequest, Subscription, UsageRecord


def current_fiscal_year(agency: Agency) -> int:
    today = timezone.now().astimezone(agency.zone).date()
    return fiscal_year_of(today, agency.fiscal_year_start_month)


def request_institutions(user: Any, agency: Agency) -> QuerySet[Institution]:
    """Active members the user may file requests for (all for the business office)."""
    active = permissions.institutions_for(user, agency).filter(
        membership__status=Membership.Status.ACTIVE
    )
    if permissions.can(user, Action.SERVICE_REQUEST_FILE, agency):
        return active.order_by("name", "pk")
    own = [
        i.pk for i in active
        if permissions.can(user, Action.SERVICE_REQUEST_FILE, agency, institution=i)
    ]  # fmt: skip
    return active.filter(pk__in=own).order_by("name", "pk")


def _may_see_requests(user: Any, agency: Agency) -> bool:
    return (
        permissions.can(user, Action.SERVICE_VIEW, agency)
        or request_institutions(user, agency).exists()
    )


@login_required
def request_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Requests for services: all of the agency's for staff, a member's own otherwise."""
    agency = agency_or_404(request, slug)
    if not _may_see_requests(request.user, agency):
        raise PermissionDenied("You may not see service requests here.")
    qs = permissions.service_records_for(request.user, agency, ServiceRequest).select_related(
        "institution", "service").order_by("-submitted_at", "-pk")  # fmt: skip
    status = request.GET.get("status", "")
    if status in ServiceRequest.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    return render(request, "services/request_list.html", {
        "agency": agency, "page": paginate(request, qs), "status": status,
        "statuses": ServiceRequest.Status.choices,
        "can_decide": permissions.can(request.user, Action.SERVICE_REQUEST_DECIDE, agency),
        "can_file": request_institutions(request.user, agency).exists(),
    })  # fmt: skip


@login_required
def request_new(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug)
    institutions = request_institutions(request.user, agency)
    if not institutions.exists():
        raise PermissionDenied("You may not file requests for services here.")
    fy = current_fiscal_year(agency)
    form = RequestForm(
        posted(request), institutions=institutions,
        services=Service.objects.filter(agency=agency, active=True).order_by("code"),
        fiscal_years=[fy + 1, fy], initial={"fiscal_year": fy + 1},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.request_file(
                user=request.user, institution=data["institution"], service=data["service"],
                fiscal_year=data["fiscal_year"], kind=data["kind"], quantity=data["quantity"],
                note=data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            late = " It is past the due date, so it is marked late." if req.late else ""
            messages.success(request, f"{req.get_kind_display()} request for "
                             f"{req.service.code} {req.service.name} filed.{late}")  # fmt: skip
            return redirect("billing:requests", slug)
    return render(request, "services/request_new.html", {"agency": agency, "form": form})


def _request(request: HttpRequest, agency: Agency, pk: int) -> ServiceRequest:
    qs = permissions.service_records_for(request.user, agency, ServiceRequest).select_related(
        "institution", "service", "agency")  # fmt: skip
    found = permissions.get_or_404(qs, pk=pk)
    permissions.require(request.user, Action.SERVICE_REQUEST_DECIDE, agency)
    return found


@login_required
def request_approve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    req = _request(request, agency, pk)
    form = ApproveForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.request_decide(user=request.user, request=req, approve=True,
                                    quantity=form.cleaned_data["quantity"])  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Approved: {req.institution.name} subscribes to "
                             f"{req.service.code} for FY{req.fiscal_year}.")  # fmt: skip
            return redirect("billing:requests", slug)
    return render(request, "services/request_decide.html", {
        "agency": agency, "req": req, "form": form, "approve": True,
    })  # fmt: skip


@login_required
def request_decline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    req = _request(request, agency, pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.request_decide(user=request.user, request=req, approve=False)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Declined the request of {req.institution.name} for "
                             f"{req.service.code}.")  # fmt: skip
            return redirect("billing:requests", slug)
    return render(request, "services/request_decide.html", {
        "agency": agency, "req": req, "form": form, "approve": False,
    })  # fmt: skip


@login_required
def usage_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Record one month's usage of a service by a member."""
    agency = agency_or_404(request, slug, Action.USAGE_RECORD)
    form = UsageForm(
        posted(request),
        institutions=permissions.institutions_for(request.user, agency).filter(
            membership__status=Membership.Status.ACTIVE).order_by("name", "pk"),
        services=Service.objects.filter(agency=agency, active=True,
                                        charge_method__in=services.USAGE_METHODS).order_by("code"),
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.usage_record(
                user=request.user, institution=data["institution"], service=data["service"],
                period=data["period"], quantity=data["quantity"],
                external_ref=data["external_ref"].strip(), note=data["note"],
                confirm_duplicate=data["confirm_duplicate"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Recorded {record.quantity.normalize():f} "
                             f"{record.service.unit} of {record.service.code} for "
                             f"{record.institution.name} in {record.period:%B %Y}.")  # fmt: skip
            return redirect("billing:usage_new", slug)
    recent = UsageRecord.objects.filter(agency=agency).select_related(
        "institution", "service").order_by("-recorded_at", "-pk")[:20]  # fmt: skip
    return render(request, "services/usage_new.html", {
        "agency": agency, "form": form, "recent": recent,
    })  # fmt: skip


@login_required
def subscription_dates(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """When a member's subscription starts and ends within its year (business office)."""
    agency = agency_or_404(request, slug, Action.SERVICE_REQUEST_DECIDE)
    sub = permissions.get_or_404(
        Subscription.objects.filter(agency=agency).select_related("institution", "service",
                                                                  "agency"), pk=pk)  # fmt: skip
    form = SubscriptionDatesForm(posted(request), initial={"starts_on": sub.starts_on,
                                                           "ends_on": sub.ends_on})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_dates_set(user=request.user, subscription=sub,
                                            **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the dates of {sub.institution.name}'s "
                             f"subscription to {sub.service.code}.")  # fmt: skip
            return redirect("billing:member", slug, sub.institution_id)
    return render(request, "services/subscription_dates.html", {
        "agency": agency, "sub": sub, "form": form,
    })  # fmt: skip
