"""Benchmark: one month of billing for a big agency (not a test).

    .venv/bin/python bench/billing.py                      # SQLite under var/bench-billing.sqlite3
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop_bench .venv/bin/python bench/billing.py
    .venv/bin/python bench/billing.py --members 200 --services 30   # a quick run
    .venv/bin/python bench/billing.py --split-only             # split_cents timing only

Generates 2,000 members x 300 services (one subscription each) and one month of usage
(600,000 records), loads it with bulk_create, then times the billing run (compute) and the
posting of the invoices. Prints records per second and peak memory (max RSS).

First it times ``split_cents`` alone over 1,000,000 integer and 1,000,000 Decimal weights
(the issue asks for "well under a second"); tests only check that such splits are exact.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edcoop.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-billing.sqlite3'}"


def bench_split(n: int = 1_000_000, repeat: int = 3) -> None:
    """Best of ``repeat`` timings of split_cents over ``n`` weights (no database)."""
    from edcoop.billing.allocation import split_cents

    total = 987_654_321
    cases = {
        "integer": {i: (i * 7919) % 1000 for i in range(n)},
        "Decimal": {i: Decimal((i * 7919) % 100_000).scaleb(-3) for i in range(n)},
    }
    for name, weights in cases.items():
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            parts = split_cents(total, weights)
            best = min(best, time.perf_counter() - started)
        if sum(parts.values()) != total:
            raise SystemExit(f"split_cents lost cents on {name} weights")
        print(f"split_cents over {n:,} {name} weights: {best:.3f} s (best of {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--split-only", action="store_true",
                        help="only time split_cents over 1,000,000 weights")  # fmt: skip
    args = parser.parse_args()

    bench_split()
    if args.split_only:
        return

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from edcoop.billing.runs import billing_run_compute, billing_run_post
    from edcoop.members.models import Agency, Institution, Membership, MembershipYear
    from edcoop.services.models import Service, ServiceYear, Subscription, UsageRecord

    if connection.vendor == "sqlite":
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
        connection.close()
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    now = timezone.now()
    t0 = time.perf_counter()
    agency = Agency.objects.create(slug="bench", name="Bench BOCES", kind="regional", state="NY")
    insts = Institution.objects.bulk_create(
        Institution(agency=agency, name=f"District {i:05d}", kind="public_k12", state="NY")
        for i in range(args.members)
    )
    memberships = Membership.objects.bulk_create(
        Membership(agency=agency, institution=inst, status="active", component=True)
        for inst in insts
    )
    MembershipYear.objects.bulk_create(
        MembershipYear(membership=m, fiscal_year=2027, enrollment=1000 + i,
                       rwada=Decimal(1100 + i), aid_ratio=Decimal("0.5"),
                       full_value=Decimal(10**8 + i))
        for i, m in enumerate(memberships)
    )  # fmt: skip
    methods = ["rate", "pool_by_usage", "pool_by_share", "flat", "committed_seats"]
    services = Service.objects.bulk_create(
        Service(agency=agency, code=f"{100 + i // 10}.{i % 10:03d}", name=f"Service {i}",
                coser_group="600", charge_method=methods[i % 5], unit_rate=Decimal("12.5000"),
                flat_amount=Decimal("1200.00"), admin_fee_pct=Decimal(5 if i % 7 == 0 else 0))
        for i in range(args.services)
    )  # fmt: skip
    ServiceYear.objects.bulk_create(
        ServiceYear(service=s, fiscal_year=2027, budget=Decimal("1200000.00")) for s in services
    )
    subs = []
    for inst in insts:
        for s in services:
            subs.append(Subscription(agency=agency, institution=inst, service=s,
                                     fiscal_year=2027, quantity=Decimal(12),
                                     approved_at=now))  # fmt: skip
        if len(subs) >= 50_000:
            Subscription.objects.bulk_create(subs)
            subs = []
    Subscription.objects.bulk_create(subs)
    period = date(2026, 9, 1)
    sub_ids = Subscription.objects.filter(agency=agency).values_list(
        "pk", "institution_id", "service_id"
    )
    batch = []
    n = 0
    for pk, inst_id, svc_id in sub_ids.iterator(chunk_size=10_000):
        n += 1
        batch.append(UsageRecord(agency=agency, subscription_id=pk, institution_id=inst_id,
                                 service_id=svc_id, period=period,
                                 quantity=Decimal(1 + n % 9), recorded_at=now))  # fmt: skip
        if len(batch) >= 10_000:
            UsageRecord.objects.bulk_create(batch)
            batch = []
    UsageRecord.objects.bulk_create(batch)
    load = time.perf_counter() - t0
    print(f"{connection.vendor}: loaded {n:,} usage records in {load:.1f} s")

    t1 = time.perf_counter()
    run = billing_run_compute(user=None, agency=agency, period=period)
    t2 = time.perf_counter()
    billing_run_post(user=None, run=run)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"compute: {t2 - t1:.1f} s ({run.line_count:,} invoice lines, "
          f"{run.invoice_count:,} invoices); post: {t3 - t2:.1f} s")  # fmt: skip
    print(f"billing run through posting: {t3 - t1:.1f} s, {n / (t3 - t1):,.0f} usage records/s; "
          f"peak memory {peak:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
