"""``edcoop token create|revoke|list``: API tokens for integrations.

edcoop token create --user USERNAME --name NAME   # prints the secret, once
edcoop token revoke --user USERNAME --name NAME
edcoop token list --user USERNAME
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from edcoop.api import services
from edcoop.api.models import ApiToken
from edcoop.core import audit
from edcoop.core.commands import CLI_ACTOR

BAD_INPUT = 2  # DESIGN.md: bad input on the command line exits with 2 and one line


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def _one_line(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create, revoke or list a user's API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,revoke,list}")
        create = sub.add_parser("create", help="Make a token; prints its secret once.")
        revoke = sub.add_parser("revoke", help="Revoke a live token by name.")
        listing = sub.add_parser("list", help="The user's tokens (never their secrets).")
        for p in (create, revoke, listing):
            p.add_argument("--user", required=True, help="Username the token acts as.")
        for p in (create, revoke):
            p.add_argument("--name", required=True, help="The token's name, e.g. 'ERP sync'.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise _fail(f"No user named {options['user']!r}.")
        actor = CLI_ACTOR
        with audit.acting_as(actor):
            getattr(self, f"_{options['action']}")(user, options)

    def _create(self, user: Any, options: dict[str, Any]) -> None:
        try:
            token, secret = services.token_create(user=user, name=options["name"])
        except ValidationError as exc:
            raise _fail(_one_line(exc)) from None
        # The secret alone on stdout (scripts capture it); the advice on stderr.
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.name!r} ({token.prefix}...) acts as {user.get_username()}. "
            "Store the secret now: it cannot be shown again."
        )

    def _revoke(self, user: Any, options: dict[str, Any]) -> None:
        token = ApiToken.objects.filter(
            user=user, name=options["name"].strip(), revoked_at__isnull=True
        ).first()
        if token is None:
            raise _fail(f"{user.get_username()} has no live token named {options['name']!r}.")
        services.token_revoke(user=user, token=token)
        self.stdout.write(f"Revoked {token.name!r} ({token.prefix}...).")

    def _list(self, user: Any, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.filter(user=user).order_by("name", "-created_at")
        if not tokens:
            self.stdout.write(f"{user.get_username()} has no API tokens.")
            return
        for t in tokens:
            used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
            self.stdout.write(
                f"{t.name}\t{t.prefix}...\tcreated {t.created_at:%Y-%m-%d}\t"
                f"last used {used}\t{state}"
            )
