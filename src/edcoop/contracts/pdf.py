"""Purchase orders as PDF, drawn like billing's invoices (WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string

from edcoop.billing.pdf import PdfUnavailable

from .models import PurchaseOrder

__all__ = ["PdfUnavailable", "order_pdf"]


def order_pdf(order: PurchaseOrder) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise PdfUnavailable(str(exc)) from exc

    html = render_to_string("contracts/order_pdf.html", {
        "order": order, "agency": order.agency, "contract": order.contract,
        "supplier": order.contract.supplier, "lines": order.lines.order_by("pk"),
    })  # fmt: skip
    return HTML(string=html).write_pdf()
