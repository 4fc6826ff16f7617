"""The main flows in a real browser, with axe checking every page visited.

Each test starts from the demo installation (two agencies, one login per role), so the
pages look as a newcomer sees them after `make demo`.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from edcoop import demo
from edcoop.core import audit
from edcoop.members.models import Membership

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD


def test_anonymous_visitor_applies_for_membership_with_the_keyboard(page: Page, demo_data):
    page.goto("/")
    assert_accessible(page, "home")
    page.get_by_role("link", name="Become a member").first.click()
    assert_accessible(page, "join")
    # Sending the form empty names each missing field in an error summary that takes focus.
    page.get_by_role("button", name="Send application").click()
    summary = page.locator(":focus")
    assert "Institution name" in summary.inner_text()
    assert_accessible(page, "join-errors")
    page.get_by_label("Institution name").fill("Wayne Hills CSD")
    page.get_by_label("Kind of institution").select_option("public_k12")
    page.get_by_label("State (required)").select_option("NY")
    page.get_by_label("Your name").fill("Jo Park")
    page.get_by_label("Your e-mail").fill("jpark@whcsd.example.org")
    page.get_by_label("Your e-mail").press("Enter")
    page.wait_for_url(re.compile(r"/join/thanks/"))
    assert_accessible(page, "join-thanks")
    membership = Membership.objects.get(institution__name="Wayne Hills CSD")
    assert membership.status == Membership.Status.APPLICANT


def test_agency_admin_approves_an_application_with_the_keyboard(page: Page, demo_data):
    login(page, "admin@lakes.example.org", PASSWORD)
    assert_accessible(page, "agency-dashboard")
    page.get_by_role("link", name="Applications").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/$"))
    assert_accessible(page, "applications")
    page.get_by_role("link", name="Approve Seneca Falls Academy Charter School").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/approve/$"))
    assert_accessible(page, "approve")
    page.get_by_label("Component district").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the service area
    page.keyboard.press("Tab")  # the approve button
    assert page.locator(":focus").text_content() == "Approve membership"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/$"))
    membership = Membership.objects.get(institution__name="Seneca Falls Academy Charter School")
    assert membership.status == Membership.Status.ACTIVE
    assert membership.component is True
    assert any("dwhitfield@sfacs.example.org" in m.to for m in mail.outbox)
    assert audit.verify() == []


def test_agency_console_pages_pass_axe(page: Page, demo_data):
    login(page, "admin@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/members/")
    assert_accessible(page, "agency-members")
    page.get_by_label("Search").fill("Alder")
    page.get_by_label("Search").press("Enter")
    page.wait_for_load_state()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link").first.click()
    assert_accessible(page, "member-detail")
    page.goto("/a/lakes/suppliers/")
    assert_accessible(page, "agency-suppliers")
    assert "16-4820117" not in page.content()
    page.goto("/a/lakes/audit/")
    assert_accessible(page, "audit-trail")


def test_member_user_sees_only_its_own_institution(page: Page, demo_data):
    login(page, "superintendent@alder.example.org", PASSWORD)
    assert "Alder Creek CSD" in page.locator("h1").inner_text()
    assert_accessible(page, "member-portal")
    other = Membership.objects.get(institution__name="Birch Hollow CSD").institution
    response = page.goto(f"/a/lakes/institution/{other.pk}/")
    assert response.status == 404
    assert_accessible(page, "not-found")
    assert page.goto("/a/lakes/members/").status == 403


def test_supplier_logs_in_to_its_company_page(page: Page, demo_data):
    login(page, "rep@empirepaper.example.com", PASSWORD)
    assert "Empire Paper" in page.locator("h1").inner_text()
    assert "**-***0117" in page.content()
    assert "16-4820117" not in page.content()
    assert_accessible(page, "supplier-portal")
    assert page.goto("/a/nation/suppliers/").status == 404


def test_each_role_start_page_passes_axe(page: Page, demo_data):
    for username in (
        "purchasing@lakes.example.org", "business@lakes.example.org",
        "evaluator@lakes.example.org", "auditor@lakes.example.org",
        "finance@alder.example.org", "buyer@gpsu.example.edu",
    ):  # fmt: skip
        page.context.clear_cookies()
        login(page, username, PASSWORD)
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        assert_accessible(page)


def test_keyboard_only_sign_in_from_the_skip_link(page: Page, demo_data):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.text_content().strip() == "Skip to main content"
    # Focus is visible: the focused link draws an outline.
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    for _ in range(10):
        page.keyboard.press("Tab")
        if (page.locator(":focus").text_content() or "").strip() == "Sign in":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    # The username field has focus on arrival.
    assert page.locator(":focus").get_attribute("name") == "username"
    page.keyboard.type("auditor@lakes.example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.get_by_role("link", name="Audit trail").count() >= 1


def test_the_accessibility_check_itself_catches_a_violation(page: Page, live_server):
    page.goto("/")
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)
    page.problems.clear()  # the broken image's 404 is this test's own doing


def test_import_runs_as_a_job_whose_page_follows_its_progress(page: Page, demo_data):
    from importlib import resources

    from playwright.sync_api import expect

    from edcoop.core.models import Job

    login(page, "admin@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/members/")
    page.get_by_role("link", name="Import institutions from CSV").click()
    assert_accessible(page, "import")
    sample = resources.files("edcoop").joinpath("samples/centennial_boces_members.csv")
    page.get_by_label("CSV file").set_input_files(str(sample))
    page.get_by_role("button", name="Start the import").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    assert "Finished" in page.locator("main").inner_text()
    assert_accessible(page, "import-result")

    # A job still running: the bar shows its progress and the page turns into the result.
    # (The demo has jobs of its own, e.g. the auditor's verification: take the import's.)
    started = Job.objects.filter(kind="institution_import").latest("pk")
    job = Job.objects.create(
        kind="institution_import", title="Import of big.csv", agency_id=started.agency_id,
        created_by=started.created_by, status=Job.Status.RUNNING, done=3, total=10,
    )  # fmt: skip
    page.goto(f"/a/lakes/jobs/{job.pk}/")
    assert page.locator("progress").get_attribute("value") == "30"
    assert_accessible(page, "job-running")
    Job.objects.filter(pk=job.pk).update(done=6)
    expect(page.locator("[data-job-status]")).to_have_text("6 of 10 done.")
    assert page.locator("progress").get_attribute("value") == "60"
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED, done=10, result={"created": 10}
    )
    page.get_by_role("heading", name="Result").wait_for()
    assert "Finished" in page.locator("main").inner_text()
