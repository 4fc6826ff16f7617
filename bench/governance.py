"""Benchmark: the compliance monitor over 200,000 purchase orders of 2,000 members (not a test).

    .venv/bin/python bench/governance.py                  # SQLite, var/bench-governance.sqlite3
    .venv/bin/python bench/governance.py --orders 20000 --members 200   # a quick run
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop_bench_gov \
        .venv/bin/python bench/governance.py

Each phase runs in its own process, so each peak memory (VmHWM) is its own:

- load: one NY agency, the members, 40 suppliers and 80 contracts whose records show no
  competitive solicitation (so every order goes through the split-purchase engine, the worst
  case), and the orders over two years (bulk_create). Members' order counts are skewed (a
  few large districts order several times a day, mostly from one contract: groups of
  thousands of orders), amounts log-normal around $700, a tenth on federal funds;
- engine: ``monitor.aggregate_flags`` alone on the orders as plain values, the agency's
  rule table deciding (``compliance.required_method``), as ``purchase_flags`` calls it;
- monitor: ``monitor.purchase_flags`` on the records (reads the orders, checks each
  contract's term and piggybacking, and runs the engine): what the compliance page costs.

Prints each phase's wall and CPU seconds, the flags found and the peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import _database

_database.use("governance")

CATEGORIES = ["Paper", "Custodial", "Food", "Technology", "Furniture", "Science", "Art",
              "Athletics", "Office", "Library"]  # fmt: skip
FIRST_DAY = date(2025, 1, 1)
DAYS = 730


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django() -> None:
    import django

    django.setup()


def phase_load(members: int, orders: int, seed: int) -> dict:
    _database.fresh()  # a new database: the rule table the migrations ship is loaded
    from edcoop.contracts.models import Contract, PurchaseOrder
    from edcoop.members.models import Supplier

    rng = random.Random(seed)
    t0 = time.perf_counter()
    agency, insts = _database.agency_with_districts(members)
    suppliers = Supplier.objects.bulk_create(
        Supplier(agency=agency, legal_name=f"Supplier {i:02d} Inc.", tax_id=f"12-{i:07d}",
                 status="active")
        for i in range(40)
    )
    contracts = Contract.objects.bulk_create(
        Contract(agency=agency, number=f"BC-{j:03d}", title=f"{CATEGORIES[j % 10]} {j}",
                 supplier=suppliers[j % 40], category=CATEGORIES[j % 10],
                 kind="service" if j % 8 == 7 else "commodity",
                 starts_on=date(2024, 7, 1),
                 ends_on=date(2025, 12, 31) if j == 0 else date(2027, 6, 30))
        for j in range(80)
    )
    # Zipf-like order counts: the largest members order thousands of times in two years.
    weights = [1 / (i + 1) ** 0.8 for i in range(members)]
    who = rng.choices(range(members), weights=weights, k=orders)
    batch: list[PurchaseOrder] = []
    written = 0
    for i, m in enumerate(who):
        c = contracts[m % 80] if rng.random() < 0.6 else rng.choice(contracts)
        amount = Decimal(str(round(min(rng.lognormvariate(6.5, 1.2), 900_000.0), 2)))
        batch.append(PurchaseOrder(
            agency=agency, institution=insts[m], contract=c, number=f"PO-{i:07d}",
            status="sent", total=amount.quantize(Decimal("0.01")),
            ordered_on=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
            funding="federal" if rng.random() < 0.1 else "local", kind=c.kind,
        ))  # fmt: skip
        if len(batch) == 5000:
            PurchaseOrder.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    PurchaseOrder.objects.bulk_create(batch)
    written += len(batch)
    sizes = Counter((m, c) for m, c in PurchaseOrder.objects.values_list(
        "institution_id", "contract_id"))  # fmt: skip
    return {"seconds": time.perf_counter() - t0, "orders": written, "members": members,
            "largest_group": max(sizes.values()), "groups": len(sizes),
            "peak_mib": peak_mib()}  # fmt: skip


def phase_engine() -> dict:
    _django()
    from edcoop.contracts.models import PurchaseOrder
    from edcoop.governance import monitor, selectors
    from edcoop.governance.compliance import Method, NoRule, required_method
    from edcoop.members.models import Agency

    agency = Agency.objects.get(slug="bench")
    rules = selectors.rules_for(agency)
    rows: dict[tuple[str, str], list[monitor.Purchase]] = defaultdict(list)
    for pk, number, inst, supplier, category, funding, kind, day, total in (
        PurchaseOrder.objects.filter(agency=agency).values_list(
            "pk", "number", "institution_id", "contract__supplier_id", "contract__category",
            "funding", "kind", "ordered_on", "total").iterator(chunk_size=5000)
    ):  # fmt: skip
        rows[(funding, kind)].append(monitor.Purchase(
            pk, number, (inst, supplier, category.lower(), funding, kind), day, total))

    def decide_for(funding: str, kind: str) -> Any:
        def decide(amount: Decimal, day: date) -> Method | None:
            try:
                found = required_method(rules, jurisdiction="NY", funding=funding, kind=kind,
                                        amount=amount, on=day)  # fmt: skip
            except NoRule:
                return None
            return Method.SEALED_BIDS if monitor.competition_needed(found, funding) else (
                found.method)

        return decide

    n = sum(len(v) for v in rows.values())
    wall, cpu = time.perf_counter(), time.process_time()
    found: Counter[str] = Counter()
    in_flags = 0
    for (funding, kind), purchases in sorted(rows.items()):
        for flag in monitor.aggregate_flags(purchases, decide_for(funding, kind)):
            found[flag.kind] += 1
            in_flags += len(flag.purchases)
    return {"orders": n, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "flags": dict(found), "orders_in_flags": in_flags,
            "peak_mib": peak_mib()}  # fmt: skip


def phase_monitor() -> dict:
    _django()
    from edcoop.governance import monitor
    from edcoop.members.models import Agency

    agency = Agency.objects.get(slug="bench")
    wall, cpu = time.perf_counter(), time.process_time()
    flags = monitor.purchase_flags(agency)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "flags": dict(Counter(f.kind for f in flags)),
            "evidence_lines": sum(len(f.evidence) for f in flags),
            "peak_mib": peak_mib()}  # fmt: skip


def _phase(name: str, *args: str) -> dict:
    out = subprocess.run(  # noqa: S603  (this same script, our own arguments)
        [sys.executable, __file__, "--phase", name, *args], check=True, capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phase", choices=["load", "engine", "monitor"])
    args = parser.parse_args()
    if args.phase == "load":
        print(json.dumps(phase_load(args.members, args.orders, args.seed)))
        return
    if args.phase == "engine":
        print(json.dumps(phase_engine()))
        return
    if args.phase == "monitor":
        print(json.dumps(phase_monitor()))
        return
    print(f"load average before: {os.getloadavg()[0]:.1f}; database: "
          f"{os.environ['DATABASE_URL'].split(':')[0]}")  # fmt: skip
    load = _phase("load", "--members", str(args.members), "--orders", str(args.orders),
                  "--seed", str(args.seed))  # fmt: skip
    print(f"load: {load['orders']:,} orders of {load['members']:,} members in "
          f"{load['seconds']:.1f} s; {load['groups']:,} member/contract groups, the largest "
          f"{load['largest_group']:,} orders; peak {load['peak_mib']:.0f} MiB")  # fmt: skip
    engine = _phase("engine")
    print(f"engine (aggregate_flags alone): {engine['orders']:,} orders in "
          f"{engine['wall']:.2f} s wall, {engine['cpu']:.2f} s CPU; flags {engine['flags']}, "
          f"{engine['orders_in_flags']:,} orders in them; peak {engine['peak_mib']:.0f} MiB")
    whole = _phase("monitor")
    print(f"monitor (purchase_flags on the records): {whole['wall']:.2f} s wall, "
          f"{whole['cpu']:.2f} s CPU; flags {whole['flags']}, {whole['evidence_lines']:,} "
          f"evidence lines; peak {whole['peak_mib']:.0f} MiB")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
