"""Purchase orders as PDF, on the invoice's letterhead through billing's one document
pipeline (tagged, the agency's paper size): an approved order on the letterhead it was
approved with, a draft on today's."""

from __future__ import annotations

from edcoop.billing.documents import bill_to_text, letterhead_of
from edcoop.billing.pdf import PdfUnavailable, document_html, render_pdf

from .models import PurchaseOrder

__all__ = ["PdfUnavailable", "order_html", "order_pdf"]


def order_pdf(order: PurchaseOrder) -> bytes:
    return render_pdf(order_html(order))


def order_html(order: PurchaseOrder) -> str:
    return document_html("contracts/order_pdf.html", {
        "order": order, "agency": order.agency, "letterhead": letterhead_of(order),
        "contract": order.contract,
        "supplier": order.contract.supplier, "lines": order.lines.order_by("pk"),
        "ordered_by": [line for line in bill_to_text(order.institution).splitlines() if line],
    })  # fmt: skip
