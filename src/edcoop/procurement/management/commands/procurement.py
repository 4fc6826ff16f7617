"""``edcoop procurement open-due``: close what is past its deadline and open what is past
its opening time (run it from cron every minute). ``edcoop procurement remind``: e-mail
suppliers holding an unsubmitted draft when a deadline is within 48 hours (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop.core import audit
from edcoop.core.commands import CLI_ACTOR
from edcoop.procurement import awarding, opening

ACTOR = CLI_ACTOR


class Command(BaseCommand):
    help = ("Scheduled procurement jobs: `open-due` (cron, every minute; also makes awards "
            "final after their stand-still) and `remind` (daily).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="job", required=True)
        sub.add_parser("open-due", help="Close past-deadline solicitations; open those due.")
        remind = sub.add_parser("remind", help="Remind suppliers of unsubmitted drafts.")
        remind.add_argument("--hours", type=int, default=48)

    def handle(self, *args: Any, job: str, **options: Any) -> None:
        with audit.acting_as(ACTOR):
            try:
                if job == "open-due":
                    result = opening.open_due()
                    for s in result.opened:
                        self.stdout.write(f"opened {s.agency.slug} {s.number}")
                    for s, reason in result.failed:
                        self.stderr.write(f"NOT opened {s.agency.slug} {s.number}: {reason}")
                    self.stdout.write(f"{len(result.opened)} solicitation(s) opened")
                    # Awards whose stand-still passed with no protest pending become final.
                    for award in awarding.finalize_due():
                        s = award.solicitation
                        self.stdout.write(f"award final {s.agency.slug} {s.number}")
                    if result.failed:
                        raise CommandError(
                            f"{len(result.failed)} solicitation(s) could not be opened; each is "
                            "as it was before the attempt (see above).",
                            returncode=1,
                        )
                else:
                    sent = opening.remind_due(within_hours=options["hours"])
                    self.stdout.write(f"{sent} reminder(s) sent")
            except ValidationError as e:
                raise CommandError("; ".join(e.messages), returncode=2) from e
