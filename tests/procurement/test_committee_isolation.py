"""An officer (or agency administrator) seated on the committee is an evaluator like any
other: no one's scores before submitting their own (issue 12, "no evaluator sees another's
scores until they submit"). Unseated, they see the committee's table at any time."""

from __future__ import annotations

from django.urls import reverse
from tests.web.conftest import client_for

from edcoop.procurement import evaluation

from .test_committee import rfp, score_all, seat  # noqa: F401 (fixtures)


def test_a_seated_officer_sees_no_scores_before_submitting(north, rfp):  # noqa: F811
    officer, user = north.users["procurement_officer"], north.users["evaluator"]
    e, mine = seat(north, rfp, user), seat(north, rfp, officer)
    evaluation.coi_attest(user=user, evaluator=e)
    score_all(rfp, e, user, {"North Paper Co": ("3", "7"), "Second Paper Co": ("9", "1")})
    evaluation.scores_submit(user=user, evaluator=e)
    evaluation.coi_attest(user=officer, evaluator=mine)

    assert not evaluation.may_see_committee_scores(officer, rfp)
    page = client_for(officer).get(reverse("procurement:evaluation", args=["north", rfp.pk]))
    assert page.status_code == 200
    assert b"Consensus" not in page.content and b"15.00" not in page.content  # 50 x 3/10

    score_all(rfp, mine, officer, {"North Paper Co": ("5", "5"), "Second Paper Co": ("5", "5")})
    evaluation.scores_submit(user=officer, evaluator=mine)
    assert evaluation.may_see_committee_scores(officer, rfp)
    # Not seated: the officer's and the auditor's view of the table is unchanged.
    assert evaluation.may_see_committee_scores(north.users["auditor"], rfp)


def test_a_seated_administrator_reads_no_scores_in_the_audit_trail(north, rfp):  # noqa: F811
    """The agency administrator reads the audit trail by right; seated on the committee, it
    must not find there what the evaluation page hides: another evaluator's unsubmitted
    scores. Its own scores stay in its view, and every score is there once it submits."""
    admin, user = north.users["agency_admin"], north.users["evaluator"]
    e, mine = seat(north, rfp, user), seat(north, rfp, admin)
    evaluation.coi_attest(user=user, evaluator=e)
    evaluation.coi_attest(user=admin, evaluator=mine)
    score_all(rfp, e, user, {"North Paper Co": ("3", "7"), "Second Paper Co": ("9", "1")})
    score_all(rfp, mine, admin, {"North Paper Co": ("5", "5"), "Second Paper Co": ("5", "5")})
    trail = reverse("members:audit", args=["north"])

    def scores_shown(viewer):
        page = client_for(viewer).get(trail, {"action": "score.save"})
        assert page.status_code == 200
        text = page.content.decode()
        return text.count(f"{user} on "), text.count(f"{admin} on ")

    others, own = scores_shown(admin)
    assert others == 0 and own == 4  # two responses x two criteria, its own only
    # The auditor, not seated, reads every score event.
    assert scores_shown(north.users["auditor"]) == (4, 4)
    evaluation.scores_submit(user=admin, evaluator=mine)
    assert scores_shown(admin) == (4, 4)
