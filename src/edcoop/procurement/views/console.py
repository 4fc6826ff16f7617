"""The agency console for solicitations: list, create, build (lots, items, documents: add,
edit, delete while a draft), publish, addenda, answers, demand survey, the sealed register of
responses, the opening."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from edcoop.core import permissions
from edcoop.core.pages import agency_or_404, allowed, posted
from edcoop.core.permissions import Action
from edcoop.core.views import Column, paginate, sort_columns
from edcoop.members.forms import ConfirmForm, add_service_errors

from .. import drafting, opening, publication, questions, sealing, selectors
from ..forms import (
    AddendumForm,
    AnswerForm,
    CriterionForm,
    DocumentEditForm,
    DocumentForm,
    ItemForm,
    LotForm,
    NoteForm,
    SolicitationForm,
    _file,
)
from ..models import DemandCommitment, Response, Solicitation

COLUMNS = [
    Column("number", "Number", "number"),
    Column("title", "Title", "title"),
    Column("kind", "Type", "kind"),
    Column("status", "Status", "status"),
    Column("due", "Responses due", "responses_due_at"),
]


@login_required
def solicitation_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SOLICITATION_VIEW)
    qs = permissions.solicitations_for(request.user, agency)
    ordering, columns = sort_columns(request, [Column(**vars(c)) for c in COLUMNS], "-due")
    return render(request, "procurement/list.html", {
        "agency": agency, "columns": columns,
        "page": paginate(request, qs.order_by(*ordering, "pk")),
        **allowed(request.user, agency, Action.SOLICITATION_EDIT),
    })  # fmt: skip


@login_required
def solicitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SOLICITATION_EDIT)
    form = SolicitationForm(posted(request), agency=agency,
                            initial={"eligibility": "national" if agency.kind == "national"
                                     else "service_area"})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data.get("lead_agency"):
            data["lead_agency"] = agency.name
        try:
            s = drafting.solicitation_create(user=request.user, agency=agency, **data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Created draft {s.number}. Add its lots and items next.")
            return redirect("procurement:detail", agency.slug, s.pk)
    return render(request, "procurement/form.html", {
        "agency": agency, "form": form, "heading": "New solicitation",
        "submit": "Create draft", "cancel_url": reverse("procurement:list", args=[slug]),
    })  # fmt: skip


def _solicitation(request: HttpRequest, agency: Any, pk: int) -> Solicitation:
    return selectors.solicitation_for(request.user, agency, pk)


@login_required
def solicitation_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SOLICITATION_VIEW)
    s = _solicitation(request, agency, pk)
    responses = (Response.objects.filter(solicitation=s).exclude(status=Response.Status.DRAFT)
                 .select_related("supplier").order_by("received_at", "pk"))  # fmt: skip
    return render(request, "procurement/detail.html", {
        "agency": agency, "s": s, "lots": s.lots.prefetch_related("items"),
        "addenda": s.addenda.all(), "documents": s.documents.select_related("addendum"),
        "questions": s.questions.select_related("supplier"), "criteria": s.criteria.all(),
        "responses": responses, "changes": s.status_changes.all(),
        "demand": selectors.demand_by_item(s) if s.survey_deadline else None,
        "by_member": selectors.demand_by_member(s) if s.survey_deadline else None,
        "participants": selectors.participants(s),
        "can_read": opening.can_read_responses(request.user, s),
        "editable": s.status == Solicitation.Status.DRAFT
        and permissions.can(request.user, Action.SOLICITATION_EDIT, agency),
        **allowed(request.user, agency, Action.SOLICITATION_EDIT, Action.SOLICITATION_PUBLISH,
                  Action.RESPONSE_OPEN, Action.DEMAND_VIEW),
    })  # fmt: skip


def _simple(request: HttpRequest, slug: str, pk: int, form_class: Any, heading: str,
            submit: str, call: Any, done: str, **form_kwargs: Any) -> HttpResponse:  # fmt: skip
    """A small form page that calls one service and goes back to the solicitation."""
    agency = agency_or_404(request, slug, Action.SOLICITATION_EDIT)
    s = _solicitation(request, agency, pk)
    kwargs = {k: (v(s) if callable(v) else v) for k, v in form_kwargs.items()}
    if form_class in (AddendumForm,):
        kwargs["agency"] = agency
    form = form_class(posted(request), request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            call(request, s, form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, done)
            return redirect("procurement:detail", agency.slug, s.pk)
    return render(request, "procurement/form.html", {
        "agency": agency, "s": s, "form": form, "heading": heading, "submit": submit,
        "cancel_url": reverse("procurement:detail", args=[slug, pk]),
    })  # fmt: skip


@login_required
def lot_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _simple(
        request,
        slug,
        pk,
        LotForm,
        "Add a lot",
        "Add lot",
        lambda r, s, d: drafting.lot_add(user=r.user, solicitation=s, **d),
        "Lot added.",
    )


@login_required
def criterion_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _simple(
        request, slug, pk, CriterionForm, "Add an evaluation criterion", "Add criterion",
        lambda r, s, d: drafting.criterion_add(user=r.user, solicitation=s, **d),
        "Criterion added.",
    )  # fmt: skip


@login_required
def item_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    def call(r: Any, s: Any, d: dict[str, Any]) -> None:
        from decimal import Decimal

        d = dict(d)
        d["estimated_quantity"] = d.get("estimated_quantity") or Decimal("0")
        drafting.item_add(user=r.user, **d)

    return _simple(
        request,
        slug,
        pk,
        ItemForm,
        "Add a line item",
        "Add item",
        call,
        "Line item added.",
        solicitation=lambda s: s,
    )


@login_required
def document_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _simple(request, slug, pk, DocumentForm, "Add a document", "Upload document",
                   lambda r, s, d: drafting.document_add(user=r.user, solicitation=s,
                                                         title=d["title"], upload=_file(d["file"])),
                   "Document added.")  # fmt: skip


@login_required
def addendum_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    def call(r: Any, s: Any, d: dict[str, Any]) -> None:
        d = dict(d)
        upload = d.pop("file", None)
        publication.addendum_issue(user=r.user, solicitation=s,
                                upload=_file(upload) if upload else None, **d)  # fmt: skip

    return _simple(request, slug, pk, AddendumForm, "Issue an addendum", "Issue addendum",
                   call, "Addendum issued and e-mailed to suppliers.")  # fmt: skip


# Editing a draft: lots, items, documents. A published solicitation changes only by addendum:
# the services refuse (a POST shows their message); a GET goes back to the solicitation.


def _draft(request: HttpRequest, slug: str, pk: int) -> tuple[Any, Solicitation]:
    agency = agency_or_404(request, slug, Action.SOLICITATION_EDIT)
    s = _solicitation(request, agency, pk)
    return agency, s


def _frozen(request: HttpRequest, agency: Any, s: Solicitation) -> HttpResponse | None:
    if request.method == "POST" or s.status == Solicitation.Status.DRAFT:
        return None
    messages.warning(request, f"{s.number} is {s.get_status_display().lower()}: its lots, items "
                              "and documents change only by addendum.")  # fmt: skip
    return redirect("procurement:detail", agency.slug, s.pk)


def _edit_page(request: HttpRequest, agency: Any, s: Solicitation, form: Any, heading: str,
               submit: str, call: Any, done: str) -> HttpResponse:  # fmt: skip
    if (frozen := _frozen(request, agency, s)) is not None:
        return frozen
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, done)
            return redirect("procurement:detail", agency.slug, s.pk)
    return render(request, "procurement/form.html", {
        "agency": agency, "s": s, "form": form, "heading": heading, "submit": submit,
        "cancel_url": reverse("procurement:detail", args=[agency.slug, s.pk]),
    })  # fmt: skip


def _delete_page(request: HttpRequest, agency: Any, s: Solicitation, label: str, what: str,
                 call: Any, done: str) -> HttpResponse:  # fmt: skip
    if (frozen := _frozen(request, agency, s)) is not None:
        return frozen
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            call()
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, done)
            return redirect("procurement:detail", agency.slug, s.pk)
    return render(request, "procurement/confirm.html", {
        "agency": agency, "s": s, "form": form, "label": label, "what": what, "danger": True,
        "cancel_url": reverse("procurement:detail", args=[agency.slug, s.pk]),
    })  # fmt: skip


@login_required
def lot_edit(request: HttpRequest, slug: str, pk: int, lot: int) -> HttpResponse:
    agency, s = _draft(request, slug, pk)
    found = permissions.get_or_404(s.lots.all(), pk=lot)
    form = LotForm(posted(request), initial={"title": found.title,
                                             "award_basis": found.award_basis})  # fmt: skip
    return _edit_page(request, agency, s, form, f"Edit lot {found.number}", "Save lot",
                      lambda d: drafting.lot_update(user=request.user, lot=found, **d),
                      f"Lot {found.number} saved.")  # fmt: skip


@login_required
def lot_delete(request: HttpRequest, slug: str, pk: int, lot: int) -> HttpResponse:
    agency, s = _draft(request, slug, pk)
    found = permissions.get_or_404(s.lots.all(), pk=lot)
    n_items = found.items.count()
    n_commit = DemandCommitment.objects.filter(item__lot=found).count()
    what = (f"Lot {found.number} ({found.title}) and its {n_items} line item(s) are deleted"
            + (f", with {n_commit} quantity commitment(s) members made to them" if n_commit
               else "") + ". This cannot be undone.")  # fmt: skip
    return _delete_page(request, agency, s, f"Delete lot {found.number}", what,
                        lambda: drafting.lot_delete(user=request.user, lot=found),
                        f"Lot {found.number} deleted.")  # fmt: skip


@login_required
def item_edit(request: HttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    agency, s = _draft(request, slug, pk)
    found = permissions.get_or_404(s.items.select_related("lot"), pk=item)
    form = ItemForm(posted(request), solicitation=s, initial={
        "lot": found.lot_id, "number": found.number, "description": found.description,
        "unit": found.unit, "specifications": found.specifications,
        "estimated_quantity": found.estimated_quantity,
    })  # fmt: skip

    def call(d: dict[str, Any]) -> None:
        d = dict(d)
        d["estimated_quantity"] = d.get("estimated_quantity") or Decimal("0")
        drafting.item_update(user=request.user, item=found, **d)

    return _edit_page(request, agency, s, form, f"Edit item {found.number}", "Save item", call,
                      f"Item {found.number} saved.")  # fmt: skip


@login_required
def item_delete(request: HttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    agency, s = _draft(request, slug, pk)
    found = permissions.get_or_404(s.items.all(), pk=item)
    n_commit = found.commitments.count()
    what = (f"Item {found.number} ({found.description}) is deleted"
            + (f", with the quantities {n_commit} member(s) committed to it" if n_commit else "")
            + ". This cannot be undone.")  # fmt: skip
    return _delete_page(request, agency, s, f"Delete item {found.number}", what,
                        lambda: drafting.item_delete(user=request.user, item=found),
                        f"Item {found.number} deleted.")  # fmt: skip


@login_required
def document_edit(request: HttpRequest, slug: str, pk: int, doc: int) -> HttpResponse:
    agency, s = _draft(request, slug, pk)
    found = permissions.get_or_404(s.documents.all(), pk=doc)
    form = DocumentEditForm(posted(request), request.FILES or None,
                            initial={"title": found.title})  # fmt: skip
    return _edit_page(request, agency, s, form, f"Edit document {found.filename}",
                      "Save document",
                      lambda d: drafting.document_update(
                          user=request.user, document=found, title=d["title"],
                          upload=_file(d["file"]) if d.get("file") else None),
                      "Document saved.")  # fmt: skip


@login_required
def document_delete(request: HttpRequest, slug: str, pk: int, doc: int) -> HttpResponse:
    agency, s = _draft(request, slug, pk)
    found = permissions.get_or_404(s.documents.all(), pk=doc)
    return _delete_page(request, agency, s, "Remove document",
                        f"The document {found.title} ({found.filename}) is removed from the "
                        "draft. This cannot be undone.",
                        lambda: drafting.document_delete(user=request.user, document=found),
                        f"Document {found.filename} removed.")  # fmt: skip


@login_required
def question_answer(request: HttpRequest, slug: str, pk: int, question: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SOLICITATION_EDIT)
    s = _solicitation(request, agency, pk)
    q = permissions.get_or_404(s.questions.all(), pk=question)
    form = AnswerForm(posted(request), initial={"public_text": q.public_text or q.text,
                                                "answer": q.answer})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            questions.question_answer(user=request.user, question=q, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Answer published to every supplier.")
            return redirect("procurement:detail", agency.slug, s.pk)
    return render(request, "procurement/form.html", {
        "agency": agency, "s": s, "form": form, "heading": "Answer a question",
        "submit": "Publish answer", "asked": q.text,
        "cancel_url": reverse("procurement:detail", args=[slug, pk]),
    })  # fmt: skip


_CONFIRM = {
    # move: (action needed, label, what happens, danger)
    "publish": (Action.SOLICITATION_PUBLISH, "Publish",
                "The solicitation becomes public and every active supplier is e-mailed. After "
                "this it changes only by addendum.", False),
    "open": (Action.RESPONSE_OPEN, "Open the responses",
             "Every sealed response is unsealed, its prices are published in the bid "
             "tabulation for anyone to read, and responding suppliers are e-mailed. This "
             "cannot be undone.", True),
    "close_survey": (Action.SOLICITATION_EDIT, "Close the demand survey",
                     "Members can no longer change their quantities.", False),
    "under_evaluation": (Action.SOLICITATION_PUBLISH, "Start evaluation",
                         "The solicitation moves to evaluation.", False),
    "cancelled": (Action.SOLICITATION_PUBLISH, "Cancel the solicitation",
                  "The solicitation is cancelled for everyone; say why.", True),
}  # fmt: skip


@login_required
def confirm(request: HttpRequest, slug: str, pk: int, move: str) -> HttpResponse:
    if move not in _CONFIRM:
        raise Http404("No such step.")
    action, label, what, danger = _CONFIRM[move]
    agency = agency_or_404(request, slug, Action.SOLICITATION_VIEW)
    s = _solicitation(request, agency, pk)
    permissions.require(request.user, action, agency)
    form: Any = NoteForm(posted(request)) if move == "cancelled" else ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if move == "publish":
                publication.solicitation_publish(user=request.user, solicitation=s)
            elif move == "open":
                opening.solicitation_open(user=request.user, solicitation=s)
            elif move == "close_survey":
                publication.survey_close(user=request.user, solicitation=s)
            else:
                publication.solicitation_set_status(
                    user=request.user,
                    solicitation=s,
                    status=move,
                    note=form.cleaned_data.get("note", ""),
                )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"{label}: done.")
            return redirect("procurement:detail", agency.slug, s.pk)
    return render(request, "procurement/confirm.html", {
        "agency": agency, "s": s, "form": form, "label": label, "what": what,
        "danger": danger, "cancel_url": reverse("procurement:detail", args=[slug, pk]),
    })  # fmt: skip


@login_required
def response_detail(request: HttpRequest, slug: str, pk: int, rid: int) -> HttpResponse:
    """An opened response. Before the opening: refused, and the attempt audited."""
    agency = agency_or_404(request, slug, Action.SOLICITATION_VIEW)
    s = _solicitation(request, agency, pk)
    qs = permissions.responses_for(request.user, agency).filter(solicitation=s)
    r = permissions.get_or_404(qs.select_related("supplier"), pk=rid)
    sealing.require_readable(request.user, r, what="response page")
    return render(request, "procurement/response_detail.html", {
        "agency": agency, "s": s, "r": r, "lines": r.bid_lines.select_related("item"),
        "content": r.opened_content or {},
        "attachments": [sealing.attachment_meta_for(request.user, a) for a in r.attachments.all()],
    })  # fmt: skip


@login_required
def response_attachment(
    request: HttpRequest, slug: str, pk: int, rid: int, aid: int
) -> HttpResponse:
    agency = permissions.agency_for_user(request.user, slug)
    s = _solicitation(request, agency, pk)
    r = permissions.get_or_404(permissions.responses_for(request.user, agency)
                               .filter(solicitation=s), pk=rid)  # fmt: skip
    attachment = permissions.get_or_404(r.attachments.all(), pk=aid)
    meta, data = sealing.unseal_attachment_for(request.user, attachment)
    response = HttpResponse(data, content_type=meta["content_type"])
    response["Content-Disposition"] = content_disposition_header(True, meta["filename"])
    return response
