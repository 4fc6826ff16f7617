"""Shared-services billing in a real browser, axe on every page: the business office computes
and posts November 2026 (the demo has FY2026 closed, July-October 2026 posted and November's
usage recorded), walks the other billing pages (the closed year, the GL file, receipts,
memos); a member's finance officer opens its invoice and statement."""

from __future__ import annotations

import re

from edcoop import demo
from edcoop.billing.models import BillingRun, Invoice
from edcoop.core import audit

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD


def test_business_office_posts_november_and_a_member_reads_its_bill(page: Page, demo_data):
    login(page, "business@lakes.example.org", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Billing").first.click()
    page.wait_for_url(re.compile(r"/a/lakes/billing/$"))
    assert_accessible(page, "billing-home")
    # A month that is not a month is refused and named.
    page.get_by_label("Month to bill").fill("November")
    page.get_by_role("button", name="Compute draft").click()
    assert "YYYY-MM" in page.locator(".error-summary, [role=alert]").first.inner_text()
    assert_accessible(page, "billing-home-errors")
    page.get_by_label("Month to bill").fill("2026-11")
    page.get_by_role("button", name="Compute draft").click()
    page.wait_for_url(re.compile(r"/(billing/runs|jobs)/\d+/$"))
    if "/jobs/" in page.url:  # a big month runs as a job; tests run jobs at once
        page.goto(page.url)
        assert_accessible(page, "billing-run-job")
        run = BillingRun.objects.get(period="2026-11-01", kind="monthly")
        page.goto(f"/a/lakes/billing/runs/{run.pk}/")
    assert_accessible(page, "billing-run-draft")
    page.get_by_role("link", name=re.compile(r"^Post .*November 2026$")).click()
    page.wait_for_url(re.compile(r"/post/$"))
    assert_accessible(page, "billing-run-post")
    page.get_by_role("button", name=re.compile(r"^Post and issue \d+ invoices$")).click()
    page.wait_for_url(re.compile(r"/billing/runs/\d+/$"))
    assert_accessible(page, "billing-run-posted")
    run = BillingRun.objects.get(period="2026-11-01", kind="monthly")
    assert run.status == BillingRun.Status.POSTED and run.invoice_count > 0
    alder = Invoice.objects.get(run=run, institution__name__startswith="Alder Creek")
    assert alder.issued

    # The rest of the business office's billing pages, each through axe.
    for path, name in [
        ("/a/lakes/billing/invoices/", "billing-invoices"),
        (f"/a/lakes/billing/invoices/{alder.pk}/", "billing-invoice-staff"),
        (f"/a/lakes/billing/invoices/{alder.pk}/lines/{alder.lines.first().pk}/memo/",
         "billing-memo"),
        (f"/a/lakes/institution/{alder.institution_id}/billing/", "billing-member-staff"),
        (f"/a/lakes/institution/{alder.institution_id}/billing/payment/", "billing-payment"),
        ("/a/lakes/services/", "services-catalog"),
        ("/a/lakes/services/requests/", "services-requests"),
        ("/a/lakes/services/usage/new/", "services-usage"),
        ("/a/lakes/billing/budget/2027/", "billing-budget"),
        (f"/a/lakes/billing/budget/2027/member/{alder.institution_id}/", "billing-member-budget"),
        ("/a/lakes/billing/year-end/2027/", "billing-year-end"),
        ("/a/lakes/billing/year-end/2027/post/", "billing-true-up-confirm"),
        ("/a/lakes/billing/year-end/2026/", "billing-year-end-closed"),
        ("/a/lakes/billing/gl/2026/", "billing-gl"),
        ("/a/lakes/billing/receipts/", "billing-receipts"),
        (f"/a/lakes/billing/budget/2027/service/{alder.lines.first().service_id}/",
         "billing-service-terms"),
        (f"/a/lakes/institution/{alder.institution_id}/billing/refunds/2027/",
         "billing-refund-choice"),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        assert_accessible(page, name)
    # A bad payment is named in the error summary, and nothing is written.
    page.goto(f"/a/lakes/institution/{alder.institution_id}/billing/payment/")
    page.get_by_label("Amount").fill("0")
    page.get_by_role("button", name="Record payment").click()
    assert "Amount" in page.locator(":focus").inner_text()
    assert_accessible(page, "billing-payment-errors")

    # The member's finance officer reads its statement and opens the November invoice.
    page.context.clear_cookies()
    login(page, "finance@alder.example.org", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Billing").first.click()
    page.wait_for_url(re.compile(r"/institution/\d+/billing/$"))
    assert_accessible(page, "member-billing")
    assert page.get_by_role("heading", name=re.compile(r"^Statement as of")).is_visible()
    page.get_by_role("link", name=f"Invoice {alder.display_number}").click()
    page.wait_for_url(re.compile(rf"/billing/invoices/{alder.pk}/$"))
    assert_accessible(page, "member-invoice")
    assert page.get_by_role("heading", name=f"Invoice {alder.display_number}").is_visible()
    page.get_by_role("link", name="Billing").last.click()
    page.get_by_role("link", name=re.compile(r"^FY2027 budget by service$")).click()
    assert_accessible(page, "member-budget")
    page.goto("/a/lakes/services/requests/new/")
    assert_accessible(page, "member-request-new")
    assert audit.verify() == []
