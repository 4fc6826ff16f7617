"""A lookup the members' pages share; the helpers every app's pages use are in core.pages."""

from __future__ import annotations

from django.http import HttpRequest

from edcoop.core import permissions
from edcoop.core.permissions import Action

from ..models import Agency, Supplier


def supplier_or_404(request: HttpRequest, agency: Agency, pk: int) -> Supplier:
    """A supplier the user may see (agency staff, or the supplier's own representative)."""
    supplier = permissions.get_or_404(permissions.suppliers_for(request.user, agency), pk=pk)
    permissions.require(request.user, Action.SUPPLIER_VIEW, agency, supplier=supplier)
    return supplier
