"""Who is calling: a bearer token (integrations) or the browser session (the pages' JS).

A request that sends ``Authorization: Bearer ...`` is judged by the token alone: an unknown,
revoked or malformed token is a 401, never a fall-back to the session or to anonymous.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from edcoop.core import audit
from edcoop.core.middleware import client_ip

from .models import ApiToken
from .services import hash_secret

# last_used_at is bookkeeping, not an audited change; write it at most once a minute.
_TOUCH_EVERY = timedelta(minutes=1)


class BadToken(AuthenticationError):
    def __init__(self) -> None:
        super().__init__(message="Invalid or revoked API token.")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer edc_...``: acts as the token's user."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise BadToken()
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_secret(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            raise BadToken()
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        user = found.user
        request.user = user
        audit.set_actor(audit.actor_for_user(user, source="api", ip=client_ip(request)))
        return user


class SessionCsrfAuth(SessionAuth):
    """Ninja's session auth (CSRF enforced on unsafe methods), but only when a user is
    signed in: an anonymous caller gets a 401, not a CSRF failure."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class Anonymous:
    """Lets public operations run without credentials (``request.auth`` is anonymous)."""

    def __call__(self, request: HttpRequest) -> Any:
        return AnonymousUser()


token_auth = TokenAuth()
session_auth = SessionCsrfAuth()
# Signed-in callers are still identified (and CSRF-checked) on public operations.
REQUIRED = [token_auth, session_auth]
OPTIONAL = [token_auth, session_auth, Anonymous()]
