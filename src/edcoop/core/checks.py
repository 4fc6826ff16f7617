"""``edcoop check --deploy``: what the running server needs of the database and the keys.

The settings already refuse (in one line) what they can see alone: a missing or malformed
setting, SQLite in production. This adds what needs the database: it answers, every
migration is applied, the sealing key decrypts what is sealed and the audit key verifies
the trail's head (``core.health.problems``, the same as ``/readyz`` and ``edcoop serve``).
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from . import health


@register("edcoop", deploy=True)
def ready_to_serve(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, id="edcoop.E001") for problem in health.problems()]
