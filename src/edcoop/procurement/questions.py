"""Suppliers' questions, answered publicly and anonymised."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from edcoop.core import audit
from edcoop.core.permissions import Action, require
from edcoop.members.models import Supplier

from . import notify, timing
from .lifecycle import S, locked
from .models import (
    Question,
    Solicitation,
)


@transaction.atomic
def question_ask(
    *, user: Any, solicitation: Solicitation, supplier: Supplier, text: str
) -> Question:
    require(user, Action.QUESTION_ASK, solicitation.agency, supplier=supplier)
    solicitation = locked(solicitation)
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
