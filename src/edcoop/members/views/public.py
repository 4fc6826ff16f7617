"""Pages anyone may use: the membership application and supplier registration."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from edcoop.core.pages import posted

from .. import services
from ..forms import JoinForm, SupplierRegisterForm, add_service_errors
from ..models import Agency


def join(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    form = JoinForm(posted(request))
    if request.method == "POST" and agency.accepting_applications and form.is_valid():
        try:
            services.membership_apply(
                agency=agency, application=services.Application(**form.cleaned_data)
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("members:join_thanks", agency.slug)
    return render(request, "members/join.html", {"agency": agency, "form": form})


def join_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    return render(request, "members/join_thanks.html", {"agency": agency})


def supplier_register(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    form = SupplierRegisterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            # A public form: anyone may register; the audit trail names who was signed in.
            services.supplier_register(agency=agency, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("members:supplier_thanks", agency.slug)
    return render(request, "members/supplier_register.html", {"agency": agency, "form": form})


def supplier_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    return render(request, "members/supplier_thanks.html", {"agency": agency})
