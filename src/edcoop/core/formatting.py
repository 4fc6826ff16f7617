"""Numbers, money, quantities, percentages and dates written as people write them.

One module for every output: pages (through the ``edcoop_ui`` filters), charts, CSV, XLSX
and PDF. Nothing here ever prints exponent notation (``5E+3``), ``None`` or ``NaN``:

- ``money(Decimal("1234.5"))`` -> ``$1,234.50``; negatives ``-$12.00``;
- ``quantity(Decimal("5000.0000"), "cases")`` -> ``5,000 cases``; needless zeros dropped,
  real decimals kept (``2.5``), never rounded away;
- ``percent(Decimal("0.0589"))`` -> ``5.89%`` (a fraction); ``percent(15, fraction=False)``
  -> ``15%`` (already a percentage);
- ``price(Decimal("0.0425"))`` -> ``$0.0425``: a unit rate, two to four decimals;
- ``number(value, places)`` -> fixed places with thousands commas;
- ``plain(Decimal("5E+3"))`` -> ``5000``: a number for CSV, no exponent, no commas;
  ``excel_format(value)``: the cell format that shows it that way in a workbook;
- ``blank(None)`` -> ``""``; every formatter answers ``""`` for no value, and callers that want
  a visible dash pass ``empty="—"``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

DASH = "\u2014"


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal, or None for no value (None, "", NaN, infinity, not a number)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
    return number if number.is_finite() else None


def _round(number: Decimal, places: int) -> Decimal:
    """Half-up to ``places``, in a context wide enough for any finite value."""
    with localcontext() as ctx:
        ctx.prec = max(28, number.adjusted() + places + 2)
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _plain(number: Decimal, places: int | None = None) -> str:
    """Fixed-point with thousands commas: never an exponent, whatever the Decimal's form."""
    if places is not None:
        return f"{_round(number, places):,.{places}f}"
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def money(value: Any, *, empty: str = "") -> str:
    """Dollars with two decimals and thousands separators: ``$1,234.50``, ``-$12.00``."""
    amount = to_decimal(value)
    if amount is None:
        return empty
    amount = _round(amount, 2)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def price(value: Any, *, empty: str = "") -> str:
    """A unit rate: dollars with two to four decimals, as many as the rate has:
    ``$12.50``, ``$0.0425``."""
    amount = to_decimal(value)
    if amount is None:
        return empty
    amount = _round(amount, 4)
    text = f"{abs(amount):,.4f}"
    text = text[:-2] + text[-2:].rstrip("0")
    return f"{'-' if amount < 0 else ''}${text}"


def number(value: Any, places: int = 2, *, empty: str = "") -> str:
    """A number with a fixed count of decimals and thousands commas: ``1,234.50``."""
    amount = to_decimal(value)
    return empty if amount is None else _plain(amount, int(places))


def quantity(value: Any, unit: str = "", *, empty: str = "") -> str:
    """A count or measure as written: ``5,000``, ``2.5 hours``; no needless zeros."""
    amount = to_decimal(value)
    if amount is None:
        return empty
    text = _plain(amount)
    return f"{text} {unit}".rstrip() if unit else text


def percent(value: Any, places: int = 2, *, fraction: bool = True, empty: str = "") -> str:
    """A share as a percentage: ``percent(Decimal("0.0589"))`` -> ``5.89%``. Trailing zeros
    go (``15%`` not ``15.00%``); ``fraction=False`` when the value is already in percent."""
    amount = to_decimal(value)
    if amount is None:
        return empty
    if fraction:
        amount = amount.scaleb(2)
    return _plain(_round(amount, int(places))) + "%"


def plain(value: Any, *, empty: str = "") -> str:
    """A number for machines (CSV): fixed-point with the value's own decimals and no
    thousands commas: ``Decimal("5E+3")`` -> ``5000``, ``Decimal("12.50")`` -> ``12.50``,
    ``-0`` -> ``0``."""
    amount = to_decimal(value)
    if amount is None:
        return empty
    text = f"{amount:f}"
    return text[1:] if amount.is_zero() and text.startswith("-") else text


def excel_format(value: Any) -> str:
    """The number format a spreadsheet cell of ``value`` needs to show it as written: its
    own decimals (up to 10), thousands commas. Excel's General turns 1E+20 and 1E-10 into
    exponents, so a number is never left in General."""
    amount = to_decimal(value)
    exponent = amount.as_tuple().exponent if amount is not None else 0
    places = min(max(-int(exponent), 0), 10)
    return "#,##0" if places == 0 else "#,##0." + "0" * places


def blank(value: Any, *, empty: str = "") -> str:
    """Any value as text, with nothing (or ``empty``) for None and empty strings."""
    if value is None or value == "":
        return empty
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        amount = to_decimal(value)
        return empty if amount is None else _plain(amount)
    return str(value)


_DONE = {
    "create": "created", "update": "updated", "delete": "deleted", "issue": "issued",
    "post": "posted", "compute": "computed", "commit": "committed", "approve": "approved",
    "decline": "declined", "publish": "published", "open": "opened", "assign": "assigned",
    "import": "imported", "record": "recorded", "reverse": "reversed", "submit": "submitted",
    "withdraw": "withdrawn", "cancel": "cancelled", "answer": "answered", "ask": "asked",
    "reopen": "reopened", "close": "closed", "verify": "verified", "status": "status changed",
    "suspend": "suspended", "reinstate": "reinstated", "debar": "debarred", "apply": "applied",
    "choose": "chosen", "score": "scored", "recommend": "recommended", "notice": "noticed",
    "send": "sent", "receive": "received", "read": "read", "login": "signed in",
}  # fmt: skip


def action_label(code: str) -> str:
    """An audit action in words: ``billing.run.post`` -> ``Billing run posted``,
    ``demand.commit`` -> ``Demand committed``; an unknown verb is kept as it is."""
    parts = [p.replace("_", " ") for p in str(code).split(".") if p]
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0].capitalize()
    *what, verb = parts
    return f"{' '.join(what)} {_DONE.get(verb, verb)}".capitalize()


def day(value: Any, *, empty: str = "") -> str:
    """A calendar date: ``Mar 3, 2026``."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return empty if value is None or value == "" else str(value)
    return f"{value:%b} {value.day}, {value.year}"


def month(value: Any, *, empty: str = "") -> str:
    """A billing period: ``November 2026``."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return empty if value is None or value == "" else str(value)
    return f"{value:%B} {value.year}"


def moment(value: Any, zone: Any = None, *, empty: str = "") -> str:
    """A stored moment in a zone, the zone named: ``Mar 3, 2026, 4:05 PM EST``."""
    if not isinstance(value, datetime):
        return empty if value is None or value == "" else str(value)
    local = value.astimezone(zone) if zone is not None else value
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local:%b} {local.day}, {local.year}, {hour}:{local:%M} {local:%p} {local:%Z}".rstrip()
