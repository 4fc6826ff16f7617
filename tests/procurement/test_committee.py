"""An RFP's committee: the conflict-of-interest gate, evaluators' isolation, submission,
the computed price criterion, weighted totals and the best-value award."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.conftest import make_user

from edcoop.members import services as member_services
from edcoop.members.models import Role
from edcoop.procurement import (
    awarding,
    drafting,
    evaluation,
    opening,
    publication,
    responses,
    sealing,
)
from edcoop.procurement.models import Evaluator

from .conftest import DUE, NOW, OPENING, approve, offer, second_supplier

D = Decimal


@pytest.fixture
def rfp(north, clock):
    approve(north, north.supplier)
    officer = north.users["procurement_officer"]
    s = drafting.solicitation_create(
        user=officer,
        agency=north.agency,
        number="RFP-2026-02",
        title="Student information system",
        kind="rfp",
        required_attestations=["non_collusion"],
        questions_due_at=NOW + timedelta(days=2),
        responses_due_at=DUE,
        opening_at=OPENING,
    )
    lot = drafting.lot_add(user=officer, solicitation=s, title="Subscription")
    drafting.item_add(
        user=officer,
        lot=lot,
        number="1",
        description="Annual licence",
        unit="year",
        estimated_quantity=D("1"),
    )
    drafting.criterion_add(user=officer, solicitation=s, name="Functionality", weight=D("50"))
    drafting.criterion_add(user=officer, solicitation=s, name="Implementation", weight=D("20"))
    drafting.criterion_add(
        user=officer, solicitation=s, name="Price", weight=D("30"), is_price=True
    )
    s = publication.solicitation_publish(user=officer, solicitation=s)
    other, rep = second_supplier(north)
    responses.response_submit(
        user=north.users["supplier_rep"],
        solicitation=s,
        supplier=north.supplier,
        data=offer(s, {"1": "40000"}),
    )
    responses.response_submit(
        user=rep, solicitation=s, supplier=other, data=offer(s, {"1": "50000"})
    )
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=s)
    s.refresh_from_db()
    return s


def second_evaluator(north):
    user = make_user("north-evaluator-2")
    member_services.role_assign(user=None, agency=north.agency, person=user, role=Role.EVALUATOR)
    return user


def seat(north, s, user):
    return evaluation.evaluator_add(
        user=north.users["procurement_officer"], solicitation=s, member=user
    )


def score_all(s, evaluator, user, marks):
    """``marks``: {supplier legal name: (functionality, implementation)}."""
    crit = {c.name: c for c in s.criteria.all()}
    for r in evaluation.scored_responses(s):
        f, i = marks[r.supplier.legal_name]
        evaluation.scores_save(
            user=user,
            evaluator=evaluator,
            response=r,
            scores={crit["Functionality"].pk: f, crit["Implementation"].pk: i},
        )


def test_coi_gate_before_any_response_is_readable(north, rfp):
    user = north.users["evaluator"]
    response = rfp.responses.filter(is_current=True).first()
    assert not sealing.may_read(user, response)  # not on the committee
    e = seat(north, rfp, user)
    assert not sealing.may_read(user, response)  # seated, not attested
    with pytest.raises(ValidationError, match="attestation"):
        score_all(rfp, e, user, {"North Paper Co": ("8", "7"), "Second Paper Co": ("6", "9")})
    with pytest.raises(PermissionDenied):  # nobody signs for someone else
        evaluation.coi_attest(user=north.users["procurement_officer"], evaluator=e)
    evaluation.coi_attest(user=user, evaluator=e)
    assert sealing.may_read(user, response)
    # The officer and the auditor are not gated.
    assert sealing.may_read(north.users["procurement_officer"], response)
    assert sealing.may_read(north.users["auditor"], response)


def test_only_scoring_roles_are_seated_and_once(north, rfp):
    with pytest.raises(ValidationError, match="may score"):
        seat(north, rfp, north.users["business_office"])
    seat(north, rfp, north.users["evaluator"])
    with pytest.raises(ValidationError, match="already"):
        seat(north, rfp, north.users["evaluator"])
    with pytest.raises(PermissionDenied):
        evaluation.evaluator_add(
            user=north.users["evaluator"], solicitation=rfp, member=north.users["evaluator"]
        )


def test_isolation_submission_and_weighted_totals(north, rfp):
    u1, u2 = north.users["evaluator"], second_evaluator(north)
    e1, e2 = seat(north, rfp, u1), seat(north, rfp, u2)
    for u, e in ((u1, e1), (u2, e2)):
        evaluation.coi_attest(user=u, evaluator=e)
    score_all(rfp, e1, u1, {"North Paper Co": ("8", "6"), "Second Paper Co": ("9", "10")})
    with pytest.raises(PermissionDenied):  # an evaluator scores only on their own seat
        score_all(rfp, e1, u2, {"North Paper Co": ("0", "0"), "Second Paper Co": ("0", "0")})
    with pytest.raises(ValidationError, match=r"outside|at most|more than|10"):
        score_all(rfp, e2, u2, {"North Paper Co": ("11", "6"), "Second Paper Co": ("9", "9")})
    assert not evaluation.may_see_committee_scores(u1, rfp)
    evaluation.scores_submit(user=u1, evaluator=e1)
    assert evaluation.may_see_committee_scores(u1, rfp)
    assert not evaluation.may_see_committee_scores(u2, rfp)
    with pytest.raises(ValidationError, match="before submitting"):
        evaluation.scores_submit(user=u2, evaluator=e2)
    score_all(rfp, e2, u2, {"North Paper Co": ("6", "8"), "Second Paper Co": ("7", "8")})
    with pytest.raises(ValidationError, match="not submitted"):
        awarding.award_recommend(
            user=north.users["procurement_officer"],
            solicitation=rfp,
            basis="Best value.",
            method="best_value",
        )
    evaluation.scores_submit(user=u2, evaluator=e2)
    with pytest.raises(ValidationError, match="no longer change"):
        score_all(rfp, e2, u2, {"North Paper Co": ("10", "10"), "Second Paper Co": ("0", "0")})
    result = evaluation.committee_result(rfp)
    rows = {result.responses[r.response].supplier.legal_name: r for r in result.rows}
    # North: functionality mean 7 -> 50 x 7/10 = 35.00; implementation 7 -> 14.00;
    # price 30 x 40000/40000 = 30.00; total 79.00.
    # Second: 8 -> 40.00; 9 -> 18.00; price 30 x 40000/50000 = 24.00; total 82.00.
    assert rows["North Paper Co"].total == D("79.00")
    assert rows["Second Paper Co"].total == D("82.00") and rows["Second Paper Co"].rank == 1
    func = next(c for c in rfp.criteria.all() if c.name == "Functionality")
    spread = rows["North Paper Co"].spread[str(func.pk)]
    assert (spread.lowest, spread.highest, spread.std) == (D("6"), D("8"), D("1.00"))
    with pytest.raises(ValidationError, match="best value"):
        awarding.award_recommend(
            user=north.users["procurement_officer"],
            solicitation=rfp,
            basis="x",
            method="lowest_price",
        )
    award = awarding.award_recommend(
        user=north.users["procurement_officer"],
        solicitation=rfp,
        basis="Highest consensus total.",
        method="best_value",
    )
    line = award.lines.get()
    assert line.supplier.legal_name == "Second Paper Co" and award.total == D("50000.00")
    assert award.result["ranking"][0]["total"] == "82.00"


def test_committee_only_for_rfp(north, bid, clock):
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    with pytest.raises(ValidationError, match="request for proposals"):
        seat(north, bid, north.users["evaluator"])
    assert not Evaluator.objects.exists()


def test_criteria_through_the_page_and_the_api(north, clock):
    from django.urls import reverse
    from tests.api.conftest import _api_for
    from tests.web.conftest import client_for

    officer = north.users["procurement_officer"]
    s = drafting.solicitation_create(
        user=officer,
        agency=north.agency,
        number="RFP-2026-09",
        title="Routing software",
        kind="rfp",
        questions_due_at=NOW + timedelta(days=2),
        responses_due_at=DUE,
        opening_at=OPENING,
    )
    c = client_for(officer)
    url = reverse("procurement:criterion_add", args=["north", s.pk])
    r = c.post(url, {"name": "Design", "weight": "1e2"})
    assert r.status_code == 200 and not s.criteria.exists()  # exponents refused, named
    assert c.post(url, {"name": "Design", "weight": "70"}).status_code == 302
    api = _api_for(officer)
    base = f"/agencies/north/solicitations/{s.pk}/criteria"
    assert api.post(base, {"name": "Price", "weight": "30", "is_price": True}).status_code == 201
    r = api.post(base, {"name": "Price again", "weight": "1", "is_price": True})
    assert r.status_code == 400 and "is_price" in r.json()["errors"]
    assert [(x.name, x.is_price) for x in s.criteria.all()] == [("Design", False), ("Price", True)]


def test_an_evaluator_declares_a_conflict_and_the_officer_replaces_them(north, rfp):
    from django.urls import reverse
    from tests.web.conftest import client_for

    from edcoop.core.models import AuditEvent

    u1, u2 = north.users["evaluator"], second_evaluator(north)
    e1, e2 = seat(north, rfp, u1), seat(north, rfp, u2)
    evaluation.coi_attest(user=u1, evaluator=e1)
    response = rfp.responses.filter(is_current=True).first()
    assert sealing.may_read(u1, response)
    with pytest.raises(ValidationError, match="Describe the conflict"):
        evaluation.conflict_declare(user=u1, evaluator=e1, description="  ")
    with pytest.raises(ValidationError, match="plain text"):
        evaluation.conflict_declare(user=u1, evaluator=e1, description="x\x00y")
    with pytest.raises(PermissionDenied):  # nobody declares for someone else
        evaluation.conflict_declare(user=north.users["procurement_officer"], evaluator=e1,
                                    description="Theirs.")  # fmt: skip
    # Through the scoring page: the attestation's alternative, with a description.
    page = client_for(u1)
    url = reverse("procurement:conflict_declare", args=["north", rfp.pk])
    assert page.post(url, {"description": ""}).status_code == 200
    assert page.post(url, {"description": "My brother-in-law sells for Second Paper Co."}
                     ).status_code == 302  # fmt: skip
    e1.refresh_from_db()
    assert e1.conflict_declared_at is not None
    assert not sealing.may_read(u1, response)  # the responses close to them
    with pytest.raises(ValidationError, match="conflict"):
        score_all(rfp, e1, u1, {"North Paper Co": ("8", "7"), "Second Paper Co": ("6", "9")})
    assert AuditEvent.objects.filter(action="evaluator.conflict_declare").exists()
    # The officer sees it on the evaluation page, with the way to replace them.
    officer = client_for(north.users["procurement_officer"])
    body = officer.get(reverse("procurement:evaluation", args=["north", rfp.pk])).content.decode()
    assert "declared a conflict" in body and "brother-in-law" in body
    remove = reverse("procurement:committee_remove", args=["north", rfp.pk, e1.pk])
    assert remove in body
    assert officer.post(remove, {"reason": ""}).status_code == 302  # nothing submitted yet
    assert not Evaluator.objects.filter(pk=e1.pk).exists()
    body = officer.get(reverse("procurement:evaluation", args=["north", rfp.pk])).content.decode()
    assert "brother-in-law" not in body and e2.user.get_username() in body


def test_removing_an_evaluator_who_submitted_needs_a_reason(north, rfp):
    from edcoop.core.models import AuditEvent

    u1, u2 = north.users["evaluator"], second_evaluator(north)
    e1, e2 = seat(north, rfp, u1), seat(north, rfp, u2)
    for u, e in ((u1, e1), (u2, e2)):
        evaluation.coi_attest(user=u, evaluator=e)
    score_all(rfp, e1, u1, {"North Paper Co": ("8", "6"), "Second Paper Co": ("9", "10")})
    evaluation.scores_submit(user=u1, evaluator=e1)
    with pytest.raises(PermissionDenied):  # the agency's officer removes, not an evaluator
        evaluation.evaluator_remove(user=u2, evaluator=e1, reason="Mine.")
    with pytest.raises(ValidationError, match="has submitted scores"):
        evaluation.evaluator_remove(user=north.users["procurement_officer"], evaluator=e1)
    assert evaluation.committee_result(rfp).seated == 2
    evaluation.evaluator_remove(user=north.users["procurement_officer"], evaluator=e1,
                                reason="Left the district.")  # fmt: skip
    event = AuditEvent.objects.get(action="evaluator.remove")
    assert event.changes["reason"] == [None, "Left the district."]
    assert len(event.changes["scores"][0]) == 4  # 2 responses x 2 judged criteria, kept
    result = evaluation.committee_result(rfp)
    assert (result.submitted, result.seated) == (0, 1)


def test_score_comments_show_in_the_committee_table_and_the_report(north, rfp):
    from django.urls import reverse
    from tests.web.conftest import client_for

    u1 = north.users["evaluator"]
    e1 = seat(north, rfp, u1)
    evaluation.coi_attest(user=u1, evaluator=e1)
    crit = {c.name: c for c in rfp.criteria.all()}
    for r in evaluation.scored_responses(rfp):
        evaluation.scores_save(
            user=u1, evaluator=e1, response=r,
            scores={crit["Functionality"].pk: "8", crit["Implementation"].pk: "7"},
            comments={crit["Functionality"].pk: f"Strong reporting for {r.supplier.legal_name}."},
        )  # fmt: skip
    officer = client_for(north.users["procurement_officer"])
    url = reverse("procurement:evaluation", args=["north", rfp.pk])
    assert "Strong reporting" not in officer.get(url).content.decode()  # not submitted yet
    evaluation.scores_submit(user=u1, evaluator=e1)
    body = officer.get(url).content.decode()
    assert "Evaluators&#x27; comments" in body or "Evaluators' comments" in body
    assert "Functionality: Strong reporting for Second Paper Co." in body
    awarding.award_recommend(user=north.users["procurement_officer"], solicitation=rfp,
                             basis="Highest consensus total.", method="best_value")  # fmt: skip
    report = officer.get(reverse("procurement:award", args=["north", rfp.pk])).content.decode()
    assert "Functionality: Strong reporting for North Paper Co." in report
