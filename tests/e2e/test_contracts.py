"""Contracts and purchasing in a real browser, axe on every page: a district buyer finds the
copy-paper contract, sees it is eligible and compliant, orders at the tier price and
receives the goods; the finance officer approves the order above the threshold; the
national cooperative reads a supplier's quarterly report, its fee invoice and patronage."""

from __future__ import annotations

import re
from decimal import Decimal

from edcoop import demo
from edcoop.contracts.models import PurchaseOrder, SalesReport

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD


def test_buyer_orders_at_the_tier_price_and_the_cooperative_reads_its_reports(
    page: Page, demo_data: None
) -> None:
    login(page, "buyer@alder.example.org", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Contracts").first.click()
    page.wait_for_url(re.compile(r"/a/lakes/contracts/$"))
    assert_accessible(page, "contracts-catalogue")
    page.get_by_label("Keyword").fill("copy paper")
    page.get_by_label("Eligible for").select_option(label="Alder Creek CSD")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_text("Showing what Alder Creek CSD may buy today").is_visible()
    assert_accessible(page, "contracts-search")
    page.get_by_role("link", name=re.compile(r"^LK-C-2026-01 ")).click()
    page.wait_for_url(re.compile(r"/a/lakes/contracts/\d+/$"))
    checklist = page.get_by_role("table").first.inner_text()
    assert "No\t" not in checklist and "Unknown" not in checklist
    assert_accessible(page, "contracts-contract")
    page.get_by_role("link", name="Order under this contract").click()
    page.wait_for_url(re.compile(r"/order/$"))
    assert_accessible(page, "contracts-order-new")
    # Zero is refused, named; then 120 reams earn the 100-ream tier.
    page.get_by_label("Line 1: Item (SKU)").fill("CP-8511")
    page.get_by_label("Line 1: quantity").fill("0")
    page.get_by_role("button", name="Save draft order").click()
    assert "more than zero" in page.locator(".error-summary, [role=alert]").first.inner_text()
    assert_accessible(page, "contracts-order-errors")
    page.get_by_label("Line 1: quantity").fill("120")
    page.get_by_role("button", name="Save draft order").click()
    page.wait_for_url(re.compile(r"/a/lakes/orders/\d+/$"))
    order = PurchaseOrder.objects.filter(institution__name="Alder Creek CSD").order_by("-pk")[0]
    assert order.total == Decimal("468.00")  # 120 x $3.90
    assert_accessible(page, "contracts-order-draft")
    for button in ("Approve", "Mark sent to supplier", "Record goods received"):
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
    order.refresh_from_db()
    assert order.status == "received"
    assert_accessible(page, "contracts-order-received")
    pdf = page.page.request.get(page.page.url + "pdf/")
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    # The order above the threshold waits for the finance officer.
    page.page.context.clear_cookies()
    login(page, "finance@alder.example.org", PASSWORD)
    big = PurchaseOrder.objects.get(institution__name="Alder Creek CSD", status="draft")
    page.goto(f"/a/lakes/orders/{big.pk}/")
    assert "finance officer approves" in page.page.content()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    big.refresh_from_db()
    assert big.status == "approved"

    page.page.context.clear_cookies()
    login(page, "business@lakes.example.org", PASSWORD)
    for path, name in [("/a/lakes/contracts/dashboard/", "contracts-dashboard"),
                       ("/a/lakes/savings/", "contracts-savings")]:  # fmt: skip
        assert page.goto(path).status == 200, path
        assert_accessible(page, name)
    page.page.context.clear_cookies()
    login(page, "purchasing@lakes.example.org", PASSWORD)
    page.goto("/a/lakes/contracts/new/")
    assert_accessible(page, "contracts-new")

    page.page.context.clear_cookies()
    login(page, "admin@nation.example.org", PASSWORD)
    page.goto("/a/nation/sales-reports/")
    assert "Missing" in page.page.content()
    assert_accessible(page, "contracts-sales-reports")
    report = SalesReport.objects.filter(agency__slug="nation", version=1).order_by(
        "-year", "-quarter")[0]  # fmt: skip
    page.goto(f"/a/nation/sales-reports/{report.pk}/")
    assert f"Admin fee invoice {report.fee_invoice.number}" in page.page.content()
    assert_accessible(page, "contracts-sales-report")
    amended = SalesReport.objects.get(agency__slug="nation", version=2)
    page.goto(f"/a/nation/sales-reports/{amended.pk}/")
    assert "Versions of the" in page.page.content()
    assert_accessible(page, "contracts-sales-report-amended")
    page.goto(f"/a/nation/sales-reports/{amended.pk}/amend/")
    assert_accessible(page, "contracts-sales-report-amend")
    page.goto("/a/nation/contracts/purchasing/?period=month")
    assert "Spend by period" in page.page.content()
    assert_accessible(page, "contracts-purchasing")
    page.goto("/a/nation/patronage/")
    assert "FY" in page.get_by_role("table").first.inner_text()
    assert_accessible(page, "contracts-patronage")
