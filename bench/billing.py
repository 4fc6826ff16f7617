"""Benchmark: one month of billing for a big agency, against floors measured in the same run
(not a test; absolute times do not carry from one machine to another, ratios do).

    .venv/bin/python bench/billing.py                      # SQLite under var/bench-billing.sqlite3
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop_bench .venv/bin/python bench/billing.py
    .venv/bin/python bench/billing.py --members 200 --services 30   # a quick run
    .venv/bin/python bench/billing.py --split-only             # split_cents and its reference
    .venv/bin/python bench/billing.py --simulate-only          # billing simulate, 100,000 members

1. ``split_cents`` over 1,000,000 integer weights (total 10^11 cents) against a vectorised
   numpy largest-remainder split of the same dict, best of 3 each, in this process.
2. Each phase in its own process, so each peak memory (max RSS) is its own:
   - load: 2,000 members x 300 services (one subscription each) and one month of usage
     (600,000 records), with bulk_create;
   - floor: write as many invoice lines as the run produces (686,000) with bulk_create and
     nothing else;
   - run: compute the month's billing run and post it.
   Prints each time, the run's ratio to the floor, and each peak.
3. ``edcoop billing simulate`` on 100,000 members (its own process): time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import _database

_database.use("billing")
PERIOD = date(2026, 9, 1)


def peak_mib() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries the parent's
    ru_maxrss into a child across fork and exec, VmHWM starts afresh with the new program."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_split(total: int, weights: dict) -> dict:
    """Vectorised largest remainder in numpy (floor shares, then one cent each to the
    largest remainders, ties by key order): the yardstick for split_cents."""
    import numpy as np

    keys = list(weights)
    w = np.fromiter(weights.values(), dtype=np.int64, count=len(keys))
    products = w * total
    whole = int(w.sum())
    shares = products // whole
    left = total - int(shares.sum())
    if left:
        order = np.lexsort((np.arange(len(keys)), -(products % whole)))
        shares[order[:left]] += 1
    return dict(zip(keys, shares.tolist(), strict=True))


def bench_split(n: int = 1_000_000, repeat: int = 3) -> None:
    from edcoop.billing.allocation import split_cents

    total = 10**11
    weights = {i: (i * 7919) % 1000 for i in range(n)}
    timings = {}
    results = {}
    for name, fn in (("split_cents", split_cents), ("numpy reference", reference_split)):
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            results[name] = fn(total, weights)
            best = min(best, time.perf_counter() - started)
        timings[name] = best
    if sum(results["split_cents"].values()) != total:
        raise SystemExit("split_cents lost cents")
    same = results["split_cents"] == results["numpy reference"]
    ratio = timings["split_cents"] / timings["numpy reference"]
    print(f"split_cents over {n:,} integer weights (total 10^11 cents): "
          f"{timings['split_cents']:.3f} s; numpy reference {timings['numpy reference']:.3f} s; "
          f"ratio {ratio:.2f}x (best of {repeat}); same cents: {same}")  # fmt: skip
    dec = {i: Decimal((i * 7919) % 100_000).scaleb(-3) for i in range(n)}
    started = time.perf_counter()
    split_cents(total, dec)
    print(f"split_cents over {n:,} Decimal weights: {time.perf_counter() - started:.3f} s")


def _django() -> None:
    import django

    django.setup()


def phase_load(members: int, services_n: int) -> dict:
    _database.fresh()
    from django.db import connection
    from django.utils import timezone

    from edcoop.members.models import Membership, MembershipYear
    from edcoop.services.models import Service, ServiceYear, Subscription, UsageRecord

    now = timezone.now()
    t0 = time.perf_counter()
    agency, insts = _database.agency_with_districts(members)
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
        for i in range(services_n)
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
    sub_ids = Subscription.objects.filter(agency=agency).values_list(
        "pk", "institution_id", "service_id"
    )
    batch = []
    n = 0
    for pk, inst_id, svc_id in sub_ids.iterator(chunk_size=10_000):
        n += 1
        batch.append(UsageRecord(agency=agency, subscription_id=pk, institution_id=inst_id,
                                 service_id=svc_id, period=PERIOD,
                                 quantity=Decimal(1 + n % 9), recorded_at=now))  # fmt: skip
        if len(batch) >= 10_000:
            UsageRecord.objects.bulk_create(batch)
            batch = []
    UsageRecord.objects.bulk_create(batch)
    return {"vendor": connection.vendor, "usage": n, "seconds": time.perf_counter() - t0,
            "peak": peak_mib()}  # fmt: skip


def phase_floor(lines: int) -> dict:
    """Write ``lines`` invoice lines with bulk_create and nothing else, then remove them."""
    _django()
    from django.db import transaction

    from edcoop.billing.models import BillingRun, Invoice, InvoiceLine
    from edcoop.members.models import Agency
    from edcoop.services.models import Service

    agency = Agency.objects.get(slug="bench")
    service = Service.objects.filter(agency=agency).first()
    inst = agency.institutions.first()
    with transaction.atomic():
        run = BillingRun.objects.create(agency=agency, period=date(2026, 8, 1), fiscal_year=2027,
                                        created_at=run_time())  # fmt: skip
        invoice = Invoice.objects.create(agency=agency, run=run, institution=inst,
                                         period=run.period, fiscal_year=2027)  # fmt: skip
        started = time.perf_counter()
        batch = []
        for i in range(lines):
            batch.append(InvoiceLine(invoice_id=invoice.pk, service_id=service.pk,
                                     kind="service", description="floor", quantity=Decimal(i % 9),
                                     basis="usage x rate", rate=Decimal("12.5000"),
                                     amount=Decimal("112.50")))  # fmt: skip
            if len(batch) >= 5000:
                InvoiceLine.objects.bulk_create(batch)
                batch = []
        InvoiceLine.objects.bulk_create(batch)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "lines": lines, "peak": peak_mib()}


def run_time() -> object:
    from django.utils import timezone

    return timezone.now()


def phase_run() -> dict:
    _django()
    import time_machine

    from edcoop.billing.runs import billing_run_compute, billing_run_post
    from edcoop.members.models import Agency

    agency = Agency.objects.get(slug="bench")
    # September 2026 must have begun: the bench runs "on" 30 November 2026.
    with time_machine.travel(date(2026, 11, 30), tick=True):
        t1 = time.perf_counter()
        run = billing_run_compute(user=None, agency=agency, period=PERIOD)
        t2 = time.perf_counter()
        billing_run_post(user=None, run=run)
        t3 = time.perf_counter()
    return {"compute": t2 - t1, "post": t3 - t2, "lines": run.line_count,
            "invoices": run.invoice_count, "peak": peak_mib()}  # fmt: skip


def phase_simulate(members: int) -> dict:
    """``edcoop billing simulate`` on a generated file: members x a few services."""
    _django()
    from django.core.management import call_command

    spec = {
        "fiscal_year": 2027,
        "members": [{"id": f"m{i}", "rwada": f"{1000 + i % 5000}.00",
                     "enrollment": 900 + i % 3000} for i in range(members)],
        "services": [
            {"code": "001.000", "method": "pool_by_share", "basis": "rwada", "pool": "50000000.00",
             "participants": [f"m{i}" for i in range(members)]},
            {"code": "300.010", "method": "rate", "rate": "45.0000", "admin_fee_pct": "15"},
            {"code": "501.100", "method": "pool_by_usage", "pool": "9000000.00"},
            {"code": "501.400", "method": "flat", "flat": "16895.00",
             "participants": [f"m{i}" for i in range(0, members, 2)]},
        ],
        "usage": [u for i in range(members) for u in (
            {"member": f"m{i}", "service": "300.010", "quantity": str(1 + i % 40),
             "period": "2026-09"},
            {"member": f"m{i}", "service": "501.100", "quantity": str(1 + i % 7)})],
    }  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    del spec
    started = time.perf_counter()
    with open(os.devnull, "w") as out:
        call_command("billing", "simulate", "--input", path, stdout=out)
    seconds = time.perf_counter() - started
    os.unlink(path)
    return {"members": members, "seconds": seconds, "peak": peak_mib()}


def _phase(name: str, *args: str) -> dict:
    out = subprocess.run(  # noqa: S603  (this same script, our own arguments)
        [sys.executable, __file__, "--phase", name, *args],
        check=True, capture_output=True, text=True, env=os.environ.copy(),
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--split-only", action="store_true")
    parser.add_argument("--simulate-only", action="store_true")
    parser.add_argument("--simulate-members", type=int, default=100_000)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        phases = {
            "load": lambda: phase_load(args.members, args.services),
            "floor": lambda: phase_floor(args.lines),
            "run": phase_run,
            "simulate": lambda: phase_simulate(args.simulate_members),
        }
        result = phases[args.phase]()
        print(json.dumps(result))
        return
    if not args.simulate_only:
        bench_split()
    if args.split_only:
        return
    if not args.simulate_only:
        load = _phase("load", "--members", str(args.members), "--services", str(args.services))
        print(f"{load['vendor']}: loaded {load['usage']:,} usage records in "
              f"{load['seconds']:.1f} s (peak {load['peak']:,.0f} MiB)")  # fmt: skip
        run = _phase("run")
        floor = _phase("floor", "--lines", str(run["lines"]))
        total = run["compute"] + run["post"]
        print(f"floor: bulk_create of {floor['lines']:,} invoice lines alone: "
              f"{floor['seconds']:.1f} s (peak {floor['peak']:,.0f} MiB)")  # fmt: skip
        print(f"billing run: compute {run['compute']:.1f} s + post {run['post']:.1f} s = "
              f"{total:.1f} s for {run['lines']:,} lines, {run['invoices']:,} invoices; "
              f"{total / floor['seconds']:.2f}x the floor; "
              f"peak {run['peak']:,.0f} MiB")  # fmt: skip
    sim = _phase("simulate", "--simulate-members", str(args.simulate_members))
    print(f"billing simulate, {sim['members']:,} members: {sim['seconds']:.1f} s, "
          f"peak {sim['peak']:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
