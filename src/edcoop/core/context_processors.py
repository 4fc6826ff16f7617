from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import permissions


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The agencies the signed-in user works in, for the page header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_agencies": []}
    return {"my_agencies": list(permissions.agencies_for(user))}
