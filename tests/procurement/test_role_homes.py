"""Each role's home names its next step, and never a step the role may not take."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from edcoop.procurement import questions

from .conftest import OPENING


def home(user, url="/a/north/"):
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_officer_is_asked_to_answer_questions_then_to_open(north, bid, clock):
    questions.question_ask(user=north.users["supplier_rep"], solicitation=bid,
                           supplier=north.supplier, text="Recycled content?")  # fmt: skip
    body = home(north.users["procurement_officer"])
    assert "Next step" in body and "Answer 1 question on IFB-2026-01" in body
    assert "Review applications" not in body and "Decide" not in body
    # Business office and evaluator read bids but do not answer them.
    for role in ("business_office", "evaluator", "auditor"):
        assert "Answer 1 question" not in home(north.users[role]), role
    clock.set(OPENING + timedelta(minutes=1))
    assert "Hold the public opening of IFB-2026-01" in home(north.users["procurement_officer"])
    assert "Hold the public opening" not in home(north.users["evaluator"])


def test_supplier_portal_points_to_the_open_bid(north, bid):
    body = home(north.users["supplier_rep"], f"/a/north/supplier/{north.supplier.pk}/")
    assert "Respond to 1 open bid" in body
    assert "None" not in body.split("<main", 1)[1]


def test_membership_decisions_only_for_those_who_decide(north):
    from edcoop.members import services
    from edcoop.members.services import Application

    services.membership_apply(agency=north.agency, application=Application(
        name="New District", kind="public_k12", state="NY"))  # fmt: skip
    assert "Decide 1 membership application" in home(north.users["agency_admin"])
    for role in ("business_office", "procurement_officer", "auditor", "evaluator"):
        body = home(north.users[role])
        assert "Decide 1 membership application" not in body, role
        assert "Review applications" not in body, role
