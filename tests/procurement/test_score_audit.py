"""Attack on the audit trail of scoring: an evaluator's comment is part of the evaluation
record, yet one rewritten under the same score was saved with no audit event."""

from __future__ import annotations

from edcoop.core.models import AuditEvent
from edcoop.procurement import evaluation

from .test_committee import rfp, seat  # noqa: F401 (fixtures)


def test_a_changed_score_comment_is_audited(north, rfp):  # noqa: F811
    """Every write lands in the audit trail: a comment rewritten under the same score was
    saved with no event."""

    user = north.users["evaluator"]
    e = seat(north, rfp, user)
    evaluation.coi_attest(user=user, evaluator=e)
    crit = rfp.criteria.get(name="Functionality")
    response = evaluation.scored_responses(rfp)[0]
    evaluation.scores_save(user=user, evaluator=e, response=response, scores={crit.pk: "7"},
                           comments={crit.pk: "Strong reporting."})  # fmt: skip
    before = AuditEvent.objects.filter(action="score.save").count()
    evaluation.scores_save(user=user, evaluator=e, response=response, scores={crit.pk: "7"},
                           comments={crit.pk: "Weak reporting after all."})  # fmt: skip
    events = AuditEvent.objects.filter(action="score.save").order_by("seq")
    assert events.count() == before + 1
    assert events.last().changes["comment"] == ["Strong reporting.", "Weak reporting after all."]
