"""Evaluation of opened responses: findings of responsiveness and responsibility, and an
RFP's committee scores (docs/evaluation.md).

Findings: the product proposes what it can check itself (required attestations, addenda
acknowledged, a response the opening could not read, the supplier's standing today); the
officer confirms or overrides each, with a reason. A proposal counts until it is decided,
so a bid with an unconfirmed defect is never shown as the low bid.

Committee: each evaluator signs a conflict-of-interest attestation before any response of
the solicitation is readable to them, scores every judged criterion of every eligible
response, and submits; nobody on the committee sees another's scores before submitting.
Only submitted scores count. The arithmetic is ``scoring.evaluate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from edcoop.core import audit, permissions
from edcoop.core.decimals import Bounds, DecimalInputError, parse_decimal
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Supplier

from . import scoring, timing
from .lifecycle import S, locked, move
from .models import (
    ATTESTATIONS,
    Award,
    Evaluator,
    Finding,
    Response,
    Score,
    Solicitation,
)

SCORE_BOUNDS = Bounds(4, 2, Decimal(0), Decimal(10))
SCALE = Decimal(10)
K = Finding.Kind


def _evaluating(solicitation: Solicitation) -> None:
    if solicitation.status not in (S.OPENED, S.UNDER_EVALUATION):
        raise ValidationError(
            {
                "status": "Only an opened solicitation under evaluation can be "
                f"evaluated; this one is "
                f"{solicitation.get_status_display().lower()}."
            }
        )


def _start(solicitation: Solicitation, user: Any) -> None:
    """The first evaluation act moves an opened solicitation on to evaluation."""
    if solicitation.status == S.OPENED:
        move(solicitation, S.UNDER_EVALUATION, user=user, note="Evaluation started.")


def _no_live_award(solicitation: Solicitation) -> None:
    if solicitation.awards.exclude(status=Award.Status.CANCELLED).exists():
        raise ValidationError(
            {
                "__all__": "An award is already recommended; cancel it before "
                "changing the evaluation."
            }
        )


def evaluated_responses(solicitation: Solicitation) -> list[Response]:
    """The responses evaluation reads: those opened at the opening (the current submission
    of each supplier; never a withdrawn or replaced one). The database says whether the
    solicitation is opened, not a possibly stale instance."""
    return list(
        Response.objects.filter(solicitation_id=solicitation.pk,
                                solicitation__opened_at__isnull=False, responsive__isnull=False,
                                status=Response.Status.SUBMITTED, is_current=True)
        .select_related("supplier").order_by("supplier__legal_name", "pk")
    )  # fmt: skip


# Findings -----------------------------------------------------------------------------------


def checks(solicitation: Solicitation, response: Response) -> dict[str, list[str]]:
    """What the product finds wrong with a response by itself, per finding kind."""
    content = response.opened_content or {}
    responsive: list[str] = []
    if response.opened_content is None:
        # The opening recorded why (opening._open_one: "Could not be read: ...").
        said = [r for r in response.nonresponsive_reasons or [] if r.startswith("Could not")]
        responsive.extend(said or ["The response could not be read at the opening."])
    else:
        acknowledged = set(content.get("acknowledged_addenda") or [])
        for addendum in solicitation.addenda.all():
            if addendum.number not in acknowledged:
                responsive.append(
                    f"Did not acknowledge addendum {addendum.number} ({addendum.title})."
                )
        attested = set(content.get("attestations") or [])
        for key in solicitation.required_attestations or []:
            if key not in attested:
                responsive.append(f"Missing attestation: {ATTESTATIONS.get(key, key)}.")
    responsible: list[str] = []
    supplier = response.supplier
    if supplier.status in (Supplier.Status.DEBARRED, Supplier.Status.SUSPENDED):
        responsible.append(
            f"Supplier is {supplier.get_status_display().lower()} on {timing.now():%Y-%m-%d}."
        )
    elif supplier.status != Supplier.Status.ACTIVE:
        responsible.append(
            f"Supplier is not an active registered supplier "
            f"({supplier.get_status_display().lower()})."
        )
    return {K.RESPONSIVE: responsive, K.RESPONSIBLE: responsible}


@transaction.atomic
def findings_propose(*, user: Any, solicitation: Solicitation) -> list[Finding]:
    """Run the checks on every evaluated response and store them as proposed findings.
    Rerunning refreshes the proposals (a supplier debarred since, say) and keeps every
    officer's decision; a decision the new proposal contradicts stays, shown as an override."""
    require(user, Action.EVALUATION_MANAGE, solicitation.agency)
    solicitation = locked(solicitation)
    _evaluating(solicitation)
    _start(solicitation, user)
    out = []
    for response in evaluated_responses(solicitation):
        for kind, reasons in checks(solicitation, response).items():
            finding = Finding.objects.filter(response=response, kind=kind).first()
            proposed = not reasons
            if finding is None:
                finding = Finding.objects.create(
                    response=response, kind=kind, proposed=proposed, proposed_reasons=reasons
                )
                audit.record(
                    "finding.propose",
                    finding,
                    agency_id=solicitation.agency_id,
                    changes={"proposed": [None, proposed], "reasons": [None, reasons]},
                )
            elif finding.proposed != proposed or finding.proposed_reasons != reasons:
                audit.record(
                    "finding.propose",
                    finding,
                    agency_id=solicitation.agency_id,
                    changes={
                        "proposed": [finding.proposed, proposed],
                        "reasons": [finding.proposed_reasons, reasons],
                    },
                )
                finding.proposed, finding.proposed_reasons = proposed, reasons
                finding.save(update_fields=["proposed", "proposed_reasons"])
            out.append(finding)
    return out


@transaction.atomic
def finding_decide(*, user: Any, finding: Finding, value: bool, reason: str = "") -> Finding:
    """The officer's finding. A reason is required to override the proposal and to find a
    response non-responsive or a supplier not responsible (it goes into the notice)."""
    solicitation = finding.response.solicitation
    require(user, Action.EVALUATION_MANAGE, solicitation.agency)
    solicitation = locked(solicitation)
    _evaluating(solicitation)
    _no_live_award(solicitation)
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    reason = (reason or "").strip()
    if not reason and value != finding.proposed:
        raise ValidationError({"reason": "Say why you override the product's proposed finding."})
    if not reason and not value:
        reason = " ".join(finding.proposed_reasons)
    if not reason and not value:
        raise ValidationError({"reason": "Say why."})
    before = (finding.decided, finding.reason)
    finding.decided, finding.reason = value, reason
    finding.decided_by = user if getattr(user, "is_authenticated", False) else None
    finding.decided_at = timing.now()
    finding.save(update_fields=["decided", "reason", "decided_by", "decided_at"])
    _start(solicitation, user)
    audit.record(
        "finding.decide",
        finding,
        agency_id=solicitation.agency_id,
        label=str(finding),
        changes={
            "decided": [before[0], value],
            "reason": [before[1], reason],
            "overrides_proposal": [None, finding.overridden],
        },
    )
    return finding


@dataclass(frozen=True)
class Standing:
    """Where a response stands for the award: eligible only if responsive and responsible."""

    responsive: bool
    responsible: bool
    reasons: tuple[str, ...]
    confirmed: bool  # every finding decided by the officer

    @property
    def eligible(self) -> bool:
        return self.responsive and self.responsible


def standings(solicitation: Solicitation) -> dict[int, Standing]:
    """Each evaluated response's standing: its findings where they exist (the officer's
    decision, else the proposal), else the opening's flag."""
    return standings_of(evaluated_responses(solicitation))


def standings_of(responses: list[Response]) -> dict[int, Standing]:
    """``standings`` of evaluated responses already read (of any number of solicitations):
    one query for their findings."""
    out: dict[int, Standing] = {}
    findings: dict[int, dict[str, Finding]] = {}
    for row in Finding.objects.filter(response__in=[r.pk for r in responses]):
        findings.setdefault(row.response_id, {})[row.kind] = row
    for r in responses:
        mine = findings.get(r.pk, {})
        if not mine:
            out[r.pk] = Standing(bool(r.responsive), True, tuple(r.nonresponsive_reasons), False)
            continue
        reasons: list[str] = []
        values = {}
        for kind in (K.RESPONSIVE, K.RESPONSIBLE):
            found = mine.get(kind)
            values[kind] = True if found is None else found.value
            if found is not None and not found.value:
                reasons.extend(
                    [found.reason]
                    if found.decided is not None and found.reason
                    else found.proposed_reasons
                )
        confirmed = all(x.decided is not None for x in mine.values())
        out[r.pk] = Standing(values[K.RESPONSIVE], values[K.RESPONSIBLE], tuple(reasons), confirmed)
    return out


# Committee ----------------------------------------------------------------------------------


def _rfp(solicitation: Solicitation) -> None:
    if solicitation.kind != Solicitation.Kind.RFP:
        raise ValidationError({"kind": "Only a request for proposals has an evaluation committee."})


@transaction.atomic
def evaluator_add(*, user: Any, solicitation: Solicitation, member: Any) -> Evaluator:
    """Put an agency user who may score (an evaluator or officer) on the committee."""
    require(user, Action.EVALUATION_MANAGE, solicitation.agency)
    solicitation = locked(solicitation)
    _rfp(solicitation)
    if solicitation.status in (S.AWARDED, S.CANCELLED):
        raise ValidationError({"status": "The evaluation is over."})
    if not can(member, Action.EVALUATION_SCORE, solicitation.agency):
        raise ValidationError(
            {
                "member": f"{member.get_username()} does not hold a role that "
                "may score at this agency (evaluator)."
            }
        )
    if Evaluator.objects.filter(solicitation=solicitation, user=member).exists():
        raise ValidationError({"member": f"{member.get_username()} is already on the committee."})
    evaluator = Evaluator.objects.create(
        solicitation=solicitation, user=member, added_at=timing.now()
    )
    audit.record(
        "evaluator.add",
        evaluator,
        agency_id=solicitation.agency_id,
        changes={"user": [None, member.get_username()]},
    )
    return evaluator


@transaction.atomic
def evaluator_remove(*, user: Any, evaluator: Evaluator, reason: str = "") -> None:
    """Take an evaluator off the committee (their scores go with them). Once they have
    submitted, only with a reason, which the audit trail keeps with their scores."""
    solicitation = evaluator.solicitation
    require(user, Action.EVALUATION_MANAGE, solicitation.agency)
    solicitation = locked(solicitation)
    _rfp(solicitation)
    if solicitation.status in (S.AWARDED, S.CANCELLED):
        raise ValidationError({"status": "The evaluation is over."})
    _no_live_award(solicitation)
    evaluator = Evaluator.objects.select_for_update().select_related("user").get(pk=evaluator.pk)
    why = (reason or "").strip()
    if "\x00" in why or len(why) > MAX_TEXT:
        raise ValidationError({"reason": f"Give the reason in at most {MAX_TEXT:,} characters "
                                         "of plain text."})  # fmt: skip
    name = evaluator.user.get_username()
    if evaluator.submitted_at is not None and not why:
        raise ValidationError({"reason": f"{name} has submitted scores: give the reason for "
                                         "removing them from the committee."})  # fmt: skip
    scores = [
        {"response": s.response_id, "criterion": s.criterion_id, "score": str(s.score)}
        for s in evaluator.scores.all()
    ]
    audit.record(
        "evaluator.remove",
        evaluator,
        agency_id=solicitation.agency_id,
        label=f"{name} on {solicitation.number}",
        changes={"user": [name, None], "reason": [None, why],
                 "submitted_at": [evaluator.submitted_at, None],
                 "conflict": [evaluator.conflict_description or None, None],
                 "scores": [scores, None]},
    )  # fmt: skip
    evaluator.delete()


MAX_TEXT = 5_000


def committee_seat(user: Any, solicitation: Solicitation) -> Evaluator | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Evaluator.objects.filter(solicitation=solicitation, user=user).first()


def _own_seat(user: Any, evaluator: Evaluator) -> Evaluator:
    require(user, Action.EVALUATION_SCORE, evaluator.solicitation.agency)
    if evaluator.user_id != getattr(user, "pk", None):
        # Nobody scores or attests for someone else, not even the officer.
        raise PermissionDenied("Only the evaluator may act on their own seat.")
    return (
        Evaluator.objects.select_for_update()
        .select_related("solicitation__agency")
        .get(pk=evaluator.pk)
    )


COI_TEXT = (
    "I have no financial or personal interest in any respondent, I am not related "
    "to anyone employed by a respondent, and I will keep the responses and the "
    "committee's deliberations confidential until the award. If a conflict arises I "
    "will stop and tell the procurement officer."
)


@transaction.atomic
def coi_attest(*, user: Any, evaluator: Evaluator, statement: str = COI_TEXT) -> Evaluator:
    """The evaluator's conflict-of-interest attestation; nothing before it is readable."""
    evaluator = _own_seat(user, evaluator)
    if evaluator.coi_attested_at is not None:
        raise ValidationError({"__all__": "You have already signed the attestation."})
    evaluator.coi_attested_at = timing.now()
    evaluator.coi_statement = (statement or COI_TEXT).strip()
    evaluator.save(update_fields=["coi_attested_at", "coi_statement"])
    audit.record(
        "evaluator.coi_attest",
        evaluator,
        agency_id=evaluator.agency_id,
        changes={
            "coi_attested_at": [None, evaluator.coi_attested_at],
            "statement": [None, evaluator.coi_statement],
        },
    )
    return evaluator


@transaction.atomic
def conflict_declare(*, user: Any, evaluator: Evaluator, description: str) -> Evaluator:
    """"I have a conflict": from now the responses are closed to the evaluator and their
    scores do not count; the officer sees the description and may replace them."""
    evaluator = _own_seat(user, evaluator)
    what = (description or "").strip()
    if not what:
        raise ValidationError({"description": "Describe the conflict for the procurement officer."})
    if "\x00" in what or len(what) > MAX_TEXT:
        raise ValidationError({"description": f"Describe it in at most {MAX_TEXT:,} characters "
                                              "of plain text."})  # fmt: skip
    if evaluator.conflict_declared_at is not None:
        raise ValidationError({"__all__": "You have already declared a conflict."})
    evaluator.conflict_declared_at = timing.now()
    evaluator.conflict_description = what
    evaluator.save(update_fields=["conflict_declared_at", "conflict_description"])
    audit.record(
        "evaluator.conflict_declare",
        evaluator,
        agency_id=evaluator.agency_id,
        changes={"conflict_declared_at": [None, evaluator.conflict_declared_at],
                 "description": [None, what]},
    )  # fmt: skip
    return evaluator


def gated(user: Any, solicitation: Solicitation) -> bool:
    """True when ``user`` reads this RFP's responses only as an evaluator, so must sit on the
    committee and have signed the attestation first. Officers and auditors are not gated."""
    agency = solicitation.agency
    return (
        solicitation.kind == Solicitation.Kind.RFP
        and can(user, Action.EVALUATION_SCORE, agency)
        and not can(user, Action.EVALUATION_MANAGE, agency)
    )


def may_read_responses(user: Any, solicitation: Solicitation) -> bool:
    if not gated(user, solicitation):
        return True
    seat = committee_seat(user, solicitation)
    return (seat is not None and seat.coi_attested_at is not None
            and seat.conflict_declared_at is None)  # fmt: skip


def scored_responses(solicitation: Solicitation) -> list[Response]:
    """The responses the committee scores: evaluated and eligible."""
    standing = standings(solicitation)
    return [r for r in evaluated_responses(solicitation) if standing[r.pk].eligible]


def _ready_to_score(evaluator: Evaluator) -> None:
    _evaluating(evaluator.solicitation)
    if evaluator.conflict_declared_at is not None:
        raise ValidationError({"__all__": "You declared a conflict: you no longer score."})
    if evaluator.coi_attested_at is None:
        raise ValidationError({"__all__": "Sign the conflict-of-interest attestation first."})
    if evaluator.submitted_at is not None:
        raise ValidationError({"__all__": "Your scores are submitted; they can no longer change."})


@transaction.atomic
def scores_save(
    *,
    user: Any,
    evaluator: Evaluator,
    response: Response,
    scores: Mapping[int, Any],
    comments: Mapping[int, str] | None = None,
) -> list[Score]:
    """An evaluator's scores (0 to 10) of one response's judged criteria; may be partial
    and changed until submitted."""
    evaluator = _own_seat(user, evaluator)
    solicitation = evaluator.solicitation
    _ready_to_score(evaluator)
    if response.pk not in {r.pk for r in scored_responses(solicitation)}:
        raise ValidationError(
            {
                "response": "This response is not being scored (not opened, "
                "or found non-responsive or not responsible)."
            }
        )
    judged = {c.pk: c for c in solicitation.criteria.filter(is_price=False)}
    out = []
    for criterion_id, raw in scores.items():
        criterion = judged.get(int(criterion_id))
        if criterion is None:
            raise ValidationError(
                {f"score_{criterion_id}": "Not a criterion the committee scores."}
            )
        if raw is None or str(raw).strip() == "":
            continue
        try:
            value = parse_decimal(raw, SCORE_BOUNDS, people=True)
        except DecimalInputError as e:
            raise ValidationError({f"score_{criterion.pk}": f"{criterion.name}: {e}"}) from e
        comment = ((comments or {}).get(criterion.pk) or "").strip()
        old = Score.objects.filter(
            evaluator=evaluator, response=response, criterion=criterion
        ).first()
        if old is None:
            old_value, old_comment = None, ""
            score = Score.objects.create(
                evaluator=evaluator,
                response=response,
                criterion=criterion,
                score=value,
                comment=comment,
            )
        else:
            old_value, old_comment = old.score, old.comment
            old.score, old.comment = value, comment
            old.save(update_fields=["score", "comment"])
            score = old
        # The comment is part of the evaluation record: a rewritten one is a write too.
        changes: dict[str, Any] = {}
        if old_value != value:
            changes["score"] = [old_value, value]
        if old_comment != comment:
            changes["comment"] = [old_comment or None, comment or None]
        if changes:
            audit.record(
                "score.save",
                score,
                agency_id=solicitation.agency_id,
                label=f"{evaluator.user} on {response.supplier}, {criterion.name}",
                changes=changes,
            )
        out.append(score)
    _start(locked(solicitation), user)
    return out


@transaction.atomic
def scores_submit(*, user: Any, evaluator: Evaluator) -> Evaluator:
    """Submit: every judged criterion of every scored response must have a score."""
    evaluator = _own_seat(user, evaluator)
    _ready_to_score(evaluator)
    solicitation = evaluator.solicitation
    judged = list(solicitation.criteria.filter(is_price=False))
    have = set(Score.objects.filter(evaluator=evaluator).values_list("response_id", "criterion_id"))
    for response in scored_responses(solicitation):
        for c in judged:
            if (response.pk, c.pk) not in have:
                raise ValidationError(
                    {"__all__": f"Score {c.name} of {response.supplier} before submitting."}
                )
    evaluator.submitted_at = timing.now()
    evaluator.save(update_fields=["submitted_at"])
    audit.record(
        "evaluator.submit",
        evaluator,
        agency_id=solicitation.agency_id,
        changes={"submitted_at": [None, evaluator.submitted_at]},
    )
    return evaluator


def may_see_committee_scores(user: Any, solicitation: Solicitation) -> bool:
    """The officer and auditors always, unless seated; an evaluator (an officer or the
    agency administrator seated on the committee too) only once their own are submitted."""
    seat = committee_seat(user, solicitation)
    if seat is not None:
        return seat.submitted_at is not None and seat.conflict_declared_at is None
    agency = solicitation.agency
    return can(user, Action.EVALUATION_MANAGE, agency) or can(user, Action.AUDIT_VIEW, agency)


def response_prices(solicitation: Solicitation) -> dict[int, Decimal]:
    """Each response's evaluated price: the sum of its extended prices in the tabulation
    (every item's estimated quantity at its tier)."""
    from .selectors import tabulation_for

    tab = tabulation_for(solicitation)
    if tab is None:
        return {}
    responses = evaluated_responses(solicitation)
    by_name = {r.supplier_name: r.pk for r in responses}
    out: dict[int, Decimal] = {}
    for index, bid in enumerate(tab.bids):
        amounts = [row.cells[index].extended for row in tab.rows]
        if bid.supplier in by_name:
            out[by_name[bid.supplier]] = sum((a for a in amounts if a is not None), Decimal("0.00"))
    return out


@dataclass(frozen=True)
class CommitteeResult:
    rows: list[scoring.ResponseScore]
    responses: dict[str, Response]
    evaluators: dict[str, Evaluator]
    prices: dict[str, Decimal]
    submitted: int
    seated: int
    error: str = ""
    # response id -> [(evaluator, criterion, comment)] of the submitted scores' comments
    comments: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


def committee_result(solicitation: Solicitation) -> CommitteeResult:
    """Weighted totals, ranking, spread and consensus over the submitted scores only."""
    # A seat whose evaluator declared a conflict does not count, submitted or not.
    seats = [e for e in solicitation.evaluators.select_related("user")
             if e.conflict_declared_at is None]  # fmt: skip
    submitted = [e for e in seats if e.submitted_at is not None]
    responses = {str(r.pk): r for r in scored_responses(solicitation)}
    evaluators = {str(e.pk): e for e in submitted}
    criteria = [
        scoring.Criterion(str(c.pk), c.weight, c.is_price) for c in solicitation.criteria.all()
    ]
    marks: dict[str, dict[str, dict[str, Decimal]]] = {}
    comments: dict[str, list[tuple[str, str, str]]] = {}
    if submitted:
        for score in Score.objects.filter(
            evaluator__in=submitted, response__pk__in=[int(r) for r in responses]
        ).select_related("evaluator__user", "criterion"):
            marks.setdefault(str(score.response_id), {}).setdefault(str(score.evaluator_id), {})[
                str(score.criterion_id)
            ] = score.score
            if score.comment:
                who = score.evaluator.user
                comments.setdefault(str(score.response_id), []).append(
                    (who.get_full_name() or who.get_username(), score.criterion.name,
                     score.comment)
                )  # fmt: skip
    all_prices = response_prices(solicitation)
    prices = {k: all_prices[int(k)] for k in responses if int(k) in all_prices}
    rows: list[scoring.ResponseScore] = []
    error = ""
    if marks:
        try:
            rows = scoring.evaluate(criteria=criteria, scores=marks, prices=prices, scale=SCALE)
        except scoring.ScoringError as e:
            error = str(e)
    return CommitteeResult(rows, responses, evaluators, prices, len(submitted), len(seats), error,
                           comments)  # fmt: skip


def committee_users(solicitation: Solicitation) -> Any:
    """Agency users who may be seated: they may score and are not seated yet."""
    from edcoop.members.models import RoleAssignment

    roles = [r for r, actions in permissions.MATRIX.items() if Action.EVALUATION_SCORE in actions]
    ids = RoleAssignment.objects.filter(agency=solicitation.agency, role__in=roles).values_list(
        "user_id", flat=True
    )
    seated = solicitation.evaluators.values_list("user_id", flat=True)
    return get_user_model().objects.filter(pk__in=ids).exclude(pk__in=seated).order_by("username")
