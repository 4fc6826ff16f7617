"""Every PDF the product issues (WeasyPrint; needs Debian's libpango-1.0-0 and
libpangoft2-1.0-0): invoices and statements here, and through :func:`document_pdf` the
purchase order (contracts), the annual report (governance) and the award report
(procurement), all on the invoice's letterhead and style (``billing/_document_pdf.html``).
An issued document (invoice, admin fee invoice, purchase order) prints the letterhead frozen
on it when it was issued (``members.models.LetterheadVersion``); drafts and documents of the
moment (statements, reports) print the agency's current settings.

Each PDF is tagged (PDF/UA-1: structure, language and title), so a screen reader reads it,
on the agency's paper size; an invoice's body is the template the invoice page shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.template.loader import render_to_string

from edcoop.members.models import Institution, LetterheadVersion

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


def document_html(template: str, context: dict[str, Any]) -> str:
    """A document template extending ``billing/_document_pdf.html``, on
    ``context["letterhead"]``: an issued document's frozen letterhead
    (``documents.letterhead_of``), else the current one of ``context["agency"]`` (the only
    agency whose facts and logo it prints)."""
    letterhead = context.get("letterhead") or LetterheadVersion.current(context["agency"])
    return render_to_string(template, {**context, "letterhead": letterhead})


def document_pdf(template: str, context: dict[str, Any]) -> bytes:
    return render_pdf(document_html(template, context))


def invoice_html(invoice: Invoice) -> str:
    return render_to_string("billing/invoice_pdf.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    return render_pdf(invoice_html(invoice))


def statement_html(institution: Institution, as_of: date) -> str:
    return render_to_string("billing/statement_pdf.html", statement_context(institution, as_of))


def statement_pdf(institution: Institution, as_of: date) -> bytes:
    return render_pdf(statement_html(institution, as_of))
