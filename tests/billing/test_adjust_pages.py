"""Payments, credit memos, the year-end true-up button and the budget pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.web.conftest import ALL_ROLES, assert_audited, assert_csp_clean, client_for

from edcoop.billing.models import BillingRun, CreditMemo, Invoice, Payment

ADJUST_OK = {"agency_admin", "business_office"}
MEMBER_ROLES = {"member_admin", "member_buyer", "member_finance"}


@pytest.fixture
def invoice(year, posted):
    return Invoice.objects.get(run=posted, institution=year.a)


# Payments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_payment_form_role_matrix(year, posted, role):
    response = client_for(year.tenant.users[role]).get(
        f"/a/north/institution/{year.a.pk}/billing/payment/")  # fmt: skip
    expected = 200 if role in ADJUST_OK else 403 if role in {"auditor", *MEMBER_ROLES} else 404
    if role == "procurement_officer":
        expected = 403  # sees the member, may not take its money
    assert response.status_code == expected
    if expected == 200:
        assert_csp_clean(response.content.decode())


def test_payment_other_agency_and_other_member_404(year, nation, posted):
    assert client_for(nation.users["agency_admin"]).get(
        f"/a/north/institution/{year.a.pk}/billing/payment/").status_code == 404  # fmt: skip
    assert client_for(year.tenant.users["member_finance"]).get(
        f"/a/north/institution/{year.b.pk}/billing/payment/").status_code == 404  # fmt: skip


def test_business_office_records_a_payment(year, invoice):
    user = year.tenant.users["business_office"]
    response = client_for(user).post(
        f"/a/north/institution/{year.a.pk}/billing/payment/",
        {"amount": "100.00", "received_on": "2026-11-20", "reference": "CHK 1042",
         "invoice": invoice.pk}, follow=True,
    )  # fmt: skip
    assert "Recorded a payment of $100.00" in response.content.decode()
    payment = Payment.objects.get()
    assert (payment.invoice, payment.amount, payment.reference) == (
        invoice, Decimal("100.00"), "CHK 1042")
    assert_audited("payment.record", user)


@pytest.mark.parametrize(
    ("field", "data"),
    [("amount", {"amount": "0"}), ("amount", {"amount": "lots"}),
     ("received_on", {"received_on": "yesterday"}), ("invoice", {"invoice": "999999"})],
)  # fmt: skip
def test_bad_payment_names_the_field_and_writes_nothing(year, invoice, field, data):
    form = {"amount": "100.00", "received_on": "2026-11-20", "reference": "", "invoice": ""}
    form.update(data)
    response = client_for(year.tenant.users["agency_admin"]).post(
        f"/a/north/institution/{year.a.pk}/billing/payment/", form)  # fmt: skip
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and f'href="#id_{field}"' in body
    assert not Payment.objects.exists()


def test_payment_cannot_name_another_members_invoice(year, posted):
    other = Invoice.objects.get(run=posted, institution=year.b)
    response = client_for(year.tenant.users["agency_admin"]).post(
        f"/a/north/institution/{year.a.pk}/billing/payment/",
        {"amount": "1.00", "received_on": "2026-11-20", "invoice": other.pk},
    )  # fmt: skip
    assert 'id="id_invoice_error"' in response.content.decode()
    assert not Payment.objects.exists()


# Credit and debit memos on a line ---------------------------------------------------------


def _memo_url(invoice):
    line = invoice.lines.get(service__code="300.010", kind="service")
    return f"/a/north/billing/invoices/{invoice.pk}/lines/{line.pk}/memo/", line


@pytest.mark.parametrize("role", ALL_ROLES)
def test_memo_page_role_matrix(year, invoice, role):
    url, _ = _memo_url(invoice)
    response = client_for(year.tenant.users[role]).get(url)
    if role in ADJUST_OK:
        expected = 200
    elif role in {"auditor", "member_admin", "member_finance"}:
        expected = 403  # they may read the invoice, not correct it
    else:
        expected = 404  # the invoice is not theirs to see
    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert_csp_clean(body)
        assert "The invoice itself never changes" in body
        assert "300.010 Speech therapy" in body


def test_memo_other_agency_is_404(year, nation, invoice):
    url, _ = _memo_url(invoice)
    client = client_for(nation.users["agency_admin"])
    assert client.get(url).status_code == 404
    assert client.get(url.replace("/a/north/", "/a/nation/")).status_code == 404


def test_business_office_issues_a_credit_memo_on_a_line(year, invoice):
    user = year.tenant.users["business_office"]
    url, line = _memo_url(invoice)
    response = client_for(user).post(
        url, {"kind": "credit", "amount": "10.00", "reason": "Two speech hours billed twice"},
        follow=True,
    )  # fmt: skip
    body = response.content.decode()
    memo = CreditMemo.objects.get()
    assert f"Issued Credit memo {memo.display_number}" in body
    assert memo.invoice == invoice and memo.reason == "Two speech hours billed twice"
    assert memo.lines.get().invoice_line == line
    assert_audited("credit_memo.issue", user)
    assert Invoice.objects.get(pk=invoice.pk).total == invoice.total  # unchanged document


@pytest.mark.parametrize(
    ("field", "data"),
    [("reason", {"reason": ""}), ("reason", {"reason": "   "}), ("amount", {"amount": "0"}),
     ("amount", {"amount": "99999999.00"}), ("amount", {"amount": "1e20"}),
     ("amount", {"amount": "NaN"}), ("amount", {"amount": "-0"})],
)  # fmt: skip
def test_bad_memo_names_the_field_and_writes_nothing(year, invoice, field, data):
    url, _ = _memo_url(invoice)
    form = {"kind": "credit", "amount": "10.00", "reason": "Billed twice"}
    form.update(data)
    response = client_for(year.tenant.users["agency_admin"]).post(url, form)
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and f'href="#id_{field}"' in body
    assert not CreditMemo.objects.exists()


def test_a_memo_of_no_known_kind_is_refused(year, invoice):
    url, _ = _memo_url(invoice)
    response = client_for(year.tenant.users["agency_admin"]).post(
        url, {"kind": "gift", "amount": "10.00", "reason": "Billed twice"})  # fmt: skip
    assert "Select a valid choice" in response.content.decode()
    assert not CreditMemo.objects.exists()


# Year-end true-up -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_true_up_page_role_matrix(year, posted, role):
    response = client_for(year.tenant.users[role]).get("/a/north/billing/year-end/2027/post/")
    assert response.status_code == (200 if role in ADJUST_OK else 403)
    if response.status_code == 200:
        assert_csp_clean(response.content.decode())


def test_true_up_other_agency_is_404(year, nation, posted):
    client = client_for(nation.users["agency_admin"])
    assert client.get("/a/north/billing/year-end/2027/post/").status_code == 404
    assert client.post("/a/north/billing/year-end/2027/post/", {}).status_code == 404
    assert not BillingRun.objects.filter(kind=BillingRun.Kind.TRUE_UP).exists()


def test_true_up_before_the_year_is_complete_says_what_is_missing(year, posted):
    client = client_for(year.tenant.users["business_office"])
    page = client.get("/a/north/billing/year-end/2027/").content.decode()
    assert "Not posted: July 2026, August 2026, October 2026" in page
    response = client.post("/a/north/billing/year-end/2027/post/", {})
    body = response.content.decode()
    assert "The true-up is not ready" in body and "June 2027" in body
    assert not BillingRun.objects.filter(kind=BillingRun.Kind.TRUE_UP).exists()


# Budget -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_budget_role_matrix(year, role):
    response = client_for(year.tenant.users[role]).get("/a/north/billing/budget/2027/")
    assert response.status_code == (
        200 if role in {"agency_admin", "business_office", "auditor"} else 403)
    if response.status_code == 200:
        body = response.content.decode()
        assert_csp_clean(body)
        # 12 devices each at a $12,000 pool: $500.00 per device; two participants.
        assert "500.100 Instructional technology" in body
        assert "$500.00 per device" in body
        assert "budget against actual" in body


def test_budget_per_member_and_tenant_isolation(year, nation):
    url = f"/a/north/billing/budget/2027/member/{year.a.pk}/"
    finance = client_for(year.tenant.users["member_finance"])
    page = finance.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert_csp_clean(body)
    assert "601.200 Data privacy" in body and "$1,380.00" in body  # 1,200 + 15 % fee
    assert finance.get(f"/a/north/billing/budget/2027/member/{year.b.pk}/").status_code == 404
    assert client_for(year.tenant.users["member_buyer"]).get(url).status_code == 403
    assert client_for(nation.users["agency_admin"]).get(url).status_code == 404
    assert client_for(nation.users["agency_admin"]).get(
        "/a/north/billing/budget/2027/").status_code == 404  # fmt: skip
    csv = client_for(year.tenant.users["auditor"]).get("/a/north/billing/budget/2027/?format=csv")
    assert "500.100" in csv.content.decode("utf-8-sig")
