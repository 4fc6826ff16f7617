"""``edcoop backup FILE``: a consistent copy of the whole database (core.backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from edcoop.core import backups


class Command(BaseCommand):
    help = "Back the whole database up to FILE (pg_dump custom format, or an SQLite copy)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Where to write the backup.")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            backups.backup(file)
            counts = backups.record_counts()
        except (backups.BackupError, DatabaseError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}", returncode=2) from None
        self.stdout.write(
            f"backed up to {file}: {sum(counts.values())} records in {len(counts)} tables "
            "(keys are not in it: keep them apart)"
        )
