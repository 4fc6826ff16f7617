"""Permission check for billing writes. ``user=None`` is the system itself (the CLI run by
the server's operator, the demo, a job with no user), as in ``members``."""

from __future__ import annotations

from typing import Any

from edcoop.core import permissions
from edcoop.core.permissions import Action
from edcoop.members.models import Agency


def require(user: Any, action: Action, agency: Agency, **scope: Any) -> None:
    if user is None:
        return
    permissions.require(user, action, agency, **scope)
