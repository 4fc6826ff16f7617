"""The business office's home puts the billing work first; a member's portal shows its
balance and the next step; nobody sees a "None"."""

from __future__ import annotations

from django.test import Client

from edcoop.billing.runs import billing_run_compute, billing_run_post


def page(user, url):
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_business_office_is_asked_to_post_the_draft(year):
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    body = page(year.tenant.users["business_office"], "/a/north/")
    first = body.index("Next step")
    assert "Review and post the September 2026 billing run" in body[first : first + 400]
    assert f"/a/north/billing/runs/{run.pk}/" in body
    assert "Compute the July 2026 billing run" in body  # July has begun and was never billed
    assert "Review applications" not in body
    # Those who may not post are not told to.
    for role in ("auditor", "procurement_officer", "evaluator"):
        assert "Review and post" not in page(year.tenant.users[role], "/a/north/"), role


def test_member_portal_shows_balance_and_next_step(year):
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    billing_run_post(user=year.admin, run=run)
    invoice = run.invoices.get(institution=year.a)
    body = page(year.tenant.users["member_finance"], f"/a/north/institution/{year.a.pk}/")
    main = body.split("<main", 1)[1]
    assert "Next step" in main and "Pay $" in main and "on 1 invoice" in main
    assert f"${invoice.total:,.2f}" in main and "Balance due" in main
    assert "None" not in main
    assert main.count(">Active<") <= 1  # the status once


def test_member_page_links_to_its_statement_and_the_payment_form(year):
    membership = year.a.membership
    body = page(year.tenant.users["business_office"], f"/a/north/members/{membership.pk}/")
    assert f"/a/north/institution/{year.a.pk}/billing/" in body
    assert f"/a/north/institution/{year.a.pk}/billing/payment/" in body
    auditor = page(year.tenant.users["auditor"], f"/a/north/members/{membership.pk}/")
    assert f"/a/north/institution/{year.a.pk}/billing/" in auditor
    assert "Record a payment" not in auditor


def test_run_page_compares_with_last_month_and_puts_post_after_the_list(year):
    from datetime import date

    from edcoop.services import services as svc

    sept = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    billing_run_post(user=year.admin, run=sept)
    svc.usage_record(user=year.admin, institution=year.a, service=year.s["rate"],
                     period=date(2026, 10, 1), quantity=2)  # fmt: skip
    octo = billing_run_compute(user=year.admin, agency=year.tenant.agency,
                               period=date(2026, 10, 1))  # fmt: skip
    body = page(year.tenant.users["business_office"], f"/a/north/billing/runs/{octo.pk}/")
    assert "September 2026" in body and "Total of the run" in body
    change = octo.total - sept.total
    assert f"{'+' if change > 0 else ''}{'-' if change < 0 else ''}${abs(change):,.2f}" in body
    assert body.index("Total of the run") < body.index("Post ")


def test_billing_home_offers_the_month_ready_to_bill(year):
    body = page(year.tenant.users["business_office"], "/a/north/billing/")
    assert 'value="2026-07"' in body  # FY2027 starts in July; no month was billed yet
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    assert run.period.month == 9
