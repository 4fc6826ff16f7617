"""Drafting a solicitation: its fields, lots, line items, evaluation criteria and documents.
All of it changes freely while a draft; after publication only through an addendum."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from edcoop.core import audit
from edcoop.core.permissions import Action, require
from edcoop.members.models import Agency, Institution

from . import sealing, timing
from .files import Upload, check_upload, content_type_of
from .lifecycle import S, locked
from .models import (
    ATTESTATIONS,
    Criterion,
    DemandCommitment,
    Document,
    LineItem,
    Lot,
    Solicitation,
)

# Solicitations -------------------------------------------------------------------------------

SOLICITATION_FIELDS = {
    "number", "title", "kind", "category", "lead_agency", "description", "eligibility",
    "eligible_kinds", "open_to_all_eligible", "required_attestations", "survey_deadline",
    "questions_due_at", "responses_due_at", "opening_at",
}  # fmt: skip


def _check_fields(solicitation: Solicitation) -> None:
    """Every problem of a draft at once, each under its field; the dates in sensible order
    already on save (a draft whose opening precedes its deadline is a typo, not a plan)."""
    problems: dict[str, list[str]] = {}
    bad = [a for a in solicitation.required_attestations or [] if a not in ATTESTATIONS]
    if bad:
        problems["required_attestations"] = [f"Unknown attestation(s): {bad}."]
    kinds = set(Institution.Kind.values)
    bad = [k for k in solicitation.eligible_kinds or [] if k not in kinds]
    if bad:
        problems["eligible_kinds"] = [f"Unknown institution kind(s): {bad}."]
    try:
        solicitation.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            problems.setdefault(name, []).extend(messages)
    due, opening = solicitation.responses_due_at, solicitation.opening_at
    questions = solicitation.questions_due_at
    if isinstance(due, datetime) and isinstance(opening, datetime) and opening < due:
        problems.setdefault("opening_at", []).append(
            "The public opening cannot come before the response deadline: set it at or "
            "after the deadline."
        )
    if isinstance(due, datetime) and isinstance(questions, datetime) and questions > due:
        problems.setdefault("questions_due_at", []).append(
            "Questions must be due by the response deadline, not after it."
        )
    if problems:
        raise ValidationError(problems)


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
    solicitation = locked(solicitation)
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
    solicitation = locked(solicitation)
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
    solicitation = locked(solicitation)
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
    solicitation = locked(lot.solicitation)
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
    solicitation = locked(lot.solicitation)
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
    solicitation = locked(item.solicitation)
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
    solicitation = locked(item.solicitation)
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
    *, user: Any, solicitation: Solicitation, name: str, weight: Decimal, is_price: bool = False
) -> Criterion:
    """``is_price``: the price criterion, computed (lowest price / this price x weight)
    rather than scored; at most one per solicitation."""
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = locked(solicitation)
    _draft_only(solicitation, "Evaluation criteria")
    if weight <= 0 or weight > 100:
        raise ValidationError({"weight": "A weight is a percentage above 0 and at most 100."})
    if is_price and solicitation.criteria.filter(is_price=True).exists():
        raise ValidationError({"is_price": "The solicitation already has a price criterion."})
    criterion = Criterion.objects.create(solicitation=solicitation, name=name.strip(),
                                         weight=weight, is_price=is_price)  # fmt: skip
    audit.record_create("criterion.create", criterion, agency_id=solicitation.agency_id)
    return criterion


def document_row(solicitation: Solicitation, title: str, upload: Upload, **extra: Any) -> Document:
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
    solicitation = locked(solicitation)
    _draft_only(solicitation, "Documents")
    document = document_row(solicitation, title, upload)
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
    solicitation = locked(document.solicitation)
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
    solicitation = locked(document.solicitation)
    _draft_only(solicitation, "Documents")
    document = _draft_document(solicitation, document)
    audit.record("document.delete", document, agency_id=solicitation.agency_id,
                 changes={"title": [document.title, None], "filename": [document.filename, None],
                          "sha256": [document.sha256, None]})  # fmt: skip
    document.delete()
