from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.core import audit
from edcoop.core.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail: `edcoop audit verify` exits 1 at the first bad event."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Recompute every hash and check the chain links.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        problems = audit.verify()
        if problems:
            first = problems[0]
            for problem in problems[1:]:
                self.stderr.write(f"  also event #{problem.seq}: {problem.reason}")
            raise CommandError(
                f"audit trail broken at event #{first.seq}: {first.reason}", returncode=1
            )
        count = AuditEvent.objects.count()
        self.stdout.write(f"audit trail intact: {count} events, every hash and link checks out")
