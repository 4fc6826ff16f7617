"""Attacks on evaluation and award, each a regression test: every role, outsiders, bounds,
double submits, steps out of order."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from tests.conftest import make_tenant
from tests.web.conftest import client_for

from edcoop.procurement import awarding, evaluation
from edcoop.procurement.models import Award, Finding, Score

from .test_committee import rfp, score_all, seat, second_evaluator  # noqa: F401 (fixtures)
from .test_evaluation import officer, recommended, three  # noqa: F401


def test_tie_choice_must_be_one_of_the_tied_bidders(north, three):  # noqa: F811
    bid, _second, _third = three
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    _, result = awarding.compute(bid)
    key = awarding.tie_key(result.ties[0])
    # North's 0.25 is cheaper but not eligible: it cannot be slipped in as the tie's pick.
    with pytest.raises(ValidationError, match="choose one"):
        awarding.award_recommend(
            user=officer(north),
            solicitation=bid,
            basis="x",
            tie_choices={key: str(north.supplier.pk)},
            tie_reason="y",
        )
    assert not Award.objects.exists()


def test_steps_out_of_order_and_twice_are_refused(north, three, clock):  # noqa: F811
    bid, _second, third = three
    award = recommended(north, bid, third)
    with pytest.raises(ValidationError, match="recommended"):
        awarding.award_notice(user=officer(north), award=award)  # before the board
    with pytest.raises(ValidationError, match="cancel it"):  # findings frozen under an award
        evaluation.finding_decide(
            user=officer(north), finding=Finding.objects.first(), value=False, reason="x"
        )
    with pytest.raises(ValidationError, match="before the"):
        awarding.award_approve(
            user=north.users["agency_admin"],
            award=award,
            board_resolution="R",
            board_date=clock.now.date().replace(year=2025),
        )
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="R",
        board_date=clock.now.date(),
    )
    with pytest.raises(ValidationError):
        awarding.award_approve(
            user=north.users["agency_admin"],
            award=award,
            board_resolution="R2",
            board_date=clock.now.date(),
        )
    with pytest.raises(ValidationError, match="approved"):
        awarding.award_finalize(user=officer(north), award=award)
    award = awarding.award_notice(user=officer(north), award=award)
    with pytest.raises(ValidationError):
        awarding.award_notice(user=officer(north), award=award)  # no second round of e-mail
    protest = awarding.protest_file(
        user=north.users["supplier_rep"], award=award, supplier=north.supplier, grounds="g"
    )
    with pytest.raises(ValidationError, match="upheld"):
        awarding.protest_decide(
            user=officer(north), protest=protest, outcome="ignored", decision="d"
        )
    awarding.protest_decide(user=officer(north), protest=protest, outcome="upheld", decision="d")
    with pytest.raises(ValidationError, match="already decided"):
        awarding.protest_decide(
            user=officer(north), protest=protest, outcome="cancelled", decision="d"
        )


def test_protest_only_by_a_respondent_and_only_once_noticed(north, three, clock):  # noqa: F811
    from tests.procurement.conftest import second_supplier

    bid, _second, third = three
    award = recommended(north, bid, third)
    with pytest.raises(ValidationError, match="recommended"):
        awarding.protest_file(
            user=north.users["supplier_rep"],
            award=award,
            supplier=north.supplier,
            grounds="Too early.",
        )
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="R",
        board_date=clock.now.date(),
    )
    award = awarding.award_notice(user=officer(north), award=award)
    outsider, rep = second_supplier(north, "Never Bid Inc", "44-1234567")
    with pytest.raises(PermissionDenied):
        awarding.protest_file(user=rep, award=award, supplier=outsider, grounds="Me too.")
    for role in ("procurement_officer", "agency_admin", "evaluator"):
        with pytest.raises(PermissionDenied):  # nobody protests on a supplier's behalf
            awarding.protest_file(
                user=north.users[role], award=award, supplier=north.supplier, grounds="x"
            )
    with pytest.raises(ValidationError, match="grounds"):
        awarding.protest_file(
            user=north.users["supplier_rep"], award=award, supplier=north.supplier, grounds="   "
        )


def test_another_agency_sees_nothing(north, three):  # noqa: F811
    bid, _second, _third = three
    south = make_tenant("south", kind="regional", state="NY", time_zone="America/New_York")
    c = client_for(south.users["procurement_officer"])
    for name in ("evaluation", "award_recommend", "findings_propose"):
        assert c.get(reverse(f"procurement:{name}", args=["north", bid.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        evaluation.findings_propose(user=south.users["procurement_officer"], solicitation=bid)


def test_scores_bounds_and_isolation_on_the_pages(north, rfp):  # noqa: F811
    user, other = north.users["evaluator"], second_evaluator(north)
    e, e2 = seat(north, rfp, user), seat(north, rfp, other)
    c = client_for(user)
    response = evaluation.scored_responses(rfp)[0]
    detail = reverse("procurement:response", args=["north", rfp.pk, response.pk])
    assert c.get(detail).status_code == 403  # seated but not attested
    c.post(reverse("procurement:scoring", args=["north", rfp.pk]), {"attest": "on"})
    assert c.get(detail).status_code == 200
    crit = rfp.criteria.filter(is_price=False).first()
    score_url = reverse("procurement:score", args=["north", rfp.pk, response.pk])
    for bad in ("NaN", "-1", "10.5", "1e1", "7.123"):
        r = c.post(score_url, {f"score_{crit.pk}": bad})
        assert r.status_code == 200 and "error-summary" in r.content.decode(), bad
    assert not Score.objects.exists()
    assert c.post(score_url, {f"score_{crit.pk}": "7.5"}).status_code == 302
    # The other evaluator attests and sees neither the score nor the committee's table.
    evaluation.coi_attest(user=other, evaluator=e2)
    page = client_for(other).get(reverse("procurement:evaluation", args=["north", rfp.pk]))
    assert b"7.50" not in page.content and b"once you submit" in page.content
    # A seat is the evaluator's own: the other cannot score through it.
    with pytest.raises(PermissionDenied):
        evaluation.scores_save(user=other, evaluator=e, response=response, scores={crit.pk: "1"})
    # Not on the committee: the scoring page is refused.
    assert (
        client_for(north.users["auditor"])
        .get(reverse("procurement:scoring", args=["north", rfp.pk]))
        .status_code
        == 403
    )
