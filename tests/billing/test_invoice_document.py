"""The invoice an agency sends: the PDF's text, its tagging and paper, the workbook's cells
and formats, and the facts frozen on the invoice when it is issued."""

from __future__ import annotations

import re
import zlib
from datetime import date
from decimal import Decimal as D
from io import BytesIO
from typing import Any

import pytest
from django.test import Client

from edcoop.billing import ledger
from edcoop.billing.models import Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.members.models import Agency, Institution

weasyprint = pytest.importorskip("weasyprint")


def pdf_text(html: str) -> str:
    """The words WeasyPrint lays out on the pages, margin boxes (page numbers) included."""
    from weasyprint.formatting_structure.boxes import TextBox

    def walk(box: Any) -> Any:
        if isinstance(box, TextBox):
            yield box.text
        for child in getattr(box, "children", []) or []:
            yield from walk(child)

    document = weasyprint.HTML(string=html).render()
    words = " ".join(" ".join(walk(page._page_box)) for page in document.pages)
    return " ".join(words.split())


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams hold the catalog) inflated."""
    out = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


@pytest.fixture
def issued(year: Any) -> Any:
    agency = year.tenant.agency
    Agency.objects.filter(pk=agency.pk).update(
        address="131 Drumlin Road\nCanandaigua, NY 14424", phone="(585) 555-0140",
        tax_id="16-6000000", remit_to="Business Office\nPO Box 4400\nCanandaigua, NY 14424",
        payment_instructions="Checks payable to North BOCES.", payment_terms_days=45,
        email="ar@north.example.org",
    )  # fmt: skip
    Institution.objects.filter(pk=year.a.pk).update(
        billing_address="Business Office\n12 Elm Street\nAlder, NY 14401",
        account_number="LR-0001",
        purchase_order="PO 2027-311",
    )
    agency.refresh_from_db()
    year.a.refresh_from_db()
    run = billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    billing_run_post(user=year.admin, run=run, issued_on=date(2026, 10, 1))
    invoice = Invoice.objects.get(run=run, institution=year.a)
    return invoice


def test_issued_invoice_keeps_bill_to_and_terms_after_the_member_moves(year, issued):
    assert issued.due_on == date(2026, 11, 15)  # the agency's 45 days, not a fixed 30
    Institution.objects.filter(pk=year.a.pk).update(
        billing_address="Somewhere else\n1 New Road", purchase_order="PO 9999"
    )
    Agency.objects.filter(pk=issued.agency_id).update(payment_terms_days=10, remit_to="Moved")
    from edcoop.billing.pdf import invoice_html

    issued = Invoice.objects.get(pk=issued.pk)
    text = pdf_text(invoice_html(issued))
    assert "12 Elm Street" in text and "PO 2027-311" in text and "Net 45 days" in text
    assert "PO Box 4400" in text
    assert "Somewhere else" not in text and "PO 9999" not in text and "Moved" not in text


def test_pdf_shows_the_parts_a_business_office_needs(year, issued):
    ledger.payment_record(user=year.admin, institution=year.a, amount=D("100.00"),
                          received_on=date(2026, 10, 20), reference="CHK 5521")  # fmt: skip
    from edcoop.billing.pdf import invoice_html, invoice_pdf

    balance = ledger.invoice_balances(Invoice.objects.filter(pk=issued.pk))[issued.pk]
    assert balance.paid == D("100.00")
    text = pdf_text(invoice_html(issued))
    for part in [
        issued.agency.name, "131 Drumlin Road", "Tax ID (EIN) 16-6000000",
        f"Invoice {issued.display_number}", "Invoice date", "Oct 1, 2026", "Due date",
        "Nov 15, 2026", "Bill to", year.a.name,
        "Business Office", "Account", "LR-0001", "PO 2027-311", "Remit to", "Net 45 days",
        "Speech therapy 10 hour usage x rate $45.00 $450.00",
        "Payment CHK 5521 applied Oct 20, 2026", "-$100.00",
        "Balance", "Amount due by Nov 15, 2026", "How to pay", "Checks payable to North BOCES.",
        "Page 1 of 1",
    ]:  # fmt: skip
        assert part.lower() in text.lower(), (part, text)
    assert f"{balance.balance:,}" in text.replace("$", "")
    # Shares read as percentages; no four-decimal fraction, no pool weight as a quantity.
    assert re.search(r"\b25% share of pool by RWADA", text), text
    assert "0.2500" not in text and "1,000.00 " not in text
    raw = invoice_pdf(issued)
    assert raw.startswith(b"%PDF")
    pdf = pdf_objects(raw)
    assert b"/StructTreeRoot" in pdf and b"/MarkInfo" in pdf  # tagged
    assert b"/Lang" in pdf
    assert b"/MediaBox [0 0 612 792]" in pdf  # US Letter


def test_an_a4_agency_gets_a4_paper(year):
    from edcoop.billing.pdf import invoice_pdf

    Agency.objects.filter(pk=year.tenant.agency.pk).update(paper_size="a4")
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    draft = Invoice.objects.get(run=run, institution=year.a)
    assert re.search(rb"/MediaBox \[0 0 595\.\d+ 841\.\d+\]", pdf_objects(invoice_pdf(draft)))
    billing_run_post(user=year.admin, run=run, issued_on=date(2026, 10, 1))
    pdf = pdf_objects(invoice_pdf(Invoice.objects.get(pk=draft.pk)))
    assert re.search(rb"/MediaBox \[0 0 595\.\d+ 841\.\d+\]", pdf)


def test_the_agency_logo_heads_its_invoice_and_statement_and_no_one_elses(year, issued):
    from PIL import Image

    from edcoop.billing.pdf import invoice_html, invoice_pdf, statement_html
    from edcoop.members.logos import clean_logo

    out = BytesIO()
    Image.new("RGB", (300, 100), (31, 59, 92)).save(out, format="PNG")
    assert "<img" not in invoice_html(issued)  # none set: no empty image
    Agency.objects.filter(pk=issued.agency_id).update(logo_png=clean_logo(out.getvalue()))
    # Issued without one, the invoice stays without one; the statement (of today) and the
    # next invoices carry it.
    assert "<img" not in invoice_html(Invoice.objects.get(pk=issued.pk))
    assert "data:image/png;base64," in statement_html(year.a, date(2026, 10, 31))
    run = billing_run_compute(user=year.admin, agency=issued.agency, period=date(2026, 10, 1))
    billing_run_post(user=year.admin, run=run, issued_on=date(2026, 11, 2))
    invoice = Invoice.objects.get(run=run, institution=year.a)
    html = invoice_html(invoice)
    assert 'class="letterhead-logo" src="data:image/png;base64,' in html
    assert f'alt="{invoice.agency.name} logo"' in html
    pdf = pdf_objects(invoice_pdf(invoice))
    assert b"/Subtype /Image" in pdf and b"/StructTreeRoot" in pdf


def test_invoice_workbook_has_header_totals_and_formats(year, issued):
    from openpyxl import load_workbook

    client = Client()
    client.force_login(year.tenant.users["business_office"])
    response = client.get(f"/a/north/billing/invoices/{issued.pk}/?format=xlsx")
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    cells = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert ws["A1"].value == issued.agency.name
    assert cells["Invoice"] == issued.display_number
    assert "12 Elm Street" in cells["Bill to"] and cells["PO number"] == "PO 2027-311"
    assert cells["Terms"] == "Net 45 days"
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Service")
    assert ws.freeze_panes == f"A{header + 1}"
    assert [c.value for c in ws[header]][-1] == "Amount"
    first = ws.cell(header + 1, 7)
    assert first.number_format == '"$"#,##0.00;-"$"#,##0.00'
    rows = {ws.cell(r, 1).value: ws.cell(r, 7) for r in range(header + 1, ws.max_row + 1)}
    assert D(str(rows["Total"].value)) == issued.total
    assert D(str(rows["Balance due"].value)) == issued.total
    assert rows["Balance due"].number_format == first.number_format
    share_row = next(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 5).value)
    assert ws.cell(share_row, 5).number_format == "0.00%"
    assert ws.column_dimensions["A"].width >= 40


def test_invoice_page_shows_paid_and_balance(year, issued):
    ledger.payment_record(user=year.admin, institution=year.a, amount=D("100.00"),
                          received_on=date(2026, 10, 20))  # fmt: skip
    client = Client()
    client.force_login(year.tenant.users["member_finance"])
    body = client.get(f"/a/north/billing/invoices/{issued.pk}/").content.decode()
    balance = issued.total - D("100.00")
    assert 'Payment applied <time datetime="2026-10-20">Oct 20, 2026</time>' in body
    assert "-$100.00" in body
    assert f"${balance:,.2f}" in body and "Amount due by" in body
    assert "None" not in body


def test_invoice_list_shows_balance_status_and_filters(year, issued):
    from datetime import date as day

    import time_machine

    ledger.payment_record(user=year.admin, institution=year.a, amount=issued.total,
                          received_on=date(2026, 10, 20))  # fmt: skip
    other = Invoice.objects.get(run=issued.run, institution=year.b)
    client = Client()
    client.force_login(year.tenant.users["business_office"])
    body = client.get("/a/north/billing/invoices/").content.decode()
    assert ">Paid<" in body and ">Overdue<" in body  # b's was due Nov 15; today is Nov 30
    assert f"${other.total:,.2f}" in body
    paid = client.get("/a/north/billing/invoices/?state=paid").content.decode()
    assert issued.display_number in paid and other.display_number not in paid
    late = client.get("/a/north/billing/invoices/?state=overdue").content.decode()
    assert other.display_number in late and issued.display_number not in late
    named = client.get(f"/a/north/billing/invoices/?member={year.b.name}").content.decode()
    assert other.display_number in named and issued.display_number not in named
    csv = client.get("/a/north/billing/invoices/?format=csv&state=overdue")
    text = csv.content.decode("utf-8-sig")
    assert "Balance,Status" in text and "Overdue" in text and issued.display_number not in text
    with time_machine.travel(day(2026, 11, 1)):
        early = client.get("/a/north/billing/invoices/?state=open").content.decode()
    assert other.display_number in early
    # The member sees only its own invoices here too.
    member = Client()
    member.force_login(year.tenant.users["member_finance"])
    mine = member.get("/a/north/billing/invoices/")
    assert mine.status_code in (200, 403, 404)
    if mine.status_code == 200:
        assert other.display_number not in mine.content.decode()


def test_statement_pdf_lists_open_invoices_aging_and_amount_due(year, issued):
    from edcoop.billing.pdf import statement_html

    ledger.payment_record(user=year.admin, institution=year.a, amount=D("100.00"),
                          received_on=date(2026, 10, 20))  # fmt: skip
    text = pdf_text(statement_html(year.a, date(2026, 11, 30)))
    owed = issued.total - D("100.00")
    for part in [
        "Statement of account", "As of Nov 30, 2026", "LR-0001", "PO 2027-311", "12 Elm Street",
        "PO Box 4400", issued.display_number, "Oct 1, 2026", "Nov 15, 2026 (overdue)",
        f"${owed:,.2f}", "60-89 days", f"Amount due: ${owed:,.2f}", "How to pay",
    ]:  # fmt: skip
        assert part.lower() in text.lower(), (part, text)
    client = Client()
    client.force_login(year.tenant.users["member_finance"])
    page = client.get(f"/a/north/institution/{year.a.pk}/billing/").content.decode()
    url = f"/a/north/institution/{year.a.pk}/billing/statement.pdf"
    assert url in page
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert b"/StructTreeRoot" in pdf_objects(response.content)
    # Another member's statement is not theirs to read.
    assert client.get(f"/a/north/institution/{year.b.pk}/billing/statement.pdf").status_code in (
        403, 404)  # fmt: skip
