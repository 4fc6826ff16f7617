"""Django's ``flush``, aware of the database guards (``core.guards``).

Emptying the whole database (the test suite between live-server tests, ``edcoop demo
--reset``) is the one sanctioned way to remove audit events, issued invoices, credit memos
and payments: every guard is lifted for the flush and put back right after. Refused in
production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from edcoop.core import guards


class Command(DjangoFlush):
    help = "Erase all data, the audit trail included (not in production)."

    def handle(self, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("flush erases the audit trail; refused in production.")
        with guards.lifted(connections[options["database"]]):
            super().handle(**options)
