"""``edcoop award solve --input FILE.json [--method lowest_price|optimal] [--time-limit S]``:
the award engine on a JSON file (docs/award.md has the format); prints the result as JSON.
Bad input is one line on stderr naming the record, exit status 2."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop import cli
from edcoop.core.commands import read_input
from edcoop.procurement import award_engine


class Command(BaseCommand):
    help = "Award engine: `solve --input FILE.json` prints the award as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="job", required=True)
        solve = sub.add_parser("solve", help="Solve an award from a JSON input file.")
        solve.add_argument("--input", type=Path, required=True, help="the input JSON file")
        solve.add_argument("--method", choices=award_engine.METHODS, default="lowest_price")
        solve.add_argument("--time-limit", type=float, default=60.0,
                           help="seconds for the whole optimal solve, reading the input "
                                "included (default 60)")  # fmt: skip
        solve.add_argument("--gap", type=float, default=0.0,
                           help="stop the optimal method at this relative gap (default 0: "
                                "prove the optimum to the cent)")  # fmt: skip

    def handle(self, *args: Any, job: str, **options: Any) -> None:
        # --time-limit counts the console script's start-up, reading and parsing the input.
        started = cli.STARTED if cli.STARTED is not None else time.perf_counter()
        limit, gap = options["time_limit"], options["gap"]
        if not 0 < limit <= 86_400:
            raise CommandError("--time-limit: give seconds from 0 to 86400", returncode=2)
        if not 0 <= gap < 1:
            raise CommandError("--gap: give a fraction from 0 to below 1", returncode=2)
        raw = read_input(options["input"])
        try:
            data = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise CommandError(f"{options['input']}: not JSON ({str(exc)[:120]})",
                               returncode=2) from None  # fmt: skip
        try:
            problem = award_engine.parse_problem(data)
            result = award_engine.solve(problem, method=options["method"], time_limit=limit,
                                        gap=gap, started=started)  # fmt: skip
        except award_engine.AwardInputError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(json.dumps(result.as_json(), indent=2))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
