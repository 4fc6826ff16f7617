"""Fiscal years and monthly billing periods of an agency.

A fiscal year is named by the year it ends (FY2027 = 2026-07-01..2027-06-30 for a July
start). A billing period is a month, stored as its first day.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError

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
    return date(int(match.group(1)), int(match.group(2)), 1)


def period_label(period: date) -> str:
    return f"{period:%B %Y}"
