"""Governance in a real browser, axe on every page: anyone reads the agency's public records;
the procurement officer checks a purchase against the rules and resolves a flag on the
compliance monitor; a member's business official opens its annual report and downloads the
PDF; the business office reads the published savings study."""

from __future__ import annotations

import re

from edcoop import demo
from edcoop.governance.models import FlagReview

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD


def test_anyone_reads_the_public_records(page: Page, demo_data):
    page.goto("/a/lakes/transparency/")
    main = page.locator("main")
    text = main.inner_text()
    assert "Lakes Region BOCES: public records" in text
    # Bids opened, awards with their basis and the contracts they became, without a sign-in.
    openings = page.locator("section", has=page.get_by_role("heading", name="Bid openings"))
    assert "LK-2026-05" in openings.inner_text()
    awards = page.locator("section", has=page.get_by_role("heading", name="Awards"))
    awarded = awards.inner_text()
    assert "LK-2026-03" in awarded and "Lowest responsible bidder" in awarded
    assert "LK-C-2026-03" in text  # the contract LK-2026-03 became
    assert_accessible(page, "governance-public-records")


def test_officer_checks_a_purchase_and_resolves_a_flag(page: Page, demo_data):
    login(page, "purchasing@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/compliance/")
    page.get_by_role("textbox", name="Jurisdiction").fill("NY")
    page.get_by_label("Funding").select_option("local")
    page.get_by_label("Kind of purchase").select_option("commodity")
    page.get_by_label("Expected amount").fill("20,000.01")
    page.get_by_role("button", name="Check").click()
    result = page.locator("#check-result").inner_text()
    # One cent over GML §103's $20,000: sealed bids.
    assert "Formal competitive procurement" in result and "GML §103" in result
    assert_accessible(page, "governance-compliance-check")

    page.goto("/a/lakes/compliance/monitor/")
    assert "no response was read before its opening" in page.locator("main").inner_text()
    assert_accessible(page, "governance-monitor")
    before = FlagReview.objects.count()
    row = page.locator("tbody tr", has_text="Sales report missing").first
    subject = row.locator("td").first.inner_text()
    row.get_by_label("Decision").select_option("explained")
    row.get_by_label("Note").fill("The supplier filed on paper; entered by hand this week.")
    row.get_by_role("button", name="Record the review").click()
    page.wait_for_load_state()
    resolved = page.locator("tbody tr", has_text=subject).first.inner_text()
    assert re.search(r"Resolved: Explained", resolved), resolved
    assert FlagReview.objects.count() == before + 1


def test_member_reads_its_annual_report_and_downloads_the_pdf(page: Page, demo_data):
    login(page, "finance@alder.example.org", PASSWORD)
    page.goto("/a/lakes/reports/annual/")
    main = page.locator("main").inner_text()
    assert "Alder Creek CSD: annual report" in main
    assert "Cost net of aid" in main and "Birch Hollow" not in main  # its own figures only
    assert_accessible(page, "governance-annual-member")
    # WeasyPrint draws the report's charts and tables: seconds on a loaded machine, more than
    # the page's 10 s default for a click.
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("link", name="PDF").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")


def test_business_office_reads_the_published_savings_study(page: Page, demo_data):
    login(page, "business@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/studies/")
    page.get_by_role("link", name="A shared Central Business Office for eight districts").click()
    text = page.locator("main").inner_text()
    assert "All districts together" in text and "Saving after aid" in text
    assert "District by district" in text and "Alder Creek CSD" in text
    assert_accessible(page, "governance-study")
