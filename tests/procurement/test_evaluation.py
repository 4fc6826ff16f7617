"""Findings, the IFB award per basis with ties, approval, notice, stand-still, protests and
the final award (hand-worked on the conftest's copy-paper bid)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from edcoop.core.models import AuditEvent
from edcoop.members import services as member_services
from edcoop.procurement import awarding, evaluation, opening, publication, responses, selectors
from edcoop.procurement.models import Award, Finding, ProcurementSettings

from .conftest import OPENING, offer, second_supplier

D = Decimal


def third_supplier(north):
    return second_supplier(north, "Third Paper Co", "33-1112223")


def opened(north, bid, clock, offers):
    """``offers``: [(supplier, rep, prices, addendum_after)]; opens the bid. An addendum
    issued after a response leaves that response without its acknowledgment."""
    for supplier, rep, prices, addendum_after in offers:
        responses.response_submit(
            user=rep, solicitation=bid, supplier=supplier, data=offer(bid, prices)
        )
        if addendum_after:
            publication.addendum_issue(
                user=north.users["procurement_officer"],
                solicitation=bid,
                title="Delivery sites",
                body="Deliver to each building.",
            )
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    return bid


@pytest.fixture
def three(north, bid, clock):
    """North (cheapest, but did not acknowledge the addendum), Second and Third tie on milk."""
    second, rep2 = second_supplier(north)
    third, rep3 = third_supplier(north)
    rep1 = north.users["supplier_rep"]
    return (
        opened(
            north,
            bid,
            clock,
            [
                (north.supplier, rep1, {"1.01": "29.00", "1.02": "50.00", "2.01": "0.2500"}, True),
                (second, rep2, {"1.01": "30.00", "1.02": "55.00", "2.01": "0.2900"}, False),
                (third, rep3, {"1.01": "31.00", "1.02": "52.00", "2.01": "0.2900"}, False),
            ],
        ),
        second,
        third,
    )


def officer(north):
    return north.users["procurement_officer"]


def test_findings_proposed_and_the_low_bid_is_never_non_responsive(north, three, clock):
    bid, _second, _third = three
    found = evaluation.findings_propose(user=officer(north), solicitation=bid)
    by = {(f.response.supplier.legal_name, f.kind): f for f in found}
    assert not by[("North Paper Co", "responsive")].proposed
    assert by[("North Paper Co", "responsive")].proposed_reasons == [
        "Did not acknowledge addendum 1 (Delivery sites)."
    ]
    assert by[("Second Paper Co", "responsive")].proposed
    bid.refresh_from_db()
    assert bid.status == "under_evaluation"
    tab = selectors.tabulation_for(bid)
    rows = {r.item.number: r for r in tab.rows}
    # North's 0.25 milk is cheapest but non-responsive: the two 0.29 bids are the low bids.
    assert [c.lowest for c in rows["2.01"].cells] == [False, True, True]
    # all-or-none paper: Second 30x1000 + 55x100 = 35500; Third 31000 + 5200 = 36200.
    assert tab.lots[0].lowest == [False, True, False]


def test_supplier_debarred_after_opening_is_found_not_responsible(north, three, clock):
    bid, second, _third = three
    member_services.supplier_set_status(
        user=north.users["agency_admin"],
        supplier=second,
        status="debarred",
        reason="Convicted of bid rigging.",
    )
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    f = Finding.objects.get(response__supplier=second, kind="responsible")
    assert not f.proposed and "debarred" in f.proposed_reasons[0]
    tab = selectors.tabulation_for(bid)
    assert tab.lots[0].lowest == [False, False, True]  # Third is now low on paper


def test_officer_override_needs_a_reason_and_is_audited(north, three, clock):
    bid, second, _third = three
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    f = Finding.objects.get(response__supplier=north.supplier, kind="responsive")
    with pytest.raises(ValidationError, match="override"):
        evaluation.finding_decide(user=officer(north), finding=f, value=True)
    assert Finding.objects.get(pk=f.pk).decided is None
    with pytest.raises(PermissionDenied):
        evaluation.finding_decide(user=north.users["evaluator"], finding=f, value=True, reason="x")
    evaluation.finding_decide(
        user=officer(north),
        finding=f,
        value=True,
        reason="The certification was in the envelope's attachment.",
    )
    f.refresh_from_db()
    assert f.decided and f.overridden
    assert AuditEvent.objects.filter(action="finding.decide", object_id=str(f.pk)).exists()
    # Now North is responsive and lowest everywhere.
    tab = selectors.tabulation_for(bid)
    assert tab.lots[0].lowest == [True, False, False]
    # Confirming a defect without a reason takes the proposal's reasons.
    g = Finding.objects.get(response__supplier=second, kind="responsive")
    evaluation.finding_decide(user=officer(north), finding=g, value=True)
    assert Finding.objects.get(pk=g.pk).decided is True


def test_tie_must_be_resolved_by_the_officer(north, three, clock):
    bid, _second, third = three
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    _inputs, result = awarding.compute(bid)
    assert result.status == "tie"
    key = awarding.tie_key(result.ties[0])
    with pytest.raises(ValidationError, match="Equal low bids"):
        awarding.award_recommend(user=officer(north), solicitation=bid, basis="Lowest bids.")
    with pytest.raises(ValidationError, match="tie was resolved"):
        awarding.award_recommend(
            user=officer(north),
            solicitation=bid,
            basis="Lowest bids.",
            tie_choices={key: str(third.pk)},
        )
    assert not Award.objects.exists()
    award = awarding.award_recommend(
        user=officer(north),
        solicitation=bid,
        basis="Lowest responsible bidder per lot.",
        tie_choices={key: str(third.pk)},
        tie_reason="Drawn by lot at the board meeting.",
    )
    lines = {(ln.item.number, ln.supplier.legal_name): ln for ln in award.lines.all()}
    assert set(lines) == {
        ("1.01", "Second Paper Co"),
        ("1.02", "Second Paper Co"),
        ("2.01", "Third Paper Co"),
    }
    # 30000 + 5500 + 0.29 x 333 = 96.57
    assert lines[("2.01", "Third Paper Co")].amount == D("96.57")
    assert award.total == D("35596.57")
    assert award.ties[0]["chosen"] == "Third Paper Co"
    assert award.ties[0]["reason"] == "Drawn by lot at the board meeting."
    with pytest.raises(ValidationError, match="already recommended"):
        awarding.award_recommend(
            user=officer(north),
            solicitation=bid,
            basis="Again.",
            tie_choices={key: str(third.pk)},
            tie_reason="x",
        )


def test_multiple_award_names_a_secondary_supplier(north, three, clock):
    bid, second, _third = three
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    _, result = awarding.compute(bid, multiple_award=True)
    keys = {awarding.tie_key(t): t for t in result.ties}
    choices = {k: str(second.pk) for k in keys}
    award = awarding.award_recommend(
        user=officer(north),
        solicitation=bid,
        basis="Primary and secondary.",
        multiple_award=True,
        tie_choices=choices,
        tie_reason="Board's choice.",
    )
    secondary = {
        (ln.item.number, ln.supplier.legal_name) for ln in award.lines.filter(rank="secondary")
    }
    assert ("1.01", "Third Paper Co") in secondary


def recommended(north, bid, third):
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    _, result = awarding.compute(bid)
    return awarding.award_recommend(
        user=officer(north),
        solicitation=bid,
        basis="Lowest responsible bidder.",
        tie_choices={awarding.tie_key(result.ties[0]): str(third.pk)},
        tie_reason="By lot.",
    )


def test_approve_notice_protest_and_final(north, three, clock, django_capture_on_commit_callbacks):
    bid, second, third = three
    ProcurementSettings.objects.create(agency=north.agency, protest_days=7)
    award = recommended(north, bid, third)
    with pytest.raises(PermissionDenied):  # the officer recommends; the board approves
        awarding.award_approve(
            user=officer(north),
            award=award,
            board_resolution="2026-41",
            board_date=date(2026, 3, 13),
        )
    with pytest.raises(ValidationError, match=r"board_date|future"):
        awarding.award_approve(
            user=north.users["agency_admin"],
            award=award,
            board_resolution="2026-41",
            board_date=date(2027, 1, 1),
        )
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="2026-41",
        board_date=clock.now.date(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        award = awarding.award_notice(user=officer(north), award=award)
    assert award.standstill_ends_at == clock.now + timedelta(days=7)
    bodies = {m.to[0]: m.body for m in mail.outbox if "Notice of award" in m.subject}
    north_body = next(b for to, b in bodies.items() if "North Paper Co:" in b)
    assert "Not awarded: the response was found non-responsive" in north_body
    assert "Did not acknowledge addendum 1" in north_body
    assert any("Third Paper Co: Awarded: item 2.01" in b for b in bodies.values())
    # A stranger's representative cannot protest for North; North's can, in the period.
    with pytest.raises(PermissionDenied):
        awarding.protest_file(
            user=north.users["supplier_rep"], award=award, supplier=second, grounds="x"
        )
    protest = awarding.protest_file(
        user=north.users["supplier_rep"],
        award=award,
        supplier=north.supplier,
        grounds="Our certification was attached.",
    )
    clock.set(award.standstill_ends_at + timedelta(minutes=1))
    with pytest.raises(ValidationError, match="period has ended"):
        awarding.protest_file(
            user=north.users["supplier_rep"], award=award, supplier=north.supplier, grounds="Late."
        )
    with pytest.raises(ValidationError, match="pending"):
        awarding.award_finalize(user=officer(north), award=award)
    with django_capture_on_commit_callbacks(execute=True):
        awarding.protest_decide(
            user=officer(north),
            protest=protest,
            outcome="upheld",
            decision="The certification was not in the envelope.",
        )
    decided = [m for m in mail.outbox if "Decision on your protest" in m.subject]
    assert len(decided) == 1 and "not in the envelope" in decided[0].body
    assert [a.pk for a in awarding.finalize_due()] == [award.pk]
    award.refresh_from_db()
    bid.refresh_from_db()
    assert award.status == "final" and bid.status == "awarded"
    lines = awarding.final_award_lines(bid)
    assert {ln.supplier.legal_name for ln in lines} == {"Second Paper Co", "Third Paper Co"}
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "award.recommend",
        "award.approve",
        "award.notice",
        "protest.file",
        "protest.decide",
        "award.final",
    } <= actions


def test_protest_sustained_cancels_the_award_for_a_new_recommendation(north, three, clock):
    bid, _second, third = three
    award = recommended(north, bid, third)
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="2026-41",
        board_date=clock.now.date(),
    )
    award = awarding.award_notice(user=officer(north), award=award)
    protest = awarding.protest_file(
        user=north.users["supplier_rep"], award=award, supplier=north.supplier, grounds="Attached."
    )
    awarding.protest_decide(
        user=officer(north),
        protest=protest,
        outcome="changed",
        decision="The certification was attached; North is responsive.",
    )
    award.refresh_from_db()
    assert award.status == "cancelled"
    f = Finding.objects.get(response__supplier=north.supplier, kind="responsive")
    evaluation.finding_decide(user=officer(north), finding=f, value=True, reason="Attached.")
    new = awarding.award_recommend(user=officer(north), solicitation=bid, basis="Corrected.")
    assert {ln.supplier.legal_name for ln in new.lines.all()} == {"North Paper Co"}


def test_withdrawn_response_is_never_evaluated(north, bid, clock):
    second, rep2 = second_supplier(north)
    responses.response_submit(
        user=rep2,
        solicitation=bid,
        supplier=second,
        data=offer(bid, {"1.01": "1", "1.02": "1", "2.01": "0.01"}),
    )
    responses.response_withdraw(user=rep2, solicitation=bid, supplier=second)
    responses.response_submit(
        user=north.users["supplier_rep"],
        solicitation=bid,
        supplier=north.supplier,
        data=offer(bid, {"1.01": "30", "1.02": "50", "2.01": "0.3"}),
    )
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    assert [r.supplier for r in evaluation.evaluated_responses(bid)] == [north.supplier]
    award = awarding.award_recommend(user=officer(north), solicitation=bid, basis="Only bid.")
    assert {ln.supplier for ln in award.lines.all()} == {north.supplier}


def test_nothing_before_opening(north, bid, clock):
    with pytest.raises(ValidationError, match="opened"):
        awarding.award_recommend(user=officer(north), solicitation=bid, basis="x")
    with pytest.raises(ValidationError, match="opened"):
        evaluation.findings_propose(user=officer(north), solicitation=bid)


def test_ocds_release_publishes_the_award_once_noticed(north, three, clock):
    from edcoop.governance import ocds

    bid, _second, third = three
    award = recommended(north, bid, third)
    release = ocds.release(bid)
    assert "awards" not in release  # a recommendation is not public yet
    details = {d["tenderers"][0]["name"]: d["status"] for d in release["bids"]["details"]}
    assert details["North Paper Co"] == "disqualified"
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="R-1",
        board_date=clock.now.date(),
    )
    awarding.award_notice(user=officer(north), award=award)
    package = ocds.package([north.agency])
    assert ocds.validate(package) == []
    release = next(r for r in package["releases"] if r["ocid"].endswith(bid.number))
    assert "award" in release["tag"]
    (published,) = release["awards"]
    assert published["status"] == "pending" and published["value"]["amount"] == 35596.57
    assert {s["name"] for s in published["suppliers"]} == {"Second Paper Co", "Third Paper Co"}
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert "supplier" in roles["Third Paper Co"]


def test_a_response_unreadable_at_the_opening_is_proposed_non_responsive(north, bid, clock):
    from edcoop.procurement.models import Response

    second, rep2 = second_supplier(north)
    responses.response_submit(
        user=rep2,
        solicitation=bid,
        supplier=second,
        data=offer(bid, {"1.01": "30", "1.02": "50", "2.01": "0.3"}),
    )
    responses.response_submit(
        user=north.users["supplier_rep"],
        solicitation=bid,
        supplier=north.supplier,
        data=offer(bid, {"1.01": "20", "1.02": "40", "2.01": "0.2"}),
    )
    Response.objects.filter(supplier=north.supplier).update(sealed=b"not a fernet token")
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    found = evaluation.findings_propose(user=officer(north), solicitation=bid)
    bad = next(f for f in found if f.response.supplier == north.supplier and f.kind == "responsive")
    assert not bad.proposed and bad.proposed_reasons[0].startswith("Could not be read")
    award = awarding.award_recommend(user=officer(north), solicitation=bid, basis="Low.")
    assert {ln.supplier for ln in award.lines.all()} == {second}


def test_open_due_makes_awards_final_after_the_stand_still(north, three, clock):
    from io import StringIO

    from django.core.management import call_command

    bid, _second, third = three
    award = recommended(north, bid, third)
    award = awarding.award_approve(
        user=north.users["agency_admin"],
        award=award,
        board_resolution="R-1",
        board_date=clock.now.date(),
    )
    award = awarding.award_notice(user=officer(north), award=award)
    out = StringIO()
    call_command("procurement", "open-due", stdout=out)
    assert "award final" not in out.getvalue()
    clock.set(award.standstill_ends_at)
    call_command("procurement", "open-due", stdout=out)
    assert f"award final north {bid.number}" in out.getvalue()
    award.refresh_from_db()
    assert award.status == "final"


def test_round_volume_tiers_survive_the_opening(north, bid, clock):
    """A tier from 1,000 cases was sealed as "1E+3" and refused at the opening as unreadable;
    now it opens, and the tier prices the item at its estimated quantity."""
    from edcoop.procurement.responses import LineInput, ResponseInput

    its = {i.number: i for i in bid.items.all()}
    data = ResponseInput(
        lines=[
            LineInput(its["1.01"].pk, "31.00", [("1000", "29.50")]),
            LineInput(its["1.02"].pk, "50.00", [("100", "48")]),
            LineInput(its["2.01"].pk, "0.30"),
        ],
        attestations=["non_collusion"],
        acknowledged_addenda=[],
    )
    responses.response_submit(
        user=north.users["supplier_rep"], solicitation=bid, supplier=north.supplier, data=data
    )
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    (response,) = evaluation.evaluated_responses(bid)
    assert response.responsive, response.nonresponsive_reasons
    line = response.bid_lines.get(item=its["1.01"])
    assert (
        line.tiers == [{"min_quantity": "1000", "unit_price": "29.5000"}]
        or line.tiers[0]["min_quantity"] == "1000"
    )
    tab = selectors.tabulation_for(bid)
    row = next(r for r in tab.rows if r.item.number == "1.01")
    assert row.cells[0].unit_price == D("29.50")  # 1,000 cases earn the tier


def test_optimal_award_with_a_supplier_limit(north, three, clock):
    bid, second, _third = three
    evaluation.findings_propose(user=officer(north), solicitation=bid)
    # One supplier only: Second takes milk too (0.29 x 333 = 96.57, as Third would).
    award = awarding.award_recommend(
        user=officer(north),
        solicitation=bid,
        method="optimal",
        basis="One supplier.",
        max_suppliers=1,
    )
    # Second's paper (35,500.00) beats Third's (36,200.00); milk ties at 96.57, so with one
    # supplier allowed everything goes to Second, and no tie is left to resolve.
    assert {ln.supplier for ln in award.lines.all()} == {second}
    assert award.total == D("35596.57") and not award.ties
    assert award.result["rules"] == {"max_suppliers": 1}
    with pytest.raises(ValidationError, match="suppliers"):
        awarding.compute(bid, method="optimal", max_suppliers=0)


def test_adopted_on_is_compared_on_the_agency_calendar(north, three, clock):
    """Recommended at 20:30 in New York (01:30 UTC the next day): a board that adopts the
    resolution that same evening dates it the 12th, which is not before the recommendation."""
    from datetime import UTC, datetime

    bid, _second, third = three
    clock.set(datetime(2026, 3, 13, 1, 30, tzinfo=UTC))  # 2026-03-12 20:30 EST
    award = recommended(north, bid, third)
    with pytest.raises(ValidationError, match="before the recommendation"):
        awarding.award_approve(
            user=north.users["agency_admin"], award=award, board_resolution="2026-42",
            board_date=date(2026, 3, 11),
        )  # fmt: skip
    award = awarding.award_approve(
        user=north.users["agency_admin"], award=award, board_resolution="2026-42",
        board_date=date(2026, 3, 12),
    )  # fmt: skip
    assert award.board_date == date(2026, 3, 12)


def test_the_tabulation_exports_carry_the_award_once_noticed(north, three, clock):
    import csv
    import io

    from django.test import Client
    from django.urls import reverse
    from openpyxl import load_workbook

    bid, _second, third = three
    url = reverse("procurement:tabulation", args=["north", bid.pk])

    def table(fmt):
        body = Client().get(f"{url}?format={fmt}").content
        if fmt == "csv":
            return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return [["" if v is None else str(v) for v in r]
                for r in load_workbook(io.BytesIO(body)).active.values]  # fmt: skip

    award = recommended(north, bid, third)
    header, *rows = table("csv")
    assert header[-2:] == ["Awarded", "Award basis"]
    assert all(r[-2:] == ["", ""] for r in rows)  # a recommendation is not public yet
    award = awarding.award_approve(
        user=north.users["agency_admin"], award=award, board_resolution="2026-41",
        board_date=clock.now.date(),
    )  # fmt: skip
    awarding.award_notice(user=officer(north), award=award)
    for fmt in ("csv", "xlsx"):
        header, *rows = table(fmt)
        got = {(r[1], r[5]): r[-2] for r in rows if r[-2]}
        assert got == {(ln.item.number, ln.response.supplier_name): ln.get_rank_display()
                       for ln in award.lines.select_related("item", "response")}  # fmt: skip
        assert ("2.01", "Third Paper Co") in got  # the tie the officer resolved
        basis = next(r[-1] for r in rows if r[-2])
        assert basis.startswith("Lowest") and "Board resolution 2026-41" in basis
