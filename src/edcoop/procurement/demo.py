"""Demo cooperative bids for Lakes Region BOCES, built through the procurement services.

- LK-2027-01 copy paper and milk: a demand survey (districts' quantities), published, an
  addendum, answered questions, and three suppliers' sealed responses (due in two weeks).
- LK-2026-03 custodial supplies: bid last autumn, publicly opened, evaluated (Empire Paper
  did not acknowledge the addendum: found non-responsive), recommended, approved by the board,
  noticed and final after the stand-still period; its tabulation shows the award.
- LK-2026-04 managed print services: an RFP bid last summer, scored by a committee of two
  (both attested and submitted), awarded on best value to NECP, approved by the board and final;
  its award report shows the committee's scores.
- LK-2026-05 copy paper (spring re-bid): districts' quantities pooled past the suppliers'
  volume tiers; opened, findings confirmed and the optimal award recommended to the board:
  NECP's spend discount makes it cheaper than the lowest price per lot (Empire); the report
  shows the discount and what pooling saved each district.
- LK-2026-07 custodial supply management program: an RFP opened two weeks ago whose
  committee is mid-evaluation (one evaluator submitted, the officer still scoring); each
  proposal carries its technical proposal as an attachment.
- LK-2026-08 rock salt and ice melt: opened, awarded by the board and noticed two days ago;
  Empire Paper protested in the stand-still period and the protest waits for a decision.
- LK-2027-02 science classroom supplies: an RFP still a draft (lots, items, criteria, a
  document), its demand survey open to the districts (Alder Creek has answered).
- LK-2027-01 also has a supplier's question not answered yet.

The past bid is built with the services' clock set back to its dates, so every rule (no
late bids, opening after the deadline) holds exactly as it did then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model

from edcoop.core.demo import give
from edcoop.members.models import Agency, Institution, Role, RoleAssignment, Supplier

from . import (
    awarding,
    demand,
    drafting,
    evaluation,
    opening,
    publication,
    questions,
    responses,
    timing,
)
from .files import Upload
from .models import Finding, Solicitation
from .responses import LineInput, ResponseInput

D = Decimal


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    with mock.patch.object(timing, "now", lambda: moment):
        yield


def _local(agency: Agency, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    wall = datetime(year, month, day, hour, minute)  # noqa: DTZ001 (the agency's wall clock)
    return timing.local_to_utc(agency, wall)


def _rep(agency: Agency, supplier: Supplier, username: str, name: str, logins: list[Any]) -> Any:
    found = RoleAssignment.objects.filter(agency=agency, supplier=supplier,
                                          role=Role.SUPPLIER_REP).first()  # fmt: skip
    if found is not None:
        return found.user
    give(logins, agency, username, name, Role.SUPPLIER_REP, supplier=supplier)
    return get_user_model().objects.get(username=username)


def _offer(s: Any, prices: dict[str, Any], acks: list[int], **kw: Any) -> ResponseInput:
    items = {i.number: i for i in s.items.all()}
    lines = []
    for number, price in prices.items():
        base, tiers = (price, []) if not isinstance(price, tuple) else price
        lines.append(LineInput(items[number].pk, base, tiers))
    return ResponseInput(lines=lines, attestations=list(s.required_attestations),
                         acknowledged_addenda=acks, **kw)  # fmt: skip


def build(logins: list[Any]) -> None:
    agency = Agency.objects.get(slug="lakes")
    user_model = get_user_model()
    officer = user_model.objects.get(username="purchasing@lakes.example.org")
    admin = user_model.objects.get(username="admin@lakes.example.org")
    suppliers = {s.legal_name.split()[0]: s for s in Supplier.objects.filter(agency=agency)}
    empire, dairy, necp = suppliers["Empire"], suppliers["Finger"], suppliers["Northeast"]
    reps = {
        "empire": _rep(agency, empire, "rep@empirepaper.example.com", "Chris Novak", logins),
        "dairy": _rep(agency, dairy, "rep@flxdairy.example.com", "Sam Whitaker", logins),
        "necp": _rep(agency, necp, "rep@necp.example.com", "Alex Rivera", logins),
    }
    _past_bid(agency, officer, reps, empire, necp, dairy)
    _award_past_bid(agency, officer, admin)
    _rfp_awarded(agency, officer, admin, reps, empire, necp)
    _rfp_mid_evaluation(agency, officer, reps, empire, necp)
    _paper_recommended(agency, officer, admin, reps, empire, necp)
    _current_bid(agency, officer, admin, reps, empire, dairy, necp)
    _salt_protested(agency, officer, admin, reps, empire, necp)
    _science_draft(agency, officer)


def _current_bid(agency: Agency, officer: Any, admin: Any, reps: dict[str, Any],
                 empire: Supplier, dairy: Supplier, necp: Supplier) -> None:  # fmt: skip
    now = timing.now()
    today = now.astimezone(agency.zone).date()
    due_day = today + timedelta(days=14)
    ymd = (due_day.year, due_day.month, due_day.day)
    s = drafting.solicitation_create(
        user=officer, agency=agency, number="LK-2027-01",
        title="Copy paper and milk, cooperative bid 2026-27", kind="ifb",
        category="Paper and food service",
        description="Cooperative bid under GML §119-o for the component districts of Lakes "
        "Region BOCES. Each participating district issues its own purchase orders and pays "
        "its own invoices.",
        eligible_kinds=[Institution.Kind.PUBLIC_K12],
        required_attestations=["non_collusion", "debarment", "insurance"],
        survey_deadline=now + timedelta(days=3),
        questions_due_at=_local(agency, *ymd, 12) - timedelta(days=7),
        responses_due_at=_local(agency, *ymd, 14),
        opening_at=_local(agency, *ymd, 14, 30),
    )  # fmt: skip
    paper = drafting.lot_add(user=officer, solicitation=s, title="Copy paper",
                             award_basis="all_or_none")  # fmt: skip
    milk = drafting.lot_add(user=officer, solicitation=s, title="Milk", award_basis="per_item")
    specs = "20 lb, 92 bright, 30% post-consumer recycled content; 10 reams per case."
    items = [
        (paper, "1.01", "Copy paper, 8.5 x 11, white", "case", specs),
        (paper, "1.02", "Copy paper, 8.5 x 14, white", "case", specs),
        (paper, "1.03", "Copy paper, 11 x 17, white", "case", "20 lb, 92 bright; 5 reams/case."),
        (milk, "2.01", "Milk, 1% white, half pint", "each", "Grade A, delivered 2x weekly."),
        (milk, "2.02", "Milk, fat-free chocolate, half pint", "each", "Grade A."),
    ]  # fmt: skip
    for lot, number, description, unit, spec in items:
        drafting.item_add(user=officer, lot=lot, number=number, description=description,
                          unit=unit, specifications=spec)  # fmt: skip
    by_number = {i.number: i for i in s.items.all()}
    districts = Institution.objects.filter(
        agency=agency, kind=Institution.Kind.PUBLIC_K12, membership__status="active"
    ).order_by("name")[:12]
    for n, district in enumerate(districts):
        quantities = {by_number["1.01"].pk: D(300 + 45 * n), by_number["1.02"].pk: D(20 + 3 * n),
                      by_number["1.03"].pk: D(12 + 2 * (n % 4))}  # fmt: skip
        if n % 3 != 2:  # two districts in three also join the milk bid
            quantities[by_number["2.01"].pk] = D(18_000 + 1_500 * n)
            quantities[by_number["2.02"].pk] = D(9_000 + 700 * n)
        demand.demand_commit(user=admin, solicitation=s, institution=district,
                               quantities=quantities)  # fmt: skip
    s = publication.survey_close(user=officer, solicitation=s)
    drafting.document_add(user=officer, solicitation=s, title="Bid specifications and forms",
                          upload=Upload("LK-2027-01-specifications.txt", "text/plain",
                                        b"Lakes Region BOCES LK-2027-01: specifications, "
                                        b"non-collusion and debarment forms.\n"))  # fmt: skip
    s = publication.solicitation_publish(user=officer, solicitation=s)
    q1 = questions.question_ask(
        user=reps["empire"],
        solicitation=s,
        supplier=empire,
        text="Empire Paper here: will you accept 96 brightness?",
    )
    questions.question_answer(user=officer, question=q1,
                             public_text="Will 96 brightness paper be accepted?",
                             answer="Yes: 92 bright is the minimum.")  # fmt: skip
    q2 = questions.question_ask(
        user=reps["dairy"],
        solicitation=s,
        supplier=dairy,
        text="How many delivery sites are there per district?",
    )
    questions.question_answer(user=officer, question=q2, answer="One per school building; the "
                             "list of buildings is in Addendum 1.")  # fmt: skip
    publication.addendum_issue(user=officer, solicitation=s, title="Delivery sites",
                            body="Milk is delivered to each school building listed below, "
                            "Tuesdays and Fridays before 7:00 AM.")  # fmt: skip
    # Asked today: waiting for the officer's answer (the console shows it to answer).
    questions.question_ask(user=reps["necp"], solicitation=s, supplier=necp,
                           text="May legal-size paper (item 1.02) ship from a second "
                           "warehouse, on a separate delivery?")  # fmt: skip
    responses.response_submit(user=reps["empire"], solicitation=s, supplier=empire,
                             data=_offer(s, {"1.01": ("38.40", [("5000", "37.95")]),
                                             "1.02": "44.10", "1.03": "61.75"}, [1]),
                             idempotency_key="demo-empire-1")  # fmt: skip
    responses.response_submit(
        user=reps["dairy"],
        solicitation=s,
        supplier=dairy,
        data=_offer(s, {"2.01": "0.2875", "2.02": "0.3120"}, [1]),
    )
    responses.response_submit(
        user=reps["necp"],
        solicitation=s,
        supplier=necp,
        data=_offer(
            s,
            {"1.01": "39.15", "1.02": "45.00", "1.03": "60.90"},
            [1],
            exceptions="Delivery within 10 business days.",
        ),
    )


def _past_bid(agency: Agency, officer: Any, reps: dict[str, Any], empire: Supplier,
              necp: Supplier, dairy: Supplier) -> None:  # fmt: skip
    year = timing.now().astimezone(agency.zone).year - 1
    with _clock(_local(agency, year, 9, 2, 9)):
        s = drafting.solicitation_create(
            user=officer, agency=agency, number="LK-2026-03",
            title="Custodial supplies and trash liners", kind="ifb", category="Custodial",
            eligible_kinds=[Institution.Kind.PUBLIC_K12], open_to_all_eligible=True,
            required_attestations=["non_collusion", "debarment"],
            questions_due_at=_local(agency, year, 9, 16, 12),
            responses_due_at=_local(agency, year, 9, 23, 14),
            opening_at=_local(agency, year, 9, 23, 14, 30),
        )  # fmt: skip
        liners = drafting.lot_add(user=officer, solicitation=s, title="Trash liners",
                                  award_basis="per_lot")  # fmt: skip
        chem = drafting.lot_add(user=officer, solicitation=s, title="Cleaning chemicals")
        for lot, number, description, unit, qty in [
            (liners, "1.01", "Can liner 40x46, 1.5 mil, black", "case of 100", "1800"),
            (liners, "1.02", "Can liner 24x33, 0.7 mil, clear", "case of 500", "950"),
            (chem, "2.01", "Neutral floor cleaner, concentrate", "gallon", "640"),
            (chem, "2.02", "Glass cleaner, ready to use", "case of 12 qt", "210"),
        ]:  # fmt: skip
            drafting.item_add(user=officer, lot=lot, number=number, description=description,
                              unit=unit, estimated_quantity=D(qty))  # fmt: skip
        s = publication.solicitation_publish(user=officer, solicitation=s)
    with _clock(_local(agency, year, 9, 10, 11)):
        responses.response_submit(user=reps["empire"], solicitation=s, supplier=empire,
                                 data=_offer(s, {"1.01": "21.40", "1.02": "24.15",
                                                 "2.01": "11.95"}, []))  # fmt: skip
    with _clock(_local(agency, year, 9, 12, 10)):
        publication.addendum_issue(user=officer, solicitation=s, title="Liner gauge",
                                body="Item 1.01 may be 1.5 mil or heavier.")  # fmt: skip
    with _clock(_local(agency, year, 9, 22, 16)):
        responses.response_submit(
            user=reps["necp"],
            solicitation=s,
            supplier=necp,
            data=_offer(
                s, {"1.01": "22.10", "1.02": "23.80", "2.01": "12.40", "2.02": "38.50"}, [1]
            ),
        )
        responses.response_submit(
            user=reps["dairy"],
            solicitation=s,
            supplier=dairy,
            data=_offer(s, {"2.01": "11.75", "2.02": "39.90"}, [1]),
        )
    with _clock(_local(agency, year, 9, 23, 14, 30)):
        opening.solicitation_open(user=officer, solicitation=s)


def _award_past_bid(agency: Agency, officer: Any, admin: Any) -> None:
    """LK-2026-03 through findings, recommendation, the board, the notice and the final award."""
    s = Solicitation.objects.get(agency=agency, number="LK-2026-03")
    year = timing.now().astimezone(agency.zone).year - 1
    with _clock(_local(agency, year, 9, 25, 10)):
        evaluation.findings_propose(user=officer, solicitation=s)
        for finding in Finding.objects.filter(response__solicitation=s).select_related(
            "response__supplier"
        ):
            if finding.proposed:
                evaluation.finding_decide(user=officer, finding=finding, value=True)
            else:
                evaluation.finding_decide(
                    user=officer, finding=finding, value=False,
                    reason="Addendum 1 (liner gauge) was issued after this response and the "
                    "supplier did not resubmit to acknowledge it (GML §103: a bid must "
                    "respond to every addendum).",
                )  # fmt: skip
        award = awarding.award_recommend(
            user=officer, solicitation=s, method="lowest_price",
            basis="Lowest responsible bidder per award basis: trash liners per lot (lowest lot "
            "total among complete bids), cleaning chemicals per item. Empire Paper's response "
            "is non-responsive (addendum 1 not acknowledged).",
        )  # fmt: skip
    with _clock(_local(agency, year, 10, 8, 19)):
        award = awarding.award_approve(
            user=admin, award=award, board_resolution=f"{year}-10-08-4",
            board_date=_local(agency, year, 10, 8, 19).astimezone(agency.zone).date(),
        )  # fmt: skip
    with _clock(_local(agency, year, 10, 9, 9)):
        award = awarding.award_notice(user=officer, award=award)
    with _clock(_local(agency, year, 10, 20, 9)):
        awarding.finalize_due()


def _program_rfp(officer: Any, agency: Agency, *, number: str, title: str, category: str,
                 description: str, fee: str, criteria: list[str], questions_due_at: Any,
                 responses_due_at: Any, opening_at: Any) -> Solicitation:  # fmt: skip
    """A published RFP for one yearly program fee, scored on two criteria of the agency's
    choosing (40 and 20 points), experience and references (10) and price (30, computed)."""
    s = drafting.solicitation_create(
        user=officer, agency=agency, number=number, title=title, kind="rfp", category=category,
        description=description, eligible_kinds=[Institution.Kind.PUBLIC_K12],
        open_to_all_eligible=True, required_attestations=["non_collusion", "debarment"],
        questions_due_at=questions_due_at, responses_due_at=responses_due_at,
        opening_at=opening_at,
    )  # fmt: skip
    lot = drafting.lot_add(user=officer, solicitation=s, title="Program")
    drafting.item_add(user=officer, lot=lot, number="1", unit="year", description=fee,
                      estimated_quantity=D("1"))  # fmt: skip
    first, second = criteria
    for name, weight, is_price in [(first, "40", False), (second, "20", False),
                                   ("Experience and references", "10", False),
                                   ("Price", "30", True)]:  # fmt: skip
        drafting.criterion_add(user=officer, solicitation=s, name=name, weight=D(weight),
                               is_price=is_price)  # fmt: skip
    return publication.solicitation_publish(user=officer, solicitation=s)


def _rfp_awarded(agency: Agency, officer: Any, admin: Any, reps: dict[str, Any],
                 empire: Supplier, necp: Supplier) -> None:  # fmt: skip
    """LK-2026-04, an RFP of last summer: committee scores, best value, the board, final.

    Price points: Empire 30.00 (the lowest price), NECP 30 x 58,900 / 62,400 = 28.32.
    Consensus (mean of two): NECP 8, 7.5, 8.5 -> 32 + 15 + 8.5 + 28.32 = 83.82;
    Empire 6.5, 8.5, 6.5 -> 26 + 17 + 6.5 + 30 = 79.50. NECP is the best value."""
    year = timing.now().astimezone(agency.zone).year - 1
    with _clock(_local(agency, year, 7, 7, 9)):
        s = _program_rfp(
            officer, agency, number="LK-2026-04", title="Managed print services",
            category="Technology",
            description="Copier fleet, maintenance, supplies and usage reporting for every "
            "member district's buildings, priced as one annual program fee.",
            fee="Managed print program fee, all member districts",
            criteria=["Service design and fleet", "Transition and support"],
            questions_due_at=_local(agency, year, 7, 21, 12),
            responses_due_at=_local(agency, year, 7, 28, 14),
            opening_at=_local(agency, year, 7, 28, 14, 30),
        )  # fmt: skip
    with _clock(_local(agency, year, 7, 24, 11)):
        responses.response_submit(user=reps["necp"], solicitation=s, supplier=necp,
                                 data=_offer(s, {"1": "62400.00"}, []))  # fmt: skip
        responses.response_submit(user=reps["empire"], solicitation=s, supplier=empire,
                                 data=_offer(s, {"1": "58900.00"}, []))  # fmt: skip
    with _clock(_local(agency, year, 7, 28, 14, 30)):
        s = opening.solicitation_open(user=officer, solicitation=s)
    evaluator = get_user_model().objects.get(username="evaluator@lakes.example.org")
    with _clock(_local(agency, year, 7, 30, 10)):
        for finding in evaluation.findings_propose(user=officer, solicitation=s):
            evaluation.finding_decide(user=officer, finding=finding, value=finding.proposed,
                                      reason="" if finding.proposed else "As checked.")  # fmt: skip
        seats = [evaluation.evaluator_add(user=officer, solicitation=s, member=u)
                 for u in (evaluator, officer)]  # fmt: skip
        for seat in seats:
            evaluation.coi_attest(user=seat.user, evaluator=seat)
    criteria = list(s.criteria.filter(is_price=False).order_by("pk"))
    marks = {  # per supplier: (evaluator's scores, officer's scores), in the criteria's order
        necp.pk: ([8, 7, 9], [8, 8, 8]),
        empire.pk: ([7, 9, 6], [6, 8, 7]),
    }
    with _clock(_local(agency, year, 8, 6, 15)):
        for response in evaluation.scored_responses(s):
            for seat, values in zip(seats, marks[response.supplier_id], strict=True):
                evaluation.scores_save(
                    user=seat.user, evaluator=seat, response=response,
                    scores={c.pk: D(v) for c, v in zip(criteria, values, strict=True)},
                    comments={criteria[0].pk: "Fleet plan reviewed building by building."}
                    if seat.user == evaluator and response.supplier_id == necp.pk else None,
                )  # fmt: skip
        for seat in seats:
            evaluation.scores_submit(user=seat.user, evaluator=seat)
    with _clock(_local(agency, year, 8, 7, 10)):
        award = awarding.award_recommend(
            user=officer, solicitation=s, method="best_value",
            basis="Best value: the highest consensus total of the evaluation committee (two "
            "evaluators, each criterion scored independently, price points computed).",
        )  # fmt: skip
    with _clock(_local(agency, year, 8, 13, 19)):
        award = awarding.award_approve(
            user=admin, award=award, board_resolution=f"{year}-08-13-3",
            board_date=_local(agency, year, 8, 13, 19).astimezone(agency.zone).date(),
        )  # fmt: skip
    with _clock(_local(agency, year, 8, 14, 9)):
        award = awarding.award_notice(user=officer, award=award)
    with _clock(_local(agency, year, 8, 25, 9)):
        awarding.award_finalize(user=officer, award=award)


def _proposal(name: str) -> Upload:
    slug = name.lower().replace(" ", "-")
    return Upload(f"{slug}-technical-proposal.txt", "text/plain",
                  f"{name}: technical proposal for the custodial supply management program "
                  "(ordering portal, stocking, usage reports).\n".encode())  # fmt: skip


def _rfp_mid_evaluation(agency: Agency, officer: Any, reps: dict[str, Any],
                        empire: Supplier, necp: Supplier) -> None:  # fmt: skip
    """An RFP opened two weeks ago; its committee is scoring."""
    now = timing.now()
    start = now - timedelta(days=45)
    due = now - timedelta(days=14)
    with _clock(start):
        s = _program_rfp(
            officer, agency, number="LK-2026-07", title="Custodial supply management program",
            category="Custodial",
            description="A vendor-managed program for custodial supplies: ordering portal, "
            "stocking of each building's closet, usage reports per district.",
            fee="Program management fee, all member districts",
            criteria=["Program design and ordering portal", "Implementation and support"],
            questions_due_at=due - timedelta(days=7), responses_due_at=due,
            opening_at=due + timedelta(minutes=30),
        )  # fmt: skip
    with _clock(start + timedelta(days=20)):
        responses.response_submit(user=reps["necp"], solicitation=s, supplier=necp,
                                 data=_offer(s, {"1": "48500.00"}, []),
                                 uploads=[_proposal("NECP")])  # fmt: skip
        responses.response_submit(user=reps["empire"], solicitation=s, supplier=empire,
                                 data=_offer(s, {"1": "52900.00"}, []),
                                 uploads=[_proposal("Empire Paper")])  # fmt: skip
    with _clock(due + timedelta(minutes=30)):
        opening.solicitation_open(user=officer, solicitation=s)
    evaluator = get_user_model().objects.get(username="evaluator@lakes.example.org")
    criteria = {c.name: c for c in s.criteria.filter(is_price=False)}
    marks = {  # (evaluator's scores, officer's scores) per supplier, per criterion order
        necp.pk: ([8, 7, 9], [7]),
        empire.pk: ([7, 9, 6], []),
    }
    with _clock(due + timedelta(days=2)):
        seats = [evaluation.evaluator_add(user=officer, solicitation=s, member=u)
                 for u in (evaluator, officer)]  # fmt: skip
        evaluation.findings_propose(user=officer, solicitation=s)
        for seat in seats:
            evaluation.coi_attest(user=seat.user, evaluator=seat)
    with _clock(due + timedelta(days=6)):
        names = list(criteria)
        for response in evaluation.scored_responses(s):
            mine, officers = marks[response.supplier_id]
            for seat, values in ((seats[0], mine), (seats[1], officers)):
                evaluation.scores_save(
                    user=seat.user, evaluator=seat, response=response,
                    scores={criteria[n].pk: D(v) for n, v in zip(names, values, strict=False)},
                )  # fmt: skip
        evaluation.scores_submit(user=evaluator, evaluator=seats[0])


def _paper_recommended(
    agency: Agency, officer: Any, admin: Any, reps: dict[str, Any], empire: Supplier, necp: Supplier
) -> None:
    """A copy-paper bid whose pooled quantity reaches the volume tiers; recommended."""
    now = timing.now()
    start = now - timedelta(days=70)
    due = now - timedelta(days=21)
    with _clock(start):
        s = drafting.solicitation_create(
            user=officer,
            agency=agency,
            number="LK-2026-05",
            title="Copy paper, spring re-bid",
            kind="ifb",
            category="Paper",
            eligible_kinds=[Institution.Kind.PUBLIC_K12],
            required_attestations=["non_collusion", "debarment"],
            survey_deadline=start + timedelta(days=10),
            questions_due_at=due - timedelta(days=7),
            responses_due_at=due,
            opening_at=due + timedelta(minutes=30),
        )
        lot = drafting.lot_add(
            user=officer, solicitation=s, title="Copy paper", award_basis="all_or_none"
        )
        for number, description in [
            ("1.01", "Copy paper, 8.5 x 11, white"),
            ("1.02", "Copy paper, 8.5 x 14, white"),
        ]:
            drafting.item_add(
                user=officer,
                lot=lot,
                number=number,
                description=description,
                unit="case",
                specifications="20 lb, 92 bright; 10 reams/case.",
            )
        by_number = {i.number: i for i in s.items.all()}
        districts = Institution.objects.filter(
            agency=agency, kind=Institution.Kind.PUBLIC_K12, membership__status="active"
        ).order_by("name")[:10]
        for n, district in enumerate(districts):
            demand.demand_commit(
                user=admin,
                solicitation=s,
                institution=district,
                quantities={
                    by_number["1.01"].pk: D(280 + 60 * n),
                    by_number["1.02"].pk: D(25 + 4 * n),
                },
            )
    with _clock(start + timedelta(days=11)):
        s = publication.solicitation_publish(user=officer, solicitation=s)
    with _clock(start + timedelta(days=30)):
        responses.response_submit(
            user=reps["empire"],
            solicitation=s,
            supplier=empire,
            data=_offer(
                s,
                {
                    "1.01": ("39.10", [("2000", "37.80"), ("5000", "36.45")]),
                    "1.02": ("45.20", [("500", "44.10")]),
                },
                [],
            ),
        )
        responses.response_submit(
            user=reps["necp"],
            solicitation=s,
            supplier=necp,
            # NECP's prices are dearer at the pooled tiers, but its spend discount (2.5% off
            # the whole award from $200,000) makes it the cheaper award: the optimal award
            # goes to NECP where the lowest price per lot would go to Empire.
            data=_offer(s, {"1.01": ("38.75", [("5000", "37.20")]), "1.02": "44.90"}, [],
                        spend_discounts=[("100000", "1"), ("200000", "2.5")]),
        )  # fmt: skip
    with _clock(due + timedelta(minutes=30)):
        s = opening.solicitation_open(user=officer, solicitation=s)
    with _clock(due + timedelta(days=4)):
        for finding in evaluation.findings_propose(user=officer, solicitation=s):
            evaluation.finding_decide(
                user=officer,
                finding=finding,
                value=finding.proposed,
                reason="" if finding.proposed else "As checked.",
            )
        awarding.award_recommend(
            user=officer,
            solicitation=s,
            method="optimal",
            basis="All-or-none lot: lowest total among complete, responsive bids from "
            "responsible suppliers, each item's pooled quantity priced at the volume tier it "
            "earns, less the spend discount the award reaches. Goes to the board on its next "
            "agenda.",
        )


def _salt_protested(agency: Agency, officer: Any, admin: Any, reps: dict[str, Any],
                    empire: Supplier, necp: Supplier) -> None:  # fmt: skip
    """An IFB awarded and noticed two days ago; the losing bidder's protest is pending."""
    now = timing.now()
    start = now - timedelta(days=40)
    due = now - timedelta(days=20)
    with _clock(start):
        s = drafting.solicitation_create(
            user=officer, agency=agency, number="LK-2026-08",
            title="Rock salt and ice melt", kind="ifb", category="Grounds",
            eligible_kinds=[Institution.Kind.PUBLIC_K12], open_to_all_eligible=True,
            required_attestations=["non_collusion", "debarment"],
            questions_due_at=due - timedelta(days=7), responses_due_at=due,
            opening_at=due + timedelta(minutes=30),
        )  # fmt: skip
        lot = drafting.lot_add(user=officer, solicitation=s, title="Ice control",
                               award_basis="all_or_none")  # fmt: skip
        for number, description, unit, qty in [
            ("1.01", "Rock salt, bulk, delivered and stockpiled", "ton", "1400"),
            ("1.02", "Calcium chloride ice melt, 50 lb bag", "bag", "2600"),
        ]:
            drafting.item_add(user=officer, lot=lot, number=number, description=description,
                              unit=unit, estimated_quantity=D(qty))  # fmt: skip
        s = publication.solicitation_publish(user=officer, solicitation=s)
    with _clock(start + timedelta(days=12)):
        responses.response_submit(
            user=reps["necp"], solicitation=s, supplier=necp,
            data=_offer(s, {"1.01": "71.40", "1.02": "16.90"}, []),
            uploads=[Upload("necp-ice-melt-safety-data-sheet.txt", "text/plain",
                            b"NECP calcium chloride ice melt: safety data sheet.\n")],
        )  # fmt: skip
        responses.response_submit(
            user=reps["empire"], solicitation=s, supplier=empire,
            data=_offer(s, {"1.01": "69.95", "1.02": "17.80"}, []),
        )  # fmt: skip
    with _clock(due + timedelta(minutes=30)):
        s = opening.solicitation_open(user=officer, solicitation=s)
    with _clock(due + timedelta(days=3)):
        for finding in evaluation.findings_propose(user=officer, solicitation=s):
            evaluation.finding_decide(user=officer, finding=finding, value=finding.proposed,
                                      reason="" if finding.proposed else "As checked.")  # fmt: skip
        award = awarding.award_recommend(
            user=officer, solicitation=s, method="lowest_price",
            basis="All-or-none lot: lowest total among complete, responsive bids from "
            "responsible suppliers.",
        )  # fmt: skip
    with _clock(now - timedelta(days=5)):
        met = (now - timedelta(days=5)).astimezone(agency.zone).date()
        award = awarding.award_approve(
            user=admin, award=award, board_resolution=f"{met:%Y-%m-%d}-2", board_date=met
        )
    with _clock(now - timedelta(days=2)):
        award = awarding.award_notice(user=officer, award=award)
    with _clock(now - timedelta(days=1)):
        awarding.protest_file(
            user=reps["empire"], award=award, supplier=empire,
            grounds="Our rock salt price per ton is the lowest; the all-or-none lot should "
            "not have outweighed it, and NECP's ice melt does not meet the 50 lb bag "
            "specification.",
        )  # fmt: skip


def _science_draft(agency: Agency, officer: Any) -> None:
    """An RFP being drafted while the districts say how much they would buy."""
    now = timing.now()
    today = now.astimezone(agency.zone).date()
    due_day = today + timedelta(days=45)
    ymd = (due_day.year, due_day.month, due_day.day)
    s = drafting.solicitation_create(
        user=officer, agency=agency, number="LK-2027-02",
        title="Science classroom supplies and lab equipment", kind="rfp",
        category="Instructional supplies",
        description="Consumables and equipment for middle and high school science rooms, "
        "delivered to each building; proposals are scored on the catalogue, service and price.",
        eligible_kinds=[Institution.Kind.PUBLIC_K12],
        required_attestations=["non_collusion", "debarment"],
        survey_deadline=now + timedelta(days=10),
        questions_due_at=_local(agency, *ymd, 12) - timedelta(days=10),
        responses_due_at=_local(agency, *ymd, 14),
        opening_at=_local(agency, *ymd, 14, 30),
    )  # fmt: skip
    consumables = drafting.lot_add(user=officer, solicitation=s, title="Consumables")
    equipment = drafting.lot_add(user=officer, solicitation=s, title="Lab equipment",
                                 award_basis="per_lot")  # fmt: skip
    for lot, number, description, unit in [
        (consumables, "1.01", "Nitrile gloves, medium", "box of 100"),
        (consumables, "1.02", "Filter paper, 11 cm", "pack of 100"),
        (equipment, "2.01", "Digital balance, 0.01 g, 400 g capacity", "each"),
        (equipment, "2.02", "Compound microscope, LED, 40-1000x", "each"),
    ]:
        drafting.item_add(user=officer, lot=lot, number=number, description=description,
                          unit=unit)  # fmt: skip
    for name, weight, is_price in [("Catalogue breadth and quality", "35", False),
                                   ("Delivery and service", "25", False),
                                   ("Price", "40", True)]:  # fmt: skip
        drafting.criterion_add(user=officer, solicitation=s, name=name, weight=D(weight),
                               is_price=is_price)  # fmt: skip
    drafting.document_add(user=officer, solicitation=s, title="Scope of work (draft)",
                          upload=Upload("LK-2027-02-scope.txt", "text/plain",
                                        b"Lakes Region BOCES LK-2027-02: scope of work, "
                                        b"draft for the districts' review.\n"))  # fmt: skip
    alder = Institution.objects.get(agency=agency, name="Alder Creek CSD")
    admin = get_user_model().objects.get(username="admin@lakes.example.org")
    items = {i.number: i.pk for i in s.items.all()}
    demand.demand_commit(user=admin, solicitation=s, institution=alder,
                         quantities={items["1.01"]: D(120), items["2.01"]: D(6)})  # fmt: skip
