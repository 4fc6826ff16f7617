"""The public portal, page by page: a visitor with no sign-in starts at the agency's public
records page, its bids, its studies and its OCDS releases, follows every link it is shown
within the agency's pages, and never reads anything sealed or private: no sealed price, no
member's invoice or purchase order, no supplier's tax ID, no member's staff e-mail, no draft
study and no withdrawn record."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.billing.conftest import posted, year  # noqa: F401
from tests.governance.test_sealed_routes import _expand
from tests.procurement.conftest import offer
from tests.web.conftest import client_for

from edcoop.billing.models import Invoice
from edcoop.governance import services as governance
from edcoop.governance.models import PublicDocument
from edcoop.procurement import responses

pytestmark = pytest.mark.django_db

PRICE = "27.1828"
START = ["/a/north/transparency/", "/a/north/bids/", "/a/north/studies/",
         "/api/v1/ocds/releases?agency=north"]  # fmt: skip
MAX_PAGES = 200


def _order(north: Any) -> str:
    from tests.contracts.conftest import make_contract

    from edcoop.contracts import orders
    from edcoop.contracts import services as contract_services

    contract = make_contract(north, number="C-PORTAL")
    contract_services.item_save(user=north.users["procurement_officer"], contract=contract,
                                sku="CP-1", description="Copy paper", unit="ream",
                                unit_price="4.10")  # fmt: skip
    buyer = north.users["member_buyer"]
    order = orders.order_create(user=buyer, institution=north.institution, contract=contract,
                                lines=[orders.LineInput(quantity="10", sku="CP-1")])  # fmt: skip
    orders.order_approve(user=buyer, order=order)
    orders.order_send(user=buyer, order=order)
    return order.number


def test_the_public_portal_never_shows_sealed_or_private_data(
    year: Any, posted: Any, bid: Any  # noqa: F811
) -> None:
    north = year.tenant
    responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                              supplier=north.supplier,
                              data=offer(bid, {"1.01": PRICE, "1.02": "40.00"}))  # fmt: skip
    office = client_for(north.users["business_office"])
    office.post("/a/north/transparency/documents/new/", {
        "kind": "adopted_budget", "fiscal_year": "2027", "title": "Withdrawn record qzx",
        "file": SimpleUploadedFile("b.pdf", b"%PDF-1.4\n", content_type="application/pdf"),
    })  # fmt: skip
    document = PublicDocument.objects.get(agency=north.agency)
    governance.public_document_withdraw(user=north.users["business_office"], document=document,
                                        reason="Posted by mistake.")  # fmt: skip
    governance.study_create(
        user=north.users["business_office"], agency=north.agency, title="Draft study qzx",
        service_name="CBO", fiscal_year=2027, basis="equal", shared_cost="1000",
        aidable=False, sensitivity_pct="10",
    )  # fmt: skip
    invoices = [i.display_number for i in Invoice.objects.filter(agency=north.agency,
                                                                 status="issued")]  # fmt: skip
    assert invoices
    private = {
        "sealed price": PRICE, "supplier's tax ID": north.supplier.tax_id,
        "purchase order": _order(north), "draft study": "Draft study qzx",
        "withdrawn record": "Withdrawn record qzx",
        **{f"invoice {n}": n for n in invoices},
        **{f"{role}'s e-mail": north.users[role].email
           for role in ("member_admin", "member_buyer", "member_finance")},
    }  # fmt: skip
    visitor = client_for(None)
    queue, seen, read = list(START), set(), []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        got = visitor.get(url)
        assert got.status_code < 500, (url, got.status_code)
        if got.status_code != 200:
            continue  # a sign-in page or a refusal: nothing of the agency's
        read.append(url)
        body = _expand(got.content)
        for what, marker in private.items():
            assert marker.encode() not in body, (url, what)
        if "html" in got.get("Content-Type", ""):
            for href in re.findall(r'href="([^"#]+)"', body.decode()):
                link = html.unescape(href)
                if link.startswith(("/a/north/", "/api/v1/ocds")) and link not in seen:
                    queue.append(link)
    # The portal's pages were read, the bid's own page among them, page by page.
    assert f"/a/north/bids/{bid.pk}/" in read
    assert {"/a/north/transparency/", "/a/north/bids/", "/a/north/studies/"} <= set(read)
    assert len(read) >= 5
