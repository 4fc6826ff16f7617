"""Scoped lookups for the API handlers: the agency in the URL and the records in it.

Everything goes through ``edcoop.core.permissions``; a record outside the caller's scope
is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from edcoop.core import permissions
from edcoop.members.models import Agency


def caller(request: HttpRequest) -> Any:
    """The user the request acts as (set by the token auth or the session middleware)."""
    return request.user


def agency(request: HttpRequest, slug: str) -> Agency:
    """The agency in the URL, for a caller who holds a role there; otherwise 404."""
    return permissions.agency_for_user(caller(request), slug)


def public_agency(request: HttpRequest, slug: str) -> Agency:
    """For operations open to the public: a signed-in caller acts as themselves (and sees
    only their agencies); an anonymous one sees the agencies listed publicly."""
    user = caller(request)
    if user.is_authenticated:
        return agency(request, slug)
    found = Agency.objects.filter(slug=slug, accepting_applications=True).first()
    if found is None:
        raise Http404("No such agency.")
    return found
