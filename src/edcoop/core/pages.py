"""What every signed-in page does first: find the agency (404 unless the user has a role
there), check the action (403 page otherwise), and read a POST. Every app's views use these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from . import permissions
from .permissions import Action

if TYPE_CHECKING:
    from edcoop.members.models import Agency


def agency_or_404(request: HttpRequest, slug: str, action: Action | None = None) -> Agency:
    agency = permissions.agency_for_user(request.user, slug)
    if action is not None:
        permissions.require(request.user, action, agency)
    return agency


def allowed(user: Any, agency: Agency, *actions: Action, **scope: Any) -> dict[str, bool]:
    """``{"membership_decide": True, ...}`` for the template to show or hide buttons."""
    return {a.name.lower(): permissions.can(user, a, agency, **scope) for a in actions}


def posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, for a bare confirmation), else ``None``."""
    return request.POST if request.method == "POST" else None
