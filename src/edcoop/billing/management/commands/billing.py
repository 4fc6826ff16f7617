from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.billing.allocation import EngineError
from edcoop.billing.models import BillingRun
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.billing.simulate import simulate
from edcoop.core import audit
from edcoop.core.commands import CLI_ACTOR, agency_arg, progress_bar
from edcoop.services.fiscal import parse_period


def _message(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Shared-services billing. `edcoop billing run --agency SLUG --period 2026-03 [--post]` "
        "computes the month's draft (and posts it); `edcoop billing simulate --input FILE.json` "
        "prints the engine's charges as JSON (format in docs/billing.md); "
        "`edcoop billing receipts FILE.csv --agency SLUG` records and applies cash receipts "
        "(all or nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["run", "simulate", "receipts"])
        parser.add_argument("file", nargs="?", type=Path, help="The CSV file (receipts).")
        parser.add_argument("--agency", help="The agency's slug (run).")
        parser.add_argument("--period", help="The month, YYYY-MM (run).")
        parser.add_argument("--post", action="store_true", help="Post the run after computing.")
        parser.add_argument("--input", type=Path, help="The JSON description (simulate).")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "simulate":
            return self._simulate(options["input"])
        if action == "receipts":
            return self._receipts(options["file"], options["agency"])
        return self._run(options["agency"], options["period"], options["post"])

    def _simulate(self, path: Path | None) -> None:
        if path is None:
            raise CommandError("--input FILE.json is required", returncode=2)
        try:
            raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
            spec = json.loads(raw)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}", returncode=2) from None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise CommandError(f"{path}: not JSON: {str(exc)[:200]}", returncode=2) from None
        try:
            result = simulate(spec)
        except EngineError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from None
        self.stdout.write(json.dumps(result, indent=2))

    def _receipts(self, path: Path | None, slug: str | None) -> None:
        from edcoop.billing.receipts import ReceiptsImportFailed, import_receipts
        from edcoop.core.commands import read_input

        if path is None:
            raise CommandError("receipts needs FILE.csv and --agency SLUG", returncode=2)
        agency = agency_arg(slug)
        data = read_input(path)
        with audit.acting_as(CLI_ACTOR):
            try:
                result = import_receipts(user=None, agency=agency, data=data)
            except ReceiptsImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(f"{path}: {error}")
                raise CommandError(
                    f"{path}: nothing recorded, {len(exc.errors)} problem(s) above", returncode=2
                ) from None
            except ValidationError as exc:
                raise CommandError(f"{path}: {_message(exc)}", returncode=2) from None
        self.stdout.write(
            f"{path}: {result.lines} rows: {result.recorded} payments recorded "
            f"({result.total:,.2f}), {result.unchanged} already recorded; "
            f"{result.unapplied:,.2f} unapplied credit"
        )

    def _run(self, slug: str | None, period_text: str | None, post: bool) -> None:
        if not slug or not period_text:
            raise CommandError("run needs --agency SLUG and --period YYYY-MM", returncode=2)
        agency = agency_arg(slug)
        try:
            period = parse_period(period_text)
        except ValidationError as exc:
            raise CommandError(f"--period: {_message(exc)}", returncode=2) from None
        with (
            audit.acting_as(CLI_ACTOR),
            progress_bar(self.stderr, "billing", "step") as progress,
        ):
            try:
                run = billing_run_compute(user=None, agency=agency, period=period,
                                          progress=progress)  # fmt: skip
                if post:
                    run = billing_run_post(user=None, run=run)
            except ValidationError as exc:
                raise CommandError(_message(exc), returncode=2) from None
        state = "posted" if run.status == BillingRun.Status.POSTED else "draft (not posted)"
        self.stdout.write(
            f"{agency.slug} {period:%Y-%m}: {run.invoice_count} invoices, {run.line_count} lines, "
            f"total {run.total:,.2f}: {state}"
        )
