"""Billing pages: the role matrix, tenant isolation, CSP, the run-and-post flow, downloads."""

from __future__ import annotations

import pytest
from tests.web.conftest import ALL_ROLES, assert_audited, assert_csp_clean, client_for

from edcoop.billing.models import BillingRun, Invoice

AGENCY_PAGES = {"agency_admin": 200, "business_office": 200, "auditor": 200}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_billing_home_role_matrix(year, role):
    response = client_for(year.tenant.users[role]).get("/a/north/billing/")
    assert response.status_code == AGENCY_PAGES.get(role, 403)
    if response.status_code == 200:
        assert_csp_clean(response.content.decode())


def test_other_agency_is_404(year, nation, posted):
    invoice = Invoice.objects.filter(run=posted).first()
    client = client_for(nation.users["agency_admin"])
    assert client.get("/a/north/billing/").status_code == 404
    assert client.get(f"/a/north/billing/invoices/{invoice.pk}/").status_code == 404
    assert client.get(f"/a/nation/billing/invoices/{invoice.pk}/").status_code == 404


def test_business_office_computes_and_posts_a_run(year):
    user = year.tenant.users["business_office"]
    client = client_for(user)
    response = client.post("/a/north/billing/", {"period": "2026-09"}, follow=True)
    assert response.status_code == 200
    run = BillingRun.objects.get(agency=year.tenant.agency, period=year.sept)
    assert "Draft" in response.content.decode()
    assert_audited("billing.run.compute", user)
    page = client.get(f"/a/north/billing/runs/{run.pk}/post/")
    assert_csp_clean(page.content.decode())
    client.post(f"/a/north/billing/runs/{run.pk}/post/", {})
    run.refresh_from_db()
    assert run.status == BillingRun.Status.POSTED
    assert_audited("billing.run.post", user)
    response = client.post("/a/north/billing/", {"period": "2026-09"})
    assert "already posted" in response.content.decode()
    assert 'id="id_period_error"' in response.content.decode()


def test_bad_period_names_the_field(year):
    response = client_for(year.tenant.users["business_office"]).post(
        "/a/north/billing/", {"period": "March"}
    )
    body = response.content.decode()
    assert 'id="id_period_error"' in body and 'href="#id_period"' in body
    assert not BillingRun.objects.exists()


def test_member_sees_only_its_own_invoices(year, posted):
    mine = Invoice.objects.get(run=posted, institution=year.a)
    other = Invoice.objects.get(run=posted, institution=year.b)
    client = client_for(year.tenant.users["member_finance"])
    page = client.get(f"/a/north/institution/{year.a.pk}/billing/")
    assert page.status_code == 200
    body = page.content.decode()
    assert_csp_clean(body)
    assert mine.display_number in body
    assert client.get(f"/a/north/billing/invoices/{mine.pk}/").status_code == 200
    assert client.get(f"/a/north/billing/invoices/{other.pk}/").status_code == 404
    assert client.get(f"/a/north/institution/{year.b.pk}/billing/").status_code == 404
    buyer = client_for(year.tenant.users["member_buyer"])
    assert buyer.get(f"/a/north/institution/{year.a.pk}/billing/").status_code == 403


def test_invoice_downloads(year, posted):
    invoice = Invoice.objects.get(run=posted, institution=year.a)
    client = client_for(year.tenant.users["auditor"])
    base = f"/a/north/billing/invoices/{invoice.pk}/"
    page = client.get(base)
    assert_csp_clean(page.content.decode())
    csv = client.get(base + "?format=csv")
    assert "300.010 Speech therapy" in csv.content.decode("utf-8-sig")
    xlsx = client.get(base + "?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    pdf = client.get(base + "pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("path", ["services/", "billing/invoices/", "billing/year-end/2027/"])
def test_other_agency_pages_render_clean(year, posted, path):
    response = client_for(year.tenant.users["auditor"]).get(f"/a/north/{path}")
    assert response.status_code == 200
    assert_csp_clean(response.content.decode())


def test_billing_staff_review_a_draft_invoice_that_members_cannot_see(year):
    """A draft run's invoices open for the business office, never for the member."""
    from django.test import Client

    from edcoop.billing.runs import billing_run_compute

    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    invoice = run.invoices.get(institution=year.a)
    staff_client, member_client = Client(), Client()
    staff_client.force_login(year.tenant.users["business_office"])
    member_client.force_login(year.tenant.users["member_finance"])
    run_page = staff_client.get(f"/a/north/billing/runs/{run.pk}/").content.decode()
    url = f"/a/north/billing/invoices/{invoice.pk}/"
    assert f'href="{url}"' in run_page
    body = staff_client.get(url).content.decode()
    assert "(draft)" in body and "gets its number" in body
    assert "Issue a credit memo" not in body
    assert member_client.get(url).status_code == 404


def test_without_pango_the_pdf_link_explains_instead_of_failing(posted, monkeypatch):
    """A server missing WeasyPrint's system libraries answers with a message, not a 500."""
    import builtins

    from django.test import Client

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    invoice = posted.invoices.first()
    client = Client()
    client.force_login(invoice.agency.role_assignments.get(role="business_office").user)
    url = f"/a/north/billing/invoices/{invoice.pk}/"
    response = client.get(url + "pdf/", follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "PDF invoices are not available on this server" in response.content.decode()
