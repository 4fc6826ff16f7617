"""Invoices and statements as PDF (WeasyPrint; needs Debian's libpango-1.0-0 and
libpangoft2-1.0-0).

Each PDF is tagged (PDF/UA-1: structure, language and title), so a screen reader reads it,
on the agency's paper size; an invoice's body is the template the invoice page shows."""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string

from edcoop.members.models import Institution

from .documents import invoice_context, statement_context
from .models import Invoice


class PdfUnavailable(Exception):
    """The server lacks the system libraries WeasyPrint draws with."""


def render_pdf(html: str) -> bytes:
    """A tagged PDF (PDF/UA-1) of a document's HTML."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise PdfUnavailable(str(exc)) from exc
    pdf: bytes = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return pdf


def invoice_html(invoice: Invoice) -> str:
    return render_to_string("billing/invoice_pdf.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    return render_pdf(invoice_html(invoice))


def statement_html(institution: Institution, as_of: date) -> str:
    return render_to_string("billing/statement_pdf.html", statement_context(institution, as_of))


def statement_pdf(institution: Institution, as_of: date) -> bytes:
    return render_pdf(statement_html(institution, as_of))
