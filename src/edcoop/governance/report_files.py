"""Annual reports as files: a tagged PDF (WeasyPrint, on the agency's paper) and a formatted
workbook (openpyxl), both drawn from ``annual.tables``: the same figures as the page."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils.safestring import SafeString

from edcoop.billing.pdf import PdfUnavailable, document_html, render_pdf
from edcoop.core import formatting
from edcoop.core.charts import Bar, bar_chart
from edcoop.core.views import spreadsheet_cell

from . import annual

__all__ = ["PdfUnavailable", "annual_pdf", "annual_xlsx", "charts"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"money": '"$"#,##0.00;-"$"#,##0.00', "quantity": "#,##0.##",
                  "ratio": "0.0000", "date": "yyyy-mm-dd", "count": "0"}  # fmt: skip


def _dollars(value: Decimal | int) -> str:
    """Whole dollars on the charts' axes and bars (the tables give the cents)."""
    return "$" + formatting.number(value, 0)


def _short(text: str) -> str:
    """A bar's label fits its column (the table beside the chart names it in full)."""
    return text if len(text) <= 24 else text[:23] + "…"


def charts(report: annual.AnnualReport) -> list[SafeString]:
    """Charges by service (net of aid marked), and for the agency charges by member."""
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
    return out


def context(report: annual.AnnualReport) -> dict[str, Any]:
    return {"report": report, "agency": report.agency, "tables": annual.tables(report),
            "charts": charts(report)}  # fmt: skip


def annual_pdf(report: annual.AnnualReport) -> bytes:
    """Tagged, on the invoice's letterhead and the agency's paper (billing's one pipeline)."""
    return render_pdf(annual_html(report))


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
        if table.title == "Services" and table.rows:
            chart = BarChart()
            chart.type, chart.title = "bar", "Charges by service"
            chart.y_axis.title, chart.legend = "Charges ($)", None
            charges_col = table.header.index("Charges") + 1
            n = len(table.rows)
            chart.add_data(Reference(sheet, min_col=charges_col, min_row=header_row,
                                     max_row=header_row + n), titles_from_data=True)  # fmt: skip
            chart.set_categories(Reference(sheet, min_col=2, min_row=header_row + 1,
                                           max_row=header_row + n))  # fmt: skip
            chart.height, chart.width = max(7.5, 0.6 * n + 3), 18
            sheet.add_chart(chart, f"{get_column_letter(len(table.header) + 2)}{header_row}")
    book.properties.title = report.title
    book.properties.creator = report.agency.name
    out = BytesIO()
    book.save(out)
    return out.getvalue()
