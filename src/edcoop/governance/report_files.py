"""Annual reports as files: a tagged PDF (WeasyPrint, on the agency's paper) and a formatted
workbook (openpyxl), both drawn from ``annual.tables``: the same figures as the page."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils.safestring import SafeString

from edcoop.billing.pdf import PdfUnavailable, document_html, document_pdf
from edcoop.core import formatting
from edcoop.core.charts import Bar, bar_chart
from edcoop.core.views import spreadsheet_cell

from . import annual

ZERO = Decimal(0)

__all__ = ["PdfUnavailable", "annual_pdf", "annual_xlsx", "charts"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"money": '"$"#,##0.00;-"$"#,##0.00', "quantity": "#,##0.##",
                  "ratio": "0.0000", "percent": "0.0%", "date": "yyyy-mm-dd",
                  "count": "0"}  # fmt: skip
# The workbook's charts, on the sheet of their table: title, the first column drawn and how
# many columns from it (a series each), the column naming the bars, the value axis.
SHEET_CHARTS = {
    "Services": ("Charges by service", "Charges", 1, "Service", "Charges ($)"),
    "Utilisation": ("Members taking part, by service (this year and the year before)",
                    "Members", 2, "Service", "Members"),
    "Admin fees": ("Admin fees by contract: invoiced and paid in the year", "Invoiced", 2,
                   "Contract", "Fees ($)"),
}  # fmt: skip


def _dollars(value: Decimal | int) -> str:
    """Whole dollars on the charts' axes and bars (the tables give the cents)."""
    return "$" + formatting.number(value, 0)


def _short(text: str) -> str:
    """A bar's label fits its column (the table beside the chart names it in full)."""
    return text if len(text) <= 24 else text[:23] + "…"


def charts(report: annual.AnnualReport) -> list[SafeString]:
    """Charges by service (net of aid marked); for the agency also charges by member, members
    taking part by service (the year before marked) and admin fees by contract (paid
    marked)."""
    out = []
    services = sorted(report.services, key=lambda s: -s.charges)[:12]
    if services:
        out.append(bar_chart(
            "Charges by service", [Bar(_short(f"{s.code} {s.name}"), s.charges, target=s.net)
                                   for s in services],
            describe="Each bar is the year's charges for a service; the mark is the cost "
                     "after the aid it earns. The Services table gives every figure.",
            fmt=_dollars,
        ))  # fmt: skip
    if report.institution is None and report.members:
        members = sorted(report.members, key=lambda m: -m.charges)[:12]
        out.append(bar_chart(
            "Charges by member", [Bar(_short(m.name), m.charges, target=m.net) for m in members],
            describe="Each bar is a member's charges for the year; the mark is its cost after "
                     "aid. The Members table gives every figure.",
            fmt=_dollars,
        ))  # fmt: skip
    if report.utilisation:
        used = sorted(report.utilisation, key=lambda x: (-x.members, x.code))[:12]
        out.append(bar_chart(
            "Members taking part, by service",
            [Bar(_short(f"{x.code} {x.name}"), x.members, target=x.members_before)
             for x in used],
            describe=f"Each bar is how many members took part in a service this year; the "
                     f"mark is FY{report.fiscal_year - 1}. The Utilisation table gives every "
                     "figure, with units used against the year before and the capacity.",
            fmt=lambda v: formatting.number(v, 0),
        ))  # fmt: skip
    if report.fees:
        fees = sorted(report.fees, key=lambda f: (-f.invoiced, f.number))[:12]
        out.append(bar_chart(
            "Admin fees by contract",
            [Bar(_short(f"{f.number} {f.supplier}"), max(f.invoiced, ZERO), target=f.paid)
             for f in fees],
            describe="Each bar is the admin fees invoiced to a contract's supplier this year "
                     "(net of adjustments); the mark is what the supplier paid during the year. "
                     "The Admin fees table gives every figure, with what is still owed.",
            fmt=_dollars,
        ))  # fmt: skip
    return out


def context(report: annual.AnnualReport) -> dict[str, Any]:
    return {"report": report, "agency": report.agency, "tables": annual.tables(report),
            "charts": charts(report)}  # fmt: skip


def annual_pdf(report: annual.AnnualReport) -> bytes:
    """Tagged, on the invoice's letterhead and the agency's paper (billing's one pipeline)."""
    return document_pdf("governance/annual_pdf.html", context(report))


def annual_html(report: annual.AnnualReport) -> str:
    return document_html("governance/annual_pdf.html", context(report))


def annual_xlsx(report: annual.AnnualReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    for table in annual.tables(report):
        sheet = book.create_sheet(table.title)
        sheet.append([report.title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([f"{table.title}, fiscal year {formatting.day(report.start)} to "
                      f"{formatting.day(report.end)}"])  # fmt: skip
        sheet.append([])
        sheet.append(table.header)
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font, cell.fill = bold, head_fill
        for row in table.rows:
            sheet.append([spreadsheet_cell(v) for v in row])
        if table.totals is not None:
            sheet.append([spreadsheet_cell(v) for v in table.totals])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        last = sheet.max_row
        for col, kind in enumerate(table.kinds, start=1):
            fmt = NUMBER_FORMATS.get(kind)
            texts = [annual.show(r[col - 1], kind) for r in table.rows]
            width = max([len(str(table.header[col - 1])), 8] + [len(t) for t in texts])
            sheet.column_dimensions[get_column_letter(col)].width = min(width + 2, 60)
            if fmt:
                for (cell,) in sheet.iter_rows(min_row=header_row + 1, max_row=last,
                                               min_col=col, max_col=col):  # fmt: skip
                    cell.number_format = fmt
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        if table.title in SHEET_CHARTS and table.rows:
            title, first, series, names, axis = SHEET_CHARTS[table.title]
            min_col = table.header.index(first) + 1
            chart = BarChart()
            chart.type, chart.title = "bar", title
            chart.y_axis.title = axis
            if series == 1:
                chart.legend = None
            n = len(table.rows)
            chart.add_data(Reference(sheet, min_col=min_col, max_col=min_col + series - 1,
                                     min_row=header_row, max_row=header_row + n),
                           titles_from_data=True)  # fmt: skip
            label_col = table.header.index(names) + 1
            chart.set_categories(Reference(sheet, min_col=label_col, min_row=header_row + 1,
                                           max_row=header_row + n))  # fmt: skip
            chart.height, chart.width = max(7.5, 0.6 * n + 3), 18
            sheet.add_chart(chart, f"{get_column_letter(len(table.header) + 2)}{header_row}")
    book.properties.title = report.title
    book.properties.creator = report.agency.name
    out = BytesIO()
    book.save(out)
    return out.getvalue()
