"""The one grammar for numbers at the door: what is refused, what is accepted, and that an
accepted value always fits its column."""

from decimal import Decimal

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st
from ninja import Schema
from pydantic import ValidationError as PydanticError

from edcoop.core.decimals import (
    MONEY,
    QUANTITY,
    UNIT_PRICE,
    BoundedDecimalField,
    Bounds,
    DecimalInputError,
    api_decimal,
    parse_decimal,
)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e20", "exponent notation"),
        ("1E+30", "exponent notation"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("-0", "negative zero"),
        ("-0.00", "negative zero"),
        ("1" * 40, "too large"),
        ("1\x002", "NUL"),
        ("١٢٣", "not a number"),  # Arabic-Indic digits
        ("\uff11\uff12", "not a number"),  # full-width digits
        ("1_000", "not a number"),
        ("1,000", "not a number"),  # grouping only where people type
        ("", "required"),
        ("   ", "required"),
        ("12.34567", "decimal places"),
        ("-5", "negative"),
        ("5" * 100_000, "too large"),
        ("0." + "1" * 100_000, "decimal places"),
    ],
)
def test_refusals_name_the_reason(raw, reason):
    with pytest.raises(DecimalInputError, match=reason):
        parse_decimal(raw, MONEY)


def test_a_bid_price_that_would_overflow_the_column_is_refused():
    # 14 digits with 4 places hold 10 whole digits: 12345678901.0000 cannot be stored.
    with pytest.raises(DecimalInputError, match=r"too large.*9,999,999,999\.9999"):
        parse_decimal("12345678901.0000", UNIT_PRICE)
    assert parse_decimal("9999999999.9999", UNIT_PRICE) == Decimal("9999999999.9999")


def test_floats_are_refused_but_integers_and_decimals_pass():
    with pytest.raises(DecimalInputError, match="float"):
        parse_decimal(12.5, MONEY)
    with pytest.raises(DecimalInputError, match="float"):
        parse_decimal(True, MONEY)
    assert parse_decimal(12, MONEY) == Decimal("12.00")
    assert parse_decimal(Decimal("3.1"), QUANTITY) == Decimal("3.1000")
    with pytest.raises(DecimalInputError):
        parse_decimal(Decimal("NaN"), MONEY)
    with pytest.raises(DecimalInputError, match="not a number"):
        parse_decimal(None, MONEY)


def test_people_may_type_grouping_and_dollars():
    assert parse_decimal("$1,250.50", MONEY, people=True) == Decimal("1250.50")
    assert parse_decimal(" 1,234,567 ", MONEY, people=True) == Decimal("1234567.00")
    assert parse_decimal("-$5", MONEY.with_range(minimum=None), people=True) == Decimal("-5.00")
    for bad in ("1,23", "12,,000", "$$5", "1,000,00"):
        with pytest.raises(DecimalInputError):
            parse_decimal(bad, MONEY, people=True)


def test_trailing_zeros_beyond_the_places_are_fine():
    assert parse_decimal("1.50000", MONEY) == Decimal("1.50")
    assert str(parse_decimal("7", MONEY)) == "7.00"


def test_range():
    bounds = Bounds(5, 2, minimum=Decimal("0.01"), maximum=Decimal("100"))
    with pytest.raises(DecimalInputError, match=r"at least 0\.01"):
        parse_decimal("0", bounds)
    with pytest.raises(DecimalInputError, match="at most 100"):
        parse_decimal("100.01", bounds)
    assert parse_decimal("100", bounds) == Decimal("100.00")


@given(
    st.decimals(
        min_value=Decimal(0), max_value=MONEY.largest, places=2, allow_nan=False,
        allow_infinity=False,
    )
)  # fmt: skip
def test_any_value_the_column_holds_round_trips(value):
    assert parse_decimal(format(value, "f"), MONEY) == value
    assert parse_decimal(f"{value:,}", MONEY, people=True) == value


@given(st.text(max_size=60))
def test_whatever_is_accepted_fits_the_column(raw):
    try:
        value = parse_decimal(raw, UNIT_PRICE, people=True)
    except DecimalInputError as exc:
        assert str(exc)
        return
    sign, digits, exponent = value.as_tuple()
    assert exponent == -4
    assert len(digits) <= 14
    assert not sign or value != 0
    assert value >= 0


def test_form_field_names_the_problem_and_keeps_limits_visible():
    class F(forms.Form):
        amount = BoundedDecimalField(bounds=MONEY)

    form = F({"amount": "1e20"})
    assert not form.is_valid()
    assert "exponent notation" in form.errors["amount"][0]
    assert F({"amount": "$1,200.10"}).is_valid()
    assert 'inputmode="decimal"' in str(F()["amount"])
    assert "Up to 12 digits and 2 decimal places." in str(F()["amount"].help_text)


def test_api_type_refuses_with_a_readable_message():
    class Body(Schema):
        unit_price: api_decimal(UNIT_PRICE, "3.4100")  # type: ignore[valid-type]

    assert Body(unit_price="3.41").unit_price == Decimal("3.4100")
    with pytest.raises(PydanticError, match="too large"):
        Body(unit_price="12345678901")
    with pytest.raises(PydanticError, match="float"):
        Body(unit_price=3.41)
    with pytest.raises(PydanticError, match="not a number"):
        Body(unit_price="1,000")
