"""`edcoop export ocds --agency SLUG [--since DATE] [--validate]`: the agency's OCDS 1.1
release package as JSON on standard output."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.core.commands import agency_arg
from edcoop.governance import ocds


class Command(BaseCommand):
    help = (
        "`edcoop export ocds --agency SLUG [--since YYYY-MM-DD] [--validate]` writes the "
        "agency's published contracting processes as an OCDS 1.1 release package (JSON) to "
        "standard output; --validate checks it against the official schema first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["ocds"])
        parser.add_argument("--agency", required=True)
        parser.add_argument("--since", default=None,
                            help="Only processes changed on or after this date (UTC).")  # fmt: skip
        parser.add_argument("--validate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = agency_arg(options["agency"])
        since = None
        if options["since"]:
            try:
                since = datetime.combine(date.fromisoformat(options["since"]), time(), UTC)
            except ValueError:
                raise CommandError("--since: give the date as YYYY-MM-DD", returncode=2) from None
        data = ocds.package([agency], since=since, base_url=settings.EDCOOP_BASE_URL)
        if options["validate"]:
            problems = ocds.validate(data)
            if problems:
                raise CommandError(
                    f"the package does not validate against OCDS 1.1: {problems[0]} "
                    f"({len(problems)} problem(s) in all)", returncode=1,
                )  # fmt: skip
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
