"""A solicitation's status steps: who moved it, when, and the audit event; the row lock
every write on a solicitation takes first."""

from __future__ import annotations

from typing import Any

from edcoop.core import audit

from . import timing
from .models import (
    Solicitation,
    StatusChange,
)

S = Solicitation.Status


def actor_label(user: Any) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "system"


def move(solicitation: Solicitation, to: str, *, user: Any, note: str = "") -> None:
    """Change the status, with who and when, and its audit event."""
    old = solicitation.status
    at = timing.now()
    solicitation.status = to
    solicitation.save(update_fields=["status", "published_at", "opened_at"])
    by = user if user is not None and user.is_authenticated else None
    StatusChange.objects.create(solicitation=solicitation, from_status=old, to_status=to, at=at,
                                by=by, by_label=actor_label(user), note=note)  # fmt: skip
    changes: dict[str, Any] = {"status": [old, to]}
    if note:
        changes["note"] = [None, note]
    audit.record(f"solicitation.{to}", solicitation, changes=changes)


def locked(solicitation: Solicitation) -> Solicitation:
    return Solicitation.objects.select_for_update().select_related("agency").get(pk=solicitation.pk)
