"""Creating and revoking API tokens (the only writes the API app makes itself)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from edcoop.core import audit

from .models import ApiToken

# "edc_" marks the string as an EdCoop token (secret scanners can match it), then 43
# URL-safe characters: 256 random bits.
TOKEN_PREFIX = "edc_"  # noqa: S105 (a public marker, not a secret)
PREFIX_CHARS = 8


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its secret, which is never stored."""
    name = (name or "").strip()
    if user is None or not user.is_active:
        raise ValidationError({"user": "Tokens can only be made for an active user."})
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. 'ERP sync'."})
    max_length = ApiToken._meta.get_field("name").max_length or 100
    if len(name) > max_length:
        raise ValidationError({"name": f"Keep the name to {max_length} characters."})
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ValidationError(
            {"name": f"{user.get_username()} already has a live token named {name!r}."}
        )
    secret = _new_secret()
    token = ApiToken(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + PREFIX_CHARS],
        key_hash=hash_secret(secret),
        created_at=timezone.now(),
    )
    token.full_clean()
    token.save()
    audit.record_create("api_token.create", token)
    return token, secret


@transaction.atomic
def token_revoke(*, user: Any, token: ApiToken) -> ApiToken:
    """Revoke ``token``; ``user`` is who asks: its owner (or a superuser)."""
    if user is None or (user.pk != token.user_id and not getattr(user, "is_superuser", False)):
        raise PermissionDenied("Only the token's owner may revoke it.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError({"name": f"The token {token.name!r} is already revoked."})
    before = audit.snapshot(token, ["revoked_at"])
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        "api_token.revoke", token, changes=audit.diff(before, audit.snapshot(token, ["revoked_at"]))
    )
    return token
