"""The invoice as a document an agency sends: the same facts on the page, in the PDF and in
the workbook. An issued invoice prints what was copied onto it when it was issued (bill-to,
account, PO, terms, remit-to, and the agency's letterhead: name, logo, address, contacts,
tax ID, paper), so a later change of settings never rewrites a sent invoice; a draft prints
the agency's and the member's current facts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any

from edcoop.core import formatting
from edcoop.members.models import Agency, Institution, LetterheadVersion

from . import ledger
from .models import CreditMemo, Invoice, InvoiceLine


@dataclass(frozen=True)
class Parties:
    """Who bills whom, and on what terms, as the document prints it."""

    bill_to: list[str]
    account_number: str
    purchase_order: str
    terms_days: int
    remit_to: list[str]
    payment_instructions: str

    @property
    def terms(self) -> str:
        return "Due on receipt" if self.terms_days == 0 else f"Net {self.terms_days} days"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def bill_to_text(institution: Institution) -> str:
    """The member's name over its billing address (its city and state when none is kept)."""
    address = institution.billing_address.strip()
    if not address:
        address = ", ".join(p for p in (institution.city, institution.state) if p)
    return "\n".join(p for p in (institution.name, address) if p)


def letterhead_of(document: Any) -> LetterheadVersion:
    """The letterhead a document prints: the one frozen on it when it was issued, else (a
    draft, or a document issued before letterheads were kept) the agency's current one.
    One rule for every issued document (invoice, admin fee invoice, purchase order)."""
    frozen = document.letterhead if getattr(document, "letterhead_id", None) else None
    return frozen or LetterheadVersion.current(document.agency)


def snapshot_parties(invoice: Invoice, agency: Agency, letterhead: LetterheadVersion) -> None:
    """Copy the facts the document prints onto an invoice being issued (not saved here):
    the member's, the terms, and the agency's letterhead as it stands
    (``LetterheadVersion.issue``, shared by the run's invoices)."""
    inst = invoice.institution
    invoice.bill_to = bill_to_text(inst)
    invoice.account_number = inst.account_number
    invoice.purchase_order = inst.purchase_order
    invoice.terms_days = agency.payment_terms_days
    invoice.letterhead = letterhead
    invoice.remit_to = "\n".join(letterhead.remit_to_lines)
    invoice.payment_instructions = letterhead.payment_instructions


def parties(invoice: Invoice) -> Parties:
    if invoice.issued:
        return Parties(
            _lines(invoice.bill_to), invoice.account_number, invoice.purchase_order,
            invoice.terms_days if invoice.terms_days is not None
            else (invoice.due_on - invoice.issued_on).days,  # type: ignore[operator]
            _lines(invoice.remit_to), invoice.payment_instructions,
        )  # fmt: skip
    agency, inst = invoice.agency, invoice.institution
    now = LetterheadVersion.current(agency)
    return Parties(
        _lines(bill_to_text(inst)), inst.account_number, inst.purchase_order,
        agency.payment_terms_days, now.remit_to_lines, now.payment_instructions,
    )  # fmt: skip


def charged_as(line: InvoiceLine) -> str:
    """How a line was charged, in words: ``5.89% share of pool by full value``."""
    if line.share is not None:
        return f"{formatting.percent(line.share)} {line.basis}".strip()
    return line.basis


def line_quantity(line: InvoiceLine) -> str:
    """Units delivered; nothing for shares of a pool (the quantity there is the member's
    weight, such as full value in dollars, which is not something delivered)."""
    if line.kind != InvoiceLine.Kind.SERVICE or line.share is not None:
        return ""
    return formatting.quantity(line.quantity)


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """What an invoice shows (page, PDF and workbook alike)."""
    lines = list(invoice.lines.select_related("service").order_by("pk"))
    rows = [
        {"line": ln, "quantity": (q := line_quantity(ln)), "unit": ln.service.unit if q else "",
         "charged_as": charged_as(ln)}
        for ln in lines
    ]  # fmt: skip
    memos = list(invoice.credit_memos.prefetch_related("lines").order_by("issued_on", "number"))
    applied = list(invoice.applications.select_related("payment", "memo").filter(
        ledger._valid_applications()).order_by("applied_on", "pk"))  # fmt: skip
    amounts = ledger.invoice_balances(Invoice.objects.filter(pk=invoice.pk))[invoice.pk]
    return {
        "invoice": invoice, "agency": invoice.agency, "lines": lines, "rows": rows,
        "credit_memos": memos, "applied": applied, "amounts": amounts,
        "debits": amounts.debits, "open": amounts.balance, "parties": parties(invoice),
        "letterhead": letterhead_of(invoice), "for_period": for_period(invoice),
    }  # fmt: skip


def statement_context(institution: Institution, as_of: Any) -> dict[str, Any]:
    """A member's statement as a document: its open invoices, aging, balance, how to pay."""
    from .statements import statement

    st = statement(institution, as_of)
    agency = institution.agency
    letterhead = LetterheadVersion.current(agency)  # a statement is of today: today's
    still_open = [i for i in st.items if i.open]
    open_items = [
        {"invoice": i.invoice, "charged": i.invoice.total + i.debits,
         "applied": i.paid + i.credits, "open": i.open, "days": i.age(as_of)}
        for i in still_open
    ]  # fmt: skip
    return {
        "agency": agency, "institution": institution, "statement": st,
        "open_items": open_items, "open_total": sum((i.open for i in still_open), Decimal(0)),
        "letterhead": letterhead, "bill_to": _lines(bill_to_text(institution)),
        "remit_to": letterhead.remit_to_lines,
    }  # fmt: skip


def for_period(invoice: Invoice) -> str:
    if invoice.run.kind == "true_up":
        return f"FY{invoice.fiscal_year} year-end true-up"
    return f"{formatting.month(invoice.period)} (FY{invoice.fiscal_year})"


MONEY_FORMAT = '"$"#,##0.00;-"$"#,##0.00'
RATE_FORMAT = '"$"#,##0.00##'
PERCENT_FORMAT = "0.00%"


def _typed(value: Any) -> Any:
    """Text someone typed (a member's own PO number, an address) as a workbook cell: openpyxl
    writes a string starting with "=" as a live formula; the exports' defusing applies."""
    from edcoop.core.views import spreadsheet_cell

    return spreadsheet_cell(value) if isinstance(value, str) else value


def invoice_workbook(invoice: Invoice) -> bytes:
    """The invoice as an XLSX: the header a reader needs, the lines with money and percent
    formats, totals, payments applied and the balance; frozen column headings."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    ctx = invoice_context(invoice)
    letterhead, p, amounts = ctx["letterhead"], ctx["parties"], ctx["amounts"]
    wb = Workbook()
    ws = wb.active
    ws.title = f"Invoice {invoice.display_number}"[:31]
    bold = Font(bold=True)
    ws.append([letterhead.name])
    ws["A1"].font = Font(bold=True, size=14)
    head: list[tuple[str, Any]] = [
        ("Invoice", invoice.display_number),
        ("Bill to", ", ".join(p.bill_to)),
        ("Account", p.account_number),
        ("PO number", p.purchase_order),
        ("For", for_period(invoice)),
        ("Issued on", invoice.issued_on),
        ("Due on", invoice.due_on),
        ("Terms", p.terms),
    ]
    for label, value in head:
        ws.append([label, _typed(value)])
        ws.cell(ws.max_row, 1).font = bold
        if value is not None and hasattr(value, "year"):
            ws.cell(ws.max_row, 2).number_format = "mmm d, yyyy"
            ws.cell(ws.max_row, 2).alignment = Alignment(horizontal="left")
    ws.append([])
    ws.append(["Service", "Quantity", "Unit", "Charged as", "Share", "Rate", "Amount"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = bold
    first = header_row + 1
    for r in ctx["rows"]:
        ln: InvoiceLine = r["line"]
        shown = bool(r["quantity"])
        ws.append([
            _typed(ln.description),
            ln.quantity if shown else None,
            ln.service.unit if shown else None,
            ln.basis,
            ln.share,
            ln.rate,
            ln.amount,
        ])  # fmt: skip
        row = ws.max_row
        ws.cell(row, 2).number_format = "#,##0.####"
        ws.cell(row, 5).number_format = PERCENT_FORMAT
        ws.cell(row, 6).number_format = RATE_FORMAT
        ws.cell(row, 7).number_format = MONEY_FORMAT
    # Written as values, not formulas: a reader that does not recalculate still sees them.
    totals: list[tuple[str, Any]] = [("Total", invoice.total)]
    for memo in ctx["credit_memos"]:
        if memo.kind == CreditMemo.Kind.DEBIT:  # credit memos count below, as applied
            totals.append((f"{memo.get_kind_display()} {memo.display_number}", memo.amount))
    for a in ctx["applied"]:
        what = f"Payment {a.payment.reference or a.payment.pk}" if a.payment else str(a.memo)
        totals.append((f"{what} applied {formatting.day(a.applied_on)}", -a.amount))
    totals.append(("Balance due", amounts.balance))
    for label, value in totals:
        ws.append([_typed(label), None, None, None, None, None, value])
        ws.cell(ws.max_row, 1).font = bold
        ws.cell(ws.max_row, 7).font = bold
        ws.cell(ws.max_row, 7).number_format = MONEY_FORMAT
    if p.payment_instructions or p.remit_to:
        ws.append([])
        ws.append(["Remit to", _typed(", ".join(p.remit_to))])
        ws.cell(ws.max_row, 1).font = bold
        if p.payment_instructions:
            ws.append(["How to pay", _typed(" ".join(_lines(p.payment_instructions)))])
            ws.cell(ws.max_row, 1).font = bold
    for col, width in zip("ABCDEFG", (48, 12, 10, 34, 10, 12, 16), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{first}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    a4 = letterhead.paper_size == "a4"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4 if a4 else ws.PAPERSIZE_LETTER
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
