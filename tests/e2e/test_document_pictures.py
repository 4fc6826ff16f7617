"""The pictures of the documents an agency sends, for `make screenshots` (docs/billing.md):
the demo's invoice as its PDF lays it out, letterhead and logo included. Chromium draws the
document's own HTML (the one WeasyPrint prints) on a US Letter page width, with the print
styles; no live server and no site CSP are involved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edcoop.billing.models import Invoice

from .conftest import SHOTS, WCAG_TAGS

LETTER = {"width": 816, "height": 1056}  # 8.5 x 11 inches at 96 pixels an inch




def picture(browser: Any, html: str, name: str) -> str:
    """Draw ``html`` on a Letter-width page, check it with axe, keep page 1 as ``name``.png
    (with EDCOOP_SCREENSHOTS); the text Chromium laid out."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport=LETTER, locale="en-US")
    try:
        tab = context.new_page()
        tab.emulate_media(media="print")
        tab.set_content(html)
        # The PDF's page margins (WeasyPrint's @page), which a screen page has no notion of.
        tab.add_style_tag(content="body { margin: 0.7in 0.7in 0.8in; }")
        violations = Axe().run(tab, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert violations.response.get("violations", []) == []
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(Path(SHOTS) / f"{name}.png"),
                           clip={"x": 0, "y": 0, **LETTER})  # fmt: skip
        text: str = tab.locator("body").inner_text()
        return text
    finally:
        context.close()


def test_the_invoice_picture_shows_the_letterhead_it_was_issued_with(
    browser: Any, demo_data: None
) -> None:
    from edcoop.billing.pdf import invoice_html

    invoice = (
        Invoice.objects.filter(agency__slug="lakes", status=Invoice.Status.ISSUED,
                               run__kind="true_up", institution__name__startswith="Deer Run")
        .select_related("letterhead").order_by("-issued_on", "-number").first()
    )  # fmt: skip
    assert invoice is not None
    assert invoice.letterhead is not None and bytes(invoice.letterhead.logo_png)
    html = invoice_html(invoice)
    assert 'class="letterhead-logo" src="data:image/png;base64,' in html
    text = picture(browser, html, "billing-invoice-pdf")
    for part in ("Lakes Region BOCES", f"Invoice {invoice.display_number}", "Bill to",
                 "Remit to", "Balance", "Amount due", "How to pay"):  # fmt: skip
        assert part.lower() in text.lower(), part
