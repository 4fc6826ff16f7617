"""`edcoop compliance check`: the procurement method a purchase requires, and why."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.core.commands import agency_arg
from edcoop.governance.services import compliance_check


class Command(BaseCommand):
    help = (
        "`edcoop compliance check --jurisdiction NY --funding local|federal "
        "--kind commodity|public_work|service --amount 20000.00 [--date 2026-01-15] "
        "[--agency SLUG] [--json]` prints the required procurement method and the rule that "
        "decided it (the agency's own rule table with --agency, else the shipped defaults)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("--jurisdiction", required=True)
        parser.add_argument("--funding", required=True, choices=["local", "federal"])
        parser.add_argument("--kind", required=True,
                            choices=["commodity", "public_work", "service"])  # fmt: skip
        parser.add_argument(
            "--amount", required=True,
            help="Expected 12-month aggregate for the same item, e.g. 20000.00",
        )  # fmt: skip
        parser.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--agency", default=None)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = agency_arg(options["agency"]) if options["agency"] else None
        try:
            result = compliance_check(
                agency=agency, jurisdiction=options["jurisdiction"], funding=options["funding"],
                kind=options["kind"], amount=options["amount"], on=options["date"],
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError(_one_line(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        rule = result["decided_by"][0]
        self.stdout.write(f"{result['method_label']} ({result['method']})")
        for r in result["decided_by"]:
            self.stdout.write(f"  required by {r['key']}: {r['name']}")
        for r in result["also_applied"]:
            self.stdout.write(f"  also applies {r['key']}: {r['name']}")
        self.stdout.write(f"  source: {rule['source']}")


def _one_line(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            (f"--{k}: " if k != "__all__" else "") + " ".join(v)
            for k, v in exc.message_dict.items()
        )
    return " ".join(exc.messages)
