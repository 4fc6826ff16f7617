"""Cooperative bids in a real browser, axe on every page: a supplier revises its sealed
response with the keyboard; anyone reads the tabulation of an opened bid; the officer's
console shows the sealed register."""

from __future__ import annotations

import re

from edcoop import demo
from edcoop.procurement.models import Response

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD


def test_supplier_submits_a_response_with_the_keyboard(page: Page, demo_data):
    login(page, "rep@empirepaper.example.com", PASSWORD)
    page.get_by_role("link", name="Bids").first.click()
    assert_accessible(page, "supplier-bids")
    page.get_by_role("link", name="LK-2027-01", exact=True).click()
    assert_accessible(page, "supplier-respond")
    # A missing line of an all-or-none lot is refused, named, and the summary takes focus.
    price = page.get_by_label(re.compile(r"^Unit price for 1\.02"))
    price.fill("")
    price.press("Enter")
    summary = page.locator(":focus")
    assert "1.02" in summary.inner_text()
    assert_accessible(page, "supplier-respond-errors")
    page.get_by_label(re.compile(r"^Unit price for 1\.01")).fill("38.10")
    price = page.get_by_label(re.compile(r"^Unit price for 1\.02"))
    price.fill("43.95")
    for label in ("Non-collusive", "Debarment", "Certificate of insurance", "Addendum 1"):
        box = page.get_by_label(re.compile(label))
        if not box.is_checked():
            box.focus()
            box.press("Space")
    price.press("Enter")
    page.wait_for_url(re.compile(r"/receipts/\d+/$"))
    assert_accessible(page, "supplier-receipt")
    current = Response.objects.get(is_current=True, supplier__dba="Empire Paper",
                                   solicitation__number="LK-2027-01")  # fmt: skip
    assert current.version == 2
    assert current.content_sha256 in page.locator("main").inner_text()


def test_public_tabulation_of_an_opened_bid(page: Page, demo_data):
    page.goto("/a/lakes/")
    page.get_by_role("link", name="Solicitations and bid tabulations").click()
    assert_accessible(page, "public-solicitations")
    page.get_by_role("link", name="LK-2027-01", exact=True).click()
    assert_accessible(page, "public-solicitation")
    page.goto("/a/lakes/bids/")
    page.get_by_role("link", name="Bid tabulation of LK-2026-03").click()
    assert_accessible(page, "public-tabulation")
    text = page.locator("main").inner_text()
    assert "Lowest" in text and "NECP" in text and "non-responsive" in text


def test_officer_console_shows_only_envelopes_before_opening(page: Page, demo_data):
    login(page, "purchasing@lakes.example.org", PASSWORD)
    page.get_by_role("link", name="Solicitations").first.click()
    assert_accessible(page, "console-solicitations")
    page.get_by_role("link", name="LK-2027-01", exact=True).click()
    assert_accessible(page, "console-solicitation")
    text = page.locator("main").inner_text()
    assert "sealed until the public opening" in text and "38.40" not in text
    page.get_by_role("link", name="Issue addendum").click()
    assert_accessible(page, "console-addendum")


def test_officer_edits_a_draft_with_the_keyboard(page: Page, demo_data):
    from datetime import timedelta

    from django.contrib.auth import get_user_model

    from edcoop.members.models import Agency
    from edcoop.procurement import drafting, timing

    officer = get_user_model().objects.get(username="purchasing@lakes.example.org")
    now = timing.now()
    s = drafting.solicitation_create(
        user=officer, agency=Agency.objects.get(slug="lakes"), number="LK-2027-09",
        title="Bus parts", responses_due_at=now + timedelta(days=20),
        opening_at=now + timedelta(days=20, hours=1),
    )  # fmt: skip
    lot = drafting.lot_add(user=officer, solicitation=s, title="Brakes")
    drafting.item_add(user=officer, lot=lot, number="1.01", description="Brake pads", unit="set")
    drafting.item_add(user=officer, lot=lot, number="1.02", description="Rotors", unit="each")
    login(page, "purchasing@lakes.example.org", PASSWORD)
    page.goto(f"/a/lakes/solicitations/{s.pk}/")
    assert_accessible(page, "console-draft")
    page.get_by_role("link", name="Edit item 1.01").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/items/\d+/edit/$"))
    assert_accessible(page, "console-item-edit")
    description = page.get_by_label(re.compile(r"^Description"))
    description.fill("Brake pads, ceramic")
    description.press("Enter")
    page.wait_for_url(re.compile(rf"/solicitations/{s.pk}/$"))
    assert "Brake pads, ceramic" in page.locator("main").inner_text()
    page.get_by_role("link", name="Delete item 1.02").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/items/\d+/delete/$"))
    assert_accessible(page, "console-item-delete")
    page.get_by_role("button", name="Delete item 1.02").press("Enter")
    page.wait_for_url(re.compile(rf"/solicitations/{s.pk}/$"))
    assert "Item 1.02 deleted" in page.locator("[role=status]").first.inner_text()
    assert "Rotors" not in page.locator("main").inner_text()
    assert list(s.items.values_list("number", flat=True)) == ["1.01"]
