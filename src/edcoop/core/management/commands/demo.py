from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edcoop import demo
from edcoop.members.models import Agency


class Command(BaseCommand):
    help = (
        "Load the demo installation: two agencies, their members, suppliers and one login per role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true",
            help="Erase EVERYTHING in the database (audit trail included) and rebuild the demo.",
        )  # fmt: skip
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Load only into a database without agencies; print the logins either way.",
        )  # fmt: skip

    def handle(self, *args: Any, reset: bool, if_empty: bool, **options: Any) -> None:
        if reset:
            if settings.PRODUCTION:
                raise CommandError("demo --reset erases the database; refused in production.")
            call_command("flush", interactive=False, verbosity=0)
        if Agency.objects.exists():
            if not if_empty:
                raise CommandError(
                    "the database already has agencies; use --reset to rebuild the demo",
                    returncode=2,
                )
            logins = demo.logins()
            self.stdout.write("Demo data already loaded.")
        else:
            logins = demo.build()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print(logins)

    def _print(self, logins: list[demo.Login]) -> None:
        if not logins:
            return
        self.stdout.write(f"\nDemo logins (password for all: {demo.PASSWORD}):")
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username:<{width}}  {login.role} - {login.scope}")
        self.stdout.write("")
