"""The award engine: who gets what, at what price, from plain values (no database).

Two methods over one input (docs/award.md has the format with examples):

- ``lowest_price``: the plain IFB award (GML §103 lowest responsible bidder) per award basis.
  Per item: the lowest responsive unit price at the tier the item's whole quantity earns
  (the tabulation's evaluated price); per lot: the lowest lot total among bidders that priced
  every item of the lot; all-or-none: the lowest total among bidders that priced every item
  of every all-or-none lot, which go to one bidder together. Equal low bids are reported as
  ties and never resolved here: the board may pick any tied bidder.
- ``optimal``: the least total cost the bids allow, found by a MILP (HiGHS): all-units
  volume tiers, spend discounts on a supplier's whole award, capacity per item, lot rules
  and a limit on the number of suppliers. The solver's floats only choose; every amount in
  the result is recomputed in Decimal from the chosen assignment.

Splits: an item goes whole to one supplier unless no responsive bidder can supply its whole
quantity (``max_quantity``), in which case it is split among bidders (``rules.splits =
"capacity"``, the default). ``"allowed"`` lets the optimal method split any per-item item
where that is cheaper (reaching a spend discount, say). Per-lot and all-or-none lots always go
whole to one supplier. Split quantities are multiples of the item quantity's last decimal
place (whole units for ``"1200"``, tenths for ``"12.5"``).

Money: a line's amount is ``quantize_money(quantity x unit price)`` (half-up to cents); a
supplier's gross is the sum of its lines; its spend discount is ``quantize_money(gross x
percent / 100)`` at the highest threshold its gross reaches; the total is the sum of the
grosses less the discounts. The MILP models these roundings exactly (amounts in whole cents),
so its optimum is the Decimal optimum, not a float approximation of it.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from edcoop.core.decimals import MONEY, QUANTITY, UNIT_PRICE, Bounds, DecimalInputError
from edcoop.core.decimals import parse_decimal as _parse_decimal
from edcoop.core.money import quantize_money
from edcoop.procurement.tabulation import evaluated_price

BASES = ("per_item", "per_lot", "all_or_none")
METHODS = ("lowest_price", "optimal")
SPLITS = ("capacity", "allowed")
PERCENT = Bounds(5, 2, Decimal(0), Decimal(100))

# Sizes past sense: a cooperative bid has tens to a few thousand lines.
MAX_ITEMS = 20_000
MAX_SUPPLIERS = 2_000
MAX_BIDS = 500_000
MAX_TIERS = 20
MAX_ID_LENGTH = 100

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class AwardInputError(ValueError):
    """Input the engine cannot use; ``str()`` names the record and the reason."""


# Input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    quantity: Decimal
    lot: str


@dataclass(frozen=True)
class Lot:
    id: str
    basis: str


@dataclass(frozen=True)
class Bid:
    supplier: str
    item: str
    unit_price: Decimal
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (min_quantity, unit_price), ascending
    max_quantity: Decimal | None = None
    responsive: bool = True

    def price_at(self, quantity: Decimal) -> Decimal:
        """All-units pricing: the unit price of every unit when ``quantity`` are awarded."""
        return evaluated_price(self.unit_price, self.tiers, quantity)

    def can_supply(self, quantity: Decimal) -> bool:
        return self.max_quantity is None or self.max_quantity >= quantity


@dataclass(frozen=True)
class SpendDiscount:
    min_total: Decimal
    percent: Decimal


@dataclass(frozen=True)
class Supplier:
    id: str
    spend_discounts: tuple[SpendDiscount, ...] = ()

    def discount_percent(self, gross: Decimal) -> Decimal:
        """The percent of the highest threshold ``gross`` reaches (0 below the first)."""
        percent = Decimal(0)
        for step in self.spend_discounts:
            if gross >= step.min_total:
                percent = step.percent
        return percent


@dataclass(frozen=True)
class Rules:
    max_suppliers: int | None = None
    splits: str = "capacity"
    multiple_award: bool = False


@dataclass(frozen=True)
class Problem:
    items: tuple[Item, ...]
    lots: tuple[Lot, ...]
    bids: tuple[Bid, ...]
    suppliers: tuple[Supplier, ...]
    rules: Rules = Rules()

    def lot(self, lot_id: str) -> Lot:
        return next(lot for lot in self.lots if lot.id == lot_id)

    def supplier(self, supplier_id: str) -> Supplier:
        return next(s for s in self.suppliers if s.id == supplier_id)


def _record(raw: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()
            ) -> dict[str, Any]:  # fmt: skip
    if not isinstance(raw, dict):
        raise AwardInputError(f"{where}: must be an object")
    required, optional = tuple(required), tuple(optional)
    missing = [k for k in required if k not in raw]
    if missing:
        raise AwardInputError(f"{where}: {missing[0]} is required")
    unknown = sorted(str(k) for k in raw if k not in required and k not in optional)
    if unknown:
        raise AwardInputError(f"{where}: unknown field {unknown[0][:40]!r}")
    return raw


def _list(raw: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(raw, list):
        raise AwardInputError(f"{where}: must be a list")
    if len(raw) > limit:
        raise AwardInputError(f"{where}: more than {limit:,} records")
    return raw


def _id(raw: Any, where: str, field_name: str = "id") -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise AwardInputError(f"{where}: {field_name} must be a non-empty string")
    if len(raw) > MAX_ID_LENGTH:
        raise AwardInputError(f"{where}: {field_name} is longer than {MAX_ID_LENGTH} characters")
    if not raw.isprintable():
        raise AwardInputError(f"{where}: {field_name} contains a control character")
    return raw


def _number(raw: Any, bounds: Bounds, where: str, field_name: str, *, positive: bool = False
            ) -> Decimal:  # fmt: skip
    try:
        value = _parse_decimal(raw, bounds)
    except DecimalInputError as exc:
        raise AwardInputError(f"{where}: {field_name}: {exc}") from None
    if positive and value <= 0:
        raise AwardInputError(f"{where}: {field_name} must be more than 0")
    return value


def _named(index: int, kind: str, raw: Any, key: str = "id") -> str:
    """``items[3] ("7")`` for messages, with the record's id when it has a usable one."""
    label = f"{kind}[{index}]"
    if isinstance(raw, dict):
        value = raw.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            label += f" ({text[:40]!r})" if text.isprintable() else ""
    return label


def parse_problem(data: Any) -> Problem:
    """The engine's input from decoded JSON; AwardInputError names the first bad record."""
    top = _record(data, "input", ("items", "lots", "bids", "suppliers"), ("rules",))
    lots: dict[str, Lot] = {}
    for n, raw in enumerate(_list(top["lots"], "lots", MAX_ITEMS)):
        where = _named(n, "lots", raw)
        rec = _record(raw, where, ("id", "basis"))
        lot_id = _id(rec["id"], where)
        if lot_id in lots:
            raise AwardInputError(f"{where}: duplicate lot id")
        if rec["basis"] not in BASES:
            raise AwardInputError(f"{where}: basis must be one of {', '.join(BASES)}")
        lots[lot_id] = Lot(lot_id, rec["basis"])
    items: dict[str, Item] = {}
    for n, raw in enumerate(_list(top["items"], "items", MAX_ITEMS)):
        where = _named(n, "items", raw)
        rec = _record(raw, where, ("id", "quantity", "lot"))
        item_id = _id(rec["id"], where)
        if item_id in items:
            raise AwardInputError(f"{where}: duplicate item id")
        lot_id = _id(rec["lot"], where, "lot")
        if lot_id not in lots:
            raise AwardInputError(f"{where}: lot {lot_id[:40]!r} is not in lots")
        quantity = _number(rec["quantity"], QUANTITY, where, "quantity", positive=True)
        items[item_id] = Item(item_id, quantity, lot_id)
    if not items:
        raise AwardInputError("items: at least one item is required")
    filled = {i.lot for i in items.values()}
    for n, lot in enumerate(lots.values()):
        if lot.id not in filled:
            raise AwardInputError(f"lots[{n}] ({lot.id[:40]!r}): the lot has no items")
    suppliers: dict[str, Supplier] = {}
    for n, raw in enumerate(_list(top["suppliers"], "suppliers", MAX_SUPPLIERS)):
        where = _named(n, "suppliers", raw)
        rec = _record(raw, where, ("id",), ("spend_discounts",))
        supplier_id = _id(rec["id"], where)
        if supplier_id in suppliers:
            raise AwardInputError(f"{where}: duplicate supplier id")
        steps: list[SpendDiscount] = []
        for k, step_raw in enumerate(_list(rec.get("spend_discounts") or [], where, MAX_TIERS)):
            at = f"{where}: spend_discounts[{k}]"
            step = _record(step_raw, at, ("min_total", "percent"))
            minimum = _number(step["min_total"], MONEY, at, "min_total")
            percent = _number(step["percent"], PERCENT, at, "percent", positive=True)
            if percent >= 100:
                raise AwardInputError(f"{at}: percent must be less than 100")
            if steps and minimum <= steps[-1].min_total:
                raise AwardInputError(f"{at}: thresholds must rise (min_total {minimum} is "
                                      f"not above {steps[-1].min_total})")  # fmt: skip
            if steps and percent <= steps[-1].percent:
                raise AwardInputError(f"{at}: a higher threshold must give a higher percent")
            steps.append(SpendDiscount(minimum, percent))
        suppliers[supplier_id] = Supplier(supplier_id, tuple(steps))
    bids: list[Bid] = []
    seen: set[tuple[str, str]] = set()
    for n, raw in enumerate(_list(top["bids"], "bids", MAX_BIDS)):
        where = f"bids[{n}]"
        rec = _record(raw, where, ("supplier", "item", "unit_price"),
                      ("tiers", "max_quantity", "responsive"))  # fmt: skip
        supplier_id = _id(rec["supplier"], where, "supplier")
        item_id = _id(rec["item"], where, "item")
        where = f"bids[{n}] (supplier {supplier_id[:40]!r}, item {item_id[:40]!r})"
        if supplier_id not in suppliers:
            raise AwardInputError(f"{where}: supplier is not in suppliers")
        item = items.get(item_id)
        if item is None:
            raise AwardInputError(f"{where}: item is not in items")
        if (supplier_id, item_id) in seen:
            raise AwardInputError(f"{where}: the supplier bids this item twice")
        seen.add((supplier_id, item_id))
        price = _number(rec["unit_price"], UNIT_PRICE, where, "unit_price")
        tiers: list[tuple[Decimal, Decimal]] = []
        for k, tier_raw in enumerate(_list(rec.get("tiers") or [], f"{where}: tiers", MAX_TIERS)):
            at = f"{where}: tiers[{k}]"
            tier = _record(tier_raw, at, ("min_quantity", "unit_price"))
            minimum = _number(tier["min_quantity"], QUANTITY, at, "min_quantity", positive=True)
            if tiers and minimum <= tiers[-1][0]:
                raise AwardInputError(f"{at}: tiers out of order (min_quantity {minimum} is "
                                      f"not above {tiers[-1][0]})")  # fmt: skip
            tiers.append((minimum, _number(tier["unit_price"], UNIT_PRICE, at, "unit_price")))
        capacity = rec.get("max_quantity")
        max_quantity = None
        if capacity is not None:
            max_quantity = _number(capacity, QUANTITY, where, "max_quantity", positive=True)
        responsive = rec.get("responsive", True)
        if not isinstance(responsive, bool):
            raise AwardInputError(f"{where}: responsive must be true or false")
        bid = Bid(supplier_id, item_id, price, tuple(tiers), max_quantity, responsive)
        # The largest amount this bid can make must fit an award's money column.
        with localcontext() as ctx:
            ctx.prec = 60
            highest = max(p * min(item.quantity, upper) for p, upper in _segment_tops(bid, item))
        if highest > MONEY.largest:
            raise AwardInputError(f"{where}: at these prices the item's quantity comes to more "
                                  f"than an award can hold ({MONEY.largest:,})")  # fmt: skip
        bids.append(bid)
    rules_raw = _record(top.get("rules") or {}, "rules", (),
                        ("max_suppliers", "splits", "multiple_award"))  # fmt: skip
    limit = rules_raw.get("max_suppliers")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= MAX_SUPPLIERS):  # fmt: skip
        raise AwardInputError(f"rules: max_suppliers must be null or a whole number from 1 to "
                              f"{MAX_SUPPLIERS:,}")  # fmt: skip
    splits = rules_raw.get("splits", "capacity")
    if splits not in SPLITS:
        raise AwardInputError(f"rules: splits must be one of {', '.join(SPLITS)}")
    multiple = rules_raw.get("multiple_award", False)
    if not isinstance(multiple, bool):
        raise AwardInputError("rules: multiple_award must be true or false")
    return Problem(tuple(items.values()), tuple(lots.values()), tuple(bids),
                   tuple(suppliers.values()), Rules(limit, splits, multiple))  # fmt: skip


def _segment_tops(bid: Bid, item: Item) -> list[tuple[Decimal, Decimal]]:
    """(unit price, the largest quantity it applies to) for each price step of ``bid``."""
    steps = [(Decimal(0), bid.unit_price), *bid.tiers]
    out = []
    for k, (_minimum, price) in enumerate(steps):
        upper = steps[k + 1][0] if k + 1 < len(steps) else item.quantity
        out.append((price, min(upper, item.quantity)))
    return out


# Result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardLine:
    item: str
    supplier: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Tie:
    """Equal best bids for one item, or for a lot (the lots of an all-or-none group)."""

    rank: str  # "primary" or "secondary"
    item: str | None
    lots: tuple[str, ...]
    quantity: Decimal | None
    bids: tuple[tuple[str, Decimal | None, Decimal], ...]  # (supplier, unit price, amount)

    @property
    def suppliers(self) -> list[str]:
        return [b[0] for b in self.bids]


@dataclass(frozen=True)
class Discount:
    supplier: str
    gross: Decimal
    percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Infeasibility:
    reason: str
    item: str | None = None
    lots: tuple[str, ...] = ()
    rule: str | None = None


@dataclass
class AwardResult:
    method: str
    status: str  # optimal | tie | infeasible | time_limit
    total: Decimal | None
    baseline_total: Decimal | None
    gap: float | None
    awards: list[AwardLine] = field(default_factory=list)
    ties: list[Tie] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)
    secondary: list[AwardLine] = field(default_factory=list)
    infeasible: list[Infeasibility] = field(default_factory=list)
    message: str = ""
    solve_seconds: float = 0.0

    @property
    def saving(self) -> Decimal | None:
        if self.total is None or self.baseline_total is None:
            return None
        return self.baseline_total - self.total

    def as_json(self) -> dict[str, Any]:
        """The command's output: Decimal strings, two places for amounts."""
        return {
            "method": self.method,
            "status": self.status,
            "total": _money(self.total),
            "baseline_total": _money(self.baseline_total),
            "saving": _money(self.saving),
            "gap": self.gap,
            "awards": [_line_json(a) for a in self.awards],
            "ties": [_tie_json(t) for t in self.ties],
            "discounts": [{"supplier": d.supplier, "gross": _money(d.gross),
                           "percent": _plain(d.percent), "amount": _money(d.amount)}
                          for d in self.discounts],
            "secondary": [_line_json(a) for a in self.secondary],
            "infeasible": [_infeasible_json(i) for i in self.infeasible],
            "message": self.message,
        }  # fmt: skip


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{quantize_money(value):f}"


def _plain(value: Decimal) -> str:
    """A quantity or percent without exponent or needless zeros: ``1200``, ``12.5``."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _price(value: Decimal) -> str:
    """A unit price with at least two places and no needless zeros: ``3.41``, ``0.2875``."""
    text = _plain(value)
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _line_json(line: AwardLine) -> dict[str, str]:
    return {"item": line.item, "supplier": line.supplier, "quantity": _plain(line.quantity),
            "unit_price": _price(line.unit_price), "amount": _money(line.amount) or ""}  # fmt: skip


def _tie_json(tie: Tie) -> dict[str, Any]:
    out: dict[str, Any] = {"rank": tie.rank}
    if tie.item is not None:
        out["item"] = tie.item
        out["quantity"] = _plain(tie.quantity) if tie.quantity is not None else None
    else:
        out["lots"] = list(tie.lots)
    out["suppliers"] = tie.suppliers
    out["bids"] = [{"supplier": s, **({"unit_price": _price(p)} if p is not None else {}),
                    "amount": _money(a)} for s, p, a in tie.bids]  # fmt: skip
    return out


def _infeasible_json(entry: Infeasibility) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if entry.item is not None:
        out["item"] = entry.item
    if entry.lots:
        out["lots"] = list(entry.lots)
    if entry.rule is not None:
        out["rule"] = entry.rule
    out["reason"] = entry.reason
    return out


# What can be awarded ---------------------------------------------------------------------


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """An award line's amount: quantity x unit price, half-up to cents."""
    with localcontext() as ctx:
        ctx.prec = 60
        return quantize_money(quantity * unit_price)


def spend_discount(supplier: Supplier, gross: Decimal) -> tuple[Decimal, Decimal]:
    """(percent, discount) that ``gross`` earns from ``supplier``: the percent of the highest
    threshold reached, applied to the whole gross, half-up to cents."""
    percent = supplier.discount_percent(gross)
    with localcontext() as ctx:
        ctx.prec = 60
        return percent, quantize_money(gross * percent / HUNDRED)


@dataclass(frozen=True)
class _Option:
    """One supplier taking a whole unit: its lines at the full quantities and their sum."""

    supplier: str
    lines: tuple[AwardLine, ...]
    cost: Decimal

    @property
    def rank_key(self) -> Decimal:
        # A single item ranks by unit price (the IFB rule); a lot by its total.
        return self.lines[0].unit_price if len(self.lines) == 1 else self.cost


@dataclass(frozen=True)
class _Unit:
    """What is awarded as one piece: an item of a per-item lot, a per-lot lot, or the
    all-or-none group. ``options`` are the suppliers that can take it whole."""

    basis: str
    items: tuple[Item, ...]
    lots: tuple[str, ...]
    options: tuple[_Option, ...]
    split: bool  # a per-item item the rules let be split (capacity demands it, or allowed)

    @property
    def item(self) -> Item | None:
        return self.items[0] if self.basis == "per_item" else None


@dataclass
class _Plan:
    problem: Problem
    units: list[_Unit]
    bids_by_item: dict[str, list[Bid]]  # responsive bids only
    infeasible: list[Infeasibility]


def _plan(problem: Problem, *, allow_splits: bool) -> _Plan:
    by_item: dict[str, list[Bid]] = defaultdict(list)
    for bid in problem.bids:
        if bid.responsive:
            by_item[bid.item].append(bid)
    for bids in by_item.values():
        bids.sort(key=lambda b: b.supplier)
    basis = {lot.id: lot.basis for lot in problem.lots}
    infeasible: list[Infeasibility] = []
    for item in problem.items:
        offered = by_item.get(item.id, [])
        if not offered:
            infeasible.append(Infeasibility("no responsive bid", item=item.id))
            continue
        whole = [b for b in offered if b.can_supply(item.quantity)]
        if whole:
            continue
        if basis[item.lot] != "per_item":
            infeasible.append(
                Infeasibility(
                    f"no responsive bidder can supply the whole quantity ({_plain(item.quantity)}) "
                    f"and a {basis[item.lot].replace('_', '-')} lot cannot be split",
                    item=item.id,
                )
            )
            continue
        capacity = sum((b.max_quantity or Decimal(0) for b in offered), Decimal(0))
        if capacity < item.quantity:
            infeasible.append(Infeasibility(
                f"the responsive bids offer {_plain(capacity)} in all, less than the quantity "
                f"({_plain(item.quantity)})", item=item.id))  # fmt: skip

    def options(items: Sequence[Item]) -> tuple[_Option, ...]:
        out = []
        suppliers = sorted({b.supplier for i in items for b in by_item.get(i.id, [])})
        for supplier in suppliers:
            lines = []
            for item in items:
                bid = next((b for b in by_item.get(item.id, []) if b.supplier == supplier), None)
                if bid is None or not bid.can_supply(item.quantity):
                    break
                unit = bid.price_at(item.quantity)
                lines.append(AwardLine(item.id, supplier, item.quantity, unit,
                                       line_amount(item.quantity, unit)))  # fmt: skip
            else:
                out.append(_Option(supplier, tuple(lines), sum((x.amount for x in lines), ZERO)))
        return tuple(out)

    units: list[_Unit] = []
    bad_items = {i.item for i in infeasible}
    group: list[Item] = []
    group_lots: list[str] = []
    for lot in problem.lots:
        lot_items = tuple(i for i in problem.items if i.lot == lot.id)
        if lot.basis == "per_item":
            for item in lot_items:
                opts = options((item,))
                units.append(_Unit("per_item", (item,), (lot.id,), opts,
                                   split=allow_splits or not opts))  # fmt: skip
        elif lot.basis == "per_lot":
            unit = _Unit("per_lot", lot_items, (lot.id,), options(lot_items), split=False)
            if not unit.options and not bad_items.intersection(i.id for i in lot_items):
                infeasible.append(Infeasibility(
                    "no responsive bidder priced every item of the lot for its whole quantity",
                    lots=(lot.id,)))  # fmt: skip
            units.append(unit)
        else:
            group.extend(lot_items)
            group_lots.append(lot.id)
    if group:
        unit = _Unit("all_or_none", tuple(group), tuple(group_lots), options(group), split=False)
        if not unit.options and not bad_items.intersection(i.id for i in group):
            infeasible.append(Infeasibility(
                "no responsive bidder priced every all-or-none item for its whole quantity",
                lots=tuple(group_lots)))  # fmt: skip
        units.append(unit)
    return _Plan(problem, units, by_item, infeasible)


def _finish(result: AwardResult, problem: Problem, *, tied_amounts: Decimal = ZERO) -> None:
    """Discounts and total of ``result.awards`` (plus tied amounts, which earn none)."""
    gross: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in result.awards:
        gross[line.supplier] += line.amount
    result.discounts = []
    for supplier_id in sorted(gross):
        percent, amount = spend_discount(problem.supplier(supplier_id), gross[supplier_id])
        if amount or percent:
            result.discounts.append(Discount(supplier_id, gross[supplier_id], percent, amount))
    result.total = (sum(gross.values(), ZERO) + tied_amounts
                    - sum((d.amount for d in result.discounts), ZERO))  # fmt: skip
    if result.total > MONEY.largest:
        raise AwardInputError(f"the award's total comes to more than an award can hold "
                              f"({MONEY.largest:,})")  # fmt: skip


def _infeasible(method: str, plan: _Plan, baseline: Decimal | None = None) -> AwardResult:
    names = [(f"item {e.item}" if e.item else None) or e.rule or "lot " + ", ".join(e.lots)
             for e in plan.infeasible]  # fmt: skip
    return AwardResult(method, "infeasible", None, baseline, None, infeasible=plan.infeasible,
                       message="No award is possible: " + "; ".join(
                           f"{n}: {e.reason}" for n, e in zip(names, plan.infeasible,
                                                             strict=True)) + ".")  # fmt: skip


def _best(options: Sequence[_Option], *, excluding: str | None = None
          ) -> tuple[_Option, ...]:  # fmt: skip
    """The options sharing the lowest rank (unit price for an item, total for a lot)."""
    pool = [o for o in options if o.supplier != excluding]
    if not pool:
        return ()
    low = min(o.rank_key for o in pool)
    return tuple(o for o in pool if o.rank_key == low)


def _tie(rank: str, unit: _Unit, options: Sequence[_Option]) -> Tie:
    item = unit.item
    return Tie(rank, item.id if item else None, () if item else unit.lots,
               item.quantity if item else None,
               tuple((o.supplier, o.lines[0].unit_price if item else None, o.cost)
                     for o in options))  # fmt: skip


def _secondary(result: AwardResult, unit: _Unit, primary: str) -> None:
    """Multiple award: the next-best bidder for a unit awarded whole to ``primary``."""
    best = _best(unit.options, excluding=primary)
    if len(best) == 1:
        result.secondary.extend(best[0].lines)
    elif best:
        result.ties.append(_tie("secondary", unit, best))


# Lowest price -----------------------------------------------------------------------------


def lowest_price(problem: Problem) -> AwardResult:
    """The plain IFB award per basis (no supplier limit; spend discounts only counted).

    Ties leave the item or lot out of ``awards`` and in ``ties``; the total then counts each
    tie at its amount (the tied unit price for the quantity still to place) without any
    spend discount, so resolving a tie between bidders that can each take the whole quantity
    can only lower it.
    """
    return _lowest_price(problem, _plan(problem, allow_splits=problem.rules.splits == "allowed"))


def _lowest_price(problem: Problem, plan: _Plan) -> AwardResult:
    if plan.infeasible:
        return _infeasible("lowest_price", plan)
    result = AwardResult("lowest_price", "optimal", None, None, 0.0)
    tied = ZERO
    for unit in plan.units:
        if unit.split:
            item = unit.items[0]
            lines, tie, tie_amount = _greedy(item, plan.bids_by_item[item.id])
            result.awards.extend(lines)
            if tie is not None:
                result.ties.append(tie)
                tied += tie_amount
            continue
        best = _best(unit.options)
        if len(best) > 1:
            result.ties.append(_tie("primary", unit, best))
            tied += best[0].cost
            continue
        result.awards.extend(best[0].lines)
        if problem.rules.multiple_award:
            _secondary(result, unit, best[0].supplier)
    result.awards.sort(key=_line_order(problem))
    result.secondary.sort(key=_line_order(problem))
    _finish(result, problem, tied_amounts=tied)
    if result.ties:
        result.status = "tie"
    result.baseline_total = result.total
    result.message = _summary(result)
    return result


def _greedy(item: Item, bids: Sequence[Bid]
            ) -> tuple[list[AwardLine], Tie | None, Decimal]:  # fmt: skip
    """Fill an item from the lowest price up, each bidder to its capacity, each at the
    all-units price of the quantity it gets. Stops at a tie whose order matters, returning
    it with the rest of the quantity's amount at the tied price."""
    remaining = item.quantity
    pool = list(bids)
    lines: list[AwardLine] = []
    while remaining > 0 and pool:
        offers = []
        for bid in pool:
            take = remaining if bid.max_quantity is None else min(remaining, bid.max_quantity)
            offers.append((bid.price_at(take), take, bid))
        low = min(o[0] for o in offers)
        group = [o for o in offers if o[0] == low]
        if len(group) > 1 and sum(o[1] for o in group) > remaining:
            tie = Tie(
                "primary",
                item.id,
                (),
                remaining,
                tuple((b.supplier, p, line_amount(t, p)) for p, t, b in group),
            )
            return lines, tie, line_amount(remaining, low)
        for price, take, bid in group:
            lines.append(AwardLine(item.id, bid.supplier, take, price, line_amount(take, price)))
            remaining -= take
            pool.remove(bid)
    return lines, None, ZERO


# Optimal ----------------------------------------------------------------------------------


def optimal(problem: Problem, *, time_limit: float = 60.0, gap: float = 0.0,
            started: float | None = None) -> AwardResult:  # fmt: skip
    """The least-cost award the bids and rules allow (MILP, HiGHS), proven to within ``gap``
    (relative; 0 = exactly, to the cent) unless ``time_limit`` seconds run out first.

    ``time_limit`` is for the whole call, counted from ``started`` (a ``time.perf_counter()``
    reading; the command passes the moment it began, so reading and parsing the input count
    too): the best award found and its proven gap come back by then.
    """
    started = time.perf_counter() if started is None else started
    # What follows the search (the result, its ties, the caller's output) gets a reserve.
    deadline = started + time_limit - min(5.0, 0.08 * time_limit)
    plan = _plan(problem, allow_splits=problem.rules.splits == "allowed")
    baseline = _lowest_price(problem, plan)
    if plan.infeasible:
        return _infeasible("optimal", plan)

    def budget(share: float) -> float:
        # Each stage before the main search gets a share of what is left, at most 10 s.
        return max(0.2, min(10.0, share * (deadline - time.perf_counter())))

    limit = problem.rules.max_suppliers
    involved = sorted({o.supplier for u in plan.units for o in u.options}
                      | {b.supplier for u in plan.units if u.split
                         for b in plan.bids_by_item[u.items[0].id]})  # fmt: skip
    bound: float | None = None
    lagrangian: _Lagrangian | None = None
    search: _Search | None = None
    search_plan = plan
    if limit is not None and limit < len(involved):
        start, lagrangian, closed, search = _limited_start(plan, involved, gap=gap,
                                                           budget=budget)  # fmt: skip
        bound = lagrangian.safe if lagrangian is not None and start is not None else None
        if start is not None and closed:
            # No award using a closed supplier beats the start: the search leaves them out.
            search_plan = _restrict(plan, set(involved) - closed)
    else:
        start = _heuristic(plan, budget=budget(0.15))
    proven_by_bound = False
    if start is not None and bound is not None:
        cents = int(_exact_total(problem, start) * 100)
        proven_by_bound = cents <= 0 or (cents - math.ceil(bound - 1e-6)) / cents <= gap or (
            cents - math.ceil(bound - 1e-6) < 1)  # fmt: skip
    if proven_by_bound:
        solved = _Solved("solved", proven=True, bound=bound, assignment=start)
    else:
        left = max(0.2, deadline - time.perf_counter())
        # The MILP's size before it is built: a binary per option and spend-discount tier.
        tiers = {s.id: len(s.spend_discounts) + 1 for s in problem.suppliers}
        columns = sum(tiers[o.supplier] for u in search_plan.units for o in u.options)
        if lagrangian is not None and start is not None and columns > 1_000 * left:
            # Too big for HiGHS to get past its first relaxation in the time left (it can
            # overrun a short limit in presolve): the time tightens the bound instead.
            best = (_exact_total(problem, start), start)
            # The next sets the search ranked, made exact (its ranking only approximates the
            # spend discounts), in up to half the time left; the rest tightens the bound.
            until = time.perf_counter() + (deadline - time.perf_counter()) / 2
            for chosen in search.ranked()[1:12] if search is not None else []:
                left = until - time.perf_counter()
                assignment = search.assignment(chosen) if search is not None else None
                if left < 1.0 or assignment is None:
                    break
                found = _polish(plan, assignment, gap=gap, time_limit=min(10.0, left / 2))
                best = min(best, found, key=lambda b: b[0])
            start = best[1]
            lagrangian.theta = max(lagrangian.theta, 0.25)
            bound = lagrangian.improve(float(best[0] * 100), deadline=deadline,
                                       rounds=1_000_000)  # fmt: skip
            solved = _Solved("solved", proven=False, bound=None, assignment=None)
        else:
            seed = (
                start if start is None or search_plan is plan else _remap(start, plan, search_plan)
            )
            formulation = _Formulation(search_plan)
            left = max(0.2, deadline - time.perf_counter())
            solved = formulation.solve(time_limit=left, gap=gap, start=seed)
        if solved.assignment is not None and search_plan is not plan:
            solved.assignment = _remap(solved.assignment, search_plan, plan)
        if solved.assignment is None and start is not None and solved.status != "infeasible":
            # The search stopped before it took up the start: the start is the best award.
            solved = _Solved("solved", proven=False, bound=solved.bound, assignment=start)
        if bound is not None and (solved.bound is None or solved.bound < bound):
            solved.bound = bound
    seconds = time.perf_counter() - started
    if solved.status == "infeasible":
        limit = problem.rules.max_suppliers
        plan.infeasible = [Infeasibility(
            f"no award within the other rules uses {limit} supplier{'s' if limit != 1 else ''} "
            "or fewer", rule="max_suppliers")]  # fmt: skip
        result = _infeasible("optimal", plan, baseline.total)
        result.solve_seconds = seconds
        return result
    if solved.assignment is None:
        return AwardResult("optimal", "time_limit", None, baseline.total, None,
                           message=f"No award was found within the time limit ({time_limit:g} s).",
                           solve_seconds=seconds)  # fmt: skip
    result = AwardResult("optimal", "optimal", None, baseline.total, None, solve_seconds=seconds)
    whole, split_lines = solved.assignment
    for _unit, option in whole:
        result.awards.extend(option.lines)
    result.awards.extend(split_lines)
    result.awards.sort(key=_line_order(problem))
    _finish(result, problem)
    assert result.total is not None  # noqa: S101 - _finish always sets it
    cents = int(result.total * 100)
    floor = math.ceil(solved.bound - 1e-6) if solved.bound is not None else None
    if floor is None:
        # No bound proven (the search stopped first): no gap to claim, unless HiGHS proved it.
        result.gap = 0.0 if solved.proven else None
    else:
        result.gap = 0.0 if cents <= 0 else max(0.0, (cents - floor) / cents)
    if not solved.proven and (result.gap is None or result.gap > gap):
        result.status = "time_limit"
    standing = _Standing(problem, result)
    for unit, option in whole:
        alternatives = _equal_alternatives(problem, standing, unit, option)
        if alternatives:
            tied = sorted([option, *alternatives], key=lambda o: o.supplier)
            result.ties.append(_tie("primary", unit, tied))
        if problem.rules.multiple_award:
            _secondary(result, unit, option.supplier)
    if result.ties and result.status == "optimal":
        result.status = "tie"
    result.message = _summary(result)
    return result


def _line_order(problem: Problem) -> Any:
    position = {item.id: n for n, item in enumerate(problem.items)}
    return lambda line: (position[line.item], line.supplier)


class _Standing:
    """Each supplier's gross, lines and net in an award, computed once for the tie check."""

    gross: dict[str, Decimal]
    lines: dict[str, int]
    net: dict[str, Decimal]

    def __init__(self, problem: Problem, result: AwardResult) -> None:
        self.gross = defaultdict(lambda: ZERO)
        self.lines = defaultdict(int)
        for line in result.awards:
            self.gross[line.supplier] += line.amount
            self.lines[line.supplier] += 1
        self.net = {s: _net(problem, s, g) for s, g in self.gross.items()}


def _net(problem: Problem, supplier_id: str, amount: Decimal) -> Decimal:
    return amount - spend_discount(problem.supplier(supplier_id), amount)[1]


def _equal_alternatives(problem: Problem, standing: _Standing, unit: _Unit, chosen: _Option
                        ) -> list[_Option]:  # fmt: skip
    """Other bidders that could take ``unit`` instead of ``chosen`` within the rules and leave
    the total unchanged to the cent (one move at a time)."""
    gross, net = standing.gross, standing.net
    used = set(gross)
    limit = problem.rules.max_suppliers
    keeps_others = standing.lines[chosen.supplier] > len(chosen.lines)
    out = []
    for option in unit.options:
        if option.supplier == chosen.supplier:
            continue
        adds = option.supplier not in used and keeps_others
        if limit is not None and adds and len(used) >= limit:
            continue
        before = net[chosen.supplier] + net.get(option.supplier, ZERO)
        after = (_net(problem, chosen.supplier, gross[chosen.supplier] - chosen.cost)
                 + _net(problem, option.supplier, gross.get(option.supplier, ZERO)
                        + option.cost))  # fmt: skip
        if after == before:
            out.append(option)
    return out


def _summary(result: AwardResult) -> str:
    if result.status == "infeasible":
        return result.message
    parts = []
    if result.total is not None:
        parts.append(f"Total {_money(result.total)}")
    if result.method == "optimal" and result.saving is not None:
        parts.append(f"saving {_money(result.saving)} against the lowest-price award")
    if result.ties:
        parts.append(f"{len(result.ties)} tie(s) for the officer to resolve")
    if result.status == "time_limit" and result.gap is None:
        parts.append("time limit reached before any bound on the optimum was proven")
    elif result.status == "time_limit":
        parts.append(f"time limit reached; proven within {result.gap:.4%} of the optimum")
    return "; ".join(parts) + "." if parts else ""


@dataclass
class _Solved:
    status: str  # "solved" | "infeasible" | "no_solution"
    proven: bool = False
    bound: float | None = None
    assignment: tuple[list[tuple[_Unit, _Option]], list[AwardLine]] | None = None


class _Milp:
    """A small sparse model builder over highspy (rows gathered, passed once)."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.starts: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def var(self, cost: float, upper: float, *, integer: bool = True, lower: float = 0.0) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, terms: Iterable[tuple[int, float]], lower: float, upper: float) -> None:
        for col, coefficient in terms:
            if coefficient:
                self.index.append(col)
                self.value.append(coefficient)
        self.starts.append(len(self.index))
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def solve(self, *, time_limit: float, gap: float, start: list[float] | None = None,
              relax: bool = False) -> tuple[str, list[float] | None, float | None]:  # fmt: skip
        import highspy
        import numpy as np

        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = len(self.cost)
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = np.array(self.cost, dtype=np.float64)
        lp.col_lower_ = np.array(self.lower, dtype=np.float64)
        lp.col_upper_ = np.array([inf if u == math.inf else u for u in self.upper],
                                 dtype=np.float64)  # fmt: skip
        lp.row_lower_ = np.array([-inf if v == -math.inf else v for v in self.row_lower],
                                 dtype=np.float64)  # fmt: skip
        lp.row_upper_ = np.array([inf if v == math.inf else v for v in self.row_upper],
                                 dtype=np.float64)  # fmt: skip
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(self.starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.value, dtype=np.float64)
        kinds = highspy.HighsVarType
        lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in self.integer]
        # The core class, because highspy.Highs() prints its banner to stdout before any
        # option can be set, which would spoil the command's JSON.
        core = getattr(getattr(highspy, "_core", None), "_Highs", None)
        solver = core() if core is not None else highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("threads", 1)
        solver.setOptionValue("random_seed", 0)
        solver.setOptionValue("time_limit", float(time_limit))
        solver.setOptionValue("mip_rel_gap", float(gap))
        # Every feasible award's objective is a whole number of cents: a gap under one cent
        # proves it optimal.
        solver.setOptionValue("mip_abs_gap", 0.99)
        solver.setOptionValue("solve_relaxation", relax)
        solver.passModel(lp)
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = start
            solution.value_valid = True
            solver.setSolution(solution)
        solver.run()
        status = solver.getModelStatus()
        info = solver.getInfo()
        statuses = highspy.HighsModelStatus
        if status == statuses.kInfeasible:
            return "infeasible", None, None
        values = None
        if info.primal_solution_status == 2:  # kSolutionStatusFeasible
            values = list(solver.getSolution().col_value)
        bound = info.objective_function_value if relax else info.mip_dual_bound
        bound = bound if math.isfinite(bound) else None
        return ("optimal" if status == statuses.kOptimal else "stopped"), values, bound


class _Formulation:
    """The optimal award as a MILP, in cents.

    Per whole unit u and supplier s that can take it, binaries y[u,s,t] for each spend
    discount tier t of s (t = 0: none), at most one tier per supplier (w[s,t]); a tier's
    threshold is met by the gross placed in that tier, and y[u,s,t] <= w[s,t] keeps the
    relaxation tight (a unit earns a tier's discount only as far as the tier is chosen). The
    supplier's discount is an integer D[s] <= sum_t pct_t * gross_t + 1/2 (half-up rounding,
    exact in cents). Split items: per bid and price step k a binary z and an integer quantity
    x (in the item's quantity unit) within the step's range (all-units pricing as disjunctive
    segments), and an integer amount A with x * price - 1/2 + eps <= A <= x * price + 1/2
    (the line's own half-up rounding; pinned, or a padded amount could buy a discount).
    A supplier limit adds o[s] >= every choice of s (per choice, not aggregated) and
    sum o[s] <= limit. Suppliers differ in prices, so there is little symmetry to break;
    the start solution from :func:`_heuristic` gives the search a good incumbent at once.
    """

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.m = _Milp()
        problem = plan.problem
        self.suppliers = {s.id: s for s in problem.suppliers}
        self.opened: dict[str, int] = {}
        self.tiers: dict[str, list[int]] = {}  # w[s, t]
        self.tier_gross: dict[str, list[list[tuple[int, float]]]] = {}
        self.y: dict[tuple[int, str], list[int]] = {}  # (unit index, supplier) -> y per tier
        self.segments: list[_Segment] = []
        self.split_gross: dict[str, list[int]] = {}  # h[s, t]
        self.discount: dict[str, int] = {}
        self._build()

    def _build(self) -> None:
        plan, m = self.plan, self.m
        involved = sorted({o.supplier for u in plan.units for o in u.options}
                          | {b.supplier for u in plan.units if u.split
                             for b in plan.bids_by_item[u.items[0].id]})  # fmt: skip
        limit = plan.problem.rules.max_suppliers
        if limit is not None and limit < len(involved):
            for s in involved:
                self.opened[s] = m.var(0.0, 1.0)
            m.row(((self.opened[s], 1.0) for s in involved), -math.inf, float(limit))
        for s in involved:
            steps = self.suppliers[s].spend_discounts
            if steps:
                self.tiers[s] = [m.var(0.0, 1.0) for _ in range(len(steps) + 1)]
                self.tier_gross[s] = [[] for _ in range(len(steps) + 1)]
                terms = [(v, 1.0) for v in self.tiers[s]]
                if s in self.opened:
                    m.row([*terms, (self.opened[s], -1.0)], 0.0, 0.0)
                else:
                    m.row(terms, 1.0, 1.0)

        split_amounts: dict[str, list[int]] = defaultdict(list)
        split_top: dict[str, float] = defaultdict(float)
        for n, unit in enumerate(plan.units):
            if unit.split:
                self._split_item(unit.items[0], split_amounts, split_top)
                continue
            assign = []
            for option in unit.options:
                cents = float(option.cost * 100)
                s = option.supplier
                ys = []
                for t in range(len(self.tiers.get(s, [None]))):
                    y = m.var(cents, 1.0)
                    # Per choice, not aggregated: the tight form of "only an open supplier".
                    link = self.tiers[s][t] if s in self.tiers else self.opened.get(s)
                    if link is not None:
                        m.row(((y, 1.0), (link, -1.0)), -math.inf, 0.0)
                    if s in self.tiers:
                        self.tier_gross[s][t].append((y, cents))
                    ys.append(y)
                self.y[n, s] = ys
                assign.extend(ys)
            m.row(((y, 1.0) for y in assign), 1.0, 1.0)

        for s, w in self.tiers.items():
            steps = self.suppliers[s].spend_discounts
            h: list[int | None] = [None] * len(w)
            if split_amounts.get(s):
                # A supplier's split gross lies in its one chosen tier.
                top = split_top[s]
                h = [m.var(0.0, top, integer=False) for _ in w]
                self.split_gross[s] = [v for v in h if v is not None]
                for h_t, w_t in zip(self.split_gross[s], w, strict=True):
                    m.row(((h_t, 1.0), (w_t, -top)), -math.inf, 0.0)
                m.row([*((v, 1.0) for v in self.split_gross[s]),
                       *((a, -1.0) for a in split_amounts[s])], 0.0, 0.0)  # fmt: skip
            most = sum(c for _, c in self.tier_gross[s][0]) + split_top[s]
            self.discount[s] = d = m.var(
                -1.0, float(math.floor(most * float(steps[-1].percent) / 100 + 0.5))
            )
            rounding: list[tuple[int, float]] = [(d, 1.0)]
            for t, step in enumerate(steps, start=1):
                gross_t = list(self.tier_gross[s][t])
                split_t = h[t]
                if split_t is not None:
                    gross_t.append((split_t, 1.0))
                m.row([*gross_t, (w[t], -float(step.min_total * 100))], 0.0, math.inf)
                share = float(step.percent) / 100
                rounding.extend((v, -c * share) for v, c in gross_t)
            m.row(rounding, -math.inf, 0.5)

    def _split_item(self, item: Item, split_amounts: dict[str, list[int]],
                    split_top: dict[str, float]) -> None:  # fmt: skip
        m = self.m
        quantum = _quantum(item.quantity)
        needed = int(item.quantity / quantum)
        demand = []
        for bid in self.plan.bids_by_item[item.id]:
            cap = (
                needed
                if bid.max_quantity is None
                else min(needed, int(bid.max_quantity // quantum))
            )
            steps = [(Decimal(0), bid.unit_price), *bid.tiers]
            choices = []
            bid_top = 0
            for k, (minimum, price) in enumerate(steps):
                low = max(1, math.ceil(minimum / quantum))
                high = cap if k + 1 == len(steps) else min(
                    cap, math.ceil(steps[k + 1][0] / quantum) - 1)  # fmt: skip
                if low > high:
                    continue
                rate = price * 100 * quantum  # cents per quantity unit, exact
                exponent = int(rate.normalize().as_tuple().exponent)
                # Half the smallest fraction of a cent x * rate can have: A rounds half-up.
                eps = float(Decimal(1).scaleb(exponent)) / 2 if exponent < 0 else 0.25
                top = math.floor(float(rate) * high + 0.5) + 1
                z = m.var(0.0, 1.0)
                x = m.var(0.0, float(high))
                a = m.var(1.0, float(top))
                m.row(((x, 1.0), (z, -float(low))), 0.0, math.inf)
                m.row(((x, 1.0), (z, -float(high))), -math.inf, 0.0)
                # Pinned from both sides: a padded amount could buy a spend discount.
                m.row(((a, 1.0), (x, -float(rate))), -0.5 + eps, 0.5)
                choices.append(z)
                demand.append((x, 1.0))
                split_amounts[bid.supplier].append(a)
                bid_top = max(bid_top, top)
                self.segments.append(_Segment(item, bid, quantum, low, high, z, x, a))
            split_top[bid.supplier] += bid_top
            if choices:
                terms = [(c, 1.0) for c in choices]
                if bid.supplier in self.opened:
                    m.row([*terms, (self.opened[bid.supplier], -1.0)], -math.inf, 0.0)
                else:
                    m.row(terms, -math.inf, 1.0)
        m.row(demand, float(needed), float(needed))

    def encode(self, assignment: _Assignment) -> list[float]:
        """The MILP's variables for an award (the heuristic's, handed to HiGHS as a start)."""
        values = [0.0] * len(self.m.cost)
        whole, lines = assignment
        gross: dict[str, Decimal] = defaultdict(lambda: ZERO)
        split: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for _unit, option in whole:
            gross[option.supplier] += option.cost
        for line in lines:
            gross[line.supplier] += line.amount
            split[line.supplier] += line.amount
        used = set(gross)
        tier_of: dict[str, int] = {}
        for s, w in self.tiers.items():
            steps = self.suppliers[s].spend_discounts
            t = sum(1 for step in steps if gross[s] >= step.min_total)
            tier_of[s] = t
            if s in used or s not in self.opened:
                values[w[t]] = 1.0
            if s in self.split_gross:
                values[self.split_gross[s][t]] = float(split[s] * 100)
            values[self.discount[s]] = float(spend_discount(self.suppliers[s], gross[s])[1] * 100)
        for s, o in self.opened.items():
            values[o] = 1.0 if s in used else 0.0
        index = {id(u): n for n, u in enumerate(self.plan.units)}
        for unit, option in whole:
            values[self.y[index[id(unit)], option.supplier][tier_of.get(option.supplier, 0)]] = 1.0
        for line in lines:
            for seg in self.segments:
                if seg.item.id == line.item and seg.bid.supplier == line.supplier:
                    count = int(line.quantity / seg.quantum)
                    if seg.low <= count <= seg.high:
                        values[seg.z] = 1.0
                        values[seg.x] = float(count)
                        values[seg.a] = float(line.amount * 100)
        return values

    def solve(self, *, time_limit: float, gap: float, start: _Assignment | None = None
              ) -> _Solved:  # fmt: skip
        status, values, bound = self.m.solve(
            time_limit=time_limit, gap=gap, start=self.encode(start) if start else None
        )
        if status == "infeasible":
            return _Solved("infeasible")
        if values is None:
            return _Solved("no_solution", bound=bound)
        whole = [(unit, option) for (n, s), ys in self.y.items()
                 for unit in (self.plan.units[n],) for option in unit.options
                 if option.supplier == s and sum(values[y] for y in ys) > 0.5]  # fmt: skip
        lines = []
        for seg in self.segments:
            if values[seg.z] > 0.5:
                quantity = round(values[seg.x]) * seg.quantum
                unit_price = seg.bid.price_at(quantity)
                lines.append(AwardLine(seg.item.id, seg.bid.supplier, quantity, unit_price,
                                       line_amount(quantity, unit_price)))  # fmt: skip
        for item in {line.item for line in lines}:
            placed = sum((x.quantity for x in lines if x.item == item), Decimal(0))
            wanted = next(i.quantity for i in self.plan.problem.items if i.id == item)
            if placed != wanted:  # pragma: no cover - integer quantities make this exact
                raise RuntimeError(f"the solver split item {item} into {placed}, not {wanted}")
        return _Solved("solved", proven=status == "optimal", bound=bound, assignment=(whole, lines))


@dataclass(frozen=True)
class _Segment:
    """One price step of one bid on a split item, with its MILP variables."""

    item: Item
    bid: Bid
    quantum: Decimal
    low: int
    high: int
    z: int
    x: int
    a: int


def _quantum(quantity: Decimal) -> Decimal:
    """The step of split quantities: the quantity's last decimal place (1 for 1200)."""
    exponent = int(quantity.normalize().as_tuple().exponent)
    return Decimal(1).scaleb(min(0, exponent))


def _heuristic(plan: _Plan, *, budget: float) -> _Assignment | None:
    """A good feasible award fast, to start the MILP from (in exact Decimal; :class:`_Search`
    is the faster one under a supplier limit, when the cost table fits in memory).

    The suppliers: the ``limit`` chosen greedily; then one swapped in for one out while the
    exact total falls, within ``budget`` seconds. Each whole unit goes to the chosen supplier
    cheapest after the spend discount its current award earns (repeated while that moves
    units); split items are filled from the lowest price up.
    """
    started = time.perf_counter()
    problem = plan.problem
    suppliers = {s.id: s for s in problem.suppliers}
    whole = [u for u in plan.units if not u.split]
    ranked = [sorted(u.options, key=lambda o: (o.cost, o.supplier)) for u in whole]
    splits = [u.items[0] for u in plan.units if u.split]
    involved = sorted({o.supplier for u in whole for o in u.options}
                      | {b.supplier for i in splits for b in plan.bids_by_item[i.id]})  # fmt: skip
    limit = problem.rules.max_suppliers
    missing_penalty = sum((r[-1].cost for r in ranked), ZERO) * 10 + 1

    def net(gross: Mapping[str, Decimal]) -> Decimal:
        return sum((g - spend_discount(suppliers[s], g)[1] for s, g in gross.items()), ZERO)

    def evaluate(open_: frozenset[str]) -> tuple[Decimal, bool, _Assignment]:
        lines: list[AwardLine] = []
        short = ZERO
        base: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for item in splits:
            got, tie, _ = _greedy(item, [b for b in plan.bids_by_item[item.id]
                                         if b.supplier in open_])  # fmt: skip
            if tie is not None or sum((x.quantity for x in got), Decimal(0)) != item.quantity:
                short += missing_penalty
                continue
            lines.extend(got)
            for line in got:
                base[line.supplier] += line.amount
        rate: dict[str, Decimal] = {}
        best: tuple[Decimal, list[tuple[_Unit, _Option]]] | None = None
        for _round in range(4):
            chosen: list[tuple[_Unit, _Option]] = []
            gross = defaultdict(lambda: ZERO, base)
            missing = ZERO
            for unit, options in zip(whole, ranked, strict=True):
                pool = [o for o in options if o.supplier in open_]
                if not pool:
                    missing += missing_penalty
                    continue
                option = min(pool, key=lambda o: (o.cost * (1 - rate.get(o.supplier, 0)),
                                                  o.supplier))  # fmt: skip
                chosen.append((unit, option))
                gross[option.supplier] += option.cost
            total = net(gross) + missing
            if best is not None and total >= best[0]:
                break
            best = (total, chosen)
            rate = {s: suppliers[s].discount_percent(g) / HUNDRED for s, g in gross.items()}
        assert best is not None  # noqa: S101 - the loop runs at least once
        total = best[0] + short
        return total, total < missing_penalty, (best[1], lines)

    if limit is None or limit >= len(involved):
        _total, feasible, assignment = evaluate(frozenset(involved))
        return assignment if feasible else None
    open_: frozenset[str] = frozenset()
    for _ in range(limit):
        best = min((evaluate(open_ | {s})[0], s) for s in involved if s not in open_)
        open_ = open_ | {best[1]}
    current = evaluate(open_)
    improved = True
    while improved and time.perf_counter() - started < budget:
        improved = False
        for out in sorted(open_):
            for into in involved:
                if into in open_ or time.perf_counter() - started >= budget:
                    continue
                trial = evaluate(open_ - {out} | {into})
                if trial[0] < current[0]:
                    open_, current, improved = open_ - {out} | {into}, trial, True
                    break
            if improved:
                break
    return current[2] if current[1] else None


_Assignment = tuple[list[tuple[_Unit, _Option]], list[AwardLine]]


def _suppliers_of(assignment: _Assignment) -> set[str]:
    return {o.supplier for _, o in assignment[0]} | {x.supplier for x in assignment[1]}


def _exact_total(problem: Problem, assignment: _Assignment) -> Decimal:
    gross: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for _unit, option in assignment[0]:
        gross[option.supplier] += option.cost
    for line in assignment[1]:
        gross[line.supplier] += line.amount
    return sum((g - spend_discount(problem.supplier(s), g)[1] for s, g in gross.items()), ZERO)


def _restrict(plan: _Plan, suppliers: set[str]) -> _Plan:
    """The same units with only ``suppliers``' options and bids (same order)."""
    units = [_Unit(u.basis, u.items, u.lots,
                   tuple(o for o in u.options if o.supplier in suppliers), u.split)
             for u in plan.units]  # fmt: skip
    bids = {item: [b for b in bids if b.supplier in suppliers]
            for item, bids in plan.bids_by_item.items()}  # fmt: skip
    return _Plan(plan.problem, units, bids, [])


def _remap(assignment: _Assignment, source: _Plan, target: _Plan) -> _Assignment:
    """An assignment of ``source``'s units as the same choices among ``target``'s."""
    index = {id(u): n for n, u in enumerate(source.units)}
    whole = []
    for unit, option in assignment[0]:
        twin = target.units[index[id(unit)]]
        whole.append((twin, next(o for o in twin.options if o.supplier == option.supplier)))
    return whole, list(assignment[1])


# Large instances: a Lagrangian bound and a fast search over sets of suppliers -------------


def _limited_start(plan: _Plan, involved: Sequence[str], *, gap: float, budget: Any
                   ) -> tuple[_Assignment | None, _Lagrangian | None, set[str],
                              _Search | None]:  # fmt: skip
    """Under a supplier limit: a good award, a lower bound on every award (cents), the
    suppliers no award better than that one can use, and the search (for more sets later).

    Sets of ``limit`` suppliers: chosen greedily, then improved by swaps (:class:`_Search`);
    again from the suppliers the Lagrangian bound favours; the best sets' awards made exact
    by a small MILP over their suppliers alone; the bound tightened against the best award.
    """
    problem = plan.problem
    limit = problem.rules.max_suppliers
    assert limit is not None  # noqa: S101 - only called under a supplier limit
    lagrangian = _Lagrangian(plan, involved)
    whole = sum(1 for u in plan.units if not u.split)
    if whole * len(involved) > _Search.MAX_CELLS:
        start = _heuristic(plan, budget=budget(0.3))
        if start is None:
            return None, None, set(), None
        upper = float(_exact_total(problem, start) * 100)
        lagrangian.improve(upper, deadline=time.perf_counter() + budget(0.3), patient=False)
        return start, lagrangian, lagrangian.closed(upper), None
    search = _Search(plan, involved)
    open_: frozenset[str] = frozenset()
    for _ in range(limit):
        open_ = min(
            (
                (search.total(open_ | {s}, partial=True), open_ | {s})
                for s in involved
                if s not in open_
            ),
            key=lambda t: (t[0], sorted(t[1])),
        )[1]
    open_ = search.local(open_, involved, deadline=time.perf_counter() + budget(0.15))
    upper = search.total(open_)
    if not math.isfinite(upper):
        return None, None, set(), None
    lagrangian.improve(upper, deadline=time.perf_counter() + budget(0.25), patient=False)
    order = lagrangian.np.argsort(lagrangian.phi, kind="stable")[:limit]
    favoured = frozenset(involved[int(k)] for k in order)
    favoured = search.local(favoured, involved, deadline=time.perf_counter() + budget(0.15))
    chosen = search.ranked()[0]
    assignment = search.assignment(chosen)
    assert assignment is not None  # noqa: S101 - ranked() lists complete awards only
    best = _polish(plan, assignment, gap=gap, time_limit=budget(0.1))
    upper = float(best[0] * 100)
    lagrangian.improve(upper, deadline=time.perf_counter() + budget(0.2), patient=False)
    return best[1], lagrangian, lagrangian.closed(upper), search


def _polish(plan: _Plan, assignment: _Assignment, *, gap: float, time_limit: float
            ) -> tuple[Decimal, _Assignment]:  # fmt: skip
    """An award's suppliers' best award (spend discounts and all: the fast search only
    approximates them), by a small MILP over those suppliers alone; (exact total, award)."""
    best = (_exact_total(plan.problem, assignment), assignment)
    sub = _restrict(plan, _suppliers_of(assignment))
    polished = _Formulation(sub).solve(time_limit=time_limit, gap=gap / 10,
                                       start=_remap(assignment, plan, sub))  # fmt: skip
    if polished.assignment is not None:
        exact = _remap(polished.assignment, sub, plan)
        total = _exact_total(plan.problem, exact)
        if total < best[0]:
            best = (total, exact)
    return best


class _Lagrangian:
    """A lower bound on every award, from relaxing "each unit awarded once" (and "each split
    item's quantity placed") with multipliers, improved by subgradient steps (numpy).

    With multipliers lam[u] per whole unit and mu[i] per quantity step of a split item, the
    relaxed problem falls apart by supplier: phi[s] = the least of (net cost - multipliers)
    over what s could take, 0 for taking nothing. Net cost is at least gross x (1 - the
    percent of the tier reached) less half a cent of discount rounding and half a cent per
    split line; per tier that is a covering knapsack (the gross must reach the threshold),
    bounded below by its LP (greedy by ratio). Split segments enter as divisible goods with
    their lower quantity relaxed to 0. The bound is sum(lam) + sum(mu x quantity) + the
    ``limit`` most negative phi[s]; forcing a supplier open instead of the last of those
    bounds every award that uses it, which closes suppliers that cannot beat an award found.
    Every value is in cents; the bound is lowered by a safety margin for float rounding.
    """

    def __init__(self, plan: _Plan, involved: Sequence[str]) -> None:
        import numpy as np

        self.np = np
        self.involved = list(involved)
        suppliers = {s.id: s for s in plan.problem.suppliers}
        self.limit = plan.problem.rules.max_suppliers
        whole = [u for u in plan.units if not u.split]
        splits = [u.items[0] for u in plan.units if u.split]
        n_whole = len(whole)
        self.demand = np.ones(n_whole + len(splits))
        # Goods: (group = supplier x tier, capacity, gross per unit, multiplier, 1 - percent).
        raw: dict[str, list[tuple[float, float, int]]] = defaultdict(list)  # s -> goods
        start = np.zeros(n_whole + len(splits))
        start[:n_whole] = math.inf
        for u, unit in enumerate(whole):
            for option in unit.options:
                cents = float(option.cost * 100)
                raw[option.supplier].append((1.0, cents, u))
                start[u] = min(start[u], cents)
        lines: dict[str, int] = defaultdict(int)
        for j, item in enumerate(splits):
            quantum = _quantum(item.quantity)
            needed = int(item.quantity / quantum)
            cheapest = math.inf
            for bid in plan.bids_by_item[item.id]:
                lines[bid.supplier] += 1
                cap = needed if bid.max_quantity is None else min(
                    needed, int(bid.max_quantity // quantum))  # fmt: skip
                steps = [(Decimal(0), bid.unit_price), *bid.tiers]
                for minimum, price in steps:
                    if max(1, math.ceil(minimum / quantum)) > cap:
                        continue
                    # In shares of the item (demand 1), so every multiplier has one scale.
                    per_share = float(price * 100 * quantum) * needed
                    raw[bid.supplier].append((cap / needed, per_share, n_whole + j))
                    cheapest = min(cheapest, per_share)
            start[n_whole + j] = cheapest if math.isfinite(cheapest) else 0.0
        group: list[int] = []
        room: list[float] = []
        gross: list[float] = []
        mult: list[int] = []
        factor: list[float] = []
        threshold: list[float] = []
        owner: list[int] = []
        for k, s in enumerate(self.involved):
            tiers = [(Decimal(0), Decimal(0))]
            tiers += [(d.min_total, d.percent) for d in suppliers[s].spend_discounts]
            for minimum_total, percent in tiers:
                g = len(threshold)
                # Rounded split lines can reach a threshold half a cent each early.
                threshold.append(max(0.0, float(minimum_total * 100) - 0.5 * lines[s]))
                owner.append(k)
                share = 1.0 - float(percent) / 100
                for c, per, m in raw[s]:
                    group.append(g)
                    room.append(c)
                    gross.append(per)
                    mult.append(m)
                    factor.append(share)
        self.group = np.array(group, dtype=np.int64)
        self.cap = np.array(room)
        self.gross = np.array(gross)
        self.mult = np.array(mult, dtype=np.int64)
        self.factor = np.array(factor)
        self.threshold = np.array(threshold)
        self.owner = np.array(owner, dtype=np.int64)
        self.n_groups = len(threshold)
        self.start = np.where(np.isfinite(start), start, 0.0)
        self.slack = 0.5 * (sum(lines.values()) + len(self.involved)) + 1.0
        self.best = -math.inf
        self.theta = 1.0
        self.best_mult = self.start.copy()
        self.phi = np.zeros(len(self.involved))

    def evaluate(self, lam: Any) -> tuple[float, Any, Any]:
        """(bound, subgradient, phi per supplier) at multipliers ``lam``."""
        np = self.np
        reduced = self.factor * self.gross - lam[self.mult]  # per unit of a good
        take_all = reduced < 0
        full = np.where(take_all, self.cap, 0.0)
        neg_value = np.bincount(self.group, weights=reduced * full, minlength=self.n_groups)
        neg_gross = np.bincount(self.group, weights=self.gross * full, minlength=self.n_groups)
        short = np.maximum(0.0, self.threshold - neg_gross)  # gross still to reach
        ratio = np.where(self.gross > 0, reduced / np.where(self.gross > 0, self.gross, 1.0),
                         math.inf)  # fmt: skip
        ratio = np.where(take_all, -math.inf, ratio)
        order = np.lexsort((ratio, self.group))
        g_sorted = self.group[order]
        room = np.where(take_all[order], 0.0, (self.gross * self.cap)[order])
        before = np.cumsum(room) - room
        first = np.searchsorted(g_sorted, np.arange(self.n_groups))
        offset = np.where(first < len(order), before[np.minimum(first, len(order) - 1)], 0.0)
        before -= offset[g_sorted]
        need = short[g_sorted]
        part = np.where(room > 0, np.clip((need - before) / np.where(room > 0, room, 1.0),
                                          0.0, 1.0), 0.0)  # fmt: skip
        amount = np.zeros(len(order))
        amount[order] = part * self.cap[order]
        available = np.bincount(g_sorted, weights=room, minlength=self.n_groups)
        value = neg_value + np.bincount(self.group, weights=reduced * amount,
                                        minlength=self.n_groups)  # fmt: skip
        value = np.where(available + 1e-6 * (1 + short) >= short, value, math.inf)
        taken = full + amount
        phi = np.full(len(self.involved), 0.0)
        best_group = np.full(len(self.involved), -1)
        for g in range(self.n_groups):
            s = self.owner[g]
            if value[g] < phi[s]:
                phi[s], best_group[s] = value[g], g
        chosen = np.argsort(phi, kind="stable")
        if self.limit is not None:
            chosen = chosen[: self.limit]
        chosen = chosen[phi[chosen] < 0]
        bound = float(lam @ self.demand + phi[chosen].sum())
        used = np.isin(self.group, best_group[chosen])
        placed = np.bincount(self.mult, weights=np.where(used, taken, 0.0),
                             minlength=len(self.demand))  # fmt: skip
        return bound, self.demand - placed, phi

    def improve(self, upper: float, *, deadline: float, rounds: int = 2000,
                patient: bool = True) -> float:  # fmt: skip
        """Subgradient steps toward ``upper`` (an award's total, cents) until the bound is
        within a cent of it, the steps die out or ``deadline``; unless ``patient``, also once
        50 steps close less than 1% of what is left between the bound and ``upper``. Returns
        the safe bound."""
        lam = self.best_mult.copy()
        theta, stale = self.theta, 0  # the step size goes on where the last call left it
        mark = self.best
        for step in range(rounds):
            if time.perf_counter() >= deadline:
                break
            if not patient and step and step % 50 == 0:
                if self.best - mark < 0.01 * (upper - self.best):
                    break
                mark = self.best
            bound, sub, phi = self.evaluate(lam)
            if bound > self.best:
                self.best, self.best_mult, self.phi, stale = bound, lam.copy(), phi, 0
            else:
                stale += 1
                if stale >= 15:
                    theta, stale = theta / 2, 0
            norm = float(sub @ sub)
            if norm == 0 or theta < 1e-4 or upper - self.best < 1.0:
                break
            lam = lam + theta * (upper - bound) / norm * sub
        self.theta = theta
        return self.safe

    @property
    def safe(self) -> float:
        return self.best - self.slack - 1e-9 * abs(self.best)

    def closed(self, upper: float) -> set[str]:
        """Suppliers every award using which costs at least ``upper`` (cents)."""
        if self.limit is None or self.limit >= len(self.involved) or not math.isfinite(self.best):
            return set()
        np = self.np
        order = np.argsort(self.phi, kind="stable")
        chosen = [int(k) for k in order[: self.limit] if self.phi[k] < 0]
        if len(chosen) < self.limit:
            return set()  # opening one more costs nothing in the relaxation
        last = float(self.phi[chosen[-1]])
        out = set()
        for k, s in enumerate(self.involved):
            if k not in chosen and self.safe - last + float(self.phi[k]) >= upper:
                out.add(s)
        return out


class _Search:
    """Sets of suppliers tried fast (numpy): each whole unit to the open supplier cheapest
    after the spend discount its current award earns, repeated while that moves units; split
    items filled from the lowest price up (Decimal, as :func:`_greedy`)."""

    MAX_CELLS = 5_000_000

    def __init__(self, plan: _Plan, involved: Sequence[str]) -> None:
        import numpy as np

        self.np = np
        self.plan = plan
        self.involved = list(involved)
        self.index = {s: k for k, s in enumerate(self.involved)}
        self.suppliers = {s.id: s for s in plan.problem.suppliers}
        self.whole = [u for u in plan.units if not u.split]
        self.splits = [u.items[0] for u in plan.units if u.split]
        cost = np.full((len(self.whole), len(self.involved)), math.inf)
        self.option: dict[tuple[int, int], _Option] = {}
        for u, unit in enumerate(self.whole):
            for option in unit.options:
                k = self.index[option.supplier]
                cost[u, k] = float(option.cost * 100)
                self.option[u, k] = option
        self.cost = cost
        finite = cost[np.isfinite(cost)]
        self.penalty = 10 * float(finite.max()) + 1 if finite.size else 1.0
        self.cache: dict[tuple[frozenset[str], bool], tuple[float, _Assignment | None]] = {}
        self.split_cache: dict[tuple[str, frozenset[str]], list[AwardLine] | None] = {}

    def _split_lines(self, open_: frozenset[str]) -> tuple[list[AwardLine], int]:
        """The split items' lines among ``open_``, and how many items they cannot fill."""
        lines: list[AwardLine] = []
        short = 0
        for item in self.splits:
            bids = [b for b in self.plan.bids_by_item[item.id] if b.supplier in open_]
            key = (item.id, frozenset(b.supplier for b in bids))
            if key not in self.split_cache:
                got, tie, _ = _greedy(item, bids)
                placed = sum((x.quantity for x in got), Decimal(0))
                self.split_cache[key] = got if tie is None and placed == item.quantity else None
            got_lines = self.split_cache[key]
            if got_lines is None:
                short += 1
            else:
                lines.extend(got_lines)
        return lines, short

    def total(self, open_: frozenset[str], *, partial: bool = False) -> float:
        """The total (cents, approximately) of the award among ``open_``; infinite if it
        leaves something out, unless ``partial``, which counts what is left out at a
        penalty (to choose suppliers one by one)."""
        key = (open_, partial)
        if key not in self.cache:
            self.cache[key] = self._evaluate(open_, partial)
        return self.cache[key][0]

    def assignment(self, open_: frozenset[str]) -> _Assignment | None:
        self.total(open_)
        return self.cache[open_, False][1]

    def ranked(self) -> list[frozenset[str]]:
        """The complete sets tried so far, best first."""
        done = [(v[0], sorted(k[0]), k[0]) for k, v in self.cache.items()
                if not k[1] and math.isfinite(v[0])]  # fmt: skip
        return [k for _v, _n, k in sorted(done, key=lambda d: (d[0], d[1]))]

    def _evaluate(self, open_: frozenset[str], partial: bool
                  ) -> tuple[float, _Assignment | None]:  # fmt: skip
        np = self.np
        lines, short = self._split_lines(open_)
        columns = sorted(self.index[s] for s in open_ if s in self.index)
        if not columns:
            return math.inf, None
        cost = self.cost[:, columns]
        covered = np.isfinite(cost).any(axis=1) if columns else np.zeros(len(self.whole), bool)
        missing = short + int((~covered).sum())
        if missing and not partial:
            return math.inf, None
        cost = np.where(np.isfinite(cost), cost, self.penalty)
        base = np.zeros(len(columns))
        for line in lines:
            base[columns.index(self.index[line.supplier])] += float(line.amount * 100)
        steps = [self.suppliers[self.involved[k]].spend_discounts for k in columns]
        rate = np.zeros(len(columns))
        best: tuple[float, Any] = (math.inf, None)
        rows = np.arange(len(self.whole))
        for _round in range(4):
            pick = np.argmin(cost * (1 - rate), axis=1)
            gross = base + np.bincount(pick[covered], weights=cost[rows, pick][covered],
                                       minlength=len(columns))  # fmt: skip
            net = missing * self.penalty
            for k, g in enumerate(gross):
                percent = 0.0
                for step in steps[k]:
                    if g >= float(step.min_total * 100):
                        percent = float(step.percent) / 100
                rate[k] = percent
                net += g - math.floor(g * percent + 0.5)
            if net >= best[0]:
                break
            best = (net, pick)
        if missing:
            return best[0], None
        pick = best[1]
        whole = [(unit, self.option[u, columns[int(pick[u])]])
                 for u, unit in enumerate(self.whole)]  # fmt: skip
        return best[0], (whole, lines)

    def local(self, open_: frozenset[str], pool: Sequence[str], *, deadline: float
              ) -> frozenset[str]:  # fmt: skip
        """Swap one supplier of ``open_`` for one of ``pool`` while the total falls."""
        current = self.total(open_)
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            best = (current, open_)
            for out in sorted(open_):
                for into in pool:
                    if into in open_ or time.perf_counter() >= deadline:
                        continue
                    trial = open_ - {out} | {into}
                    value = self.total(trial)
                    if value < best[0]:
                        best = (value, trial)
            if best[0] < current:
                current, open_, improved = best[0], best[1], True
        return open_


def solve(problem: Problem, *, method: str = "lowest_price", time_limit: float = 60.0,
          gap: float = 0.0, started: float | None = None) -> AwardResult:  # fmt: skip
    """The award by ``method`` ("lowest_price" or "optimal"); ``time_limit`` seconds for the
    whole call from ``started`` (``time.perf_counter()``; now if not given)."""
    if method == "lowest_price":
        return lowest_price(problem)
    if method == "optimal":
        return optimal(problem, time_limit=time_limit, gap=gap, started=started)
    raise ValueError(f"unknown method {method!r}")


# Aggregation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantSaving:
    participant: str
    quantity: Decimal
    alone_unit_price: Decimal
    pooled_unit_price: Decimal
    alone_amount: Decimal
    pooled_amount: Decimal

    @property
    def saving(self) -> Decimal:
        return self.alone_amount - self.pooled_amount


@dataclass(frozen=True)
class AggregationEffect:
    pooled_quantity: Decimal
    pooled_unit_price: Decimal
    participants: tuple[ParticipantSaving, ...]

    @property
    def alone_total(self) -> Decimal:
        return sum((p.alone_amount for p in self.participants), ZERO)

    @property
    def pooled_total(self) -> Decimal:
        return sum((p.pooled_amount for p in self.participants), ZERO)

    @property
    def saving(self) -> Decimal:
        return self.alone_total - self.pooled_total


def aggregation_effect(*, unit_price: Decimal, tiers: Sequence[tuple[Decimal, Decimal]],
                       pooled_quantity: Decimal, commitments: Mapping[str, Decimal]
                       ) -> AggregationEffect:  # fmt: skip
    """What pooling earned each participant on one awarded bid.

    ``unit_price`` and ``tiers`` are the awarded bid's (all-units tiers: (min_quantity,
    unit price)); ``pooled_quantity`` is the quantity awarded to it; ``commitments`` each
    participant's own quantity from the demand survey. Each participant buys its own
    quantity (it issues its own orders and pays its own bills), so its amounts are its
    quantity at the tier its quantity alone earns, and at the pooled tier, each rounded
    half-up to cents on its own; the totals are sums of those amounts. Participants that
    committed nothing are left out.
    """
    ordered = tuple(sorted((Decimal(m), Decimal(p)) for m, p in tiers))
    if pooled_quantity <= 0:
        raise ValueError("the pooled quantity must be more than 0")
    pooled = evaluated_price(unit_price, ordered, pooled_quantity)
    rows = []
    for participant, quantity in commitments.items():
        if quantity < 0:
            raise ValueError(f"{participant}: a committed quantity cannot be negative")
        if quantity == 0:
            continue
        alone = evaluated_price(unit_price, ordered, quantity)
        rows.append(ParticipantSaving(participant, quantity, alone, pooled,
                                      line_amount(quantity, alone),
                                      line_amount(quantity, pooled)))  # fmt: skip
    return AggregationEffect(pooled_quantity, pooled, tuple(rows))
