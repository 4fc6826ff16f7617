"""Solicitation services: status flow, addenda, Q&A, responses, deadline, opening."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.procurement import (
    demand,
    drafting,
    files,
    opening,
    publication,
    questions,
    responses,
    sealing,
    selectors,
)
from edcoop.procurement.files import Upload
from edcoop.procurement.models import BidLine, Response, Solicitation

from .conftest import DUE, NOW, OPENING, build_bid, items, offer, second_supplier


def submit(north, s, prices, **kw):
    return responses.response_submit(
        user=north.users["supplier_rep"],
        solicitation=s,
        supplier=north.supplier,
        data=offer(s, prices),
        **kw,
    )


def test_publish_records_who_and_when_and_mails_suppliers(
    north, clock, django_capture_on_commit_callbacks
):
    from .conftest import approve

    approve(north, north.supplier)
    with django_capture_on_commit_callbacks(execute=True):
        s = build_bid(north)
    assert s.status == Solicitation.Status.PUBLISHED
    assert s.published_at == NOW
    change = s.status_changes.get(to_status="published")
    assert change.by == north.users["procurement_officer"] and change.at == NOW
    assert any("IFB-2026-01" in m.subject for m in mail.outbox)
    assert audit.verify() == []


def test_publish_refuses_incomplete_timeline(north, clock):
    s = build_bid(north, publish=False)
    s.opening_at = DUE - timedelta(hours=1)
    s.save()
    with pytest.raises(ValidationError) as e:
        publication.solicitation_publish(user=north.users["procurement_officer"], solicitation=s)
    assert "opening_at" in e.value.message_dict


def test_rfp_weights_must_sum_to_100(north, clock):
    s = build_bid(north, publish=False)
    s.kind = "rfp"
    s.save()
    officer = north.users["procurement_officer"]
    drafting.criterion_add(user=officer, solicitation=s, name="Price", weight=Decimal("60"))
    with pytest.raises(ValidationError, match="add up to 60"):
        publication.solicitation_publish(user=officer, solicitation=s)
    drafting.criterion_add(user=officer, solicitation=s, name="Service", weight=Decimal("40"))
    publication.solicitation_publish(user=officer, solicitation=s)


@pytest.mark.parametrize(
    "role", ["evaluator", "auditor", "business_office", "member_buyer", "supplier_rep"]
)
def test_only_officers_publish(north, clock, role):
    s = build_bid(north, publish=False)
    with pytest.raises(PermissionDenied):
        publication.solicitation_publish(user=north.users[role], solicitation=s)


def test_submission_returns_receipt_with_server_time_and_sha256(north, bid):
    receipt = submit(north, bid, {"1.01": "31.25", "1.02": "52.10", "2.01": "0.2875"})
    assert receipt.received_at == NOW
    assert len(receipt.sha256) == 64
    r = Response.objects.get(pk=receipt.response_id)
    assert r.is_current and r.content_sha256 == receipt.sha256
    event = AuditEvent.objects.filter(action="response.submit").last()
    assert "31.25" not in str(event.changes)


def test_prices_are_encrypted_at_rest(north, bid):
    submit(north, bid, {"1.01": "31.2577", "1.02": "52.10", "2.01": "0.2875"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM procurement_response")
        blobs = [bytes(row[0]) for row in cursor.fetchall()]
    assert blobs and all(b"31.2577" not in b and b"0.2875" not in b for b in blobs)
    assert not BidLine.objects.exists()


@pytest.mark.parametrize(
    ("prices", "field", "message"),
    [
        ({"1.01": "31.25", "2.01": "0.29"}, "price_", "1.02 (Copy paper 11x17) has no price"),
        ({"1.01": "-1", "1.02": "5", "2.01": "0.29"}, "price_", "cannot be negative"),
        ({"1.01": "abc", "1.02": "5", "2.01": "0.29"}, "price_", "'abc' is not a number"),
        ({"1.01": "1.00001", "1.02": "5"}, "price_", "more than 4 decimal places"),
        ({}, "lines", "Price at least one line"),
    ],
)
def test_bad_prices_are_refused_naming_the_line(north, bid, prices, field, message):
    with pytest.raises(ValidationError) as e:
        submit(north, bid, prices)
    assert any(k.startswith(field) for k in e.value.message_dict)
    assert message in str(e.value)
    assert not Response.objects.exists()


def test_missing_attestation_is_refused(north, bid):
    data = offer(bid, {"2.01": "0.29"}, attestations=[])
    with pytest.raises(ValidationError, match="Non-collusive"):
        responses.response_submit(
            user=north.users["supplier_rep"], solicitation=bid, supplier=north.supplier, data=data
        )


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("prices.exe", 10, "files of type .exe are not accepted"),
        ("catalog.pdf", files.MAX_ATTACHMENT_BYTES + 1, "catalog.pdf is larger than 10 MB"),
    ],
)
def test_bad_attachments_are_refused(north, bid, name, size, message):
    with pytest.raises(ValidationError, match=message):
        submit(north, bid, {"2.01": "0.29"}, uploads=[Upload(name, "application/pdf", b"x" * size)])


def test_addendum_must_be_acknowledged(north, bid, clock, django_capture_on_commit_callbacks):
    officer = north.users["procurement_officer"]
    with django_capture_on_commit_callbacks(execute=True):
        publication.addendum_issue(
            user=officer,
            solicitation=bid,
            title="Recycled content",
            body="Item 1.01 must have 30% recycled content.",
        )
    assert any("addendum 1" in m.subject for m in mail.outbox)
    data = offer(bid, {"2.01": "0.29"}, acknowledged_addenda=[])
    with pytest.raises(ValidationError, match="Acknowledge addendum 1 \\(Recycled content\\)"):
        responses.response_submit(
            user=north.users["supplier_rep"], solicitation=bid, supplier=north.supplier, data=data
        )
    submit(north, bid, {"2.01": "0.29"})  # offer() acknowledges every issued addendum


def test_addendum_after_submission_makes_the_response_nonresponsive(north, bid, clock):
    submit(north, bid, {"2.01": "0.29"})
    publication.addendum_issue(
        user=north.users["procurement_officer"],
        solicitation=bid,
        title="Delivery",
        body="Deliveries on Tuesdays.",
    )
    clock.set(OPENING)
    opening.solicitation_open(user=north.users["procurement_officer"], solicitation=bid)
    r = Response.objects.get(is_current=True)
    assert r.responsive is False
    assert "Did not acknowledge addendum 1 (Delivery)." in r.nonresponsive_reasons


def test_addendum_can_extend_the_deadline(north, bid, clock):
    later = DUE + timedelta(days=3)
    publication.addendum_issue(
        user=north.users["procurement_officer"],
        solicitation=bid,
        title="Extension",
        body="Extended.",
        new_responses_due_at=later,
    )
    bid.refresh_from_db()
    assert bid.responses_due_at == later and bid.opening_at == later + timedelta(hours=1)


def test_deadline_is_the_exact_second_by_the_server_clock(north, bid, clock):
    clock.set(DUE - timedelta(microseconds=1))
    submit(north, bid, {"2.01": "0.29"})
    clock.set(DUE)
    with pytest.raises(ValidationError, match="past that deadline"):
        submit(north, bid, {"2.01": "0.28"})
    assert Response.objects.filter(is_current=True).count() == 1
    assert Response.objects.get(is_current=True).version == 1


def test_latest_submission_counts_and_withdrawal(north, bid, clock):
    first = submit(north, bid, {"2.01": "0.29"})
    second = submit(north, bid, {"2.01": "0.27"})
    assert second.version == 2
    assert Response.objects.get(pk=first.response_id).status == Response.Status.SUPERSEDED
    responses.response_withdraw(
        user=north.users["supplier_rep"], solicitation=bid, supplier=north.supplier
    )
    assert not Response.objects.filter(is_current=True).exists()
    clock.set(DUE)
    with pytest.raises(ValidationError):
        responses.response_withdraw(
            user=north.users["supplier_rep"], solicitation=bid, supplier=north.supplier
        )


def test_retry_with_same_idempotency_key_creates_one_response(north, bid, clock):
    a = submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1")
    clock.set(NOW + timedelta(seconds=5))
    b = submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1")
    assert a == b
    assert Response.objects.count() == 1


def test_draft_then_submit_from_draft_keeps_attachments(north, bid):
    rep = north.users["supplier_rep"]
    responses.response_save_draft(
        user=rep,
        solicitation=bid,
        supplier=north.supplier,
        data=offer(bid, {"2.01": "0.31"}),
        uploads=[Upload("insurance.pdf", "application/pdf", b"%PDF-1")],
    )
    receipt = responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier)
    r = Response.objects.get(pk=receipt.response_id)
    names = [sealing.attachment_meta_for(rep, a)["filename"] for a in r.attachments.all()]
    assert names == ["insurance.pdf"]
    assert b"%PDF" not in bytes(r.attachments.get().sealed)


@pytest.mark.parametrize("role", ["agency_admin", "procurement_officer", "auditor", "evaluator"])
def test_sealed_read_is_refused_and_audited_for_every_staff_role(north, bid, role):
    from edcoop.procurement import sealing

    receipt = submit(north, bid, {"2.01": "0.29"})
    r = Response.objects.get(pk=receipt.response_id)
    with pytest.raises(sealing.Sealed):
        sealing.unseal_for(north.users[role], r)
    event = AuditEvent.objects.filter(action="response.sealed_read_refused").last()
    assert event is not None and event.object_id == str(r.pk)
    assert audit.verify() == []


def test_supplier_reads_its_own_sealed_response(north, bid):
    from edcoop.procurement import sealing

    receipt = submit(north, bid, {"2.01": "0.29"})
    r = Response.objects.get(pk=receipt.response_id)
    assert sealing.unseal_for(north.users["supplier_rep"], r)["lines"][0]["unit_price"] == "0.2900"


def test_agency_roles_cannot_submit_for_a_supplier(north, bid):
    for role in ("agency_admin", "procurement_officer"):
        with pytest.raises(PermissionDenied):
            responses.response_submit(
                user=north.users[role],
                solicitation=bid,
                supplier=north.supplier,
                data=offer(bid, {"2.01": "1"}),
            )


def test_unapproved_supplier_cannot_respond(north, clock):
    s = build_bid(north)  # north.supplier is still an applicant
    with pytest.raises(ValidationError, match="only approved suppliers"):
        submit(north, s, {"2.01": "0.29"})


def test_opening_waits_for_the_opening_time(north, bid, clock):
    officer = north.users["procurement_officer"]
    clock.set(OPENING - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="not come yet"):
        opening.solicitation_open(user=officer, solicitation=bid)
    with pytest.raises(PermissionDenied):
        opening.solicitation_open(user=north.users["evaluator"], solicitation=bid)


def test_opening_and_tabulation(north, bid, clock):
    submit(north, bid, {"1.01": "31.25", "1.02": "52.105", "2.01": "0.2875"})
    other, rep = second_supplier(north)
    responses.response_submit(
        user=rep,
        solicitation=bid,
        supplier=other,
        data=offer(bid, {"1.01": "30.00", "1.02": "55", "2.01": "0.2900"}),
    )
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    assert bid.status == "opened" and bid.opened_at == OPENING
    tab = selectors.tabulation_for(bid)
    names = [b.supplier for b in tab.bids]
    assert names == ["North Paper Co", "Second Paper Co"]
    by_item = {r.item.number: r for r in tab.rows}
    north_101 = by_item["1.01"].cells[0]
    assert north_101.extended == Decimal("31250.00") and not north_101.lowest
    assert by_item["1.01"].cells[1].lowest
    # 0.2875 x 333 = 95.7375 -> 95.74 (half-up to cents)
    assert by_item["2.01"].cells[0].extended == Decimal("95.74")
    assert by_item["2.01"].cells[0].lowest and not by_item["2.01"].cells[1].lowest
    # 52.105 x 100 = 5210.50
    assert by_item["1.02"].cells[0].extended == Decimal("5210.50")
    assert by_item["1.02"].cells[0].lowest and by_item["1.02"].cells[1].extended == Decimal(
        "5500.00"
    )
    lot = tab.lots[0]
    assert lot.totals == [Decimal("36460.50"), Decimal("35500.00")]
    assert lot.lowest == [False, True]


def test_second_supplier_offer_without_paper(north, bid, clock):
    other, rep = second_supplier(north)
    with pytest.raises(ValidationError, match=r"1\.02"):
        responses.response_submit(
            user=rep,
            solicitation=bid,
            supplier=other,
            data=offer(bid, {"1.01": "30.00", "2.01": "0.29"}),
        )


def test_open_due_closes_and_opens_on_schedule(north, bid, clock):
    submit(north, bid, {"2.01": "0.29"})
    clock.set(DUE)
    assert opening.open_due(now=DUE).opened == []
    bid.refresh_from_db()
    assert bid.status == "closed"
    clock.set(OPENING)
    assert [s.pk for s in opening.open_due(now=OPENING).opened] == [bid.pk]
    bid.refresh_from_db()
    assert bid.status == "opened"
    assert BidLine.objects.count() == 1


def test_questions_and_anonymised_answers(north, bid, clock):
    q = questions.question_ask(
        user=north.users["supplier_rep"],
        solicitation=bid,
        supplier=north.supplier,
        text="North Paper asks: is 92 bright OK?",
    )
    assert list(selectors.public_questions(bid)) == []
    questions.question_answer(
        user=north.users["procurement_officer"],
        question=q,
        public_text="Is 92 brightness acceptable?",
        answer="Yes.",
    )
    public = list(selectors.public_questions(bid))
    assert public[0].public_text == "Is 92 brightness acceptable?"
    clock.set(NOW + timedelta(days=6))
    with pytest.raises(ValidationError, match="deadline for questions"):
        questions.question_ask(
            user=north.users["supplier_rep"],
            solicitation=bid,
            supplier=north.supplier,
            text="Late?",
        )


def test_status_flow_after_opening(north, bid, clock):
    officer = north.users["procurement_officer"]
    clock.set(OPENING)
    opening.solicitation_open(user=officer, solicitation=bid)
    with pytest.raises(ValidationError):
        publication.solicitation_set_status(user=officer, solicitation=bid, status="awarded")
    publication.solicitation_set_status(user=officer, solicitation=bid, status="under_evaluation")
    # Awarded only through a final award (tests/procurement/test_evaluation.py).
    with pytest.raises(ValidationError):
        publication.solicitation_set_status(user=officer, solicitation=bid, status="awarded")
    assert [c.to_status for c in bid.status_changes.all()] == [
        "published",
        "closed",
        "opened",
        "under_evaluation",
    ]


def test_cancel_needs_a_reason(north, bid):
    officer = north.users["procurement_officer"]
    with pytest.raises(ValidationError, match="Say why"):
        publication.solicitation_set_status(user=officer, solicitation=bid, status="cancelled")
    publication.solicitation_set_status(
        user=officer, solicitation=bid, status="cancelled", note="Specifications changed."
    )


def test_demand_survey_aggregates_and_decides_participants(north, clock):
    officer = north.users["procurement_officer"]
    s = build_bid(north, publish=False)
    s.survey_deadline = NOW + timedelta(days=2)
    s.save()
    its = items(s)
    buyer = north.users["member_buyer"]
    demand.demand_commit(
        user=buyer,
        solicitation=s,
        institution=north.institution,
        quantities={its["1.01"].pk: Decimal("400"), its["2.01"].pk: Decimal("0")},
    )
    demand.demand_commit(
        user=north.users["agency_admin"],
        solicitation=s,
        institution=north.institutions[1],
        quantities={its["1.01"].pk: Decimal("250.5")},
    )
    with pytest.raises(PermissionDenied):
        demand.demand_commit(
            user=buyer,
            solicitation=s,
            institution=north.institutions[1],
            quantities={its["1.01"].pk: Decimal("1")},
        )
    # A quantity finer than the cent is refused, never silently rounded.
    with pytest.raises(ValidationError) as excinfo:
        demand.demand_commit(
            user=buyer,
            solicitation=s,
            institution=north.institution,
            quantities={its["1.01"].pk: Decimal("400.125")},
        )
    assert "at most 2 decimal places" in str(excinfo.value)
    rows = {r.item.number: r for r in selectors.demand_by_item(s)}
    assert rows["1.01"].total == Decimal("650.50")
    its["1.01"].refresh_from_db()
    assert its["1.01"].estimated_quantity == Decimal("650.50")
    assert len(selectors.participants(s)) == 2
    with pytest.raises(ValidationError, match="survey is still open"):
        publication.solicitation_publish(user=officer, solicitation=s)
    publication.survey_close(user=officer, solicitation=s)
    with pytest.raises(ValidationError, match="closed"):
        demand.demand_commit(
            user=buyer,
            solicitation=s,
            institution=north.institution,
            quantities={its["1.01"].pk: Decimal("1")},
        )
    assert [i.name for i in selectors.participants(s)] == [
        north.institution.name,
        north.institutions[1].name,
    ]


def test_participants_only_committed_unless_open_to_all(north, clock):
    s = build_bid(north, publish=False)
    s.survey_deadline = NOW + timedelta(days=2)
    s.save()
    its = items(s)
    demand.demand_commit(
        user=north.users["member_buyer"],
        solicitation=s,
        institution=north.institution,
        quantities={its["2.01"].pk: Decimal("5")},
    )
    assert list(selectors.participants(s)) == [north.institution]
    s = drafting.solicitation_update(
        user=north.users["agency_admin"], solicitation=s, open_to_all_eligible=True
    )
    assert set(selectors.participants(s)) == set(north.institutions)


def test_other_agency_cannot_touch(north, nation, bid):
    with pytest.raises(PermissionDenied):
        publication.addendum_issue(
            user=nation.users["agency_admin"], solicitation=bid, title="x", body="y"
        )
    with pytest.raises(PermissionDenied):
        responses.response_submit(
            user=nation.users["supplier_rep"],
            solicitation=bid,
            supplier=nation.supplier,
            data=offer(bid, {"2.01": "1"}),
        )


def test_open_due_command(north, bid, clock):
    from io import StringIO

    from django.core.management import call_command

    submit(north, bid, {"2.01": "0.29"})
    clock.set(OPENING)
    out = StringIO()
    call_command("procurement", "open-due", stdout=out)
    assert "opened north IFB-2026-01" in out.getvalue()
    event = AuditEvent.objects.filter(action="solicitation.opened").last()
    assert event.actor_label == "cli"


def test_reminder_goes_to_suppliers_with_unsent_drafts(
    north, bid, clock, django_capture_on_commit_callbacks
):
    responses.response_save_draft(
        user=north.users["supplier_rep"],
        solicitation=bid,
        supplier=north.supplier,
        data=offer(bid, {"2.01": "0.3"}),
    )
    clock.set(DUE - timedelta(hours=24))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert opening.remind_due() == 1
    assert "not submitted" in mail.outbox[0].subject


def test_tabulation_names_award_bases_as_the_model_does():
    from edcoop.procurement.models import Lot
    from edcoop.procurement.tabulation import BASIS_LABELS

    assert dict(Lot.AwardBasis.choices) == BASIS_LABELS


def test_a_lot_awarded_all_or_none_is_priced_whole_or_not_at_all(north, bid, clock):
    # Lot 1 (paper) is all-or-none: one of its two lines priced is refused, naming the other;
    # the per-item milk lot may be priced alone.
    with pytest.raises(
        ValidationError,
        match=r"Item 1\.02 \(Copy paper 11x17\) has no price, and lot 1 is awarded all or none",
    ) as refused:
        submit(north, bid, {"1.01": "31.00", "2.01": "0.29"})
    assert list(refused.value.message_dict) == [f"price_{items(bid)['1.02'].pk}"]
    assert not Response.objects.exists()
    submit(north, bid, {"2.01": "0.29"})
    submit(north, bid, {"1.01": "31.00", "1.02": "52.00", "2.01": "0.29"})
    assert Response.objects.get(is_current=True).version == 2


def test_a_draft_whose_opening_precedes_its_deadline_is_refused_on_save(north, clock):
    """Issue 11: caught when the draft is saved, not weeks later at publishing; every date
    problem at once, each under its field, nothing saved."""
    s = build_bid(north, publish=False)
    officer = north.users["procurement_officer"]
    with pytest.raises(ValidationError) as e:
        drafting.solicitation_update(
            user=officer, solicitation=s, opening_at=DUE - timedelta(hours=1),
            questions_due_at=DUE + timedelta(days=1),
        )  # fmt: skip
    assert "before the response deadline" in e.value.message_dict["opening_at"][0]
    assert "by the response deadline" in e.value.message_dict["questions_due_at"][0]
    s.refresh_from_db()
    assert s.opening_at == OPENING
    with pytest.raises(ValidationError) as e:
        drafting.solicitation_create(
            user=officer, agency=north.agency, number="IFB-X-1", title="Paper",
            responses_due_at=DUE, opening_at=DUE - timedelta(minutes=1),
        )  # fmt: skip
    assert set(e.value.message_dict) == {"opening_at"}
    assert not Solicitation.objects.filter(number="IFB-X-1").exists()
