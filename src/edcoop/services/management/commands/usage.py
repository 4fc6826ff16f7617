from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.core import audit
from edcoop.core.commands import CLI_ACTOR, agency_arg, progress_bar, read_input
from edcoop.services.importers import UsageImportFailed, import_usage


class Command(BaseCommand):
    help = (
        "Import monthly usage: `edcoop usage import FILE.csv --agency SLUG`. All or nothing; "
        "safe to run twice (rows are matched on external_ref). Columns in docs/billing.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["import"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--agency", required=True, help="The agency's slug.")
        parser.add_argument(
            "--confirm-duplicates", action="store_true",
            help="Record rows that repeat usage already recorded (probable double entries).",
        )  # fmt: skip

    def handle(
        self, *args: Any, action: str, file: Path, agency: str, confirm_duplicates: bool = False,
        **options: Any,
    ) -> None:  # fmt: skip
        target = agency_arg(agency)
        data = read_input(file)
        with (
            audit.acting_as(CLI_ACTOR),
            progress_bar(self.stderr, "importing", "row") as progress,
        ):
            try:
                result = import_usage(
                    user=None,
                    agency=target,
                    data=data,
                    progress=progress,
                    confirm_duplicates=confirm_duplicates,
                )
            except UsageImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(f"{file}: {error}")
                raise CommandError(
                    f"{file}: nothing imported, {len(exc.errors)} problem(s) above", returncode=2
                ) from None
        self.stdout.write(
            f"{file}: {result.lines} rows: {result.created} created, {result.unchanged} unchanged"
        )
