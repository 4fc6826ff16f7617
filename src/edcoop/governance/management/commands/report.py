"""`edcoop report annual --agency SLUG --year 2026 [--member ID|BEDS] --format pdf|xlsx
[--output FILE]`: the agency's (or one member's) annual report as a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from edcoop.core.commands import agency_arg
from edcoop.governance import annual, report_files
from edcoop.members.models import Institution


class Command(BaseCommand):
    help = (
        "`edcoop report annual --agency SLUG --year YEAR [--member ID|BEDS] --format pdf|xlsx "
        "[--output FILE]` writes the fiscal year's annual report for the agency or one "
        "member (to standard output unless --output)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["annual"])
        parser.add_argument("--agency", required=True)
        parser.add_argument("--year", required=True, help="The fiscal year, by the year it ends.")
        parser.add_argument("--member", default="", help="A member's id or BEDS code.")
        parser.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        agency = agency_arg(options["agency"])
        try:
            year = int(options["year"])
        except ValueError:
            year = 0
        if not 1990 <= year <= 2100:
            raise CommandError("--year: give a fiscal year such as 2026", returncode=2)
        institution = None
        member = options["member"].strip()
        if member:
            digits = member.isascii() and member.isdigit()  # int("\u00b2") fails
            q = Q(beds_code=member) | (Q(pk=int(member)) if digits else Q())
            institution = Institution.objects.filter(q, agency=agency).first()
            if institution is None:
                raise CommandError(f"--member: no member {member!r} in {agency.slug}",
                                   returncode=2)  # fmt: skip
        report = annual.annual_report(agency, year, institution)
        try:
            data = (report_files.annual_pdf(report) if options["format"] == "pdf"
                    else report_files.annual_xlsx(report))  # fmt: skip
        except report_files.PdfUnavailable as exc:
            raise CommandError(f"cannot print PDF here: {exc}", returncode=2) from None
        if options["output"] is None:
            sys.stdout.buffer.write(data)
            return
        try:
            options["output"].write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{options['output']}: {exc.strerror}", returncode=2) from None
        self.stderr.write(f"{report.title} written to {options['output']}")
