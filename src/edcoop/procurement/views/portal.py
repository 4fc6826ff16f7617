"""The supplier portal (open solicitations, its own responses) and the member portal's
demand surveys. Another supplier's or institution's pages are 404."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from edcoop.core import permissions
from edcoop.core.pages import agency_or_404, posted
from edcoop.core.permissions import Action
from edcoop.members.forms import ConfirmForm, add_service_errors
from edcoop.members.models import Agency, Institution, Supplier

from .. import awarding, demand, questions, responses, sealing, selectors, timing
from ..forms import DemandForm, QuestionForm, ResponseForm
from ..models import Award, Response, Solicitation


def _supplier(request: HttpRequest, agency: Agency, sid: int) -> Supplier:
    supplier = permissions.get_or_404(permissions.suppliers_for(request.user, agency), pk=sid)
    permissions.require(request.user, Action.RESPONSE_SUBMIT, agency, supplier=supplier)
    return supplier


@login_required
def bids(request: HttpRequest, slug: str, sid: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = _supplier(request, agency, sid)
    now = timing.now()
    open_now = (
        selectors.public_solicitations(agency)
        .filter(status=Solicitation.Status.PUBLISHED, responses_due_at__gt=now)
        .order_by("responses_due_at", "pk")
    )
    mine = (Response.objects.filter(supplier=supplier).exclude(status=Response.Status.SUPERSEDED)
            .select_related("solicitation").order_by("-received_at", "pk"))  # fmt: skip
    # Solicitations whose award notice has been sent: the supplier's outcome and protests.
    noticed = set(Award.objects.filter(solicitation__responses__supplier=supplier,
                                       noticed_at__isnull=False)
                  .values_list("solicitation_id", flat=True))  # fmt: skip
    return render(
        request,
        "procurement/supplier_bids.html",
        {"agency": agency, "supplier": supplier, "open_now": open_now, "mine": mine,
         "noticed": noticed},
    )  # fmt: skip


def _open_solicitation(agency: Agency, pk: int) -> Solicitation:
    return permissions.get_or_404(selectors.public_solicitations(agency).select_related("agency"),
                                  pk=pk)  # fmt: skip


@login_required
def respond(request: HttpRequest, slug: str, sid: int, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = _supplier(request, agency, sid)
    s = _open_solicitation(agency, pk)
    draft = Response.objects.filter(solicitation=s, supplier=supplier,
                                    status=Response.Status.DRAFT).first()  # fmt: skip
    current = Response.objects.filter(solicitation=s, supplier=supplier, is_current=True).first()
    source = draft or current
    content = sealing.unseal_for(request.user, source, what="own response") if source else None
    form = ResponseForm(posted(request), request.FILES or None, solicitation=s,
                        initial_content=content)  # fmt: skip
    # Attachments to remove are the draft's own, by id; anything else is refused, not a 500.
    known = {str(a.pk): a.pk for a in draft.attachments.all()} if draft else {}
    remove = request.POST.getlist("remove") if request.method == "POST" else []
    if any(x not in known for x in remove):
        form.add_error(None, "An attachment marked for removal is not in your draft: reload "
                             "the page and try again. Nothing was saved.")  # fmt: skip
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            data = form.response_input()
            if submit:
                receipt = responses.response_submit(
                    user=request.user, solicitation=s, supplier=supplier, data=data,
                    uploads=form.uploads(), with_draft_attachments=True,
                    idempotency_key=form.cleaned_data.get("idempotency_key", ""),
                    received_at=timing.received(request),
                )  # fmt: skip
            else:
                responses.response_save_draft(
                    user=request.user, solicitation=s, supplier=supplier, data=data,
                    uploads=form.uploads(),
                    remove_attachments=[known[x] for x in remove],
                )  # fmt: skip
        except responses.IdempotencyConflict as e:
            first = e.previous
            when = (f" (version {first.version}, received "
                    f"{timing.utc_to_local(agency, first.received_at):%b %d, %Y %I:%M:%S %p %Z})"
                    if first is not None else "")  # fmt: skip
            form.add_error(None, f"This page was already submitted{when} with different "
                                 "content, so nothing new was received. Check the form and "
                                 "press Submit response again to send it as a "
                                 "revision.")  # fmt: skip
            # This page's key is spent: a fresh one lets the supplier send it as a revision.
            fresh = request.POST.copy()
            fresh["idempotency_key"] = uuid.uuid4().hex
            form.data = fresh
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            if submit:
                messages.success(request, "Your response was received and sealed.")
                return redirect(
                    "procurement:receipt", agency.slug, supplier.pk, s.pk, receipt.response_id
                )
            messages.success(request, "Draft saved. It is not submitted yet.")
            return redirect("procurement:respond", agency.slug, supplier.pk, s.pk)
    # A refused submission answers 400, so a client (or a test) sees it was not received.
    refused = request.method == "POST" and bool(form.errors)
    return render(request, "procurement/respond.html", status=400 if refused else 200, context={
        "agency": agency, "supplier": supplier, "s": s, "form": form, "draft": draft,
        "current": current, "attachments": [sealing.attachment_meta_for(request.user, a)
                        for a in draft.attachments.all()] if draft else [],
        "is_open": s.status == "published" and timing.is_on_time(s.responses_due_at,
                                                                 timing.now()),
        "addenda": s.addenda.all(), "questions": selectors.public_questions(s),
        "lots": s.lots.prefetch_related("items"),
    })  # fmt: skip


@login_required
def receipt(request: HttpRequest, slug: str, sid: int, pk: int, rid: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = _supplier(request, agency, sid)
    r = permissions.get_or_404(Response.objects.filter(supplier=supplier, solicitation_id=pk)
                               .exclude(status=Response.Status.DRAFT)
                               .select_related("solicitation"), pk=rid)  # fmt: skip
    envelope = sealing.own_envelope(request.user, r)
    return render(request, "procurement/receipt.html", {
        "agency": agency, "supplier": supplier, "s": r.solicitation, "r": r,
        "envelope": envelope, "canonical": sealing.canonical(envelope.content).decode(),
    })  # fmt: skip


@login_required
def withdraw(request: HttpRequest, slug: str, sid: int, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = _supplier(request, agency, sid)
    s = _open_solicitation(agency, pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            responses.response_withdraw(user=request.user, solicitation=s, supplier=supplier)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Your response is withdrawn. You may submit again before "
                                      "the deadline.")  # fmt: skip
            return redirect("procurement:bids", agency.slug, supplier.pk)
    return render(request, "procurement/confirm.html", {
        "agency": agency, "s": s, "form": form, "label": "Withdraw response", "danger": True,
        "what": "Your submitted response will no longer count. You may submit a new one "
                "before the deadline.",
        "cancel_url": reverse("procurement:respond", args=[slug, sid, pk]),
    })  # fmt: skip


@login_required
def ask(request: HttpRequest, slug: str, sid: int, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    supplier = _supplier(request, agency, sid)
    s = _open_solicitation(agency, pk)
    form = QuestionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            questions.question_ask(
                user=request.user, solicitation=s, supplier=supplier, **form.cleaned_data
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Question sent. The answer will be published to all "
                                      "suppliers.")  # fmt: skip
            return redirect("procurement:respond", agency.slug, supplier.pk, s.pk)
    return render(request, "procurement/form.html", {
        "agency": agency, "s": s, "form": form, "heading": f"Ask about {s.number}",
        "submit": "Send question", "cancel_url": reverse("procurement:respond",
                                                         args=[slug, sid, pk]),
    })  # fmt: skip


def _institution(request: HttpRequest, agency: Agency, iid: int) -> Institution:
    institution = permissions.get_or_404(permissions.institutions_for(request.user, agency),
                                         pk=iid)  # fmt: skip
    permissions.require(request.user, Action.DEMAND_COMMIT, agency, institution=institution)
    return institution


@login_required
def surveys(request: HttpRequest, slug: str, iid: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    institution = _institution(request, agency, iid)
    qs = Solicitation.objects.filter(
        agency=agency, survey_deadline__gt=timing.now(), status=Solicitation.Status.DRAFT
    ).order_by("survey_deadline")
    pooling = awarding.pooling_of(institution)
    return render(
        request,
        "procurement/surveys.html",
        {"agency": agency, "institution": institution, "surveys": qs, "pooling": pooling,
         "pooling_total": sum((r.saving.saving for r in pooling), Decimal("0.00"))},
    )  # fmt: skip


@login_required
def survey(request: HttpRequest, slug: str, iid: int, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug)
    institution = _institution(request, agency, iid)
    s = permissions.get_or_404(
        Solicitation.objects.filter(agency=agency, survey_deadline__isnull=False), pk=pk
    )
    form = DemandForm(posted(request), solicitation=s,
                      current=selectors.commitments_of(s, institution))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            demand.demand_commit(user=request.user, solicitation=s, institution=institution,
                                   quantities=form.quantities())  # fmt: skip
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Saved your estimated quantities.")
            return redirect("procurement:surveys", agency.slug, institution.pk)
    ctx: dict[str, Any] = {
        "agency": agency,
        "institution": institution,
        "s": s,
        "form": form,
        "heading": f"Demand survey: {s.title}",
        "submit": "Save quantities",
        "cancel_url": reverse("procurement:surveys", args=[slug, iid]),
    }
    return render(request, "procurement/form.html", ctx)
