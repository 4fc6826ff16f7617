"""An admin fee invoice and an approved purchase order keep the letterhead they were issued
with; a draft order prints the agency's settings as they are now. An admin fee invoice also
keeps the supplier's name and e-mail it was issued to."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.billing.test_invoice_document import pdf_text
from tests.billing.test_letterhead_frozen import NOVEMBER, OCTOBER, logo_in, png, settle
from tests.web.conftest import client_for

from edcoop.contracts import fees, orders, sales
from edcoop.contracts.models import Contract, ContractItem, PurchaseOrder
from edcoop.contracts.pdf import order_html
from edcoop.members.models import Supplier

pytest.importorskip("weasyprint")


def test_an_admin_fee_invoice_keeps_its_letterhead(north: Any, paper: Contract,
                                                   ream: ContractItem) -> None:  # fmt: skip
    settle(north, OCTOBER, png((31, 59, 92)))
    report = sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                               quarter=3, rows=[], today=date(2026, 10, 5))  # fmt: skip
    invoice = report.fee_invoice
    before = fees.fee_invoice_html(invoice)
    text = pdf_text(before)
    assert "131 Drumlin Road" in text and "PO Box 4400" in text and "16-6000000" in text
    assert "Checks payable to North BOCES." in text
    settle(north, NOVEMBER, png((200, 30, 30)))
    invoice.refresh_from_db()
    after = fees.fee_invoice_html(invoice)
    assert pdf_text(after) == text
    assert logo_in(after) == logo_in(before)
    assert "Lockbox 77" not in after and "ACH to" not in after


def test_an_admin_fee_invoice_keeps_its_bill_to(north: Any, paper: Contract,
                                                ream: ContractItem) -> None:  # fmt: skip
    Supplier.objects.filter(pk=paper.supplier_id).update(
        legal_name="Empire Paper Supply LLC", dba="", email="ar@empirepaper.test")
    paper.refresh_from_db()
    report = sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                               quarter=3, rows=[], today=date(2026, 10, 5))  # fmt: skip
    Supplier.objects.filter(pk=paper.supplier_id).update(
        legal_name="Keystone Office Holdings Inc", email="billing@keystone.test")
    invoice = report.fee_invoice
    invoice.refresh_from_db()
    text = pdf_text(fees.fee_invoice_html(invoice))
    assert "Empire Paper Supply LLC" in text and "ar@empirepaper.test" in text
    assert "Keystone" not in text and "billing@keystone.test" not in text
    office = client_for(north.users["business_office"])
    page = office.get(f"/a/north/sales-reports/{report.pk}/").content.decode()
    assert "to Empire Paper Supply LLC" in page


def test_a_purchase_order_keeps_the_letterhead_it_was_approved_with(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    settle(north, OCTOBER, png((31, 59, 92)))
    buyer = north.users["member_buyer"]
    order = orders.order_create(user=buyer, institution=north.institution, contract=paper,
                                lines=[orders.LineInput("10", sku="CP-8511")])  # fmt: skip
    assert "131 Drumlin Road" in order_html(order)
    settle(north, NOVEMBER, png((200, 30, 30)))
    draft = order_html(PurchaseOrder.objects.get(pk=order.pk))
    assert "9 Harbor Street" in draft and "131 Drumlin Road" not in draft  # a draft follows
    orders.order_approve(user=buyer, order=order)
    approved = PurchaseOrder.objects.get(pk=order.pk)
    text = pdf_text(order_html(approved))
    assert "Finger Lakes Regional BOCES" in text and "9 Harbor Street" in text
    settle(north, OCTOBER, png((31, 59, 92)))
    orders.order_send(user=buyer, order=approved)
    sent = PurchaseOrder.objects.get(pk=order.pk)
    again = pdf_text(order_html(sent))
    assert "9 Harbor Street" in again and "131 Drumlin Road" not in again
    assert "held by Finger Lakes Regional BOCES" in again
