"""Rate limits on what anyone can send without signing in: the public forms (membership
application, supplier registration, password reset, sign-in) and API writes made without
credentials. Counted per client address (the same address as everywhere else,
``core.middleware.client_ip``; IPv6 per /64 network, which one subscriber usually holds) in
the shared cache (``RATELIMIT_USE_CACHE``: the database, so every worker process counts
together). Over the limit: 429, with a page or a JSON ``detail`` and ``Retry-After``.

Limits are settings (``EDCOOP_RATE_*``, e.g. ``"20/h"``: 20 per hour; ``"5/10m"``).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from .middleware import client_ip, is_api, refusal

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def address(group: str, request: HttpRequest) -> str:
    """The key every limit counts by: the client's address (an IPv6 address's /64)."""
    raw = client_ip(request) or "unknown"
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _per(rate: str) -> str:
    count, _, period = rate.partition("/")
    number, unit = period[:-1], period[-1:]
    name = _UNITS.get(unit, unit)
    if number not in ("", "1"):
        return f"{count} per {number} {name}s"
    return f"{count} {'an' if name == 'hour' else 'a'} {name}"


def over_limit(request: HttpRequest, group: str, rate: str) -> HttpResponse | None:
    """Count this request against ``group``'s budget; the 429 answer when it is spent."""
    usage = get_usage(request, group=group, key=address, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    wait = max(int(usage.get("time_left") or 0), 1)
    minutes = math.ceil(wait / 60)
    detail = (
        f"Too many requests from your address ({_per(rate)} allowed here). "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}; nothing was saved."
    )
    response = refusal(request, 429, "Too many requests", detail)
    response["Retry-After"] = str(wait)
    return response


def limit_posts(group: str, setting: str) -> Callable[[Any], Any]:
    """A view decorator: each POST counts against the client address's budget of
    ``settings.<setting>`` for ``group``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                refused = over_limit(request, group, getattr(settings, setting))
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return limited

    return decorate


class AnonymousApiWriteLimitMiddleware:
    """API writes without credentials (the public operations: applications, supplier
    registrations, and anything an anonymous caller tries) count per address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            is_api(request)
            and request.method in UNSAFE
            and "Authorization" not in request.headers
            and not request.user.is_authenticated
        ):
            refused = over_limit(request, "api-anonymous-write", settings.EDCOOP_RATE_API_ANONYMOUS)
            if refused is not None:
                return refused
        return self.get_response(request)
