"""Evaluation and award in a real browser, axe on every page: an evaluator finishes scoring
with the keyboard and then sees the committee's table; the agency administrator records the
board's approval of the recommended copy-paper award and reads its report."""

from __future__ import annotations

import re

from edcoop import demo
from edcoop.procurement.models import Award, Evaluator

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD


def test_officer_finishes_scoring_and_sees_the_committee(page: Page, demo_data):
    login(page, "purchasing@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/solicitations/")
    page.get_by_role("link", name="LK-2026-07", exact=True).click()
    page.get_by_role("link", name="Evaluation and award").click()
    assert_accessible(page, "evaluation-rfp")
    # Seated on the committee, the officer sees who has submitted but no score before its own.
    before = page.locator("main").inner_text()
    assert "Jordan Kim: submitted" in before and "Consensus" not in before
    assert "shown to you once you submit your own" in before
    page.get_by_role("link", name="My scoring").click()
    assert_accessible(page, "scoring")
    page.get_by_role("link", name=re.compile(r"^Score Empire")).click()
    assert_accessible(page, "score-form")
    for label, value in (("Program design", "6"), ("Implementation", "8"),
                         ("Experience", "7")):  # fmt: skip
        page.get_by_label(re.compile(f"^{label}")).fill(value)
    page.get_by_label(re.compile("^Experience")).press("Enter")
    page.wait_for_url(re.compile(r"/evaluation/scoring/$"))
    page.get_by_role("link", name=re.compile(r"^Score Northeast|^Score NECP")).click()
    page.get_by_label(re.compile("^Implementation")).fill("8")
    page.get_by_label(re.compile("^Experience")).fill("9")
    page.get_by_role("button", name="Save scores").click()
    page.get_by_role("link", name="Submit my scores").click()
    page.get_by_role("button", name="Submit your scores").click()
    page.wait_for_url(re.compile(r"/evaluation/$"))
    text = page.locator("main").inner_text()
    assert "2 of 2 evaluator(s) submitted" in text and "Consensus" in text
    assert_accessible(page, "evaluation-rfp-scored")
    seats = Evaluator.objects.filter(solicitation__number="LK-2026-07")
    assert seats.filter(submitted_at__isnull=False).count() == 2


def test_board_approval_of_the_recommended_award(page: Page, demo_data):
    login(page, "admin@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/solicitations/")
    page.get_by_role("link", name="LK-2026-05", exact=True).click()
    page.get_by_role("link", name="Evaluation and award").click()
    assert_accessible(page, "evaluation-ifb")
    page.get_by_role("link", name=re.compile(r"^The award")).click()
    assert_accessible(page, "award-report")
    assert "What pooling earned each member" in page.locator("main").inner_text()
    page.get_by_role("link", name="Record the board's approval").click()
    assert_accessible(page, "award-approve")
    page.get_by_label("Board resolution number").fill("2026-11-3")
    award = Award.objects.get(solicitation__number="LK-2026-05")
    page.get_by_label("Adopted on").fill(award.recommended_at.date().isoformat())
    page.get_by_role("button", name="Record approval").click()
    page.wait_for_url(re.compile(r"/award/$"))
    assert "Resolution 2026-11-3" in page.locator("main").inner_text()
    award.refresh_from_db()
    assert award.status == "approved"
