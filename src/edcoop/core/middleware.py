from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .audit import acting_as, actor_for_user


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for the audit trail.

    Behind a reverse proxy, EDCOOP_CLIENT_IP_HEADER names the header the proxy sets (e.g.
    X-Real-IP); without it only REMOTE_ADDR counts, since a client can forge any header.
    """
    header = settings.EDCOOP_CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "").strip()
        if value:
            return value.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Names the signed-in user and their address as the actor of every write in the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        if request.path.startswith("/admin/"):
            source = "admin"
        with acting_as(actor_for_user(request.user, source=source, ip=client_ip(request))):
            return self.get_response(request)
