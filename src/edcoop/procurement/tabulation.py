"""The bid tabulation: pure Python on plain values (no database), so it is easy to check.

For each item, each responding supplier's evaluated unit price (its volume tier at the
item's estimated quantity, else its base price) and the extended amount
(``quantize_money(unit price x quantity)``, half-up to cents). The lowest responsive price
of each item is marked (every tied bidder is marked); lots awarded per lot or all-or-none
also get a total per supplier that priced every line, the lowest marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from edcoop.core.money import quantize_money


@dataclass(frozen=True)
class Item:
    id: int
    number: str
    description: str
    unit: str
    quantity: Decimal
    lot_number: int
    lot_title: str
    lot_basis: str


@dataclass(frozen=True)
class Bid:
    supplier: str
    responsive: bool
    reasons: tuple[str, ...]
    prices: dict[int, tuple[Decimal, tuple[tuple[Decimal, Decimal], ...]]]
    capacities: dict[int, Decimal] = field(default_factory=dict)  # item -> most it supplies
    spend_discounts: tuple[tuple[Decimal, Decimal], ...] = ()  # (minimum total, percent)


@dataclass
class Cell:
    unit_price: Decimal | None
    extended: Decimal | None
    lowest: bool = False
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    max_quantity: Decimal | None = None


@dataclass
class Row:
    item: Item
    cells: list[Cell]


@dataclass
class LotTotal:
    lot_number: int
    lot_title: str
    basis: str
    totals: list[Decimal | None]
    lowest: list[bool] = field(default_factory=list)

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self.basis, self.basis)


# The award bases' names (procurement.models.Lot.AwardBasis), kept here so this module
# stays free of Django.
BASIS_LABELS = {"per_item": "Per item", "per_lot": "Per lot", "all_or_none": "All or none"}


@dataclass
class Tabulation:
    bids: list[Bid]
    rows: list[Row]
    lots: list[LotTotal]


def evaluated_price(
    base: Decimal, tiers: tuple[tuple[Decimal, Decimal], ...], quantity: Decimal
) -> Decimal:
    """The unit price that applies at ``quantity``: the tier with the highest minimum at or
    below it, else the base price."""
    price = base
    for minimum, tier_price in sorted(tiers):
        if quantity >= minimum:
            price = tier_price
    return price


def tabulate(items: list[Item], bids: list[Bid]) -> Tabulation:
    rows = []
    for item in items:
        cells = []
        for bid in bids:
            if item.id in bid.prices:
                base, tiers = bid.prices[item.id]
                unit = evaluated_price(base, tiers, item.quantity)
                cells.append(Cell(unit, quantize_money(unit * item.quantity), tiers=tiers,
                                  max_quantity=bid.capacities.get(item.id)))  # fmt: skip
            else:
                cells.append(Cell(None, None))
        candidates = [c.unit_price for c, b in zip(cells, bids, strict=True)
                      if b.responsive and c.unit_price is not None]  # fmt: skip
        if candidates:
            low = min(candidates)
            for cell, bid in zip(cells, bids, strict=True):
                cell.lowest = bid.responsive and cell.unit_price == low
        rows.append(Row(item, cells))
    lots: list[LotTotal] = []
    for lot_number in sorted({i.lot_number for i in items}):
        lot_rows = [r for r in rows if r.item.lot_number == lot_number]
        first = lot_rows[0].item
        if first.lot_basis == "per_item":
            continue
        totals: list[Decimal | None] = []
        for index in range(len(bids)):
            parts = [r.cells[index].extended for r in lot_rows]
            known = [p for p in parts if p is not None]
            totals.append(sum(known, Decimal("0.00")) if len(known) == len(parts) else None)
        valid = [t for t, b in zip(totals, bids, strict=True) if b.responsive and t is not None]
        lot_low = min(valid) if valid else None
        lowest = [b.responsive and t is not None and t == lot_low
                  for t, b in zip(totals, bids, strict=True)]  # fmt: skip
        lots.append(LotTotal(lot_number, first.lot_title, first.lot_basis, totals, lowest))
    return Tabulation(bids, rows, lots)
