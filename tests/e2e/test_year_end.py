"""The year-end in a real browser, axe on every page: the business office reads the true-up
checklist of a fully billed FY2026 (one actual cost missing), is refused the true-up, enters
the cost (choosing to absorb that service's deficit), records a member's choice to carry its
refund, posts the true-up and closes the year; a payment dated into the closed year is
refused; the business office cannot reopen it; the agency administrator reopens it with a
reason and closes it again.

Small on purpose: agency north, two districts, three services, the twelve months of FY2026
(July 2025 to June 2026, all begun whenever this runs) posted in the fixture."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from tests.conftest import PASSWORD

from edcoop.billing.models import BillingRun, CreditMemo, Invoice, YearClose
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.members import services as member_services
from edcoop.services import services as svc
from edcoop.services.fiscal import fiscal_year_periods
from edcoop.services.models import Subscription

from .conftest import Page, assert_accessible, login

FY = 2026


@pytest.fixture
def billed_year(north: Any, live_server: Any) -> Any:
    admin = north.users["agency_admin"]
    agency = north.agency
    a, b = north.institutions
    for inst, rwada in ((a, D("1000.00")), (b, D("3000.00"))):
        member_services.membership_year_set(
            user=admin, membership=inst.membership, fiscal_year=FY, enrollment=900,
            rwada=rwada, aid_ratio=D("0.5000"), full_value=D("1000000.00"),
        )  # fmt: skip
    rate = svc.service_create(
        user=admin, agency=agency, code="300.010", name="Speech therapy", coser_group="300",
        unit="hour", charge_method="rate", unit_rate=D("45.0000"),
    )  # fmt: skip
    share = svc.service_create(
        user=admin, agency=agency, code="001.000", name="Administration", coser_group="001",
        charge_method="pool_by_share", share_basis="rwada", aidable=False,
    )  # fmt: skip
    flat = svc.service_create(
        user=admin, agency=agency, code="601.200", name="Data privacy", coser_group="600",
        charge_method="flat", flat_amount=D("1200.00"),
    )  # fmt: skip
    svc.service_year_set(user=admin, service=share, fiscal_year=FY, budget=D("12000.00"),
                         actual_cost=D("11000.00"))  # fmt: skip
    svc.service_year_set(user=admin, service=rate, fiscal_year=FY, budget=D("0"),
                         actual_cost=D("300.00"))  # fmt: skip
    for inst in (a, b):
        for service in (rate, share, flat):
            svc.subscription_set(user=admin, institution=inst, service=service, fiscal_year=FY,
                                 quantity=D("12"))  # fmt: skip
    svc.usage_record(user=admin, institution=a, service=rate, period=date(2025, 9, 1),
                     quantity=D("10"))  # fmt: skip
    for period in fiscal_year_periods(FY, agency.fiscal_year_start_month):
        run = billing_run_compute(user=admin, agency=agency, period=period)
        billing_run_post(user=admin, run=run)
    return north, flat


def test_business_office_closes_the_year_and_the_agency_admin_reopens_it(
    page: Page, billed_year: Any
):
    north, flat = billed_year
    a = north.institutions[0]
    login(page, "north-business_office", PASSWORD)
    page.goto(f"/a/north/billing/year-end/{FY}/")
    assert_accessible(page, "year-end-checklist")
    checklist = page.locator("ul.checklist").inner_text()
    assert "12 months posted" in checklist and "Missing: 601.200" in checklist

    # The true-up is refused while the checklist is not complete, and says why.
    page.get_by_role("link", name=f"Post FY{FY} true-up and close the year").click()
    page.wait_for_url(re.compile(r"/post/$"))
    assert_accessible(page, "year-end-confirm-incomplete")
    page.get_by_role("button", name=f"Post FY{FY} true-up and close").click()
    assert "601.200" in page.locator(".error-summary, [role=alert]").first.inner_text()
    assert not BillingRun.objects.filter(kind=BillingRun.Kind.TRUE_UP).exists()

    # The effective-date pages pass axe too (their rules are tested in tests/billing).
    sub = Subscription.objects.get(institution=a, service=flat, fiscal_year=FY)
    for path, name in [(f"/a/north/members/{a.membership.pk}/dates/", "member-dates"),
                       (f"/a/north/services/subscriptions/{sub.pk}/dates/", "subscription-dates"),
                       (f"/a/north/services/{flat.pk}/stop/", "service-stop")]:  # fmt: skip
        assert page.goto(path).status == 200, path
        assert_accessible(page, name)
    # A last day more than a year ahead is refused and named.
    page.get_by_label("Last day delivered").fill("2031-01-01")
    page.get_by_role("button", name=f"Stop delivering {flat.code}").click()
    assert "within a year" in page.locator(".error-summary, [role=alert]").first.inner_text()
    assert_accessible(page, "service-stop-errors")

    # The data privacy service cost more than it billed; the agency absorbs the deficit.
    page.goto(f"/a/north/billing/budget/{FY}/service/{flat.pk}/")
    assert_accessible(page, "year-end-service-terms")
    page.get_by_label("Actual cost").fill("2600.00")
    page.get_by_label("A deficit at year end").select_option("absorb")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/billing/budget/{FY}/$"))

    # District 1 carries its refund to next year's invoices.
    page.goto(f"/a/north/institution/{a.pk}/billing/refunds/{FY}/")
    assert_accessible(page, "year-end-refund-choice")
    page.get_by_label("Carry to next year's invoices").check()
    page.get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_url(re.compile(rf"/institution/{a.pk}/billing/$"))

    page.goto(f"/a/north/billing/year-end/{FY}/")
    assert "Missing" not in page.locator("ul.checklist").inner_text()
    page.get_by_role("link", name=f"Post FY{FY} true-up and close the year").click()
    page.wait_for_url(re.compile(r"/post/$"))
    assert_accessible(page, "year-end-confirm")
    page.get_by_role("button", name=f"Post FY{FY} true-up and close").click()
    page.wait_for_url(re.compile(r"/billing/runs/\d+/$"))
    assert_accessible(page, "year-end-true-up-run")
    run = BillingRun.objects.get(kind=BillingRun.Kind.TRUE_UP, fiscal_year=FY)
    assert run.status == BillingRun.Status.POSTED
    # 10 hours of speech therapy billed $450 against a $300 cost: $150 back to District 1
    # as a credit memo it carries; the administration surplus ($1,000) split by RWADA.
    memo = CreditMemo.objects.get(run=run, institution=a)
    assert memo.disposition == CreditMemo.Disposition.CARRY
    assert memo.amount == D("150.00") + D("250.00")
    assert not Invoice.objects.filter(run=run, total__lt=0).exists()
    assert YearClose.objects.get(fiscal_year=FY).closed

    page.goto(f"/a/north/billing/year-end/{FY}/")
    assert_accessible(page, "year-end-closed")
    assert f"FY{FY} was closed" in page.locator(".notice").first.inner_text()
    # Nothing is dated into the closed year: a payment received in March 2026 is refused.
    page.goto(f"/a/north/institution/{a.pk}/billing/payment/")
    page.get_by_label("Amount").fill("10.00")
    page.get_by_label("Received on").fill("2026-03-15")
    page.get_by_role("button", name="Record payment").click()
    assert f"FY{FY} is closed" in page.locator(".error-summary, [role=alert]").first.inner_text()
    assert_accessible(page, "year-end-closed-payment-refused")
    # Only the agency administrator reopens.
    assert page.get_by_role("link", name=f"Reopen FY{FY}").count() == 0
    assert page.goto(f"/a/north/billing/year-end/{FY}/reopen/").status == 403

    page.context.clear_cookies()
    login(page, "north-agency_admin", PASSWORD)
    # Withdrawing a member asks for its effective day (the confirmation page, without script).
    page.goto(f"/a/north/members/{north.institutions[1].membership.pk}/status/withdrawn/")
    assert_accessible(page, "member-withdraw-effective")
    assert page.get_by_label("Effective on").is_visible()
    page.goto(f"/a/north/billing/year-end/{FY}/")
    page.get_by_role("link", name=f"Reopen FY{FY}").click()
    page.wait_for_url(re.compile(r"/reopen/$"))
    assert_accessible(page, "year-end-reopen")
    page.get_by_role("button", name=f"Reopen FY{FY}").click()
    assert "reason" in page.locator(".error-summary, [role=alert]").first.inner_text().lower()
    page.get_by_label("Reason").fill("Speech therapy hours of May were recorded twice")
    page.get_by_role("button", name=f"Reopen FY{FY}").click()
    page.wait_for_url(re.compile(rf"/billing/year-end/{FY}/$"))
    assert_accessible(page, "year-end-reopened")
    assert "recorded twice" in page.locator(".notice.warning").first.inner_text()
    assert not YearClose.objects.get(fiscal_year=FY).closed
    event = AuditEvent.objects.filter(action="billing.year.reopen").get()
    assert event.actor_id == north.users["agency_admin"].pk
    page.get_by_role("button", name=f"Close FY{FY} again").click()
    page.wait_for_url(re.compile(rf"/billing/year-end/{FY}/$"))
    assert YearClose.objects.get(fiscal_year=FY).closed
    assert audit.verify() == []
