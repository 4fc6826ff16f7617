"""What waits for the procurement officer and the evaluators: drafts to publish, questions
to answer, openings due, responses to score (``core.tasks``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse

from edcoop.core import formatting
from edcoop.core.permissions import Action, can
from edcoop.core.tasks import Task
from edcoop.members.models import Agency

from . import timing
from .models import Evaluator, Question, Solicitation

AREA = "Bids"
S = Solicitation.Status


def procurement_tasks(user: Any, agency: Agency) -> list[Task]:
    slug = agency.slug
    now = timing.now()
    out: list[Task] = []
    mine = Solicitation.objects.filter(agency=agency)

    def detail_url(s: Solicitation) -> str:
        return reverse("procurement:detail", args=[slug, s.pk])

    if can(user, Action.RESPONSE_OPEN, agency):
        for s in (
            mine.filter(status__in=[S.PUBLISHED, S.CLOSED], opened_at__isnull=True)
            .filter(Q(opening_at__lte=now) | Q(opening_at__isnull=True, responses_due_at__lte=now))
            .order_by("opening_at", "pk")[:5]
        ):
            out.append(Task(
                f"Hold the public opening of {s.number}", detail_url(s),
                f"{s.title}: responses were due "
                f"{formatting.moment(s.responses_due_at, agency.zone)}.",
                area=AREA,
            ))  # fmt: skip
    if can(user, Action.SOLICITATION_EDIT, agency):
        waiting = Question.objects.filter(
            solicitation__agency=agency, answered_at__isnull=True,
            solicitation__status__in=[S.PUBLISHED, S.CLOSED],
        ).select_related("solicitation")  # fmt: skip
        by_solicitation: dict[int, list[Question]] = {}
        for q in waiting.order_by("asked_at", "pk"):
            by_solicitation.setdefault(q.solicitation_id, []).append(q)
        for questions in list(by_solicitation.values())[:5]:
            s = questions[0].solicitation
            out.append(Task(
                f"Answer {len(questions)} question{'s' if len(questions) > 1 else ''} on "
                f"{s.number}", detail_url(s) + "#questions",
                f"{s.title}: answers are published to every supplier.",
                count=len(questions), area=AREA,
            ))  # fmt: skip
    if can(user, Action.SOLICITATION_PUBLISH, agency):
        for s in mine.filter(status=S.DRAFT).order_by("created_at", "pk")[:5]:
            out.append(Task(
                f"Finish and publish {s.number}", detail_url(s), s.title, area=AREA,
            ))  # fmt: skip
    if can(user, Action.SOLICITATION_PUBLISH, agency):
        open_bids = mine.filter(status=S.PUBLISHED, responses_due_at__gt=now)
        if n := open_bids.count():
            first = open_bids.order_by("responses_due_at", "pk").first()
            out.append(Task(
                f"Follow {n} open bid{'s' if n > 1 else ''} to "
                f"{'their deadlines' if n > 1 else 'its deadline'}",
                reverse("procurement:list", args=[slug]),
                f"Next due: {first.number} {first.title}, "  # type: ignore[union-attr]
                f"{formatting.moment(first.responses_due_at, agency.zone)}.",  # type: ignore[union-attr]
                count=n, area=AREA, watch=True,
            ))  # fmt: skip
    if can(user, Action.EVALUATION_SCORE, agency):
        for ev in Evaluator.objects.filter(
            user=user, submitted_at__isnull=True, solicitation__agency=agency,
            solicitation__status=S.UNDER_EVALUATION,
        ).select_related("solicitation"):  # fmt: skip
            s = ev.solicitation
            out.append(Task(
                f"Score the responses to {s.number}",
                reverse("procurement:scoring", args=[slug, s.pk]), s.title, area=AREA,
            ))  # fmt: skip
    if can(user, Action.DEMAND_VIEW, agency) and can(user, Action.SOLICITATION_EDIT, agency):
        closing = mine.filter(status=S.DRAFT, survey_deadline__gt=now).order_by("survey_deadline")
        for s in closing[:3]:
            out.append(Task(
                f"Check the demand survey of {s.number}", detail_url(s),
                f"Members commit quantities until "
                f"{formatting.moment(s.survey_deadline, agency.zone)}.", area=AREA, watch=True,
            ))  # fmt: skip
    return out


def member_tasks(user: Any, agency: Agency, institution: Any) -> list[Task]:
    """A member's buyers: demand surveys open for their quantities."""
    if not can(user, Action.DEMAND_COMMIT, agency, institution=institution):
        return []
    surveys = Solicitation.objects.filter(
        agency=agency, status=S.DRAFT, survey_deadline__gt=timing.now()
    ).order_by("survey_deadline")
    first = surveys.first()
    if first is None:
        return []
    n = surveys.count()
    return [Task(
        f"Commit your quantities to {n} demand survey{'s' if n > 1 else ''}",
        reverse("procurement:surveys", args=[agency.slug, institution.pk]),
        f"{first.number} {first.title} closes "
        f"{formatting.moment(first.survey_deadline, agency.zone)}.", count=n, area=AREA,
    )]  # fmt: skip


def supplier_tasks(user: Any, agency: Agency, supplier: Any) -> list[Task]:
    """A supplier's representative: open bids to answer, drafts not yet submitted."""
    from . import selectors
    from .models import Response

    if not can(user, Action.RESPONSE_SUBMIT, agency, supplier=supplier):
        return []
    now = timing.now()
    url = reverse("procurement:bids", args=[agency.slug, supplier.pk])
    out: list[Task] = []
    drafts = Response.objects.filter(
        supplier=supplier, status=Response.Status.DRAFT, solicitation__status=S.PUBLISHED,
        solicitation__responses_due_at__gt=now,
    ).select_related("solicitation")  # fmt: skip
    for r in drafts.order_by("solicitation__responses_due_at")[:3]:
        s = r.solicitation
        out.append(Task(
            f"Submit your draft response to {s.number}",
            reverse("procurement:respond", args=[agency.slug, supplier.pk, s.pk]),
            f"{s.title}: due {formatting.moment(s.responses_due_at, agency.zone)}.", area=AREA,
        ))  # fmt: skip
    open_now = (
        selectors.public_solicitations(agency)
        .filter(status=S.PUBLISHED, responses_due_at__gt=now)
        .exclude(responses__supplier=supplier)
    )
    n = open_now.count()
    if n:
        first = open_now.order_by("responses_due_at", "pk").first()
        out.append(Task(
            f"Respond to {n} open bid{'s' if n > 1 else ''}", url,
            f"The first to close: {first.number} {first.title}, "  # type: ignore[union-attr]
            f"{formatting.moment(first.responses_due_at, agency.zone)}."  # type: ignore[union-attr]
            , count=n, area=AREA,
        ))  # fmt: skip
    return out
