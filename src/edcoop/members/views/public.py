"""Pages anyone may use: the membership application and supplier registration."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from edcoop.core.pages import posted
from edcoop.core.ratelimits import limit_posts

from .. import services
from ..forms import JoinForm, SupplierRegisterForm, add_service_errors
from ..models import Agency


@limit_posts("public-form", "EDCOOP_RATE_PUBLIC_FORMS")
def join(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    form = JoinForm(posted(request))
    if request.method == "POST" and agency.accepting_applications and form.is_valid():
        try:
            services.membership_apply(
                agency=agency, application=services.Application(**form.cleaned_data)
            )
        except services.AlreadyRegistered as e:
            # The same thanks as for a new application: the page never says who is a member.
            services.tell_already_registered(e)
            return redirect("members:join_thanks", agency.slug)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("members:join_thanks", agency.slug)
    return render(request, "members/join.html", {"agency": agency, "form": form})


def join_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    return render(request, "members/join_thanks.html", {"agency": agency})


@limit_posts("public-form", "EDCOOP_RATE_PUBLIC_FORMS")
def supplier_register(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    form = SupplierRegisterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            # A public form: anyone may register; the audit trail names who was signed in.
            services.supplier_register(agency=agency, **form.cleaned_data)
        except services.AlreadyRegistered as e:
            services.tell_already_registered(e)  # the same thanks: nothing revealed
            return redirect("members:supplier_thanks", agency.slug)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect("members:supplier_thanks", agency.slug)
    return render(request, "members/supplier_register.html", {"agency": agency, "form": form})


def supplier_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    return render(request, "members/supplier_thanks.html", {"agency": agency})
