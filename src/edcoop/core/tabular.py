"""Rows from an uploaded table, CSV or XLSX, one reader for every import.

Price lists and sales reports (and anything after them) read their files here so they share
one set of rules:

- the format is the content's, not the name's: a ZIP (``PK\\x03\\x04``) is an XLSX workbook,
  anything else is CSV in UTF-8 (a byte-order mark is fine);
- the first row names the columns (case and surrounding spaces ignored); required columns
  must be there and, when the caller says so, nothing else;
- each data row comes with where it is, as the user's program shows it: ``line 7`` in a CSV
  (counting the header as line 1, multi-line quoted cells counted), ``row 7`` of the
  workbook's first sheet in an XLSX;
- wholly empty rows are skipped; more than ``max_rows`` data rows is refused;
- a cell with a NUL, over ``max_cell`` characters, a formula, an error value (``#DIV/0!``)
  or TRUE/FALSE is a problem of its row, named with its column: callers list every bad row
  and write nothing (all or nothing is theirs to keep);
- XLSX numbers come back as plain text (``3.9``, never ``3.9E+0``), dates as ``YYYY-MM-DD``;
- XLSX is streamed (openpyxl's row parser, each row let go once read, see ``_Sheet``):
  memory stays flat whatever the row count, except for a shared-strings table (Excel keeps
  a workbook's distinct texts there), which openpyxl reads whole before the first row; a
  workbook whose parts unpack to more than ``MAX_UNPACKED`` bytes is refused before any
  is unpacked (a "zip bomb" is a few KB that unpacks to gigabytes).

Structural problems (not UTF-8, not a workbook, missing columns, too many rows) raise a
``ValidationError`` on ``file`` at once; they are not about one row.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError

XLSX_MAGIC = b"PK\x03\x04"
MAX_CELL = 10_000
MAX_UNPACKED = 1024 * 1024 * 1024  # 1 GiB of XML: a 1,000,000-row sheet is about 150 MB
MAX_RATIO = 200  # deflate reaches ~10-20x on sheet XML; bombs reach 1000x and more


@dataclass
class Row:
    """One data row: its place as the user sees it, its cells by column, its problems."""

    number: int
    label: str
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _header(cells: Sequence[Any], where: str, required: Sequence[str],
            optional: Sequence[str] | None) -> list[str]:  # fmt: skip
    header = [str(c if c is not None else "").strip().lower()[:60] for c in cells]
    while header and not header[-1]:
        header.pop()
    missing = [c for c in required if c not in header]
    unknown = [h or "(blank)" for h in header
               if optional is not None and h not in (*required, *optional)]  # fmt: skip
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if missing or unknown or repeated:
        raise _refuse(f"{where}: " + "; ".join(
            ([f"missing column(s) {', '.join(missing)}"] if missing else [])
            + ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
            + ([f"column(s) named twice: {', '.join(repeated)}"] if repeated else [])))  # fmt: skip
    return header


def _text_problem(name: str, text: str, max_cell: int) -> str | None:
    if "\x00" in text:
        return f"{name}: contains a NUL character (\\u0000), which is not text"
    if len(text) > max_cell:
        return f"{name}: over {max_cell:,} characters"
    return None


def is_xlsx(head: bytes) -> bool:
    return head[:4] == XLSX_MAGIC


def read_table(source: bytes | str | IO[bytes], *, required: Sequence[str],
               optional: Sequence[str] | None = (), max_rows: int,
               max_cell: int = MAX_CELL) -> Iterator[Row]:  # fmt: skip
    """Yield the data rows of a CSV or XLSX upload. ``optional=None`` allows any other column.

    ``source`` is the file's bytes, its text (CSV only) or a binary file object (a Django
    upload, read as it goes)."""
    if isinstance(source, str):
        yield from _csv_rows(io.StringIO(source, newline=""), required, optional, max_rows,
                             max_cell)  # fmt: skip
        return
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    head = stream.read(4)
    stream.seek(0)
    if is_xlsx(head):
        yield from _xlsx_rows(stream, required, optional, max_rows, max_cell)
        return
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_rows(text, required, optional, max_rows, max_cell)
    finally:
        text.detach()  # leave the caller's file open


def _csv_rows(text: IO[str], required: Sequence[str], optional: Sequence[str] | None,
              max_rows: int, max_cell: int) -> Iterator[Row]:  # fmt: skip
    # A cell longer than csv's own limit is reported as our "over N characters", not csv.Error.
    csv.field_size_limit(max(csv.field_size_limit(), max_cell * 4 + 1))
    reader = csv.reader(text)
    line = 0
    try:
        first = next(reader, None)
        if first is None:
            raise _refuse("The file is empty: the first line names the columns.")
        header = _header(first, "line 1", required, optional)
        count = 0
        while True:
            line = reader.line_num + 1  # where the next record starts
            cells = next(reader, None)
            if cells is None:
                return
            if not any(c.strip() for c in cells):
                continue
            count += 1
            if count > max_rows:
                raise _refuse(f"line {line}: at most {max_rows:,} rows")
            row = Row(line, f"line {line}", {})
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                row.problems.append("more values than columns")
            for name, value in zip(header, cells, strict=False):
                if not name:
                    continue
                problem = _text_problem(name, value, max_cell)
                if problem:
                    row.problems.append(problem)
                    value = ""
                row.values[name] = value.strip()
            for name in header[len(cells) :]:
                row.values.setdefault(name, "")
            yield row
    except UnicodeDecodeError:
        raise _refuse(f"line {line or 1}: the file is not UTF-8 text (save it as CSV UTF-8 "
                      "or XLSX).") from None  # fmt: skip
    except csv.Error as exc:
        raise _refuse(f"line {line or 1}: not readable as CSV ({exc})") from None


def _check_zip(stream: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse("The file starts like an XLSX workbook but is not one.") from None
    finally:
        stream.seek(0)
    unpacked = sum(p.file_size for p in parts)
    packed = sum(p.compress_size for p in parts) or 1
    if unpacked > MAX_UNPACKED or (unpacked > 10_000_000 and unpacked / packed > MAX_RATIO):
        raise _refuse(f"The workbook unpacks to {unpacked:,} bytes, more than an import "
                      "reads; save it as CSV, or split it.")  # fmt: skip


def _cell_text(name: str, value: Any, kind: str, max_cell: int) -> tuple[str, str | None]:
    """A cell's value as the text a CSV would hold, or a problem."""
    if value is None:
        return "", None
    if kind == "f":
        return "", f"{name}: a formula ({str(value)[:24]}); paste the values instead"
    if kind == "e":
        return "", f"{name}: an error value {str(value)[:12]}"
    if isinstance(value, bool):
        return "", f"{name}: TRUE/FALSE is not a value here"
    if isinstance(value, datetime):
        if value.time() != time(0):
            return value.isoformat(sep=" "), None
        return value.date().isoformat(), None
    if isinstance(value, date | time):
        return value.isoformat(), None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "", f"{name}: not a number"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None
        # repr is the shortest text that reads back as the same float: 3.9, not 3.8999...
        text = format(Decimal(repr(value)), "f")
        return text, None
    if isinstance(value, int):
        return str(value), None
    text = str(value)
    problem = _text_problem(name, text, max_cell)
    return ("", problem) if problem else (text.strip(), None)


class _Sheet:
    """The workbook's first worksheet, its rows parsed one at a time and then let go.

    openpyxl's read-only worksheet is not used: opening one parses the whole sheet once to
    find its size when the sheet does not state it (openpyxl's own write-only files, among
    others, do not), and its parser leaves every parsed row, emptied, in the XML tree, so
    memory grew with the row count on both passes (about 150 bytes a row: 150 MB for a
    million). Here the workbook's parts (strings, styles, the list of sheets) are read as
    openpyxl reads them, and the sheet's rows by openpyxl's own row parser (the same cell
    types, dates and formulas), each row removed from the tree once it is read."""

    def __init__(self, stream: IO[bytes]) -> None:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        reader = ExcelReader(stream, read_only=True, data_only=False)
        self.archive = reader.archive
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheets = [(sheet, rel) for sheet, rel in reader.parser.find_sheets()
                      if rel.target in reader.valid_files
                      and "chartsheet" not in rel.Type]  # fmt: skip
        except BaseException:
            self.archive.close()
            raise
        self.title: str | None = sheets[0][0].name if sheets else None
        self._path = sheets[0][1].target if sheets else ""
        self._strings = reader.shared_strings
        self._book = reader.wb

    def rows(self) -> Iterator[tuple[int, list[tuple[Any, str]]]]:
        """Each row's number and its cells from column A, as (value, openpyxl's data type);
        a column the row skips is (None, "n")."""
        from openpyxl.worksheet._reader import DATA_TAG, ROW_TAG, WorkSheetParser
        from openpyxl.xml.functions import iterparse

        book = self._book
        with self.archive.open(self._path) as source:
            parser = WorkSheetParser(source, self._strings, data_only=False, epoch=book.epoch,
                                     date_formats=book._date_formats,
                                     timedelta_formats=book._timedelta_formats)  # fmt: skip
            data = None
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == DATA_TAG:
                        data = element
                    continue
                if element.tag != ROW_TAG:
                    continue
                number, parsed = parser.parse_row(element)
                # The row leaves the tree (not only emptied); openpyxl's note of a row's
                # height or style is not wanted either.
                (data if data is not None else element).clear()
                parser.row_dimensions.clear()
                cells: list[tuple[Any, str]] = [(None, "n")] * max(
                    (c["column"] for c in parsed), default=0)  # fmt: skip
                for c in parsed:
                    cells[c["column"] - 1] = (c["value"], c["data_type"])
                yield number, cells

    def close(self) -> None:
        self.archive.close()


def _xlsx_rows(stream: IO[bytes], required: Sequence[str], optional: Sequence[str] | None,
               max_rows: int, max_cell: int) -> Iterator[Row]:  # fmt: skip
    _check_zip(stream)
    try:
        sheet = _Sheet(stream)
    except Exception:  # openpyxl raises KeyError, ValueError, zipfile errors...
        raise _refuse("The file starts like an XLSX workbook but is not one (or is "
                      "password-protected).") from None  # fmt: skip
    try:
        if sheet.title is None:
            raise _refuse("The workbook has no sheet.")
        name = sheet.title
        header: list[str] | None = None
        count = 0
        for number, cells in sheet.rows():
            if header is None:
                if number != 1 or not any(value not in (None, "") for value, _ in cells):
                    raise _refuse(f"sheet {name!r} row 1: the first row names the "
                                  "columns (the first sheet is read)")  # fmt: skip
                header = _header([value for value, _ in cells], f"sheet {name!r} row {number}",
                                 required, optional)  # fmt: skip
                continue
            row = Row(number, f"row {number}", {name_: "" for name_ in header if name_})
            blank = True
            for (value, kind), col in zip(
                    cells, [*header, *[""] * max(0, len(cells) - len(header))],
                    strict=False):  # fmt: skip
                text, problem = _cell_text(col or "(no column)", value, kind, max_cell)
                if text or problem:
                    blank = False
                if problem:
                    row.problems.append(problem)
                if not col:
                    if text:
                        row.problems.append("a value outside the named columns")
                    continue
                row.values[col] = text
            if blank:
                continue
            count += 1
            if count > max_rows:
                raise _refuse(f"row {number}: at most {max_rows:,} rows")
            yield row
        if header is None:
            raise _refuse(f"The first sheet ({name!r}) is empty: the first sheet is read, "
                          "and its first row names the columns.")  # fmt: skip
    except ValidationError:
        raise
    except Exception:  # openpyxl's own, the XML parser's (a SyntaxError), a shared string
        # past the list (IndexError), a cell address with no row: a damaged file, not a 500
        raise _refuse("The workbook is damaged and cannot be read to the end.") from None
    finally:
        sheet.close()


def stated_rows(source: bytes | IO[bytes]) -> int:
    """The last row a workbook's first sheet states in its ``<dimension>`` (0 when it states
    none, or when the file is not a workbook): read from the sheet's head, never its rows,
    so a progress bar learns its total without a pass over a million rows."""
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.xml.functions import iterparse

    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        _check_zip(stream)
        sheet = _Sheet(stream)
    except Exception:  # not a workbook: the check itself says why
        return 0
    try:
        if sheet.title is None:
            return 0
        with sheet.archive.open(sheet._path) as part:
            for _, element in iterparse(part, events=("start",)):
                if element.tag == DIMENSION_TAG:
                    last = element.get("ref", "").rpartition(":")[2]
                    digits = "".join(ch for ch in last if ch.isdigit())
                    return int(digits) if digits else 0
                if element.tag == DATA_TAG:
                    return 0
    except Exception:  # damaged: the check itself says why
        return 0
    finally:
        sheet.close()
    return 0
