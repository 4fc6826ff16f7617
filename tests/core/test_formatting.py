"""Numbers as people write them, in every output."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from edcoop.core import formatting as f
from edcoop.core.charts import Bar, bar_chart


def test_money():
    assert f.money(Decimal("1234.5")) == "$1,234.50"
    assert f.money(Decimal("-12")) == "-$12.00"
    assert f.money(Decimal("0.005")) == "$0.01"  # half-up, the invoice convention
    assert f.money(None) == ""
    assert f.money(None, empty=f.DASH) == "\u2014"
    assert f.money("not a number") == ""


def test_quantities_drop_needless_zeros_and_never_use_exponents():
    assert f.quantity(Decimal("5E+3")) == "5,000"
    assert f.quantity(Decimal("5000.0000"), "cases") == "5,000 cases"
    assert f.quantity(Decimal("2.50"), "hours") == "2.5 hours"
    assert f.quantity(Decimal("1E+1")) == "10"
    assert f.quantity(Decimal("0.0000")) == "0"
    assert f.quantity(Decimal("-0")) == "0"
    assert f.quantity(None, "cases") == ""


def test_percentages():
    assert f.percent(Decimal("0.0589")) == "5.89%"
    assert f.percent(Decimal("0.15")) == "15%"
    assert f.percent(Decimal("0.058912"), 4) == "5.8912%"
    assert f.percent(Decimal("15.00"), fraction=False) == "15%"
    assert f.percent(None) == ""


def test_numbers_and_blanks():
    assert f.number(Decimal("1969879120"), 2) == "1,969,879,120.00"
    assert f.blank(None) == ""
    assert f.blank(None, empty=f.DASH) == f.DASH
    assert f.blank(Decimal("5E+3")) == "5,000"
    assert f.blank(float("nan")) == ""
    assert f.blank("Phone") == "Phone"


def test_dates_and_moments():
    assert f.day(date(2026, 3, 3)) == "Mar 3, 2026"
    assert f.month(date(2026, 11, 1)) == "November 2026"
    moment = datetime(2026, 3, 3, 21, 5, tzinfo=UTC)
    assert f.moment(moment, ZoneInfo("America/New_York")) == "Mar 3, 2026, 4:05 PM EST"
    assert f.day(None) == "" and f.moment(None) == ""


EXTREMES = st.sampled_from([Decimal("1E+100"), Decimal("-1E-100"), Decimal("5E+3"), Decimal("-0")])


@given(st.decimals(allow_nan=True, allow_infinity=True) | EXTREMES)
def test_no_output_ever_shows_exponent_notation_or_none(value):
    for text in (
        f.money(value), f.quantity(value, "cases"), f.percent(value), f.number(value, 2),
        f.blank(value), f.blank(value, empty=f.DASH),
    ):  # fmt: skip
        assert "E" not in text and "e+" not in text and "e-" not in text
        assert "None" not in text and "NaN" not in text and "Infinity" not in text


def test_chart_axis_reads_as_numbers():
    svg = bar_chart("Members", [Bar("Districts", 7), Bar("Colleges", 3)], describe="x")
    assert "1E+1" not in svg and ">10<" in svg
