"""Fiscal years and monthly billing periods of an agency.

A fiscal year is named by the year it ends (FY2027 = 2026-07-01..2027-06-30 for a July
start). A billing period is a month, stored as its first day.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError

from edcoop.core.inputs import EARLIEST_YEAR, LATEST_YEAR

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def fiscal_year_of(day: date, start_month: int = 7) -> int:
    if start_month == 1:
        return day.year
    return day.year + 1 if day.month >= start_month else day.year


def fiscal_year_start(fiscal_year: int, start_month: int = 7) -> date:
    return date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)


def fiscal_year_periods(fiscal_year: int, start_month: int = 7) -> list[date]:
    first = fiscal_year_start(fiscal_year, start_month)
    out = []
    for i in range(12):
        month = first.month - 1 + i
        out.append(date(first.year + month // 12, month % 12 + 1, 1))
    return out


def parse_period(text: str) -> date:
    """``"2026-03"`` -> 2026-03-01; a clear error otherwise."""
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({"period": f"{text!r} is not a month; write it as YYYY-MM."})
    return _month(int(match.group(1)), int(match.group(2)), text)


def _month(year: int, month: int, text: str) -> date:
    """The month, in the years dates are taken (year 0 is no date; 9999's fiscal year ends in
    10000)."""
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationError({"period": f"{text[:40]!r}: the year must be between "
                                         f"{EARLIEST_YEAR} and {LATEST_YEAR}."})  # fmt: skip
    return date(year, month, 1)


_MONTH_WORDS = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$")
_MONTH_SLASH = re.compile(r"^(\d{1,2})/(\d{4})$")
_MONTHS = {f"{date(2000, m, 1):%B}".lower(): m for m in range(1, 13)}


def parse_month_typed(text: str) -> date:
    """A month as a person types it on a form: ``2026-11``, ``11/2026``, ``Nov 2026`` or
    ``November 2026``. Files and the API keep to ``YYYY-MM`` (``parse_period``)."""
    value = text.strip()
    words, slash = _MONTH_WORDS.match(value), _MONTH_SLASH.match(value)
    if words:
        name = words.group(1).lower()
        found = [m for full, m in _MONTHS.items() if full.startswith(name)]
        if len(name) >= 3 and len(found) == 1:
            return _month(int(words.group(2)), found[0], text)
    elif slash and 1 <= int(slash.group(1)) <= 12:
        return _month(int(slash.group(2)), int(slash.group(1)), text)
    if _PERIOD.match(value):
        return parse_period(value)
    raise ValidationError({"period": f"{text[:40]!r} is not a month; write it as YYYY-MM "
                           "(e.g. 2026-11) or Nov 2026."})


def period_label(period: date) -> str:
    return f"{period:%B %Y}"
