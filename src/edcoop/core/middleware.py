from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .audit import acting_as, actor_for_user
from .inputs import NUL_MESSAGE


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


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refusal(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    """An error answered before any view runs: JSON for the API, a page for people."""
    if is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    return render(request, "error.html", {"title": title, "detail": detail}, status=status)


class RefuseNulMiddleware:
    """A NUL character in the address, a query parameter or a submitted form field is
    refused before any view sees it: PostgreSQL cannot store or compare it, and no person
    types it. (JSON bodies are checked field by field by the API's ``In`` schemas, form
    fields also by ``core.inputs.CheckedInputsMixin``.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            return refusal(request, 404, "Page not found", "There is no page at this address.")
        sources = [("query parameter", request.GET)]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(("field", request.POST))
        for kind, data in sources:
            for name, values in data.lists():
                if "\x00" in name or any("\x00" in v for v in values):
                    shown = name.replace("\x00", "\\u0000")[:40]
                    return refusal(request, 400, "Request refused",
                                   f"The {kind} {shown!r} {NUL_MESSAGE}.")  # fmt: skip
        return self.get_response(request)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".") + " MB"


class RequestSizeMiddleware:
    """Refuses a body larger than its route takes, with 413 and a message, before anything
    reads it. Most routes take EDCOOP_MAX_BODY_BYTES (form fields and JSON); a file upload
    (multipart) EDCOOP_MAX_UPLOAD_BYTES; the routes in EDCOOP_LARGE_BODY_ROUTES (a bid
    response sent to the API with its attachments in base64) their own limit, up to
    DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own last line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes = [
            (method.upper(), re.compile(pattern), size)
            for method, pattern, size in settings.EDCOOP_LARGE_BODY_ROUTES
        ]

    def limit(self, request: HttpRequest) -> int:
        for method, pattern, size in self.routes:
            if request.method == method and pattern.fullmatch(request.path):
                return int(size)
        if request.content_type == "multipart/form-data":
            return int(settings.EDCOOP_MAX_UPLOAD_BYTES)
        return int(settings.EDCOOP_MAX_BODY_BYTES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, 400, "Request refused", "The Content-Length is not a number.")
        limit = self.limit(request)
        if length > limit:
            return refusal(request, 413, "Too much data",
                           f"The request is {_mb(length)}; this address takes at most "
                           f"{_mb(limit)}. Nothing was saved.")  # fmt: skip
        return self.get_response(request)
