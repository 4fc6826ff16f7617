"""Profile the catalogue search on the catalogue bench/catalog.py loaded (not a test).

    .venv/bin/python bench/catalog_profile.py             # CPU and wall p50/p95, 100 searches
    .venv/bin/python bench/catalog_profile.py --profile   # and cProfile's top functions

Times ``queries.eligible_contract_ids`` alone and ``queries.catalogue`` with the
eligibility filter (the bench's vocabulary and seed; 10 warm-up searches not counted), and
prints the load average: on a shared machine compare CPU times, not wall times.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import _database

_database.use("catalog")  # the database bench/catalog.py loaded (not made afresh here)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    import catalog  # bench/catalog.py: the same vocabulary
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from edcoop.contracts import queries
    from edcoop.members.models import Agency, Institution

    agency = Agency.objects.get(slug="bench")
    user = get_user_model().objects.get(username="bench-officer")
    insts = list(Institution.objects.filter(agency=agency))
    rng = random.Random(1)
    words = catalog.vocabulary(rng)
    head = words[:200]

    def run(label: str, fn: Callable[[list[str], Any], object]) -> None:
        cpu, wall = [], []
        for q in range(args.queries + 10):
            pick = rng.sample(head, 1) if q % 2 else rng.sample(words, 2)
            inst = rng.choice(insts)
            t, c = time.perf_counter(), time.process_time()
            fn(pick, inst)
            if q >= 10:
                wall.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        cpu.sort()
        wall.sort()
        n95 = int(len(cpu) * 0.95) - 1
        print(f"{label}: CPU p50 {statistics.median(cpu):.1f} ms, p95 {cpu[n95]:.1f} ms; "
              f"wall p50 {statistics.median(wall):.1f} ms, p95 {wall[n95]:.1f} ms")  # fmt: skip

    today = timezone.localdate()
    run("eligibility alone", lambda p, i: queries.eligible_contract_ids(agency, i, today))

    def search(p: list[str], i: Any) -> object:
        return queries.catalogue(user=user, agency=agency, keyword=" ".join(p), institution=i)

    run("catalogue search with eligibility", search)
    print("load average", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for q in range(60):
            search(rng.sample(head, 1) if q % 2 else rng.sample(words, 2), rng.choice(insts))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
