"""Writes for cooperative solicitations.

Every function is keyword-only, checks permission, validates, writes in one transaction
with its audit event, and leaves e-mail to ``transaction.on_commit`` (``notify``). Views,
the API, the ``procurement`` command, the demo and the tests all call these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum

from edcoop.core import audit
from edcoop.core.money import UNIT_PRICE
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Agency, Institution, Membership, Supplier

from . import files, notify, sealing, timing
from .models import (
    Addendum,
    BidLine,
    Criterion,
    DemandCommitment,
    Document,
    LineItem,
    Lot,
    Question,
    Response,
    ResponseAttachment,
    Solicitation,
    StatusChange,
)

S = Solicitation.Status

ATTESTATIONS = {
    "non_collusion": "Non-collusive bidding certification (GML §103-d)",
    "debarment": "Debarment and suspension certification (2 CFR 180)",
    "insurance": "Certificate of insurance",
    "iran_divestment": "Iran divestment certification (GML §103-g)",
    "sexual_harassment": "Sexual harassment policy certification (NY State Finance Law §139-l)",
}

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
ALLOWED_EXTENSIONS = set(files.CONTENT_TYPES)
_KIND = {".pdf": "PDF", ".docx": "Word (.docx)", ".xlsx": "Excel (.xlsx)", ".doc": "Word (.doc)",
         ".xls": "Excel (.xls)", ".odt": "OpenDocument text", ".ods": "OpenDocument spreadsheet",
         ".csv": "UTF-8 CSV text", ".txt": "UTF-8 text", ".png": "PNG", ".jpg": "JPEG",
         ".jpeg": "JPEG"}  # fmt: skip


def _label(user: Any) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "system"


def _move(solicitation: Solicitation, to: str, *, user: Any, note: str = "") -> None:
    """Change the status, with who and when, and its audit event."""
    old = solicitation.status
    at = timing.now()
    solicitation.status = to
    solicitation.save(update_fields=["status", "published_at", "opened_at"])
    by = user if user is not None and user.is_authenticated else None
    StatusChange.objects.create(solicitation=solicitation, from_status=old, to_status=to, at=at,
                                by=by, by_label=_label(user), note=note)  # fmt: skip
    changes: dict[str, Any] = {"status": [old, to]}
    if note:
        changes["note"] = [None, note]
    audit.record(f"solicitation.{to}", solicitation, changes=changes)


def _locked(solicitation: Solicitation) -> Solicitation:
    return Solicitation.objects.select_for_update().select_related("agency").get(pk=solicitation.pk)


# Solicitations -------------------------------------------------------------------------------

SOLICITATION_FIELDS = {
    "number", "title", "kind", "category", "lead_agency", "description", "eligibility",
    "eligible_kinds", "open_to_all_eligible", "required_attestations", "survey_deadline",
    "questions_due_at", "responses_due_at", "opening_at",
}  # fmt: skip


def _check_fields(solicitation: Solicitation) -> None:
    bad = [a for a in solicitation.required_attestations or [] if a not in ATTESTATIONS]
    if bad:
        raise ValidationError({"required_attestations": f"Unknown attestation(s): {bad}."})
    kinds = set(Institution.Kind.values)
    bad = [k for k in solicitation.eligible_kinds or [] if k not in kinds]
    if bad:
        raise ValidationError({"eligible_kinds": f"Unknown institution kind(s): {bad}."})
    solicitation.full_clean()


@transaction.atomic
def solicitation_create(*, user: Any, agency: Agency, **fields: Any) -> Solicitation:
    require(user, Action.SOLICITATION_EDIT, agency)
    unknown = set(fields) - SOLICITATION_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    fields.setdefault("lead_agency", agency.name)
    if Solicitation.objects.filter(agency=agency, number=fields.get("number", "")).exists():
        raise ValidationError({"number": "Another solicitation already has this number."})
    solicitation = Solicitation(agency=agency, status=S.DRAFT, **fields)
    _check_fields(solicitation)
    solicitation.save()
    audit.record_create("solicitation.create", solicitation)
    return solicitation


@transaction.atomic
def solicitation_update(*, user: Any, solicitation: Solicitation, **fields: Any) -> Solicitation:
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    if solicitation.status != S.DRAFT:
        raise ValidationError({"status": "A published solicitation changes only by addendum."})
    unknown = set(fields) - SOLICITATION_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    before = audit.snapshot(solicitation, sorted(SOLICITATION_FIELDS))
    for name, value in fields.items():
        setattr(solicitation, name, value)
    _check_fields(solicitation)
    solicitation.save()
    changes = audit.diff(before, audit.snapshot(solicitation, sorted(SOLICITATION_FIELDS)))
    if changes:
        audit.record("solicitation.update", solicitation, changes=changes)
    return solicitation


def _draft_only(solicitation: Solicitation, what: str) -> None:
    if solicitation.status != S.DRAFT:
        raise ValidationError({"__all__": f"{what} can change only while the solicitation is a "
                                          "draft; issue an addendum instead."})  # fmt: skip


@transaction.atomic
def lot_add(
    *, user: Any, solicitation: Solicitation, title: str, award_basis: str = "per_item",
    number: int | None = None,
) -> Lot:  # fmt: skip
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    _draft_only(solicitation, "Lots")
    if number is None:
        number = (solicitation.lots.aggregate(n=Max("number"))["n"] or 0) + 1
    if solicitation.lots.filter(number=number).exists():
        raise ValidationError({"number": f"Lot {number} already exists."})
    lot = Lot(solicitation=solicitation, number=number, title=title.strip(),
              award_basis=award_basis)  # fmt: skip
    lot.full_clean()
    lot.save()
    audit.record_create("lot.create", lot, agency_id=solicitation.agency_id)
    return lot


@transaction.atomic
def item_add(
    *, user: Any, lot: Lot, number: str, description: str, unit: str,
    specifications: str = "", estimated_quantity: Decimal = Decimal("0"),
) -> LineItem:  # fmt: skip
    solicitation = lot.solicitation
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    _draft_only(solicitation, "Line items")
    if solicitation.items.filter(number=number.strip()).exists():
        raise ValidationError({"number": f"Item {number} already exists in this solicitation."})
    item = LineItem(solicitation=solicitation, lot=lot, number=number.strip(),
                    description=description.strip(), unit=unit.strip(),
                    specifications=specifications.strip(),
                    estimated_quantity=estimated_quantity)  # fmt: skip
    item.full_clean()
    item.save()
    audit.record_create("line_item.create", item, agency_id=solicitation.agency_id)
    return item


def _draft_lot(solicitation: Solicitation, lot: Lot) -> Lot:
    if lot.solicitation_id != solicitation.pk:
        raise ValidationError({"lot": "This lot belongs to another solicitation."})
    return Lot.objects.select_for_update().get(pk=lot.pk)


@transaction.atomic
def lot_update(*, user: Any, lot: Lot, title: str, award_basis: str) -> Lot:
    require(user, Action.SOLICITATION_EDIT, lot.solicitation.agency)
    solicitation = _locked(lot.solicitation)
    _draft_only(solicitation, "Lots")
    lot = _draft_lot(solicitation, lot)
    before = audit.snapshot(lot, ["title", "award_basis"])
    lot.title, lot.award_basis = title.strip(), award_basis
    lot.full_clean()
    lot.save()
    changes = audit.diff(before, audit.snapshot(lot, list(before)))
    if changes:
        audit.record("lot.update", lot, agency_id=solicitation.agency_id, changes=changes)
    return lot


@transaction.atomic
def lot_delete(*, user: Any, lot: Lot) -> None:
    """Delete a draft's lot with its items (and members' quantities committed to them)."""
    require(user, Action.SOLICITATION_EDIT, lot.solicitation.agency)
    solicitation = _locked(lot.solicitation)
    _draft_only(solicitation, "Lots")
    lot = _draft_lot(solicitation, lot)
    items = list(lot.items.order_by("number").values_list("number", flat=True))
    commitments = DemandCommitment.objects.filter(item__lot=lot).count()
    audit.record("lot.delete", lot, agency_id=solicitation.agency_id,
                 changes={"number": [lot.number, None], "title": [lot.title, None],
                          "items": [items, None], "commitments": [commitments, None]})  # fmt: skip
    lot.delete()


ITEM_FIELDS = ["lot", "number", "description", "unit", "specifications", "estimated_quantity"]


@transaction.atomic
def item_update(
    *, user: Any, item: LineItem, lot: Lot, number: str, description: str, unit: str,
    specifications: str = "", estimated_quantity: Decimal = Decimal("0"),
) -> LineItem:  # fmt: skip
    require(user, Action.SOLICITATION_EDIT, item.solicitation.agency)
    solicitation = _locked(item.solicitation)
    _draft_only(solicitation, "Line items")
    if lot.solicitation_id != solicitation.pk:
        raise ValidationError({"lot": "Choose a lot of this solicitation."})
    item = LineItem.objects.select_for_update().get(pk=item.pk)
    if solicitation.items.filter(number=number.strip()).exclude(pk=item.pk).exists():
        raise ValidationError({"number": f"Item {number} already exists in this solicitation."})
    before = audit.snapshot(item, ITEM_FIELDS)
    item.lot, item.number, item.description = lot, number.strip(), description.strip()
    item.unit, item.specifications = unit.strip(), specifications.strip()
    item.estimated_quantity = estimated_quantity
    item.full_clean()
    item.save()
    changes = audit.diff(before, audit.snapshot(item, ITEM_FIELDS))
    if changes:
        audit.record("line_item.update", item, agency_id=solicitation.agency_id, changes=changes)
    return item


@transaction.atomic
def item_delete(*, user: Any, item: LineItem) -> None:
    """Delete a draft's line item (and members' quantities committed to it)."""
    require(user, Action.SOLICITATION_EDIT, item.solicitation.agency)
    solicitation = _locked(item.solicitation)
    _draft_only(solicitation, "Line items")
    item = LineItem.objects.select_for_update().get(pk=item.pk)
    if item.solicitation_id != solicitation.pk:
        raise ValidationError({"__all__": "This item belongs to another solicitation."})
    changes = {f: [v, None] for f, v in audit.snapshot(item, ITEM_FIELDS).items()}
    changes["commitments"] = [item.commitments.count(), None]
    audit.record("line_item.delete", item, agency_id=solicitation.agency_id, changes=changes)
    item.delete()


@transaction.atomic
def criterion_add(
    *, user: Any, solicitation: Solicitation, name: str, weight: Decimal
) -> Criterion:
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    _draft_only(solicitation, "Evaluation criteria")
    if weight <= 0 or weight > 100:
        raise ValidationError({"weight": "A weight is a percentage above 0 and at most 100."})
    criterion = Criterion.objects.create(solicitation=solicitation, name=name.strip(),
                                         weight=weight)  # fmt: skip
    audit.record_create("criterion.create", criterion, agency_id=solicitation.agency_id)
    return criterion


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def check_upload(upload: Upload, *, field_name: str = "attachments") -> None:
    name = PurePath(upload.filename).name
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(sorted(ALLOWED_EXTENSIONS))
        raise ValidationError(
            {
                field_name: f"{name}: files of type {extension or '(none)'} are not accepted; "
                f"send one of {allowed}."
            }
        )
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {field_name: f"{name} is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."}
        )
    if not upload.data:
        raise ValidationError({field_name: f"{name} is empty."})
    if not files.matches(extension, upload.data):
        raise ValidationError({field_name: f"{name}: the content is not a {_KIND[extension]} "
                                           f"file, though its name ends in {extension}; send "
                                           "the real file, or rename it to its type."})  # fmt: skip


def content_type_of(filename: str) -> str:
    """The content type stored and served for an accepted file: its extension's own."""
    return files.CONTENT_TYPES[PurePath(filename).suffix.lower()]


def _document_row(solicitation: Solicitation, title: str, upload: Upload, **extra: Any) -> Document:
    check_upload(upload, field_name="file")
    return Document.objects.create(
        solicitation=solicitation, title=title.strip() or PurePath(upload.filename).name,
        filename=PurePath(upload.filename).name, content_type=content_type_of(upload.filename),
        size=len(upload.data), sha256=sealing.digest(upload.data), content=upload.data,
        added_at=timing.now(), **extra,
    )  # fmt: skip


@transaction.atomic
def document_add(*, user: Any, solicitation: Solicitation, title: str, upload: Upload) -> Document:
    """A document of the draft. Once published, documents come only with an addendum."""
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    _draft_only(solicitation, "Documents")
    document = _document_row(solicitation, title, upload)
    audit.record("document.add", document, agency_id=solicitation.agency_id,
                 changes={"filename": [None, document.filename],
                          "sha256": [None, document.sha256]})  # fmt: skip
    return document


def _draft_document(solicitation: Solicitation, document: Document) -> Document:
    if document.solicitation_id != solicitation.pk:
        raise ValidationError({"__all__": "This document belongs to another solicitation."})
    return Document.objects.select_for_update().get(pk=document.pk)


@transaction.atomic
def document_update(
    *, user: Any, document: Document, title: str, upload: Upload | None = None
) -> Document:
    """Retitle a draft's document, or replace its file (the old one is gone)."""
    require(user, Action.SOLICITATION_EDIT, document.solicitation.agency)
    solicitation = _locked(document.solicitation)
    _draft_only(solicitation, "Documents")
    document = _draft_document(solicitation, document)
    fields = ["title", "filename", "content_type", "size", "sha256"]
    before = audit.snapshot(document, fields)
    document.title = title.strip() or document.filename
    if upload is not None:
        check_upload(upload, field_name="file")
        document.filename = PurePath(upload.filename).name
        document.content_type = content_type_of(upload.filename)
        document.size, document.sha256 = len(upload.data), sealing.digest(upload.data)
        document.content = upload.data
        document.added_at = timing.now()
    document.full_clean(exclude=["content", "solicitation", "addendum"])
    document.save()
    changes = audit.diff(before, audit.snapshot(document, fields))
    if changes:
        audit.record("document.update", document, agency_id=solicitation.agency_id,
                     changes=changes)  # fmt: skip
    return document


@transaction.atomic
def document_delete(*, user: Any, document: Document) -> None:
    require(user, Action.SOLICITATION_EDIT, document.solicitation.agency)
    solicitation = _locked(document.solicitation)
    _draft_only(solicitation, "Documents")
    document = _draft_document(solicitation, document)
    audit.record("document.delete", document, agency_id=solicitation.agency_id,
                 changes={"title": [document.title, None], "filename": [document.filename, None],
                          "sha256": [document.sha256, None]})  # fmt: skip
    document.delete()


def _check_publishable(solicitation: Solicitation) -> None:
    now = timing.now()
    problems: dict[str, str] = {}
    if not solicitation.items.exists():
        problems["items"] = "Add at least one line item before publishing."
    due, opening = solicitation.responses_due_at, solicitation.opening_at
    if due is None:
        problems["responses_due_at"] = "Set when responses are due."
    elif due <= now:
        problems["responses_due_at"] = "The response deadline must be in the future."
    if opening is None:
        problems["opening_at"] = "Set the time of the public opening."
    elif due is not None and opening < due:
        problems["opening_at"] = "The opening cannot come before the response deadline."
    q = solicitation.questions_due_at
    if q is not None and due is not None and not (now < q <= due):
        problems["questions_due_at"] = "Questions are due after today and by the response deadline."
    if solicitation.survey_deadline is not None and solicitation.survey_deadline > now:
        problems["survey_deadline"] = "The demand survey is still open; close it first."
    if solicitation.kind == Solicitation.Kind.RFP:
        total = solicitation.criteria.aggregate(t=Sum("weight"))["t"] or Decimal("0")
        if total != Decimal("100"):
            problems["criteria"] = f"The evaluation weights add up to {total}, not 100."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def solicitation_publish(*, user: Any, solicitation: Solicitation) -> Solicitation:
    require(user, Action.SOLICITATION_PUBLISH, solicitation.agency)
    solicitation = _locked(solicitation)
    if solicitation.status != S.DRAFT:
        raise ValidationError(
            {
                "status": f"Only a draft can be published; this one is "
                f"{solicitation.get_status_display().lower()}."
            }
        )
    _check_publishable(solicitation)
    solicitation.published_at = timing.now()
    _move(solicitation, S.PUBLISHED, user=user)
    notify.published(solicitation)
    return solicitation


_MOVES = {
    S.OPENED: {S.UNDER_EVALUATION, S.CANCELLED},
    S.UNDER_EVALUATION: {S.AWARDED, S.CANCELLED},
    S.DRAFT: {S.CANCELLED},
    S.PUBLISHED: {S.CANCELLED},
    S.CLOSED: {S.CANCELLED},
}


@transaction.atomic
def solicitation_set_status(
    *, user: Any, solicitation: Solicitation, status: str, note: str = ""
) -> Solicitation:
    """Move on after the opening (evaluation, award) or cancel, with a reason."""
    require(user, Action.SOLICITATION_PUBLISH, solicitation.agency)
    solicitation = _locked(solicitation)
    if status not in _MOVES.get(S(solicitation.status), set()):
        raise ValidationError(
            {
                "status": f"A {solicitation.get_status_display().lower()} "
                f"solicitation cannot become {status}."
            }
        )
    if status == S.CANCELLED and not note.strip():
        raise ValidationError({"note": "Say why the solicitation is cancelled."})
    _move(solicitation, status, user=user, note=note.strip())
    return solicitation


@transaction.atomic
def survey_close(*, user: Any, solicitation: Solicitation) -> Solicitation:
    """End the demand survey now: the items' quantities stay as committed."""
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    now = timing.now()
    if solicitation.survey_deadline is None or solicitation.survey_deadline <= now:
        raise ValidationError({"survey_deadline": "The demand survey is not open."})
    old = solicitation.survey_deadline
    solicitation.survey_deadline = now
    solicitation.save(update_fields=["survey_deadline"])
    audit.record("survey.close", solicitation, changes={"survey_deadline": [old, now]})
    return solicitation


# Demand survey ---------------------------------------------------------------------------


def is_eligible(solicitation: Solicitation, institution: Institution) -> bool:
    if institution.agency_id != solicitation.agency_id:
        return False
    kinds = solicitation.eligible_kinds or []
    if kinds and institution.kind not in kinds:
        return False
    membership = getattr(institution, "membership", None)
    return membership is not None and membership.status == Membership.Status.ACTIVE


@transaction.atomic
def demand_commit(
    *, user: Any, solicitation: Solicitation, institution: Institution,
    quantities: dict[int, Decimal],
) -> list[DemandCommitment]:  # fmt: skip
    """An institution's estimated annual quantities (0 or absent: not taking part)."""
    agency = solicitation.agency
    require(user, Action.DEMAND_COMMIT, agency, institution=institution)
    solicitation = _locked(solicitation)
    now = timing.now()
    if solicitation.survey_deadline is None or now >= solicitation.survey_deadline:
        raise ValidationError({"__all__": "The demand survey for this solicitation is closed."})
    if not is_eligible(solicitation, institution):
        raise ValidationError({"__all__": f"{institution} is not eligible for this solicitation."})
    items = {i.pk: i for i in solicitation.items.all()}
    out = []
    for item_id, quantity in quantities.items():
        item = items.get(item_id)
        if item is None:
            raise ValidationError({"quantities": f"Item {item_id} is not in this solicitation."})
        if quantity is None or quantity < 0:
            raise ValidationError({f"qty_{item_id}": f"Item {item.number}: the quantity cannot "
                                                      "be negative."})  # fmt: skip
        exponent = quantity.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            message = f"Item {item.number}: give the quantity with at most 2 decimal places."
            raise ValidationError({f"qty_{item_id}": message})
        quantity = quantity.quantize(Decimal("0.01"))  # exact after the check above
        existing = DemandCommitment.objects.filter(item=item, institution=institution).first()
        old = existing.quantity if existing else None
        if existing is None and quantity == 0:
            continue
        if existing is not None and quantity == 0:
            existing.delete()
        elif existing is not None:
            existing.quantity, existing.committed_at = quantity, now
            existing.save()
            out.append(existing)
        else:
            out.append(
                DemandCommitment.objects.create(
                    item=item, institution=institution, quantity=quantity, committed_at=now
                )
            )
        if old != quantity:
            audit.record("demand.commit", item, agency_id=agency.pk,
                         label=f"{institution}: {item}",
                         changes={"institution": [None, institution.pk],
                                  "quantity": [old, quantity]})  # fmt: skip
    # The solicitation's estimate is the members' aggregate.
    for item in items.values():
        total = item.commitments.aggregate(t=Sum("quantity"))["t"] or Decimal("0")
        if item.estimated_quantity != total:
            LineItem.objects.filter(pk=item.pk).update(estimated_quantity=total)
    return out


# Addenda and questions ---------------------------------------------------------------------


def _before_deadline(solicitation: Solicitation, what: str) -> None:
    if solicitation.status != S.PUBLISHED or not timing.is_on_time(
        solicitation.responses_due_at, timing.now()
    ):
        raise ValidationError({"__all__": f"{what} only while the solicitation is open for "
                                          "responses."})  # fmt: skip


@transaction.atomic
def addendum_issue(
    *, user: Any, solicitation: Solicitation, title: str, body: str,
    new_responses_due_at: datetime | None = None, upload: Upload | None = None,
) -> Addendum:  # fmt: skip
    """Number the next addendum; it may extend the deadline and carry a document (the only
    way to add one after publication)."""
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = _locked(solicitation)
    _before_deadline(solicitation, "Addenda can be issued")
    if not title.strip() or not body.strip():
        raise ValidationError({"title" if not title.strip() else "body": "Required."})
    number = (solicitation.addenda.aggregate(n=Max("number"))["n"] or 0) + 1
    addendum = Addendum.objects.create(
        solicitation=solicitation, number=number, title=title.strip(), body=body.strip(),
        issued_at=timing.now(), new_responses_due_at=new_responses_due_at,
    )  # fmt: skip
    changes: dict[str, Any] = {"number": [None, number], "title": [None, addendum.title]}
    if new_responses_due_at is not None:
        if new_responses_due_at <= timing.now():
            raise ValidationError({"new_responses_due_at": "The new deadline must be in the "
                                                           "future."})  # fmt: skip
        shift = new_responses_due_at - solicitation.responses_due_at  # type: ignore[operator]
        changes["responses_due_at"] = [solicitation.responses_due_at, new_responses_due_at]
        solicitation.responses_due_at = new_responses_due_at
        if solicitation.opening_at is not None:
            solicitation.opening_at = max(solicitation.opening_at + shift, new_responses_due_at)
        solicitation.save(update_fields=["responses_due_at", "opening_at"])
    if upload is not None:
        document = _document_row(solicitation, f"Addendum {number}: {addendum.title}", upload,
                                 addendum=addendum)  # fmt: skip
        changes["document"] = [None, {"filename": document.filename, "sha256": document.sha256}]
    audit.record("addendum.issue", addendum, agency_id=solicitation.agency_id, changes=changes)
    notify.addendum(addendum)
    return addendum


@transaction.atomic
def question_ask(
    *, user: Any, solicitation: Solicitation, supplier: Supplier, text: str
) -> Question:
    require(user, Action.QUESTION_ASK, solicitation.agency, supplier=supplier)
    solicitation = _locked(solicitation)
    now = timing.now()
    if solicitation.status != S.PUBLISHED:
        raise ValidationError({"text": "Questions are taken only while the solicitation is open."})
    due = solicitation.questions_due_at or solicitation.responses_due_at
    if not timing.is_on_time(due, now):
        raise ValidationError({"text": "The deadline for questions has passed."})
    if not text.strip():
        raise ValidationError({"text": "Write your question."})
    question = Question.objects.create(
        solicitation=solicitation, supplier=supplier, asked_by=user, text=text.strip(), asked_at=now
    )
    audit.record("question.ask", question, agency_id=solicitation.agency_id,
                 label=f"Question on {solicitation.number}",
                 changes={"supplier": [None, supplier.pk]})  # fmt: skip
    notify.question_received(question)
    return question


@transaction.atomic
def question_answer(
    *, user: Any, question: Question, answer: str, public_text: str = ""
) -> Question:
    """Publish the answer to every supplier; the question is shown as ``public_text``
    (the agency removes anything that names the asker), never with the supplier's name."""
    solicitation = question.solicitation
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not answer.strip():
        raise ValidationError({"answer": "Write the answer."})
    if solicitation.status not in {S.PUBLISHED, S.CLOSED}:
        raise ValidationError({"answer": "Answers are published before the opening only."})
    before = audit.snapshot(question, ["public_text", "answer", "answered_at"])
    question.public_text = public_text.strip() or question.text
    question.answer = answer.strip()
    question.answered_at = timing.now()
    question.save()
    audit.record(
        "question.answer",
        question,
        agency_id=solicitation.agency_id,
        label=f"Question on {solicitation.number}",
        changes=audit.diff(before, audit.snapshot(question, list(before))),
    )
    notify.answered(question)
    return question


# Responses -----------------------------------------------------------------------------------


@dataclass
class LineInput:
    item_id: int
    unit_price: Any
    tiers: list[tuple[Any, Any]] = field(default_factory=list)


@dataclass
class ResponseInput:
    lines: list[LineInput] = field(default_factory=list)
    alternates: str = ""
    exceptions: str = ""
    attestations: list[str] = field(default_factory=list)
    acknowledged_addenda: list[int] = field(default_factory=list)


class IdempotencyConflict(ValidationError):
    """A retry reused an idempotency key with different content (the API answers 409).
    ``previous`` is the submission that key already made."""

    previous: Response | None = None


@dataclass(frozen=True)
class Receipt:
    response_id: int
    supplier: str
    solicitation: str
    version: int
    received_at: datetime
    sha256: str


def _receipt(response: Response) -> Receipt:
    return Receipt(
        response.pk,
        str(response.supplier),
        response.solicitation.number,
        response.version,
        response.received_at,
        response.content_sha256,
    )


def _decimal(raw: Any, *, where: str, field_name: str) -> Decimal:
    if isinstance(raw, float | bool):
        raise ValidationError({field_name: f"{where}: send the price as text, not a float."})
    try:
        value = Decimal(str(raw).strip().replace(",", "").lstrip("$"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field_name: f"{where}: {str(raw)[:20]!r} is not a number."}
        ) from None
    if not value.is_finite():
        raise ValidationError({field_name: f"{where}: {str(raw)[:20]!r} is not a number."})
    if value < 0:
        raise ValidationError({field_name: f"{where}: a price cannot be negative."})
    if value != value.quantize(UNIT_PRICE):
        raise ValidationError({field_name: f"{where}: at most 4 decimal places."})
    return value.quantize(UNIT_PRICE)


def _normalise(solicitation: Solicitation, data: ResponseInput, *, complete: bool,
               attachments: Sequence[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """Parse and check a response; ``complete`` adds the rules a submission must meet."""
    items = {i.pk: i for i in solicitation.items.select_related("lot")}
    lines = []
    seen: set[int] = set()
    for line in data.lines:
        item = items.get(int(line.item_id))
        if item is None:
            raise ValidationError({"lines": f"Item {line.item_id} is not in this solicitation."})
        if item.pk in seen:
            raise ValidationError({"lines": f"Item {item.number} is priced twice."})
        seen.add(item.pk)
        if line.unit_price in (None, "") and not line.tiers:
            continue
        where = f"Item {item.number} ({item.description})"
        fname = f"price_{item.pk}"
        price = _decimal(line.unit_price, where=where, field_name=fname)
        tiers = []
        for minimum, tier_price in line.tiers:
            qty = _decimal(minimum, where=f"{where}, volume tier", field_name=f"tiers_{item.pk}")
            if qty <= 0:
                raise ValidationError({f"tiers_{item.pk}": f"{where}: a volume tier starts at a "
                                                           "quantity above 0."})  # fmt: skip
            tp = _decimal(tier_price, where=f"{where}, volume tier", field_name=f"tiers_{item.pk}")
            tiers.append({"min_quantity": str(qty.normalize()), "unit_price": str(tp)})
        if len({t["min_quantity"] for t in tiers}) != len(tiers):
            raise ValidationError({f"tiers_{item.pk}": f"{where}: two tiers start at the same "
                                                       "quantity."})  # fmt: skip
        tiers.sort(key=lambda t: Decimal(t["min_quantity"]))
        lines.append({"item_id": item.pk, "item": item.number, "unit_price": str(price),
                      "tiers": tiers})  # fmt: skip
    attestations = sorted(set(data.attestations))
    bad = [a for a in attestations if a not in ATTESTATIONS]
    if bad:
        raise ValidationError({"attestations": f"Unknown attestation(s): {', '.join(bad)}."})
    issued = {a.number: a for a in solicitation.addenda.all()}
    acks = sorted({int(n) for n in data.acknowledged_addenda})
    bad_acks = [n for n in acks if n not in issued]
    if bad_acks:
        raise ValidationError({"acknowledged_addenda": f"No addendum {bad_acks[0]} was issued."})
    if complete:
        problems: dict[str, list[str]] = {}
        if not lines:
            problems.setdefault("lines", []).append("Price at least one line.")
        priced = {line["item_id"] for line in lines}
        for lot in {i.lot for i in items.values() if i.pk in priced}:
            if lot.needs_every_line:
                for item in items.values():
                    if item.lot_id == lot.pk and item.pk not in priced:
                        problems.setdefault(f"price_{item.pk}", []).append(
                            f"Item {item.number} ({item.description}) has no price, and lot "
                            f"{lot.number} is awarded {lot.get_award_basis_display().lower()}: "
                            "price every line of the lot or none of them."
                        )
        missing = [a for a in solicitation.required_attestations or [] if a not in attestations]
        for code in missing:
            problems.setdefault("attestations", []).append(
                f"Required attestation missing: {ATTESTATIONS[code]}."
            )
        for number in sorted(issued):
            if number not in acks:
                problems.setdefault("acknowledged_addenda", []).append(
                    f"Acknowledge addendum {number} ({issued[number].title}) before submitting."
                )
        if problems:
            raise ValidationError(problems)
    return {
        "solicitation": solicitation.number,
        "lines": lines,
        "alternates": data.alternates.strip(),
        "exceptions": data.exceptions.strip(),
        "attestations": attestations,
        "acknowledged_addenda": acks,
        "attachments": sorted(attachments, key=lambda a: (a["filename"], a["sha256"])),
    }


def _may_respond(user: Any, solicitation: Solicitation, supplier: Supplier) -> None:
    if supplier.agency_id != solicitation.agency_id:
        raise PermissionDenied("You may not respond for this supplier.")
    require(user, Action.RESPONSE_SUBMIT, solicitation.agency, supplier=supplier)
    if supplier.status != Supplier.Status.ACTIVE:
        raise ValidationError({"__all__": f"{supplier} is {supplier.get_status_display().lower()}"
                                          f" with {solicitation.agency}: only approved suppliers "
                                          "may respond."})  # fmt: skip


def _open_for_responses(solicitation: Solicitation, now: datetime) -> None:
    if solicitation.status != S.PUBLISHED:
        raise ValidationError({"__all__": "This solicitation is not open for responses."})
    if not timing.is_on_time(solicitation.responses_due_at, now):
        due = timing.utc_to_local(solicitation.agency, solicitation.responses_due_at)  # type: ignore[arg-type]
        raise ValidationError(
            {
                "__all__": "Responses were due at "
                f"{due:%b %d, %Y %I:%M:%S %p %Z}; by the server clock it "
                "is now past that deadline, so nothing was received."
            }
        )


def _attachment_rows(uploads: Iterable[Upload]) -> list[tuple[dict[str, Any], bytes]]:
    rows = []
    for upload in uploads:
        check_upload(upload)
        meta = {"filename": PurePath(upload.filename).name,
                "content_type": content_type_of(upload.filename),
                "size": len(upload.data), "sha256": sealing.digest(upload.data)}  # fmt: skip
        rows.append((meta, sealing.seal(upload.data)))
    return rows


def _draft_blobs(draft: Response) -> list[tuple[dict[str, Any], bytes]]:
    return [
        ({"filename": a.filename, "content_type": a.content_type, "size": a.size,
          "sha256": a.sha256}, bytes(a.sealed))
        for a in draft.attachments.all()
    ]  # fmt: skip


def _lock_supplier(supplier: Supplier) -> Supplier:
    # One writer per supplier at a time: revisions and retries queue here.
    return Supplier.objects.select_for_update().get(pk=supplier.pk)


@transaction.atomic
def response_save_draft(
    *, user: Any, solicitation: Solicitation, supplier: Supplier, data: ResponseInput,
    uploads: Sequence[Upload] = (), remove_attachments: Sequence[int] = (),
) -> Response:  # fmt: skip
    """Keep work in progress (sealed like a submission). Nothing is checked for completeness."""
    _may_respond(user, solicitation, supplier)
    _lock_supplier(supplier)
    now = timing.now()
    _open_for_responses(solicitation, now)
    draft = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                    status=Response.Status.DRAFT).first()  # fmt: skip
    if draft is None:
        draft = Response(solicitation=solicitation, supplier=supplier,
                         status=Response.Status.DRAFT, received_at=now)  # fmt: skip
    kept = (
        [] if draft.pk is None else list(draft.attachments.exclude(pk__in=list(remove_attachments)))
    )
    new = _attachment_rows(uploads)
    if len(kept) + len(new) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"At most {MAX_ATTACHMENTS} attachments."})
    metas = [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
              "sha256": a.sha256} for a in kept] + [m for m, _ in new]  # fmt: skip
    content = _normalise(solicitation, data, complete=False, attachments=metas)
    raw = sealing.canonical(content)
    draft.sealed, draft.content_sha256, draft.received_at = (
        sealing.seal(raw),
        sealing.digest(raw),
        now,
    )
    draft.submitted_by = user
    draft.save()
    if remove_attachments:
        draft.attachments.filter(pk__in=list(remove_attachments)).delete()
    for meta, blob in new:
        ResponseAttachment.objects.create(response=draft, sealed=blob, **meta)
    audit.record("response.draft", draft, agency_id=solicitation.agency_id,
                 changes={"sha256": [None, draft.content_sha256]})  # fmt: skip
    return draft


@transaction.atomic
def response_submit(
    *, user: Any, solicitation: Solicitation, supplier: Supplier,
    data: ResponseInput | None = None, uploads: Sequence[Upload] = (),
    idempotency_key: str = "", with_draft_attachments: bool = False,
) -> Receipt:  # fmt: skip
    """Seal and receive a response; the latest submission before the deadline counts.

    ``data=None`` submits the saved draft (with its attachments). A retry with the same
    ``idempotency_key`` and the same content returns the first receipt and creates nothing.
    """
    _may_respond(user, solicitation, supplier)
    _lock_supplier(supplier)
    key = idempotency_key.strip()[:100]
    previous = (Response.objects.filter(supplier=supplier, idempotency_key=key).first()
                if key else None)  # fmt: skip
    if previous is not None and previous.solicitation_id != solicitation.pk:
        raise IdempotencyConflict({"__all__": "This idempotency key was used for another "
                                              "solicitation; send a new key."})  # fmt: skip
    now = timing.now()
    if previous is None:
        _open_for_responses(solicitation, now)
    blobs: list[tuple[dict[str, Any], bytes]]
    try:
        if data is None:
            draft = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                            status=Response.Status.DRAFT).first()  # fmt: skip
            if draft is None:
                raise ValidationError({"__all__": "There is no saved draft to submit."})
            saved = sealing.unseal_for(user, draft, what="own draft")
            data = ResponseInput(
                lines=[LineInput(line["item_id"], line["unit_price"],
                                 [(t["min_quantity"], t["unit_price"]) for t in line["tiers"]])
                       for line in saved["lines"]],
                alternates=saved["alternates"], exceptions=saved["exceptions"],
                attestations=saved["attestations"],
                acknowledged_addenda=saved["acknowledged_addenda"],
            )  # fmt: skip
            blobs = _draft_blobs(draft)
        else:
            blobs = []
            draft = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                            status=Response.Status.DRAFT).first()  # fmt: skip
            if with_draft_attachments and draft is not None:
                blobs = _draft_blobs(draft)
        blobs += _attachment_rows(uploads)
        if len(blobs) > MAX_ATTACHMENTS:
            raise ValidationError({"attachments": f"At most {MAX_ATTACHMENTS} attachments."})
        # A retry is compared, not judged again: the first submission already passed the
        # completeness rules, and an identical retry must get its receipt back.
        content = _normalise(solicitation, data, complete=previous is None,
                             attachments=[m for m, _ in blobs])  # fmt: skip
    except ValidationError:
        if previous is None:
            raise
        content = None
    if content is not None:
        content["supplier_id"] = supplier.pk
    raw = sealing.canonical(content) if content is not None else b""
    if previous is not None:
        if content is None or sealing.digest(raw) != previous.content_sha256:
            conflict = IdempotencyConflict({"__all__": (
                f"This submission reuses the idempotency key of version {previous.version}, "
                f"received {previous.received_at:%Y-%m-%d %H:%M:%S} UTC (SHA-256 "
                f"{previous.content_sha256[:12]}...), but its content is different. Nothing "
                "was received. To send a revision, submit it with a new idempotency key."
            )})  # fmt: skip
            conflict.previous = previous
            raise conflict
        return _receipt(previous)
    current = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                      is_current=True).first()  # fmt: skip
    version = (Response.objects.filter(solicitation=solicitation, supplier=supplier)
               .aggregate(v=Max("version"))["v"] or 0) + 1  # fmt: skip
    if current is not None:
        current.is_current = False
        current.status = Response.Status.SUPERSEDED
        current.save(update_fields=["is_current", "status"])
    response = Response.objects.create(
        solicitation=solicitation, supplier=supplier, status=Response.Status.SUBMITTED,
        is_current=True, version=version, idempotency_key=key, sealed=sealing.seal(raw),
        content_sha256=sealing.digest(raw), received_at=now, submitted_by=user,
    )  # fmt: skip
    for meta, blob in blobs:
        ResponseAttachment.objects.create(response=response, sealed=blob, **meta)
    audit.record("response.submit", response, agency_id=solicitation.agency_id,
                 label=f"{supplier} response to {solicitation.number}",
                 changes={"version": [None, version], "sha256": [None, response.content_sha256],
                          "replaces": [None, current.pk if current else None]})  # fmt: skip
    receipt = _receipt(response)
    notify.receipt(response, receipt)
    return receipt


@transaction.atomic
def response_withdraw(*, user: Any, solicitation: Solicitation, supplier: Supplier) -> Response:
    _may_respond(user, solicitation, supplier)
    _lock_supplier(supplier)
    now = timing.now()
    _open_for_responses(solicitation, now)
    current = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                      is_current=True).first()  # fmt: skip
    if current is None:
        raise ValidationError({"__all__": "There is no submitted response to withdraw."})
    current.is_current = False
    current.status = Response.Status.WITHDRAWN
    current.withdrawn_at = now
    current.save(update_fields=["is_current", "status", "withdrawn_at"])
    audit.record(
        "response.withdraw",
        current,
        agency_id=solicitation.agency_id,
        label=f"{supplier} response to {solicitation.number}",
        changes={"status": ["submitted", "withdrawn"]},
    )
    return current


# Opening -------------------------------------------------------------------------------------


def _close_if_due(solicitation: Solicitation, now: datetime) -> None:
    if solicitation.status == S.PUBLISHED and not timing.is_on_time(
        solicitation.responses_due_at, now
    ):
        _move(solicitation, S.CLOSED, user=None, note="The response deadline passed.")


@transaction.atomic
def solicitation_open(*, user: Any, solicitation: Solicitation) -> Solicitation:
    """The public opening: unseal every current response, write its prices in clear, flag
    the non-responsive ones. ``user=None`` is the scheduled opening (``open-due``)."""
    if user is not None:
        require(user, Action.RESPONSE_OPEN, solicitation.agency)
    solicitation = _locked(solicitation)
    now = timing.now()
    _close_if_due(solicitation, now)
    if solicitation.status != S.CLOSED:
        raise ValidationError({"status": "Only a solicitation whose deadline has passed can be "
                                         "opened."})  # fmt: skip
    if solicitation.opening_at is None or now < solicitation.opening_at:
        raise ValidationError({"opening_at": "The opening time has not come yet."})
    solicitation.opened_at = now
    addenda = {a.number: a for a in solicitation.addenda.all()}
    items = {i.pk: i for i in solicitation.items.all()}
    responses = list(Response.objects.filter(solicitation=solicitation, is_current=True)
                     .select_related("supplier", "solicitation__agency"))  # fmt: skip
    _move(solicitation, S.OPENED, user=user, note=f"{len(responses)} response(s) opened.")
    for response in responses:
        response.solicitation = solicitation
        content = sealing.unseal_at_opening(response)
        if sealing.digest(sealing.canonical(content)) != response.content_sha256:
            raise ValidationError({"__all__": f"The response of {response.supplier} does not "
                                              "match its receipt hash."})  # fmt: skip
        reasons = []
        for number, addendum in sorted(addenda.items()):
            if number not in content["acknowledged_addenda"]:
                reasons.append(f"Did not acknowledge addendum {number} ({addendum.title}).")
        if response.supplier.status != Supplier.Status.ACTIVE:
            reasons.append(f"Supplier is {response.supplier.get_status_display().lower()}.")
        missing = [a for a in solicitation.required_attestations or []
                   if a not in content["attestations"]]  # fmt: skip
        reasons += [f"Missing attestation: {ATTESTATIONS[a]}." for a in missing]
        for line in content["lines"]:
            if line["item_id"] in items:
                BidLine.objects.create(response=response, item=items[line["item_id"]],
                                       unit_price=Decimal(line["unit_price"]),
                                       tiers=line["tiers"])  # fmt: skip
        response.responsive = not reasons
        response.nonresponsive_reasons = reasons
        response.opened_content = {k: content[k] for k in
                                   ("alternates", "exceptions", "attestations",
                                    "acknowledged_addenda", "attachments")}  # fmt: skip
        response.save(update_fields=["responsive", "nonresponsive_reasons", "opened_content"])
        audit.record(
            "response.open",
            response,
            agency_id=solicitation.agency_id,
            label=f"{response.supplier} response to {solicitation.number}",
            changes={"responsive": [None, response.responsive]},
        )
    notify.opened(solicitation)
    return solicitation


def open_due(*, now: datetime | None = None) -> list[Solicitation]:
    """Close what is past its deadline and open what is past its opening time (cron)."""
    now = now or timing.now()
    opened = []
    for solicitation in Solicitation.objects.filter(status__in=[S.PUBLISHED, S.CLOSED],
                                                    responses_due_at__lte=now):  # fmt: skip
        with transaction.atomic():
            locked = _locked(solicitation)
            _close_if_due(locked, now)
        if solicitation.opening_at is not None and solicitation.opening_at <= now:
            opened.append(solicitation_open(user=None, solicitation=solicitation))
    return opened


def remind_due(*, within_hours: int = 48) -> int:
    """E-mail suppliers with a draft but no submission when a deadline is near."""
    from datetime import timedelta

    now = timing.now()
    count = 0
    for solicitation in Solicitation.objects.filter(
        status=S.PUBLISHED, responses_due_at__gt=now,
        responses_due_at__lte=now + timedelta(hours=within_hours),
    ):  # fmt: skip
        count += notify.reminder(solicitation)
    return count


def can_read_responses(user: Any, solicitation: Solicitation) -> bool:
    return not solicitation.is_sealed and can(user, Action.RESPONSE_READ, solicitation.agency)
