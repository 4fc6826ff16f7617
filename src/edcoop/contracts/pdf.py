"""Purchase orders as PDF, on the invoice's letterhead through billing's one document
pipeline (tagged, the agency's paper size): an approved order prints what it was approved
with (letterhead, the member's bill-to, the supplier, the contract: ``orders.printed``), a
draft today's facts."""

from __future__ import annotations

from edcoop.billing.documents import letterhead_of
from edcoop.billing.pdf import PdfUnavailable, document_html, render_pdf

from .models import PurchaseOrder
from .orders import printed

__all__ = ["PdfUnavailable", "order_html", "order_pdf"]


def order_pdf(order: PurchaseOrder) -> bytes:
    return render_pdf(order_html(order))


def order_html(order: PurchaseOrder) -> str:
    return document_html("contracts/order_pdf.html", {
        "order": order, "agency": order.agency, "letterhead": letterhead_of(order),
        "contract": order.contract, "printed": printed(order),
        "lines": order.lines.select_related("item").order_by("pk"),
    })  # fmt: skip
