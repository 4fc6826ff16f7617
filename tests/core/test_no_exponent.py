"""Item 3 of issue 11: no output ever writes a number in exponent notation. Decimals of
every magnitude and exponent (``1E+1``, ``5E+3``, ``0E-10``, ``-0``, ``1E+20``...) go
through every formatting entry point the pages, charts, CSV, XLSX and PDF use, and the text
a reader sees never has a digit, an ``E`` and a digit in a row."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from edcoop.core import formatting
from edcoop.core.charts import Bar, bar_chart
from edcoop.core.views import export_response
from edcoop.governance import annual, report_files

EXPONENT = re.compile(r"[0-9][eE][+-]?[0-9]")

# Any finite Decimal, in any form: coefficients up to 20 digits, exponents from -30 to +30
# (so 1E+20 and 0E-10 and 5E+3 come up), signs and negative zero included.
decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in digits), exponent)),
    st.sampled_from([0, 1]),
    st.text("0123456789", min_size=1, max_size=20),
    st.integers(-30, 30),
)
EXAMPLES = ["1E+1", "5E+3", "0E-10", "-0", "1E+20", "1e20", "-5E-7", "1.5E+25", "0.00000001"]


def clean(text: Any) -> None:
    assert not EXPONENT.search(str(text)), text


def texts(value: Decimal) -> list[str]:
    """Every formatter's text of ``value``: core.formatting and the template filters (pages
    and PDFs), the annual report's cells (its page, PDF and charts)."""
    out = [
        formatting.money(value), formatting.price(value), formatting.number(value),
        formatting.number(value, 0), formatting.number(value, 4), formatting.quantity(value),
        formatting.quantity(value, "cases"), formatting.percent(value),
        formatting.percent(value, fraction=False), formatting.blank(value),
        formatting.plain(value), report_files._dollars(value),
    ]  # fmt: skip
    out += [annual.show(value, kind) for kind in ("money", "quantity", "ratio", "text")]
    out.append(FILTERS.render(Context({"v": value})))
    return out


FILTERS = Template(
    "{% load edcoop_ui %}{{ v|money }} {{ v|price }} {{ v|decimal:2 }} {{ v|decimal:0 }} "
    "{{ v|quantity }} {{ v|quantity:'hours' }} {{ v|pct }} {{ v|share }} {{ v|dash }}"
)


@given(decimals)
@settings(max_examples=300, deadline=None)
def test_no_formatter_writes_an_exponent(value: Decimal) -> None:
    for text in texts(value):
        clean(text)


def test_the_examples_the_issue_names() -> None:
    for raw in EXAMPLES:
        for text in texts(Decimal(raw)):
            clean(text)
    assert formatting.quantity(Decimal("5E+3")) == "5,000"
    assert formatting.money(Decimal("-0")) == "$0.00"
    assert formatting.plain(Decimal("-0")) == "0" and formatting.plain(Decimal("1E+1")) == "10"


@given(st.lists(decimals.filter(lambda d: d >= 0), min_size=1, max_size=4))
@settings(max_examples=80, deadline=None)
def test_charts_axes_and_bars(values: list[Decimal]) -> None:
    bars = [Bar(f"bar {i}", v, target=v) for i, v in enumerate(values)]
    for fmt in (formatting.quantity, formatting.money, report_files._dollars):
        svg = bar_chart("Spend", bars, describe="test", fmt=fmt)
        shown = " ".join(re.findall(r">([^<>]*)</text>", svg))
        clean(shown)
        for attr in re.findall(r'(?:x|x1|x2|width)="([^"]*)"', svg):  # SVG numbers too
            clean(attr)


@given(st.lists(decimals, min_size=1, max_size=6))
@settings(max_examples=80, deadline=None)
def test_csv_and_xlsx_downloads(values: list[Decimal]) -> None:
    from openpyxl import load_workbook

    header = [f"c{i}" for i in range(len(values))]
    body = export_response("csv", "t", header, [values]).content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(body)):
        for cell in row:
            clean(cell)
    book = load_workbook(io.BytesIO(export_response("xlsx", "t", header, [values]).content))
    for cell in book.active[2]:
        # What Excel shows is the number in the cell's format: never General (which turns
        # 1E+20 and 1E-10 into exponents), never a scientific format.
        assert cell.number_format != "General" and "E" not in cell.number_format.upper()


def test_the_solvers_gap_reads_as_a_percentage() -> None:
    """HiGHS reports its gap as a float fraction; the award pages showed ``0.0000``."""
    share = Template("{% load edcoop_ui %}{{ g|share }}")
    assert share.render(Context({"g": 1.1e-05})) == "0.0011%"
    assert share.render(Context({"g": 0.0})) == "0%"
    assert share.render(Context({"g": 0.02298})) == "2.298%"
