"""Invoices as PDF (WeasyPrint; needs Debian's libpango-1.0-0 and libpangoft2-1.0-0)."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import Invoice


class PdfUnavailable(Exception):
    """The server lacks the system libraries WeasyPrint draws with."""


def invoice_pdf(invoice: Invoice) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise PdfUnavailable(str(exc)) from exc

    html = render_to_string("billing/invoice_pdf.html", {
        "invoice": invoice, "agency": invoice.agency,
        "lines": invoice.lines.select_related("service").order_by("pk"),
    })  # fmt: skip
    return HTML(string=html).write_pdf()
