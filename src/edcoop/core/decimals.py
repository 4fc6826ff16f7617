"""Numbers typed by people or sent by programs: one grammar, one set of bounds, one message.

Every money, price and quantity input (forms, API, CSV imports, commands) goes through
:func:`parse_decimal` with the bounds of the column it lands in, so nothing is accepted at
the door that the database cannot hold or that makes no sense:

- plain ASCII digits with an optional sign and decimal point: no exponent (``1E+30``), no
  underscores (``1_000``), no other scripts' digits (``١٢``), no NaN or infinity, no NUL;
- grouping commas and a leading ``$`` only where the caller allows them (people's forms and
  spreadsheets, not the API);
- no negative zero (``-0``, ``-0.00``): it means nothing and reads as a refund;
- at most the column's decimal places (trailing zeros beyond them are fine: ``1.50000``);
- at most the column's whole digits, and within the caller's minimum and maximum.

Refusals are :class:`DecimalInputError` with one readable sentence that never echoes more
than a few characters of the input; callers attach the field name (``ValidationError`` for
forms and services, 422 for the API, ``line N`` for imports, exit 2 for commands).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated, Any

from django import forms
from django.db import models
from pydantic import BeforeValidator, WithJsonSchema

# Sign, digits, optional fraction; re.ASCII keeps \d to 0-9.
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)


# Wide enough that quantizing any value within a column's bounds never raises (a value with
# thousands of decimal places quantizes fine: only the result's digits count).
_WIDE = Context(prec=60)


class DecimalInputError(ValueError):
    """An input that is not a number this field can hold; ``str()`` says why."""


@dataclass(frozen=True)
class Bounds:
    """What a field holds: the column's digits and places, and the sensible range."""

    max_digits: int
    decimal_places: int
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None

    @property
    def largest(self) -> Decimal:
        """The largest value the column holds (e.g. 999999999999.99 for 14 digits, 2 places)."""
        whole = self.max_digits - self.decimal_places
        return Decimal(10) ** whole - Decimal(1).scaleb(-self.decimal_places)

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimal_places)

    def with_range(self, minimum: Decimal | None = None, maximum: Decimal | None = None) -> Bounds:
        return Bounds(self.max_digits, self.decimal_places, minimum, maximum)


def column(model: type[models.Model], field: str, **range_: Decimal | None) -> Bounds:
    """The bounds of a model's DecimalField, e.g. ``column(Payment, "amount")``."""
    f = model._meta.get_field(field)
    if not isinstance(f, models.DecimalField):
        raise TypeError(f"{model.__name__}.{field} is not a DecimalField")
    bounds = Bounds(f.max_digits, f.decimal_places)
    return bounds.with_range(**range_) if range_ else bounds


def _shown(raw: str) -> str:
    text = raw if len(raw) <= 24 else raw[:20] + "..."
    return repr(text)


def parse_decimal(raw: Any, bounds: Bounds, *, people: bool = False) -> Decimal:
    """``raw`` as a Decimal at ``bounds.decimal_places`` places, or DecimalInputError.

    ``people=True`` also accepts what people type in forms and spreadsheets: grouping
    commas (``1,250.00``) and a leading dollar sign.
    """
    if isinstance(raw, bool | float):
        raise DecimalInputError('send the number as text, e.g. "12.50", not as a float')
    if isinstance(raw, Decimal):
        value = raw
        if not value.is_finite():
            raise DecimalInputError("is not a number")
        text = None
    else:
        text = str(raw) if isinstance(raw, int) else raw
        if not isinstance(text, str):
            raise DecimalInputError("is not a number")
        text = text.strip()
        if not text:
            raise DecimalInputError("is required")
        if "\x00" in text:
            raise DecimalInputError("contains a NUL character")
        candidate = text
        if people:
            sign = ""
            if candidate[:1] in "+-":
                sign, candidate = candidate[0], candidate[1:].lstrip()
            candidate = sign + candidate.removeprefix("$").lstrip()
            if _GROUPED.fullmatch(candidate):
                candidate = candidate.replace(",", "")
        if not _PLAIN.fullmatch(candidate):
            if re.search(r"[eE]", candidate) and re.fullmatch(r"[+\-\d.eE]+", candidate):
                raise DecimalInputError(
                    f"{_shown(text)} is in exponent notation; write the number in full"
                )
            raise DecimalInputError(
                f"{_shown(text)} is not a number (use the digits 0-9 and a decimal point"
                + (", optionally with grouping commas" if people else "")
                + ")"
            )
        try:
            value = Decimal(candidate)
        except InvalidOperation:  # pragma: no cover - the grammar above admits only numbers
            raise DecimalInputError(f"{_shown(text)} is not a number") from None
    if value.is_zero() and value.is_signed():
        raise DecimalInputError("negative zero is not a value; write 0")
    # Exact comparisons first, so a huge or very long input never reaches quantize().
    if abs(value) > bounds.largest:
        raise DecimalInputError(
            f"is too large: at most {bounds.max_digits - bounds.decimal_places} digits before "
            f"the decimal point (largest {bounds.largest:,})"
        )
    quantized = value.quantize(bounds.quantum, context=_WIDE)
    if quantized != value:
        places = bounds.decimal_places
        raise DecimalInputError(
            f"has more than {places} decimal place{'s' if places != 1 else ''}"
            if places
            else "must be a whole number"
        )
    if bounds.minimum is not None and value < bounds.minimum:
        if bounds.minimum == 0:
            raise DecimalInputError("cannot be negative")
        raise DecimalInputError(f"must be at least {bounds.minimum:,}")
    if bounds.maximum is not None and value > bounds.maximum:
        raise DecimalInputError(f"must be at most {bounds.maximum:,}")
    return quantized


# Adapters: a form field and an API type that both call parse_decimal. --------------------

MONEY = Bounds(14, 2)  # invoice totals, payments, budgets: up to 999,999,999,999.99
UNIT_PRICE = Bounds(14, 4)  # contract and bid unit prices, rates
QUANTITY = Bounds(14, 4)  # usage, commitments, purchase quantities


class BoundedDecimalField(forms.Field):
    """A form field for people's numbers: grouping commas and ``$`` allowed, every other
    rule of :func:`parse_decimal` applied, the column's limits shown before typing."""

    def __init__(self, *, bounds: Bounds, **kwargs: Any) -> None:
        self.bounds = bounds
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("maxlength", str(bounds.max_digits + 8))
        if not self.help_text:
            places = bounds.decimal_places
            self.help_text = f"Up to {bounds.max_digits - places} digits" + (
                f" and {places} decimal places." if places else "."
            )

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(value, self.bounds, people=True)
        except DecimalInputError as exc:
            raise forms.ValidationError(str(exc)[:1].upper() + str(exc)[1:] + ".") from None


def api_decimal(bounds: Bounds, example: str) -> Any:
    """An API input type: a JSON string (or integer) checked by parse_decimal; a refusal is
    a 422 naming the field."""

    def check(value: Any) -> Decimal:
        try:
            return parse_decimal(value, bounds)
        except DecimalInputError as exc:
            raise ValueError(str(exc)) from None

    pattern = rf"^-?\d{{1,{bounds.max_digits - bounds.decimal_places}}}" + (
        rf"(\.\d{{0,{bounds.decimal_places}}})?$" if bounds.decimal_places else "$"
    )
    return Annotated[
        Decimal,
        BeforeValidator(check),
        WithJsonSchema(
            {"type": "string", "format": "decimal", "pattern": pattern, "examples": [example],
             "maxLength": bounds.max_digits + 2}
        ),
    ]  # fmt: skip
