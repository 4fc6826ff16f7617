from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .audit import acting_as, actor_for_user


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, the proxy sets REMOTE_ADDR (see docs/deploy.md); headers a client can
    # forge are not trusted here.
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
