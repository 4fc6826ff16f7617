from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from edcoop.core import audit
from edcoop.members.importers import ImportFailed, import_institutions
from edcoop.members.models import Agency


class Command(BaseCommand):
    help = (
        "Import records from CSV. `edcoop import institutions FILE.csv --agency SLUG`; "
        "columns in docs/import.md. All or nothing; safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["institutions"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--agency", required=True, help="The agency's slug.")

    def handle(self, *args: Any, kind: str, file: Path, agency: str, **options: Any) -> None:
        target = Agency.objects.filter(slug=agency).first()
        if target is None:
            raise CommandError(f"--agency: no agency with slug {agency!r}", returncode=2)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}", returncode=2) from None
        bar = tqdm(desc="importing", unit="row", file=self.stderr, leave=False,
                   disable=not self.stderr.isatty())  # fmt: skip

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        with audit.acting_as(audit.Actor(user_id=None, label="cli", source="cli")), bar:
            try:
                result = import_institutions(
                    user=None, agency=target, data=data, progress=progress
                )
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
