from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from edcoop.core import audit
from edcoop.members.models import Agency
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

    def handle(self, *args: Any, action: str, file: Path, agency: str, **options: Any) -> None:
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
                result = import_usage(user=None, agency=target, data=data, progress=progress)
            except UsageImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(f"{file}: {error}")
                raise CommandError(
                    f"{file}: nothing imported, {len(exc.errors)} problem(s) above", returncode=2
                ) from None
        self.stdout.write(
            f"{file}: {result.lines} rows: {result.created} created, {result.unchanged} unchanged"
        )
