"""The role matrix of every billing and services page: which roles get 200, 403 or 404.

Agency-wide pages are 403 for roles without the action; pages about one record are 404 for
a role that cannot see the record at all (existence does not leak) and 403 for one that
sees it but may not act. The member roles belong to district A; another agency is 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.web.conftest import ALL_ROLES, assert_csp_clean, client_for

from edcoop.billing import ledger
from edcoop.billing.models import Invoice
from edcoop.billing.runs import billing_run_compute
from edcoop.services import services as svc

STAFF_BILLING = {"agency_admin": 200, "business_office": 200, "auditor": 200}
WRITERS = {"agency_admin": 200, "business_office": 200}
OWN_INVOICE = {**STAFF_BILLING, "member_admin": 200, "member_finance": 200}
MEMBER_SEEN = {"procurement_officer": 403, "member_buyer": 403}  # see A, not its bills

# page -> (path template, expected by role, default for roles not listed)
PAGES = {
    "billing home": ("billing/", STAFF_BILLING, 403),
    "run detail": ("billing/runs/{run}/", STAFF_BILLING, 403),
    "run post": ("billing/runs/{draft}/post/", WRITERS, 403),
    "invoice list": ("billing/invoices/", STAFF_BILLING, 403),
    "invoice": ("billing/invoices/{invoice}/", OWN_INVOICE, 404),
    "invoice csv": ("billing/invoices/{invoice}/?format=csv", OWN_INVOICE, 404),
    "memo": ("billing/invoices/{invoice}/lines/{line}/memo/",
             {**WRITERS, "auditor": 403, "member_admin": 403, "member_finance": 403}, 404),
    "reopen": ("billing/year-end/2027/reopen/", {"agency_admin": 200}, 403),
    "aid export": ("billing/year-end/2027/aid/?format=csv", STAFF_BILLING, 403),
    "gl file": ("billing/gl/2027/", STAFF_BILLING, 403),
    "gl file of a member": ("billing/gl/2027/?member={a}", {**OWN_INVOICE, **MEMBER_SEEN},
                            404),
    "service terms": ("billing/budget/2027/service/{service}/", WRITERS, 403),
    "receipts": ("billing/receipts/", WRITERS, 403),
    "payment reverse": ("billing/payments/{payment}/reverse/", WRITERS, 403),
    "refund choice": ("institution/{a}/billing/refunds/2027/",
                      {**WRITERS, "member_admin": 200, "member_finance": 200,
                       "auditor": 403, **MEMBER_SEEN}, 404),
    "year end": ("billing/year-end/2027/", STAFF_BILLING, 403),
    "true-up": ("billing/year-end/2027/post/", WRITERS, 403),
    "budget": ("billing/budget/2027/", STAFF_BILLING, 403),
    "member budget": ("billing/budget/2027/member/{a}/",
                      {**OWN_INVOICE, **MEMBER_SEEN}, 404),
    "member billing": ("institution/{a}/billing/", {**OWN_INVOICE, **MEMBER_SEEN}, 404),
    "payment": ("institution/{a}/billing/payment/",
                {**WRITERS, "auditor": 403, "member_admin": 403, "member_finance": 403,
                 **MEMBER_SEEN}, 404),
    "catalog": ("services/", {**STAFF_BILLING, "procurement_officer": 200}, 403),
    "requests": ("services/requests/",
                 {**STAFF_BILLING, "procurement_officer": 200, "member_admin": 200,
                  "member_buyer": 200, "member_finance": 200}, 403),
    "file request": ("services/requests/new/",
                     {**WRITERS, "member_admin": 200, "member_buyer": 200,
                      "member_finance": 200}, 403),
    "approve": ("services/requests/{request}/approve/",
                {**WRITERS, "auditor": 403, "procurement_officer": 403, "member_admin": 403,
                 "member_buyer": 403, "member_finance": 403}, 404),
    "decline": ("services/requests/{request}/decline/",
                {**WRITERS, "auditor": 403, "procurement_officer": 403, "member_admin": 403,
                 "member_buyer": 403, "member_finance": 403}, 404),
    "usage": ("services/usage/new/", WRITERS, 403),
}  # fmt: skip


@pytest.fixture
def ids(year, posted):
    draft = billing_run_compute(user=None, agency=year.tenant.agency,
                                period=year.sept.replace(month=10))  # fmt: skip
    req = svc.request_file(user=None, institution=year.a, service=year.s["rate"],
                           fiscal_year=2028, kind="final", quantity=Decimal(5))  # fmt: skip
    invoice = Invoice.objects.get(run=posted, institution=year.a)
    payment = ledger.payment_record(user=None, institution=year.a, amount=Decimal("1.00"),
                                    received_on=year.sept.replace(month=11))  # fmt: skip
    return {"run": posted.pk, "draft": draft.pk, "request": req.pk, "a": year.a.pk,
            "invoice": invoice.pk, "line": invoice.lines.first().pk,
            "service": year.s["usage"].pk, "payment": payment.pk}  # fmt: skip


@pytest.mark.parametrize("page", list(PAGES))
def test_role_matrix(year, ids, page):
    template, allowed, default = PAGES[page]
    path = "/a/north/" + template.format(**ids)
    got = {role: client_for(year.tenant.users[role]).get(path) for role in ALL_ROLES}
    assert {r: resp.status_code for r, resp in got.items()} == {
        role: allowed.get(role, default) for role in ALL_ROLES
    }
    for response in got.values():
        if response.status_code == 200 and "html" in response["Content-Type"]:
            assert_csp_clean(response.content.decode())


@pytest.mark.parametrize("page", list(PAGES))
def test_other_agency_gets_404_on_every_page(year, nation, ids, page):
    template, _, _ = PAGES[page]
    client = client_for(nation.users["agency_admin"])
    assert client.get("/a/north/" + template.format(**ids)).status_code == 404
    # Their own agency's URL with our record's id is not found either (where an id is used).
    if "{" in template:
        assert client.get("/a/nation/" + template.format(**ids)).status_code == 404
