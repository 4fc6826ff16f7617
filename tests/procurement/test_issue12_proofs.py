"""Issue 12, line by line, where no other test proved it: an all-or-none tie is flagged and
never picked; a replaced response is never evaluated; a non-responsive proposal is never
scored or ranked; every finding, score and award step writes the audit trail; the award
report's PDF prints how a tie was resolved; a late-evening recommendation on the agency's
calendar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from tests.billing.test_invoice_document import pdf_text

from edcoop.billing.pdf import document_html
from edcoop.core.models import AuditEvent
from edcoop.procurement import award_engine as engine
from edcoop.procurement import awarding, evaluation, opening, responses
from edcoop.procurement.models import Finding, Score

from .conftest import OPENING, offer, second_supplier
from .test_committee import rfp, score_all, seat, second_evaluator  # noqa: F401 (fixtures)
from .test_evaluation import recommended, three  # noqa: F401 (fixture)

D = Decimal


def test_an_all_or_none_tie_is_flagged_and_never_picked() -> None:
    """S1 10 x 1.00 + 10 x 2.50 = 35.00; S2 10 x 2.00 + 10 x 1.50 = 35.00; S3 is not
    complete. Lowest price leaves the lot out of the awards; optimal names the tie."""
    bids = [("S1", "1", "1.00"), ("S1", "2", "2.50"), ("S2", "1", "2.00"),
            ("S2", "2", "1.50"), ("S3", "1", "0.10")]  # fmt: skip
    p = engine.parse_problem({
        "items": [{"id": "1", "quantity": "10", "lot": "A"},
                  {"id": "2", "quantity": "10", "lot": "A"}],
        "lots": [{"id": "A", "basis": "all_or_none"}],
        "bids": [{"supplier": s, "item": i, "unit_price": u} for s, i, u in bids],
        "suppliers": [{"id": "S1"}, {"id": "S2"}, {"id": "S3"}],
        "rules": {},
    })  # fmt: skip
    plain = engine.lowest_price(p).as_json()
    assert (plain["status"], plain["total"], plain["awards"]) == ("tie", "35.00", [])
    assert plain["ties"] == [{"rank": "primary", "lots": ["A"], "suppliers": ["S1", "S2"],
                              "bids": [{"supplier": "S1", "amount": "35.00"},
                                       {"supplier": "S2", "amount": "35.00"}]}]  # fmt: skip
    best = engine.solve(p, method="optimal").as_json()
    assert (best["status"], best["total"]) == ("tie", "35.00")
    assert best["ties"][0]["suppliers"] == ["S1", "S2"]


def test_a_replaced_response_is_never_evaluated(north, bid, clock):
    second, rep2 = second_supplier(north)
    rep = north.users["supplier_rep"]
    paper = {"1.01": "30.00", "1.02": "50.00"}
    responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                              data=offer(bid, {**paper, "2.01": "0.10"}))  # fmt: skip
    clock.set(clock.now + timedelta(hours=1))
    responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                              data=offer(bid, {**paper, "2.01": "0.40"}))  # fmt: skip
    responses.response_submit(user=rep2, solicitation=bid, supplier=second,
                              data=offer(bid, {"1.01": "31.00", "1.02": "52.00",
                                               "2.01": "0.30"}))  # fmt: skip
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    evaluated = evaluation.evaluated_responses(bid)
    assert len(evaluated) == 2
    mine = next(r for r in evaluated if r.supplier_id == north.supplier.pk)
    milk = mine.bid_lines.get(item__number="2.01")
    assert milk.unit_price == D("0.40")
    # The replaced 0.10 would have won the milk; the current 0.40 loses to Second's 0.30.
    award = awarding.award_recommend(user=north.users["procurement_officer"],
                                     solicitation=bid, basis="Lowest.")  # fmt: skip
    assert award.lines.get(item__number="2.01").supplier == second


def test_a_non_responsive_proposal_is_never_scored_or_ranked(north, rfp):  # noqa: F811
    officer = north.users["procurement_officer"]
    evaluation.findings_propose(user=officer, solicitation=rfp)
    f = Finding.objects.get(response__supplier=north.supplier, kind="responsive")
    evaluation.finding_decide(user=officer, finding=f, value=False, reason="Exceptions taken.")
    assert [r.supplier.legal_name for r in evaluation.scored_responses(rfp)] == [
        "Second Paper Co"]  # fmt: skip
    user = north.users["evaluator"]
    e = seat(north, rfp, user)
    evaluation.coi_attest(user=user, evaluator=e)
    score_all(rfp, e, user, {"Second Paper Co": ("5", "5")})
    evaluation.scores_submit(user=user, evaluator=e)
    result = evaluation.committee_result(rfp)
    ranked = [result.responses[r.response].supplier.legal_name for r in result.rows]
    assert ranked == ["Second Paper Co"]
    # Price points over eligible prices only: Second's 50,000 is now the lowest: 30.00.
    assert result.rows[0].total == D("25.00") + D("10.00") + D("30.00")


def _events(action: str, obj: object) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).count()


def test_every_finding_score_and_award_step_is_audited(north, rfp):  # noqa: F811
    officer = north.users["procurement_officer"]
    for f in evaluation.findings_propose(user=officer, solicitation=rfp):
        assert _events("finding.propose", f) == 1
        evaluation.finding_decide(user=officer, finding=f, value=True)
        assert _events("finding.decide", f) == 1
    u1, u2, u3 = north.users["evaluator"], second_evaluator(north), officer
    e1, e2, e3 = seat(north, rfp, u1), seat(north, rfp, u2), seat(north, rfp, u3)
    for e in (e1, e2, e3):
        assert _events("evaluator.add", e) == 1
    for u, e in ((u1, e1), (u2, e2)):
        evaluation.coi_attest(user=u, evaluator=e)
        assert _events("evaluator.coi_attest", e) == 1
    evaluation.conflict_declare(user=u3, evaluator=e3, description="My spouse works there.")
    assert _events("evaluator.conflict_declare", e3) == 1
    evaluation.evaluator_remove(user=officer, evaluator=e3)
    assert _events("evaluator.remove", e3) == 1
    for u, e in ((u1, e1), (u2, e2)):
        score_all(rfp, e, u, {"North Paper Co": ("8", "6"), "Second Paper Co": ("9", "10")})
        for score in Score.objects.filter(evaluator=e):
            assert _events("score.save", score) == 1
        evaluation.scores_submit(user=u, evaluator=e)
        assert _events("evaluator.submit", e) == 1
    award = awarding.award_recommend(user=officer, solicitation=rfp, basis="Best value.",
                                     method="best_value")  # fmt: skip
    assert _events("award.recommend", award) == 1
    award = awarding.award_cancel(user=officer, award=award, reason="Budget withdrawn.")
    assert _events("award.cancel", award) == 1
    again = awarding.award_recommend(user=officer, solicitation=rfp, basis="Best value.",
                                     method="best_value")  # fmt: skip
    awarding.award_approve(user=north.users["agency_admin"], award=again,
                           board_resolution="R-2", board_date=OPENING.date())  # fmt: skip
    assert _events("award.approve", again) == 1


def test_the_award_reports_pdf_prints_how_a_tie_was_resolved(north, three, clock):  # noqa: F811
    from edcoop.procurement.views.evaluation import _report

    bid, _second, third = three
    award = recommended(north, bid, third)
    request = type("R", (), {"user": north.users["procurement_officer"]})()
    text = pdf_text(document_html("procurement/award_pdf.html",
                                  _report(request, north.agency, bid, award)))  # fmt: skip
    assert "Second Paper Co, Third Paper Co tied; Third Paper Co chosen. By lot." in text
    assert "Did not acknowledge addendum 1" in text  # the findings
    assert "0.2900 / $96.57 lowest" in text  # the tabulation


@pytest.mark.parametrize("local_time", ["20:30", "23:30"])
def test_an_evening_recommendation_is_approved_that_same_local_day(north, three, clock,  # noqa: F811
                                                                   local_time):  # fmt: skip
    """New York keeps daylight time from 8 March 2026 (UTC-4): 23:30 on the 12th is 03:30
    UTC on the 13th, and the board's resolution of the 12th is not before it."""
    bid, _second, third = three
    hour, minute = (int(x) for x in local_time.split(":"))
    clock.set(datetime(2026, 3, 13, hour - 20, minute, tzinfo=UTC))
    award = recommended(north, bid, third)
    award = awarding.award_approve(
        user=north.users["agency_admin"], award=award, board_resolution="2026-42",
        board_date=date(2026, 3, 12),
    )  # fmt: skip
    assert award.board_date == date(2026, 3, 12)


@pytest.mark.parametrize(("line", "status", "needle"), [
    ({"item_id": 999_999, "unit_price": "0.29"}, 400, "Item 999999 is not in this solicitation"),
    ({"unit_price": "-0.29"}, 422, "cannot be negative"),
    ({"unit_price": "abc"}, 422, "lines.0.unit_price"),
    ({"unit_price": "0.29", "tiers": [{"min_quantity": "500", "unit_price": "0.28"},
                                      {"min_quantity": "500", "unit_price": "0.27"}]},
     400, "Item 2.01 (Milk 1% half pint): two tiers start at the same quantity"),
])  # fmt: skip
def test_the_api_refuses_bad_bid_input_naming_the_record(north, bid, line, status, needle):
    """The engine's input reaches it from the API's responses: an unknown item, a negative or
    non-numeric price, clashing tiers are refused naming the line (422 when the schema
    refuses it, 400 when a rule does: docs/api.md, "Errors"), and nothing is stored."""
    from tests.api.conftest import _api_for

    from edcoop.procurement.models import Response

    from .conftest import items

    body = {"supplier_id": north.supplier.pk, "attestations": ["non_collusion"],
            "lines": [{"item_id": items(bid)["2.01"].pk, **line}]}  # fmt: skip
    r = _api_for(north.users["supplier_rep"]).post(
        f"/agencies/north/solicitations/{bid.pk}/responses", body
    )
    assert r.status_code == status, r.content
    assert needle in json.dumps(r.json(), ensure_ascii=False)
    assert not Response.objects.exists()


def test_a_lot_without_items_is_refused_at_publication_naming_it(north, clock):
    """The engine refuses a lot without items (``lots[1] ('B'): the lot has no items``); the
    product refuses it before the bid is published, naming the lot, so no award rests on it."""
    from django.core.exceptions import ValidationError

    from edcoop.procurement import drafting, publication

    from .conftest import build_bid

    officer = north.users["procurement_officer"]
    s = build_bid(north, publish=False)
    drafting.lot_add(user=officer, solicitation=s, title="Juice")
    with pytest.raises(ValidationError, match=r"Lot 3 \(Juice\) has no line items"):
        publication.solicitation_publish(user=officer, solicitation=s)
    s.refresh_from_db()
    assert s.status == "draft"


def test_no_tied_bidder_is_preselected_and_every_notice_carries_tabulation_and_portal(
    north, three, clock, django_capture_on_commit_callbacks,  # noqa: F811
):
    from django.core import mail
    from django.urls import reverse
    from tests.web.conftest import client_for

    bid, _second, third = three
    officer = north.users["procurement_officer"]
    evaluation.findings_propose(user=officer, solicitation=bid)
    form = client_for(officer).get(reverse("procurement:award_recommend", args=["north", bid.pk]))
    html = form.content.decode()
    assert '<option value="" selected>Choose the bidder</option>' in html
    assert html.count(" selected>") == html.count('<option value="" selected>')
    award = recommended(north, bid, third)
    award = awarding.award_approve(user=north.users["agency_admin"], award=award,
                                   board_resolution="R-3", board_date=clock.now.date())  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        awarding.award_notice(user=officer, award=award)
    notices = [m for m in mail.outbox if "Notice of award" in m.subject]
    respondents = bid.responses.filter(is_current=True)
    assert len(notices) == respondents.count() == 3
    tabulation = reverse("procurement:tabulation", args=["north", bid.pk])
    for response in respondents:
        portal = reverse("procurement:award_notice", args=["north", response.supplier_id, bid.pk])
        body = next(m.body for m in notices if f"{response.supplier}: " in m.body)
        assert tabulation in body and portal in body and "protest in the portal until" in body


def test_a_protest_decided_cancelled_cancels_the_award_and_nothing_becomes_final(
    north, three, clock,  # noqa: F811
):
    bid, _second, third = three
    officer = north.users["procurement_officer"]
    award = recommended(north, bid, third)
    award = awarding.award_approve(user=north.users["agency_admin"], award=award,
                                   board_resolution="R-4", board_date=clock.now.date())  # fmt: skip
    award = awarding.award_notice(user=officer, award=award)
    protest = awarding.protest_file(
        user=north.users["supplier_rep"], award=award, supplier=north.supplier,
        grounds="Specs were unclear.",
    )  # fmt: skip
    awarding.protest_decide(
        user=officer, protest=protest, outcome="cancelled",
        decision="The specifications were ambiguous; the bid will be reissued.",
    )  # fmt: skip
    award.refresh_from_db()
    assert award.status == "cancelled" and "reissued" in award.cancelled_reason
    assert _events("award.cancel", award) == 1 and _events("protest.decide", protest) == 1
    clock.set(award.standstill_ends_at + timedelta(days=1))
    assert awarding.finalize_due() == []
    assert awarding.final_award_lines(bid) == [] and awarding.live_award(bid) is None
