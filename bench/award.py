"""Benchmark: the optimal award on random volume-priced bids (not a test).

    .venv/bin/python bench/award.py                # 50/200/1,000 items x 10/25/50, gap 0.1%
    .venv/bin/python bench/award.py --sizes 200x25        # one size
    .venv/bin/python bench/award.py --time-limit 60 --seed 7 --splits allowed

Each instance: items with a market price and a quantity (100-5,000); every supplier bids
about 70% of the items (at least three bidders an item) at the market price times its own
price level and some noise, with three all-units volume tiers (2-4% off each); one or two
spend-discount thresholds per supplier (1-3% off its whole award); on about 1% of the items
every bidder caps its quantity (at 50-90%), so those items must be split; a limit of 5
suppliers. Prints the solve time (model building included), the status, the proven
optimality gap and the saving over the lowest-price-per-item award (which ignores the
supplier limit). Wall time counts what other processes take from this one on a shared
machine; CPU time does not.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edcoop.settings")

TARGETS = {"200x25": "proven gap < 0.1% in < 10 s", "1000x50": "best award and its gap in 60 s"}


def random_input(items: int, suppliers: int, *, seed: int, splits: str = "capacity",
                 max_suppliers: int = 5, share_short: float = 0.01) -> dict[str, Any]:  # fmt: skip
    """One random instance in the engine's JSON input format."""
    rng = random.Random(f"{seed}-{items}-{suppliers}")
    cents = Decimal("0.01")
    level = {f"S{s + 1}": rng.uniform(0.92, 1.12) for s in range(suppliers)}
    out: dict[str, Any] = {"items": [], "lots": [{"id": "A", "basis": "per_item"}],
                           "bids": [], "suppliers": [],
                           "rules": {"max_suppliers": max_suppliers, "splits": splits}}  # fmt: skip
    market_total = Decimal(0)
    for i in range(items):
        item_id = str(i + 1)
        quantity = rng.randint(100, 5000)
        market = rng.uniform(1, 100)
        market_total += Decimal(str(round(market * quantity)))
        out["items"].append({"id": item_id, "quantity": str(quantity), "lot": "A"})
        # On a few items every bidder caps its quantity: the item must be split.
        short = rng.random() < share_short
        bidders = [s for s in level if rng.random() < 0.7]
        while len(bidders) < 3:
            extra = rng.choice(list(level))
            if extra not in bidders:
                bidders.append(extra)
        for supplier in sorted(bidders):
            price = market * level[supplier] * rng.uniform(0.94, 1.06)
            tiers = []
            for step in (0.35, 0.75, 1.15):
                price *= 1 - rng.uniform(0.02, 0.04)
                tiers.append({"min_quantity": str(max(1, round(quantity * step *
                                                               rng.uniform(0.8, 1.2)))),
                              "unit_price": str(Decimal(str(price)).quantize(cents))})  # fmt: skip
            tiers.sort(key=lambda t: int(t["min_quantity"]))
            for a, b in itertools.pairwise(tiers):
                if int(b["min_quantity"]) <= int(a["min_quantity"]):
                    b["min_quantity"] = str(int(a["min_quantity"]) + 1)
            base = market * level[supplier] * rng.uniform(0.94, 1.06)
            bid: dict[str, Any] = {"supplier": supplier, "item": item_id,
                                   "unit_price": str(Decimal(str(base)).quantize(cents)),
                                   "tiers": tiers}  # fmt: skip
            if short:
                bid["max_quantity"] = str(max(1, round(quantity * rng.uniform(0.5, 0.9))))
            out["bids"].append(bid)
    for supplier in level:
        share = market_total / max_suppliers
        steps = sorted(rng.sample([0.3, 0.5, 0.8, 1.1], rng.randint(1, 2)))
        percent = Decimal(0)
        discounts = []
        for step in steps:
            percent += Decimal(rng.choice(["1", "1.5", "2"]))
            discounts.append({"min_total": str((share * Decimal(str(step))).quantize(cents)),
                              "percent": str(percent)})  # fmt: skip
        out["suppliers"].append({"id": supplier, "spend_discounts": discounts})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50x10,200x25,1000x50",
                        help="comma-separated ITEMSxSUPPLIERS")  # fmt: skip
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--gap", type=float, default=0.001,
                        help="stop at this proven relative gap (0 = to the cent)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--splits", choices=("capacity", "allowed"), default="capacity")
    args = parser.parse_args()

    import django

    django.setup()
    from edcoop.procurement.award_engine import optimal, parse_problem

    for size in args.sizes.split(","):
        n_items, n_suppliers = (int(x) for x in size.lower().split("x"))
        data = random_input(n_items, n_suppliers, seed=args.seed, splits=args.splits)
        started, cpu = time.perf_counter(), time.process_time()
        problem = parse_problem(data)
        parsed = time.perf_counter() - started
        result = optimal(problem, time_limit=args.time_limit, gap=args.gap, started=started)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        suppliers = len({a.supplier for a in result.awards})
        split = len({a.item for a in result.awards}) != len(result.awards)
        saving = result.saving
        pct = (f"{saving / result.baseline_total:.2%}" if saving is not None
               and result.baseline_total else "n/a")  # fmt: skip
        target = TARGETS.get(f"{n_items}x{n_suppliers}", "")
        print(f"{n_items:>5} items x {n_suppliers:>2} suppliers ({len(data['bids']):,} bids): "
              f"{elapsed:6.1f} s wall, {cpu:.1f} s CPU (parse {parsed:.1f} s), "
              f"{result.status}, gap {result.gap if result.gap is not None else float('nan'):.4%}"
              f", total {result.total}, lowest-price-per-item {result.baseline_total}, "
              f"saving {saving} ({pct}), {suppliers} suppliers"
              f"{', split items' if split else ''}"
              f"{'  [target: ' + target + ']' if target else ''}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
