"""Invoices as PDF (WeasyPrint; needs Debian's libpango-1.0-0 and libpangoft2-1.0-0).

The PDF is tagged (PDF/UA-1: structure, language and title), so a screen reader reads it,
on the agency's paper size; its body is the template the invoice page shows."""

from __future__ import annotations

from django.template.loader import render_to_string

from .documents import invoice_context
from .models import Invoice


class PdfUnavailable(Exception):
    """The server lacks the system libraries WeasyPrint draws with."""


def invoice_html(invoice: Invoice) -> str:
    return render_to_string("billing/invoice_pdf.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise PdfUnavailable(str(exc)) from exc
    pdf: bytes = HTML(string=invoice_html(invoice)).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return pdf
