"""Signing in without giving password guessers a way in or a way to lock people out.

- django-axes counts failures per username **and** client address together: five in a row
  pause that username from that address for the cool-off (15 minutes); the rightful user
  signs in from any other address as usual, so nobody can lock an account by guessing.
- :class:`SignInHandler` adds a per-address budget across usernames
  (``EDCOOP_LOGIN_ADDRESS_FAILURE_LIMIT`` failures within the cool-off), against password
  spraying: one address trying one password on many accounts.
- Both use ``core.middleware.client_ip`` (``AXES_CLIENT_IP_CALLABLE``), the address the
  audit trail and the rate limits use, so behind a proxy each client counts on its own.
- Sign-in and password-reset POSTs also count against the address's rate limit
  (``core.ratelimits``).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Sum
from django.utils import timezone

from .middleware import client_ip
from .ratelimits import limit_posts


def failures_from_address(ip: str | None) -> int:
    """Failed sign-ins from ``ip`` within the cool-off, whatever the username."""
    if not ip:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


class SignInHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the per-address budget across usernames."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        limit = settings.EDCOOP_LOGIN_ADDRESS_FAILURE_LIMIT
        if failures_from_address(client_ip(request)) >= limit:
            request.edcoop_address_locked = True  # the lockout page says which lock
            request.axes_locked_out = True  # answered by AxesMiddleware's lockout page
            return True
        return False


login = limit_posts("sign-in", "EDCOOP_RATE_SIGN_IN")(auth_views.LoginView.as_view())
password_reset = limit_posts("password-reset", "EDCOOP_RATE_PASSWORD_RESET")(
    auth_views.PasswordResetView.as_view()
)
