"""Invoices as PDF (WeasyPrint; needs Debian's libpango-1.0-0 and libpangoft2-1.0-0)."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import Invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    html = render_to_string("billing/invoice_pdf.html", {
        "invoice": invoice, "agency": invoice.agency,
        "lines": invoice.lines.select_related("service").order_by("pk"),
    })  # fmt: skip
    return HTML(string=html).write_pdf()
