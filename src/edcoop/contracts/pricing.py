"""The contract price of a purchase: pure arithmetic on plain values.

- A price-list item costs its unit price, or the price of the highest volume tier whose
  minimum the ordered quantity reaches (tiers are per order line).
- A catalogue-discount line costs the supplier's list price less the category's discount,
  rounded half-up to 4 places (a unit price), then extended.
- Every extension is quantity x unit price rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from edcoop.core.money import UNIT_PRICE, quantize_money


@dataclass(frozen=True)
class TierPrice:
    min_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class Priced:
    unit_price: Decimal
    tier_min: Decimal | None  # None: the base price


def price_for(base: Decimal, tiers: Sequence[TierPrice], quantity: Decimal) -> Priced:
    """The unit price ``quantity`` earns: the best tier reached, else the base price."""
    best = Priced(base, None)
    for tier in sorted(tiers, key=lambda t: t.min_quantity):
        if quantity >= tier.min_quantity and tier.unit_price <= best.unit_price:
            best = Priced(tier.unit_price, tier.min_quantity)
    return best


def discounted(list_price: Decimal, discount_pct: Decimal) -> Decimal:
    """``list_price`` less ``discount_pct`` percent, at unit-price precision."""
    return (list_price * (100 - discount_pct) / 100).quantize(UNIT_PRICE, rounding=ROUND_HALF_UP)


def extend(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return quantize_money(quantity * unit_price)


def fee(amount: Decimal, pct: Decimal) -> Decimal:
    """``pct`` percent of ``amount``, to the cent."""
    return quantize_money(amount * pct / 100)
