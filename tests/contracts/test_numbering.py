"""Admin fee invoice and purchase order numbers run on past 99999 without repeating: the
next number is one past the highest as a number, gapless within the agency and year."""

from __future__ import annotations

from datetime import date
from typing import Any

from edcoop.contracts import orders, sales
from edcoop.contracts.models import AdminFeeInvoice, Contract, ContractItem, PurchaseOrder

AFTER = date(2026, 11, 20)


def test_fee_invoice_numbers_go_past_99999(north: Any, paper: Contract,
                                           ream: ContractItem) -> None:  # fmt: skip
    rep = north.users["supplier_rep"]
    first = sales.report_file(user=rep, contract=paper, year=2026, quarter=3, rows=[],
                              today=AFTER)  # fmt: skip
    AdminFeeInvoice.objects.filter(pk=first.fee_invoice.pk).update(number="AF-2026-99999")
    second = sales.report_amend(user=rep, report=first, rows=[], reason="Recount",
                                today=AFTER)  # fmt: skip
    third = sales.report_amend(user=rep, report=second, rows=[], reason="Recount again",
                               today=AFTER)  # fmt: skip
    numbers = [second.fee_invoice.number, third.fee_invoice.number]
    assert numbers == ["AF-2026-100000", "AF-2026-100001"]


def test_purchase_order_numbers_go_past_99999(north: Any, paper: Contract,
                                              ream: ContractItem) -> None:  # fmt: skip
    buyer = north.users["member_buyer"]

    def order() -> PurchaseOrder:
        return orders.order_create(user=buyer, institution=north.institution, contract=paper,
                                   lines=[orders.LineInput("1", sku="CP-8511")],
                                   ordered_on=date(2026, 11, 2))  # fmt: skip

    first = order()
    PurchaseOrder.objects.filter(pk=first.pk).update(number="PO-2026-99998")
    assert order().number == "PO-2026-99999"
    assert [order().number, order().number] == ["PO-2026-100000", "PO-2026-100001"]
