"""What every signed-in page does first: find the agency (404 unless the user has a role
there) and check the action (403 page otherwise)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from edcoop.core import permissions
from edcoop.core.permissions import Action

from ..models import Agency, Supplier


def agency_or_404(request: HttpRequest, slug: str, action: Action | None = None) -> Agency:
    agency = permissions.agency_for_user(request.user, slug)
    if action is not None:
        permissions.require(request.user, action, agency)
    return agency


def allowed(user: Any, agency: Agency, *actions: Action, **scope: Any) -> dict[str, bool]:
    """``{"membership_decide": True, ...}`` for the template to show or hide buttons."""
    return {a.name.lower(): permissions.can(user, a, agency, **scope) for a in actions}


def supplier_or_404(request: HttpRequest, agency: Agency, pk: int) -> Supplier:
    """A supplier the user may see (agency staff, or the supplier's own representative)."""
    supplier = permissions.get_or_404(permissions.suppliers_for(request.user, agency), pk=pk)
    permissions.require(request.user, Action.SUPPLIER_VIEW, agency, supplier=supplier)
    return supplier


def posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, for a bare confirmation), else ``None``."""
    return request.POST if request.method == "POST" else None
