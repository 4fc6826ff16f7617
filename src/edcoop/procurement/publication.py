"""Publishing a solicitation, moving it through its status steps, closing its demand
survey, and addenda (the only change after publication)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum

from edcoop.core import audit
from edcoop.core.permissions import Action, require

from . import notify, timing
from .drafting import document_row
from .files import Upload
from .lifecycle import S, locked, move
from .models import (
    Addendum,
    Solicitation,
)


def _check_publishable(solicitation: Solicitation) -> None:
    now = timing.now()
    problems: dict[str, str] = {}
    if not solicitation.items.exists():
        problems["items"] = "Add at least one line item before publishing."
    empty = [lot for lot in solicitation.lots.all() if not lot.items.exists()]
    if empty:
        problems["lots"] = " ".join(
            f"Lot {lot.number} ({lot.title}) has no line items: add one or delete the lot."
            for lot in empty
        )
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
    solicitation = locked(solicitation)
    if solicitation.status != S.DRAFT:
        raise ValidationError(
            {
                "status": f"Only a draft can be published; this one is "
                f"{solicitation.get_status_display().lower()}."
            }
        )
    _check_publishable(solicitation)
    solicitation.published_at = timing.now()
    move(solicitation, S.PUBLISHED, user=user)
    notify.published(solicitation)
    return solicitation


_MOVES = {
    S.OPENED: {S.UNDER_EVALUATION, S.CANCELLED},
    # "awarded" comes only from a final award (awarding.award_finalize).
    S.UNDER_EVALUATION: {S.CANCELLED},
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
    solicitation = locked(solicitation)
    if status not in _MOVES.get(S(solicitation.status), set()):
        raise ValidationError(
            {
                "status": f"A {solicitation.get_status_display().lower()} "
                f"solicitation cannot become {status}."
            }
        )
    if status == S.CANCELLED and not note.strip():
        raise ValidationError({"note": "Say why the solicitation is cancelled."})
    move(solicitation, status, user=user, note=note.strip())
    return solicitation


@transaction.atomic
def survey_close(*, user: Any, solicitation: Solicitation) -> Solicitation:
    """End the demand survey now: the items' quantities stay as committed."""
    require(user, Action.SOLICITATION_EDIT, solicitation.agency)
    solicitation = locked(solicitation)
    now = timing.now()
    if solicitation.survey_deadline is None or solicitation.survey_deadline <= now:
        raise ValidationError({"survey_deadline": "The demand survey is not open."})
    old = solicitation.survey_deadline
    solicitation.survey_deadline = now
    solicitation.save(update_fields=["survey_deadline"])
    audit.record("survey.close", solicitation, changes={"survey_deadline": [old, now]})
    return solicitation


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
    solicitation = locked(solicitation)
    _before_deadline(solicitation, "Addenda can be issued")
    if not title.strip() or not body.strip():
        raise ValidationError({"title" if not title.strip() else "body": "Required."})
    if new_responses_due_at is not None:
        if new_responses_due_at <= timing.now():
            raise ValidationError({"new_responses_due_at": "The new deadline must be in the "
                                                           "future."})  # fmt: skip
        due = solicitation.responses_due_at
        if due is not None and new_responses_due_at < due:
            # Suppliers plan to the published deadline; pulling it (and the opening) forward
            # would cut them short, so an addendum may only keep or extend it.
            shown = timing.utc_to_local(solicitation.agency, due)
            raise ValidationError({"new_responses_due_at": (
                f"An addendum may only keep or extend the deadline: the new deadline is earlier "
                f"than the current one ({shown:%b %d, %Y %I:%M %p %Z}). To shorten it, cancel "
                "and re-advertise the solicitation.")})  # fmt: skip
    number = (solicitation.addenda.aggregate(n=Max("number"))["n"] or 0) + 1
    addendum = Addendum.objects.create(
        solicitation=solicitation, number=number, title=title.strip(), body=body.strip(),
        issued_at=timing.now(), new_responses_due_at=new_responses_due_at,
    )  # fmt: skip
    changes: dict[str, Any] = {"number": [None, number], "title": [None, addendum.title]}
    if new_responses_due_at is not None:
        shift = new_responses_due_at - solicitation.responses_due_at  # type: ignore[operator]
        changes["responses_due_at"] = [solicitation.responses_due_at, new_responses_due_at]
        solicitation.responses_due_at = new_responses_due_at
        if solicitation.opening_at is not None:
            solicitation.opening_at = max(solicitation.opening_at + shift, new_responses_due_at)
        solicitation.save(update_fields=["responses_due_at", "opening_at"])
    if upload is not None:
        document = document_row(solicitation, f"Addendum {number}: {addendum.title}", upload,
                                 addendum=addendum)  # fmt: skip
        changes["document"] = [None, {"filename": document.filename, "sha256": document.sha256}]
    audit.record("addendum.issue", addendum, agency_id=solicitation.agency_id, changes=changes)
    notify.addendum(addendum)
    return addendum
