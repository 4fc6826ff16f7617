"""A 375 px phone: the list pages that used to scroll sideways do not, their tables scroll
inside named regions that are tab stops only while they scroll, and axe finds nothing."""

from __future__ import annotations

import pytest

from edcoop import demo
from edcoop.billing.models import Invoice
from edcoop.procurement.models import Response, Solicitation

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD

# Each page, the width of the page itself must stay within the phone's.
WIDER_THAN_VIEWPORT = "() => document.documentElement.scrollWidth - window.innerWidth"
REGIONS = """() => Array.from(document.querySelectorAll('.table-scroll')).map(r => ({
  scrolls: r.scrollWidth > r.clientWidth + 1,
  focusable: r.getAttribute('tabindex') === '0',
  role: r.getAttribute('role'),
  named: !!(r.getAttribute('aria-label') || r.getAttribute('aria-labelledby')),
}))"""


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size({"width": 375, "height": 800})
    return page


def check(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    overflow = page.evaluate(WIDER_THAN_VIEWPORT)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at 375 px"
    for region in page.evaluate(REGIONS):
        assert region["role"] == "region" and region["named"], (path, region)
        assert region["focusable"] == region["scrolls"], (path, region)
    assert_accessible(page)


def test_join_form_fields_say_what_to_autofill(phone: Page, demo_data: None) -> None:
    phone.goto("/a/lakes/join/")
    tokens = {
        "Your name": "name",
        "Your e-mail": "email",
        "Your phone": "tel",
        "Your title": "organization-title",
        "Institution name": "organization",
    }
    for label, token in tokens.items():
        assert phone.get_by_label(label, exact=False).first.get_attribute("autocomplete") == token


def test_list_pages_fit_a_phone(phone: Page, demo_data: None) -> None:
    lakes = "/a/lakes/"
    login(phone, "admin@lakes.example.org", PASSWORD)
    bid = Solicitation.objects.filter(agency__slug="lakes").exclude(status="draft").first()
    invoice = Invoice.objects.filter(agency__slug="lakes", status="issued").first()
    for path in [
        lakes, "members/", "members/applications/", "suppliers/", "services/requests/",
        "solicitations/", "bids/", f"solicitations/{bid.pk}/", "billing/invoices/", "audit/",
        f"billing/invoices/{invoice.pk}/", "join/",
    ]:  # fmt: skip
        check(phone, path if path.startswith("/") else lakes + path)
    response = Response.objects.filter(solicitation__agency__slug="lakes").first()
    supplier = response.supplier
    rep = supplier.staff.first().user
    phone.page.context.clear_cookies()
    login(phone, rep.username, PASSWORD)
    base = f"{lakes}supplier/{supplier.pk}/"
    receipt = f"{base}bids/{response.solicitation_id}/receipts/{response.pk}/"
    for path in [base, base + "bids/", receipt]:
        check(phone, path)


def test_contract_money_pages_fit_a_phone(phone: Page, demo_data: None) -> None:
    """The crawl found the patronage years and the purchasing tables wider than a phone."""
    login(phone, "admin@nation.example.org", PASSWORD)
    for path in ["patronage/", "contracts/dashboard/", "contracts/purchasing/"]:
        check(phone, "/a/nation/" + path)
