"""``edcoop restore FILE --yes``: replace the whole database with a backup (core.backups).

Stop the web servers and job workers first; restore as the database's owner role (it
drops and recreates the tables); then run ``edcoop migrate`` (a backup from an older
version) and ``edcoop audit verify``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from edcoop.core import backups


class Command(BaseCommand):
    help = "Replace the whole database with the backup in FILE (made by edcoop backup)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="A backup made by `edcoop backup`.")
        parser.add_argument(
            "--yes", action="store_true",
            help="Really replace everything in the database with the backup.",
        )  # fmt: skip

    def handle(self, *args: Any, file: Path, yes: bool, **options: Any) -> None:
        if not yes:
            raise CommandError(
                f"restore replaces everything in the database with {file}; "
                "stop the servers and workers, then run it again with --yes",
                returncode=2,
            )
        try:
            backups.restore(file)
            counts = backups.record_counts()
        except (backups.BackupError, DatabaseError) as exc:
            raise CommandError(f"restore failed: {exc}", returncode=2) from None
        self.stdout.write(
            f"restored {file}: {sum(counts.values())} records in {len(counts)} tables. "
            "Next: `edcoop migrate`, then `edcoop audit verify`."
        )
