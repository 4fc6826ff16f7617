"""What the cooperative saved its members: pure arithmetic on plain values.

- Per purchase line: (baseline price - contract unit price) x quantity, to the cent, where
  the baseline is the member's last price paid outside the contract, the agency's benchmark
  price, or the supplier's list price (the line records which). A list price the buyer typed
  (a discount contract's item the agency never recorded) could be inflated, so its saving is
  capped per line (``cap``, the agency's ``typed_saving_cap`` when the order was made).
- Aggregate demand: for each item, what each member would have paid at the tier its own
  quantity earns alone, against the tier the pooled quantity of all members earns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from . import pricing


@dataclass(frozen=True)
class Line:
    member: str
    category: str
    year: int
    method: str
    quantity: Decimal
    unit_price: Decimal
    baseline: Decimal | None
    cap: Decimal | None = None


def line_saving(line: Line) -> Decimal | None:
    if line.baseline is None:
        return None
    saving = pricing.extend(line.quantity, line.baseline) - pricing.extend(
        line.quantity, line.unit_price
    )
    return saving if line.cap is None else min(saving, line.cap)


def summed(lines: Iterable[Line], by: str) -> dict[tuple[str, str], Decimal]:
    """Savings summed by ``by`` ("member", "category" or "year") and method."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        saving = line_saving(line)
        if saving is not None:
            out[(str(getattr(line, by)), line.method)] += saving
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Pooling:
    member: str
    quantity: Decimal
    alone_price: Decimal
    pooled_price: Decimal

    @property
    def effect(self) -> Decimal:
        return pricing.extend(self.quantity, self.alone_price) - pricing.extend(
            self.quantity, self.pooled_price
        )


def aggregate_demand(base: Decimal, tiers: Sequence[pricing.TierPrice],
                     quantities: dict[str, Decimal]) -> list[Pooling]:  # fmt: skip
    """Each member's price alone vs at the pooled quantity's tier."""
    pooled = pricing.price_for(base, tiers, sum(quantities.values(), Decimal(0))).unit_price
    return [Pooling(m, q, pricing.price_for(base, tiers, q).unit_price, pooled)
            for m, q in sorted(quantities.items())]  # fmt: skip
