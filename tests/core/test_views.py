"""CSV and XLSX exports never hand a spreadsheet a formula a user typed."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from edcoop.core.views import export_response

ATTACKS = [
    "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
    " =1+1", "   @x", "\n=1+1", "\r=cmd|' /C calc'!A0", "\t=x", "\u3000=x", "\u00a0+x",
    "\uff1d1+1", "\uff0bcmd", "\uff0d1", "\uff20SUM(A1)", " \uff1dx",
]  # fmt: skip
HARMLESS = ["Alder CSD", "a=b", "x-1", "", "e-mail@x.example"]


def _csv_cells(rows):
    body = export_response("csv", "t", ["value"], [[v] for v in rows]).content.decode("utf-8-sig")
    return [row[0] for row in list(csv.reader(io.StringIO(body)))[1:]]


def _xlsx_cells(rows):
    data = export_response("xlsx", "t", ["value"], [[v] for v in rows]).content
    sheet = load_workbook(io.BytesIO(data)).active
    return [(c.value, c.data_type) for (c,) in list(sheet.iter_rows())[1:]]


@pytest.mark.parametrize("attack", ATTACKS)
def test_formulas_are_defused_in_csv_and_xlsx(attack):
    assert _csv_cells([attack]) == ["'" + attack]
    [(value, kind)] = _xlsx_cells([attack])
    assert kind == "s" and value.startswith("'")  # XML stores a CR as a line feed
    assert value[1:] == attack.replace("\r", "\n")


def test_ordinary_text_and_numbers_pass_unchanged():
    assert _csv_cells(HARMLESS) == HARMLESS
    cells = _xlsx_cells([*HARMLESS[:3], 12.5, -3])
    assert [v for v, _ in cells] == [*HARMLESS[:3], 12.5, -3]
    assert [k for _, k in cells][-2:] == ["n", "n"]
