"""One reader for uploaded tables: price lists and sales reports read CSV and XLSX alike, name
each bad row as the user's program shows it, and refuse what is not data (formulas, error
values, TRUE/FALSE, NUL, huge cells, zip bombs) without writing anything."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.web.conftest import client_for

from edcoop.contracts import pricelists, sales
from edcoop.contracts.models import Contract, ContractItem, SalesReport
from edcoop.core import tabular

COLUMNS = ["sku", "description", "unit", "unit_price", "category", "list_price", "tiers"]


def workbook(*rows: list[Any], title: str = "Prices", before: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    for name in before:  # sheets ahead of the data (the reader reads the first)
        first.title = name
        first = book.create_sheet(title)
    first.title = title
    for row in rows:
        first.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _refusals(user: Any, contract: Contract, data: Any) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        pricelists.import_price_list(user=user, contract=contract, data=data)
    return exc.value.message_dict["file"]


def test_an_xlsx_price_list_is_read_like_a_csv(north: Any, paper: Contract) -> None:
    data = workbook(COLUMNS,
                    ["A-1", "Letter paper", "ream", 4.1, "Paper", 6.49, "100:3.90;500:3.75"],
                    [], ["A-2", "Legal", "ream", 5, None])  # fmt: skip
    n = pricelists.import_price_list(user=north.users["procurement_officer"], contract=paper,
                                     data=data)  # fmt: skip
    assert n == 2
    a1 = ContractItem.objects.get(sku="A-1")
    assert str(a1.unit_price) == "4.1000" and str(a1.list_price) == "6.4900"
    assert a1.tiers.count() == 2
    assert str(ContractItem.objects.get(sku="A-2").unit_price) == "5.0000"


def test_xlsx_refusals_name_the_spreadsheet_row_and_write_nothing(
    north: Any, paper: Contract
) -> None:
    # openpyxl will not write a NUL into a cell, so that row is left to the CSV test below.
    data = workbook(
        COLUMNS,
        ["A-1", "Letter", "ream", "=2*2"],
        [],
        ["A-2", "Legal", "ream", 1e20],
        ["A-3", True, "ream", 4],
        ["A-4", "Pens", "box", "NaN"],
        ["A-5", "Pens", "box", -1],
        ["A-6", "Pens", "box", "1" * 40],
        ["A-7", "x" * 100_000, "box", 1],
        ["A-9", "Pens", "box", 1],
        ["A-9", "Again", "box", 1],
    )
    errors = _refusals(north.users["procurement_officer"], paper, data)
    assert errors[0].startswith("row 2: unit_price: a formula (=2*2)")
    assert errors[1].startswith("row 4: unit_price:")
    assert errors[2] == "row 5: description: TRUE/FALSE is not a value here"
    assert errors[3].startswith("row 6: unit_price:")
    assert errors[4].startswith("row 7: unit_price: Cannot be negative")
    assert errors[5].startswith("row 8: unit_price:")
    assert errors[6] == "row 9: description: over 10,000 characters"
    assert errors[7] == "row 11: sku 'A-9' repeats an earlier line"
    assert len(errors) == 8
    assert not ContractItem.objects.exists()


def test_csv_limits(north: Any, paper: Contract) -> None:
    user = north.users["procurement_officer"]
    head = ",".join(COLUMNS) + "\n"
    errors = _refusals(user, paper, head + "A-1,Pen\x00,box,1\nA-2," + "y" * 100_000
                       + ",box,1\nA-3,Pen,box,1e20\nA-4,Pen,box,NaN\n"
                       '"A-5","two\nlines",box,-2\n')  # fmt: skip
    assert errors[0].startswith("line 2: description: contains a NUL")
    assert errors[1] == "line 3: description: over 10,000 characters"
    assert "exponent" in errors[2] and errors[2].startswith("line 4: unit_price")
    assert errors[3].startswith("line 5: unit_price")
    assert errors[4].startswith("line 6: unit_price: Cannot be negative")
    assert _refusals(user, paper, b"") == ["The file is empty: the first line names the columns."]
    assert _refusals(user, paper, head) == ["The file has no rows."]
    assert _refusals(user, paper, "sku,sku,description,unit,unit_price\n")[0].endswith(
        "column(s) named twice: sku"
    )
    assert not ContractItem.objects.exists()


def test_the_first_sheet_is_read_and_a_wrong_one_is_named(north: Any, paper: Contract) -> None:
    user = north.users["procurement_officer"]
    wrong = workbook(COLUMNS, ["A-1", "Letter", "ream", 4], before=("Notes",))
    assert _refusals(user, paper, wrong) == [
        "The first sheet ('Notes') is empty: the first sheet is read, and its first row names "
        "the columns."
    ]
    other = workbook(["item", "price"], ["A-1", 4])
    assert _refusals(user, paper, other)[0].startswith(
        "sheet 'Prices' row 1: missing column(s) sku, description, unit, unit_price"
    )


def test_a_zip_bomb_or_a_fake_workbook_is_refused_before_unpacking(
    north: Any, paper: Contract
) -> None:
    user = north.users["procurement_officer"]
    out = io.BytesIO(workbook(COLUMNS, ["A-1", "Letter", "ream", 4]))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.xml", b"\0" * 50_000_000)
    assert len(out.getvalue()) < 200_000
    assert "unpacks to" in _refusals(user, paper, out.getvalue())[0]
    assert "not one" in _refusals(user, paper, b"PK\x03\x04 not really")[0]


def test_a_sales_report_can_be_an_xlsx_with_date_cells(north: Any, paper: Contract,
                                                        ream: ContractItem) -> None:  # fmt: skip
    data = workbook(["member", "sku", "quantity", "unit_price", "invoice_date"],
                    [north.institution.pk, "CP-8511", 100, 3.9, date(2026, 8, 3)],
                    [north.institution.name, "CP-8511", 2, "3.90", "2026-09-30"])  # fmt: skip
    office = client_for(north.users["supplier_rep"])
    url = f"/a/north/contracts/{paper.pk}/sales-report/"
    page = office.post(url, {"year": 2026, "quarter": 3,
                             "file": SimpleUploadedFile("q3.xlsx", data)})  # fmt: skip
    assert page.status_code == 302, page.content.decode()[-2000:]
    report = SalesReport.objects.get()
    assert report.line_count == 2 and str(report.total_sales) == "397.80"


def test_sales_rows_keep_their_spreadsheet_rows(north: Any, paper: Contract,
                                                ream: ContractItem) -> None:  # fmt: skip
    data = workbook(["member", "sku", "quantity", "unit_price", "invoice_date"], [],
                    [north.institution.pk, "CP-8511", "=1+1", 3.9, date(2026, 8, 3)],
                    [north.institution.pk, "NOPE", 1, 3.9, date(2026, 8, 3)])  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                          quarter=3, rows=sales.read_file(data),
                          today=date(2026, 10, 20))  # fmt: skip
    errors = exc.value.message_dict["rows"]
    assert errors[0].startswith("row 3: quantity: a formula")
    assert errors[1].startswith("row 4: sku: 'NOPE' is not on contract")


def test_reader_rows_and_limits() -> None:
    rows = list(tabular.read_table("A,b\n1,2\n\n3,4\n", required=["a"], optional=["b"],
                                   max_rows=2))  # fmt: skip
    assert [(r.label, r.values) for r in rows] == [
        ("line 2", {"a": "1", "b": "2"}),
        ("line 4", {"a": "3", "b": "4"}),
    ]
    with pytest.raises(ValidationError, match="line 3: at most 1 rows"):
        list(tabular.read_table("a\n1\n2\n", required=["a"], max_rows=1))
    with pytest.raises(ValidationError, match="unknown column"):
        list(tabular.read_table("a,z\n1,2\n", required=["a"], max_rows=1))
    with pytest.raises(ValidationError, match="UTF-8"):
        list(tabular.read_table(b"a\n\xff\n", required=["a"], max_rows=1))


def _streamed_book(rows: int) -> bytes:
    """As bench/pricelist.py and other programs write one: openpyxl's write-only mode, which
    states no sheet size (no ``<dimension>``) and keeps text inline (no shared strings)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Prices")
    sheet.append(COLUMNS[:4])
    for i in range(rows):
        sheet.append([f"SKU-{i:07d}", f"Item {i}", "each", "4.10"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _reading_peak(data: bytes) -> tuple[int, int]:
    """Rows read and the most memory Python held at once while reading them (tracemalloc)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in tabular.read_table(data, required=COLUMNS[:4],
                                                  max_rows=1_000_000))  # fmt: skip
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_workbook_is_read_in_memory_that_does_not_grow_with_its_rows() -> None:
    # openpyxl's read-only sheet parsed such a workbook twice (once at opening, for the size
    # it does not state) and left each parsed row in the XML tree: about 100 bytes a row,
    # 100 MB for a million-row price list. Ten times the rows must not cost more memory.
    small, large = _streamed_book(2_000), _streamed_book(20_000)
    (n_small, peak_small), (n_large, peak_large) = _reading_peak(small), _reading_peak(large)
    assert (n_small, n_large) == (2_000, 20_000)
    assert peak_large < peak_small + 400_000, (peak_small, peak_large)


def test_the_progress_total_of_a_workbook_is_its_stated_size_or_unknown() -> None:
    stated = workbook(COLUMNS[:4], *[[f"A-{i}", "Pens", "box", 1] for i in range(30)])
    assert pricelists.estimate_rows(stated) == 31  # the sheet's <dimension>: A1:D31
    assert pricelists.estimate_rows(_streamed_book(30)) == 0  # none stated: not read to count
    assert pricelists.estimate_rows(b"PK\x03\x04 not really") == 0
    assert pricelists.estimate_rows(b"sku,description\nA,b\n") == 2
