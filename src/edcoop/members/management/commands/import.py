from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.core import audit
from edcoop.core.commands import CLI_ACTOR, agency_arg, progress_bar, read_input
from edcoop.members.importers import ImportFailed, import_institutions


class Command(BaseCommand):
    help = (
        "Import records from CSV. `edcoop import institutions FILE.csv --agency SLUG`; "
        "columns in docs/members.md. All or nothing; safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["institutions"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--agency", required=True, help="The agency's slug.")

    def handle(self, *args: Any, kind: str, file: Path, agency: str, **options: Any) -> None:
        target = agency_arg(agency)
        data = read_input(file)
        with (
            audit.acting_as(CLI_ACTOR),
            progress_bar(self.stderr, "importing", "row") as progress,
        ):
            try:
                result = import_institutions(user=None, agency=target, data=data, progress=progress)
            except ImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(f"{file}: {error}")
                raise CommandError(
                    f"{file}: nothing imported, {len(exc.errors)} problem(s) above", returncode=2
                ) from None
        self.stdout.write(
            f"{file}: {result.lines} rows: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
