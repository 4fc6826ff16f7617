"""Money: one precision, one rounding rule, for every amount in EdCoop."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT_PRICE = Decimal("0.0001")


def quantize_money(value: Decimal) -> Decimal:
    """Round an amount to cents, half-up (the convention of US public-sector invoices)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
