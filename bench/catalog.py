"""Benchmark: the contract catalogue at national scale, and a large sales report (not a test).

    .venv/bin/python bench/catalog.py                       # 200 contracts, 1,000,000 items
    .venv/bin/python bench/catalog.py --items 100000 --queries 100
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop_bench .venv/bin/python bench/catalog.py

Loads one national agency (600 member institutions of every kind, 50 suppliers, 200
contracts: a third national, a third service-area K-12 only, a third §119-o bids with 30% of
the members taking part) and the items spread over the contracts, each described by 4-7
words drawn from a 2,400-word vocabulary with a Zipf-like skew (a few words are in most
items, most words in few). The index is built after the load, as a bulk price-list import
would. Then times ``queries.catalogue`` (the catalogue page's and the API's search) for
random one- and two-word keywords with the eligibility filter for a random member, and a
100,000-row sales report: checking and filing (``sales.report_file``) and reconciling it
against 10,000 order lines (``sales.reconcile``). Targets (issue 13): search p95 < 100 ms;
the report reconciled in < 30 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import _database

_database.use("catalog")

KINDS = ["public_k12", "charter", "private_k12", "community_college", "public_university",
         "private_university", "municipality"]  # fmt: skip
SYLLABLES = ["ba", "ce", "di", "fo", "gu", "ha", "ki", "lo", "me", "nu", "pa", "ro", "si",
             "ta", "vo", "wi"]  # fmt: skip


def vocabulary(rng: random.Random, size: int = 2400) -> list[str]:
    words: set[str] = {
        "paper",
        "toner",
        "chromebook",
        "desk",
        "chair",
        "folder",
        "marker",
        "projector",
        "cable",
        "headset",
        "microscope",
        "beaker",
        "mop",
    }
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(items_n: int, rng: random.Random, words: list[str]) -> dict:
    from django.db import connection

    from edcoop.contracts import search_index
    from edcoop.contracts.models import Contract, ContractItem
    from edcoop.members.models import Agency, Institution, Membership, ServiceArea, Supplier

    _database.fresh()
    t0 = time.perf_counter()
    agency = Agency.objects.create(slug="bench", name="Bench Cooperative", kind="national",
                                   state="MN")  # fmt: skip
    areas = [ServiceArea.objects.create(agency=agency, name=n) for n in ("East", "West")]
    insts = Institution.objects.bulk_create(
        Institution(agency=agency, name=f"Member {i:04d}", kind=KINDS[i % len(KINDS)],
                    state="MN") for i in range(600))  # fmt: skip
    Membership.objects.bulk_create(
        Membership(agency=agency, institution=inst, status="active",
                   service_area=areas[i % 3] if i % 3 < 2 else None)
        for i, inst in enumerate(insts))  # fmt: skip
    suppliers = Supplier.objects.bulk_create(
        Supplier(agency=agency, legal_name=f"Supplier {s:02d} Inc", tax_id=f"{10 + s}-1234567",
                 status="active") for s in range(50))  # fmt: skip
    contracts = []
    for c in range(200):
        kind = c % 3
        contracts.append(
            Contract(
                agency=agency,
                number=f"NC-{c:03d}",
                title=f"{rng.choice(words)} contract",
                supplier=suppliers[c % 50],
                category=f"Category {c % 12}",
                lead_agency="Lead agency",
                starts_on=date(2025, 1, 1),
                ends_on=date(2030, 12, 31),
                scope="national" if kind == 0 else "service_area",
                eligible_kinds=["public_k12"] if kind == 1 else [],
                participants_only=kind == 2,
            )
        )
    contracts = Contract.objects.bulk_create(contracts)
    for contract in contracts[2::3]:
        contract.participants.set(rng.sample(insts, 180))
    if connection.vendor == "sqlite":  # the index is built after the load (below)
        with connection.cursor() as cursor:
            for name in search_index.TRIGGERS:
                cursor.execute("DROP TRIGGER IF EXISTS " + name)
            cursor.execute("DROP TABLE IF EXISTS contracts_item_fts")
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS contract_item_fts")
    weights = [1 / (r + 1) ** 0.9 for r in range(len(words))]
    batch: list[ContractItem] = []
    for i in range(items_n):
        contract = contracts[i % 200]
        text = " ".join(rng.choices(words, weights, k=rng.randint(4, 7)))
        sku = f"SKU-{i:07d}"
        batch.append(ContractItem(
            contract=contract, sku=sku, description=text, unit="each",
            unit_price=Decimal(rng.randint(100, 99999)) / 100,
            search_document=f"{sku} {text} {contract.category} {contract.title}"))  # fmt: skip
        if len(batch) == 20000:
            ContractItem.objects.bulk_create(batch)
            batch = []
    ContractItem.objects.bulk_create(batch)
    loaded = time.perf_counter() - t0
    t1 = time.perf_counter()
    if connection.vendor == "sqlite":
        search_index.install(connection)
    else:
        from importlib import import_module

        migration = import_module("edcoop.contracts.migrations.0002_item_search_index")
        with connection.cursor() as cursor:
            cursor.execute(migration.CREATE)
            cursor.execute("ANALYZE contracts_contractitem")
    return {"agency": agency, "insts": insts, "contracts": contracts,
            "load_s": loaded, "index_s": time.perf_counter() - t1}  # fmt: skip


def bench_search(data: dict, rng: random.Random, words: list[str], n: int) -> dict:
    from django.contrib.auth import get_user_model

    from edcoop.contracts import queries
    from edcoop.members.models import RoleAssignment

    user = get_user_model().objects.create_user("bench-officer")
    RoleAssignment.objects.create(user=user, agency=data["agency"], role="procurement_officer")
    head = words[:200]  # the commoner words (the vocabulary's skew follows its order)
    times, cpu, hits = [], [], []
    for q in range(n + 10):
        pick = rng.sample(head, 1) if q % 2 else rng.sample(words, 2)
        inst = rng.choice(data["insts"])
        t, c = time.perf_counter(), time.process_time()
        found = queries.catalogue(user=user, agency=data["agency"], keyword=" ".join(pick),
                                  institution=inst)  # fmt: skip
        elapsed, used = time.perf_counter() - t, time.process_time() - c
        if q >= 10:  # the first ten warm the caches
            times.append(elapsed * 1000)
            cpu.append(used * 1000)
            hits.append(found.total_items)
    times.sort()
    cpu.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "cpu_p50": statistics.median(cpu), "cpu_p95": cpu[int(len(cpu) * 0.95) - 1],
            "max": times[-1], "hits_median": statistics.median(hits), "user": user}  # fmt: skip


def bench_report(data: dict, rng: random.Random, rows_n: int, user: object) -> dict:
    from django.utils import timezone

    from edcoop.contracts import sales
    from edcoop.contracts.models import (
        ContractItem,
        PurchaseOrder,
        PurchaseOrderLine,
        SalesReport,  # fmt: skip
    )

    contract = data["contracts"][0]
    items = list(ContractItem.objects.filter(contract=contract).values_list("pk", "sku")[:500])
    today = timezone.localdate()
    q_first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = q_first - timedelta(days=1)
    start = date(end.year, end.month - 2, 1)
    year, quarter = end.year, (end.month - 1) // 3 + 1
    insts = data["insts"]
    orders = PurchaseOrder.objects.bulk_create(
        PurchaseOrder(agency=data["agency"], institution=insts[i], contract=contract,
                      number=f"PO-B-{i:05d}", status="received", ordered_on=start,
                      total=Decimal(0)) for i in range(500))  # fmt: skip
    PurchaseOrderLine.objects.bulk_create(
        (PurchaseOrderLine(order=orders[i % 500], item_id=items[i % len(items)][0],
                           description="x", quantity=Decimal(5), unit_price=Decimal("2.50"),
                           amount=Decimal("12.50")) for i in range(10000)),
        batch_size=5000)  # fmt: skip
    rows = [{"member": str(insts[i % 600].pk), "sku": items[i % len(items)][1],
             "quantity": str(rng.randint(1, 50)), "unit_price": "2.50",
             "invoice_date": (start + timedelta(days=i % 80)).isoformat()}
            for i in range(rows_n)]  # fmt: skip
    t0 = time.perf_counter()
    report = sales.report_file(user=user, contract=contract, year=year, quarter=quarter,
                               rows=rows)  # fmt: skip
    filed = time.perf_counter() - t0
    t1 = time.perf_counter()
    differences = sales.reconcile(SalesReport.objects.get(pk=report.pk))
    return {"file_s": filed, "reconcile_s": time.perf_counter() - t1,
            "differences": len(differences), "total": report.total_sales}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the catalogue loaded by the last run (no load, no report)",
    )
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from edcoop.core import audit

    rng = random.Random(args.seed)
    words = vocabulary(rng)
    cpu0 = time.process_time()
    with audit.acting_as(audit.SYSTEM):
        if args.reuse:
            from django.contrib.auth import get_user_model
            from django.core.management import call_command

            from edcoop.contracts.models import Contract
            from edcoop.members.models import Agency, Institution

            call_command("migrate", verbosity=0)  # the code may have moved since the load
            agency = Agency.objects.get(slug="bench")
            get_user_model().objects.filter(username="bench-officer").delete()
            data = {"agency": agency, "insts": list(Institution.objects.filter(agency=agency)),
                    "contracts": list(Contract.objects.filter(agency=agency))}  # fmt: skip
            s = bench_search(data, rng, words, args.queries)
            print(
                f"{connection.vendor}, reused catalogue: search with eligibility, "
                f"{args.queries} queries: p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, "
                f"max {s['max']:.1f} ms wall; CPU p50 {s['cpu_p50']:.1f} ms, p95 "
                f"{s['cpu_p95']:.1f} ms (median matches {s['hits_median']:,.0f}; load "
                f"{os.getloadavg()[0]:.1f})"
            )
            return
        data = load(args.items, rng, words)
        print(
            f"{connection.vendor}: loaded 200 contracts, {args.items:,} items in "
            f"{data['load_s']:.1f} s; index built in {data['index_s']:.1f} s"
        )
        s = bench_search(data, rng, words, args.queries)
        print(
            f"search with eligibility, {args.queries} queries: p50 {s['p50']:.1f} ms, "
            f"p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms wall; CPU p50 {s['cpu_p50']:.1f} ms, "
            f"p95 {s['cpu_p95']:.1f} ms (median matches {s['hits_median']:,.0f}, counted up "
            f"to 1,001; load {os.getloadavg()[0]:.1f}); target p95 < 100 ms"
        )
        from edcoop.members.models import RoleAssignment

        RoleAssignment.objects.create(user=s["user"], agency=data["agency"],
                                      role="business_office")  # fmt: skip
        from edcoop.core import permissions

        permissions.forget(s["user"])
        r = bench_report(data, rng, args.rows, s["user"])
        print(
            f"sales report, {args.rows:,} rows: checked and filed in {r['file_s']:.1f} s, "
            f"reconciled against 10,000 order lines in {r['reconcile_s']:.1f} s "
            f"({r['differences']:,} differences; total {r['total']:,}); "
            f"together {r['file_s'] + r['reconcile_s']:.1f} s, target < 30 s"
        )
    print(f"CPU {time.process_time() - cpu0:.1f} s; peak RSS {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
