"""The pictures of the documents an agency sends, for `make screenshots` (docs/billing.md):
the demo's invoice and a member's statement as the PDF a member receives, letterhead and logo
included. Each is the real PDF (``billing.pdf``, WeasyPrint, the agency's paper and margins,
page numbers in the footer), its first page drawn by Poppler's ``pdftoppm``; its text is
checked as the PDF lays it out. Chromium only runs axe over the document's own HTML (no live
server and no site CSP, which would block the document's inline style and logo)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.billing.test_invoice_document import pdf_text

from edcoop.billing.models import Invoice
from edcoop.members.models import Institution

from .conftest import SHOTS, WCAG_TAGS

LETTER = {"width": 816, "height": 1056}  # 8.5 x 11 inches at 96 pixels an inch
DPI = 96  # the picture at a screen's size: a Letter page is 816 x 1056 pixels


def accessible(browser: Any, html: str) -> None:
    """axe finds no WCAG 2.1 A/AA violation in the document's HTML (the PDF is tagged from it)."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport=LETTER, locale="en-US")
    try:
        tab = context.new_page()
        tab.emulate_media(media="print")
        tab.set_content(html)
        violations = Axe().run(tab, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert violations.response.get("violations", []) == []
    finally:
        context.close()


def picture(pdf: bytes, name: str) -> None:
    """With EDCOOP_SCREENSHOTS, page 1 of ``pdf`` as ``name``.png, drawn by pdftoppm."""
    if not SHOTS:
        return
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.fail("make screenshots draws the PDFs with pdftoppm: apt-get install poppler-utils")
    assert pdf.startswith(b"%PDF-")
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / f"{name}.pdf"
        source.write_bytes(pdf)
        out = Path(work) / name
        subprocess.run([pdftoppm, "-png", "-r", str(DPI), "-f", "1", "-l", "1",  # noqa: S603
                        "-singlefile", str(source), str(out)], check=True, timeout=60)  # fmt: skip
        shutil.copyfile(out.with_suffix(".png"), Path(SHOTS) / f"{name}.png")


def test_the_invoice_picture_shows_the_letterhead_it_was_issued_with(
    browser: Any, demo_data: None
) -> None:
    from edcoop.billing.pdf import invoice_html, render_pdf

    invoice = (
        Invoice.objects.filter(agency__slug="lakes", status=Invoice.Status.ISSUED,
                               run__kind="true_up", institution__name__startswith="Deer Run")
        .select_related("letterhead").order_by("-issued_on", "-number").first()
    )  # fmt: skip
    assert invoice is not None
    assert invoice.letterhead is not None and bytes(invoice.letterhead.logo_png)
    html = invoice_html(invoice)
    assert 'class="letterhead-logo" src="data:image/png;base64,' in html
    accessible(browser, html)
    text = pdf_text(html)
    for part in ("Lakes Region BOCES", f"Invoice {invoice.display_number}", "Bill to",
                 "Remit to", "Balance", "Amount due", "How to pay", "Page 1 of 1"):  # fmt: skip
        assert part.lower() in text.lower(), part
    picture(render_pdf(html), "billing-invoice-pdf")


def test_the_statement_picture_is_the_pdf_a_member_receives(
    browser: Any, demo_data: None
) -> None:
    """The statement as its PDF: letterhead with the logo, statement for and remit to, each
    open invoice, the balance, open amounts by age, the amount due, how to pay, page
    numbers; money in dollars and cents."""
    import re

    from edcoop.billing.pdf import render_pdf, statement_html

    alder = Institution.objects.get(agency__slug="lakes", name__startswith="Alder Creek")
    html = statement_html(alder, date(2026, 11, 25))
    assert 'class="letterhead-logo" src="data:image/png;base64,' in html
    accessible(browser, html)
    text = pdf_text(html)
    for part in ("Lakes Region BOCES", "Statement of account", "As of Nov 25, 2026",
                 "Statement for", "Alder Creek", "Remit to", "Invoices with a balance",
                 "Open amounts by age", "Balance", "Amount due: $", "How to pay",
                 "Page 1 of 1"):  # fmt: skip
        assert part.lower() in text.lower(), (part, text)
    amounts = re.findall(r"-?\$[\d,]+(?:\.\d+)?", text)
    assert amounts and all(re.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d{2}", a) for a in amounts)
    assert "None" not in text and "E+" not in text
    picture(render_pdf(html), "billing-statement-pdf")
