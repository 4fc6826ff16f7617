"""Issue 12, must-have 1: the supplier is not debarred or suspended on the award date. A
supplier debarred after the officer confirmed it responsible (or before anyone checked) is
never recommended or made final; the checks also catch a suspended supplier and a missing
attestation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from edcoop.members import services as member_services
from edcoop.procurement import awarding, evaluation, opening, responses
from edcoop.procurement.models import Award, Finding

from .conftest import OPENING, offer, second_supplier
from .test_evaluation import three  # noqa: F401 (fixture)


def officer(north):
    return north.users["procurement_officer"]


def debar(north, supplier, status="debarred"):
    member_services.supplier_set_status(
        user=north.users["agency_admin"], supplier=supplier, status=status,
        reason="Convicted of bid rigging.",
    )  # fmt: skip


def confirm_all(north, bid):
    for f in evaluation.findings_propose(user=officer(north), solicitation=bid):
        evaluation.finding_decide(user=officer(north), finding=f, value=f.proposed,
                                  reason="" if f.proposed else "As checked.")  # fmt: skip


def test_a_supplier_debarred_after_the_findings_is_not_recommended(north, three, clock):  # noqa: F811
    bid, second, third = three
    confirm_all(north, bid)  # Second confirmed responsible; it is low on the paper lot
    debar(north, second)
    _, result = awarding.compute(bid)
    with pytest.raises(ValidationError, match="Second Paper Co is debarred"):
        awarding.award_recommend(
            user=officer(north), solicitation=bid, basis="Lowest.",
            tie_choices={awarding.tie_key(t): str(third.pk) for t in result.ties},
            tie_reason="By lot.",
        )  # fmt: skip
    assert not Award.objects.exists()
    # Checking the responses again finds it not responsible; the award goes to Third.
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    f = Finding.objects.get(response__supplier=second, kind="responsible")
    evaluation.finding_decide(user=officer(north), finding=f, value=False)
    award = awarding.award_recommend(user=officer(north), solicitation=bid, basis="Lowest.")
    assert {ln.supplier for ln in award.lines.all()} == {third}


def test_unchecked_responses_cannot_carry_a_debarred_supplier_to_the_award(north, three, clock):  # noqa: F811
    bid, _second, third = three
    debar(north, third, "suspended")
    with pytest.raises(ValidationError, match="Third Paper Co is suspended"):
        awarding.award_recommend(
            user=officer(north), solicitation=bid, basis="Lowest.",
            tie_choices={"primary:item:" + str(bid.items.get(number="2.01").pk): str(third.pk)},
            tie_reason="By lot.",
        )  # fmt: skip


def test_an_officers_override_of_a_debarment_stands(north, three, clock):  # noqa: F811
    """The officer may override the proposal with a reason (a debarment recorded in error):
    that is a decision on the current status, not a stale one."""
    bid, second, _third = three
    debar(north, second)
    confirm_all(north, bid)
    f = Finding.objects.get(response__supplier=second, kind="responsible")
    assert not f.proposed and "debarred" in f.proposed_reasons[0]
    evaluation.finding_decide(
        user=officer(north), finding=f, value=True,
        reason="The debarment was entered for another Second Paper.",
    )  # fmt: skip
    _, result = awarding.compute(bid)
    award = awarding.award_recommend(
        user=officer(north), solicitation=bid, basis="Lowest.",
        tie_choices={awarding.tie_key(t): str(second.pk) for t in result.ties},
        tie_reason="By lot.",
    )  # fmt: skip
    assert second in {ln.supplier for ln in award.lines.all()}


def test_a_supplier_debarred_in_the_stand_still_is_not_made_final(north, three, clock):  # noqa: F811
    bid, second, third = three
    confirm_all(north, bid)
    _, result = awarding.compute(bid)
    award = awarding.award_recommend(
        user=officer(north), solicitation=bid, basis="Lowest.",
        tie_choices={awarding.tie_key(t): str(third.pk) for t in result.ties},
        tie_reason="By lot.",
    )  # fmt: skip
    award = awarding.award_approve(user=north.users["agency_admin"], award=award,
                                   board_resolution="R-1", board_date=clock.now.date())  # fmt: skip
    award = awarding.award_notice(user=officer(north), award=award)
    debar(north, second)
    clock.set(award.standstill_ends_at + timedelta(minutes=1))
    assert awarding.finalize_due() == []  # the scheduled run skips it, without an error
    with pytest.raises(ValidationError, match="Second Paper Co is debarred"):
        awarding.award_finalize(user=officer(north), award=award)
    award.refresh_from_db()
    bid.refresh_from_db()
    assert award.status == "noticed" and bid.status != "awarded"
    assert awarding.final_award_lines(bid) == []


def test_missing_attestation_is_refused_and_suspension_is_proposed(north, bid, clock):
    second, rep2 = second_supplier(north)
    with pytest.raises(ValidationError, match="Required attestation missing: Non-collusive"):
        responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                                  supplier=north.supplier,
                                  data=offer(bid, {"1.01": "29", "1.02": "50"},
                                             attestations=[]))  # fmt: skip
    responses.response_submit(user=rep2, solicitation=bid, supplier=second,
                              data=offer(bid, {"1.01": "30", "1.02": "55"}))  # fmt: skip
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    debar(north, second, "suspended")
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    theirs = Finding.objects.get(response__supplier=second, kind="responsible")
    assert not theirs.proposed and "suspended on" in theirs.proposed_reasons[0]
    assert not any(s.eligible for s in evaluation.standings(bid).values())
