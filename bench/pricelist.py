"""Benchmark: a 1,000,000-row price list uploaded, diffed, approved and put in force (not a test).

    .venv/bin/python bench/pricelist.py                       # 1,000,000 rows, CSV
    .venv/bin/python bench/pricelist.py --rows 100000 --xlsx  # an XLSX workbook instead
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop_pricelist13 \
        .venv/bin/python bench/pricelist.py

Writes the file to var/ (one row per item, a third with two volume tiers), then times, on one
contract that already holds the previous list (the same SKUs, every tenth price changed, 1%
of the SKUs new): ``pricelists.upload_version`` (streaming read, check, batched insert into
the pending version), ``pricelists.version_diff`` (counted in the database) and
``pricelists.version_approve`` (the version becomes the contract's items in batches). Prints
wall and CPU seconds per step and the process's peak resident memory: the upload reads the
file as it goes, so the peak should not grow with the row count beyond the set of SKUs
(which catches repeated SKUs).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import _database

ROOT = _database.ROOT
_database.use("pricelist")


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_file(path: Path, rows: int, rng: random.Random, *, xlsx: bool) -> None:
    header = ["sku", "description", "unit", "unit_price", "category", "list_price", "tiers"]

    def row(i: int) -> list[object]:
        price = Decimal(1000 + (i * 7919) % 90000) / 100
        if i % 10 == 0:
            price += Decimal("0.25")
        tiers = f"100:{price - 1};500:{price - 2}" if i % 3 == 0 and price > 3 else ""
        return [f"SKU-{i:07d}", f"Item {i} {rng.choice(['paper', 'toner', 'desk', 'pen'])}",
                "each", str(price), f"Category {i % 12}", str(price + 5), tiers]  # fmt: skip

    extra = rows // 100
    if xlsx:
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Prices")
        sheet.append(header)
        for i in range(extra, rows + extra):
            sheet.append(row(i))
        book.save(path)
        return
    import csv

    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i in range(extra, rows + extra):
            writer.writerow(row(i))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from edcoop.contracts import pricelists
    from edcoop.contracts.models import Contract, ContractItem
    from edcoop.core import audit
    from edcoop.members.models import Agency, RoleAssignment, Supplier

    rng = random.Random(args.seed)
    path = ROOT / "var" / f"bench-pricelist-{args.rows}.{'xlsx' if args.xlsx else 'csv'}"
    path.parent.mkdir(exist_ok=True)
    t = time.perf_counter()
    write_file(path, args.rows, rng, xlsx=args.xlsx)
    print(f"wrote {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    _database.fresh()
    with audit.acting_as(audit.SYSTEM):
        agency = Agency.objects.create(slug="bench", name="Bench Cooperative", kind="national",
                                       state="MN")  # fmt: skip
        supplier = Supplier.objects.create(agency=agency, legal_name="Bench Supplier Inc",
                                           tax_id="10-1234567", status="active")  # fmt: skip
        contract = Contract.objects.create(
            agency=agency, number="NC-001", title="Everything", supplier=supplier,
            category="Supplies", lead_agency="Lead agency", starts_on=date(2025, 1, 1),
            ends_on=date(2035, 12, 31), scope="national")  # fmt: skip
        batch = []
        for i in range(args.rows):  # the list in force: the same SKUs less the new 1%
            price = Decimal(1000 + (i * 7919) % 90000) / 100
            batch.append(ContractItem(contract=contract, sku=f"SKU-{i:07d}", unit="each",
                                      description=f"Item {i}", unit_price=price))  # fmt: skip
            if len(batch) == 20000:
                ContractItem.objects.bulk_create(batch)
                batch = []
        ContractItem.objects.bulk_create(batch)
        if connection.vendor == "postgresql":  # as autovacuum would have, on a live database
            with connection.cursor() as cursor:  # (it is off on this machine's server)
                cursor.execute("ANALYZE contracts_contractitem")
        officer = get_user_model().objects.create_user("bench-officer", password="x" * 20)
        RoleAssignment.objects.create(user=officer, agency=agency, role="procurement_officer")
        rep = get_user_model().objects.create_user("bench-rep", password="x" * 20)
        RoleAssignment.objects.create(user=rep, agency=agency, role="supplier_rep",
                                      supplier=supplier)  # fmt: skip
        steps = []
        with path.open("rb") as data:
            t, c = time.perf_counter(), time.process_time()
            version = pricelists.upload_version(user=rep, contract=contract, data=data,
                                                effective_on=timezone.localdate())  # fmt: skip
            steps.append(("upload (read, check, insert)", time.perf_counter() - t,
                          time.process_time() - c, peak_mib()))  # fmt: skip
        t, c = time.perf_counter(), time.process_time()
        diff = pricelists.version_diff(version)
        steps.append(("diff", time.perf_counter() - t, time.process_time() - c, peak_mib()))
        t, c = time.perf_counter(), time.process_time()
        pricelists.version_approve(user=officer, version=version)
        steps.append(("approve (put in force)", time.perf_counter() - t,
                      time.process_time() - c, peak_mib()))  # fmt: skip
    fmt = "XLSX" if args.xlsx else "CSV"
    print(f"{connection.vendor}, {args.rows:,} rows ({fmt}); diff: {diff.added:,} added, "
          f"{diff.removed:,} removed, {diff.changed:,} changed; load {os.getloadavg()[0]:.1f}")
    for name, wall, cpu, peak in steps:
        print(f"  {name}: {wall:.1f} s wall, {cpu:.1f} s CPU; peak RSS so far {peak:.0f} MiB")
    kept = ContractItem.objects.filter(contract=contract)
    print(f"items in force: {kept.filter(withdrawn_on=None).count():,}; withdrawn: "
          f"{kept.exclude(withdrawn_on=None).count():,}")


if __name__ == "__main__":
    main()
