"""The audit key: what makes the trail's hashes and checkpoints unforgeable without it.

``EDCOOP_AUDIT_KEY`` holds one key or several, comma-separated. The first keys every new
event and signs checkpoints; every key listed verifies, so a key retired from signing stays
in the list for as long as the events it keyed must verify. Each key is known by its id, a
fingerprint that says nothing about the key, stored with every event it keyed.

Production refuses to start without the variable (``settings``); elsewhere settings make a
key once per installation into ``var/``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class AuditKey:
    id: str
    secret: bytes = field(repr=False)

    def mac(self, data: bytes) -> str:
        """HMAC-SHA256 of ``data`` under this key, as 64 hex digits."""
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()

    def verifies(self, data: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.mac(data), mac)


def key_id(secret: bytes) -> str:
    return hashlib.sha256(b"edcoop-audit-key-id:" + secret).hexdigest()[:16]


@lru_cache(maxsize=4)
def _parse(raw: str) -> tuple[AuditKey, ...]:
    secrets = [k.strip().encode() for k in raw.split(",") if k.strip()]
    return tuple(AuditKey(id=key_id(s), secret=s) for s in secrets)


def keys() -> tuple[AuditKey, ...]:
    """Every configured key, the signing key first."""
    found = _parse(getattr(settings, "EDCOOP_AUDIT_KEY", "") or "")
    if not found:
        raise ImproperlyConfigured("EDCOOP_AUDIT_KEY is not set; the audit trail cannot be keyed.")
    return found


def signing_key() -> AuditKey:
    return keys()[0]


def by_id(kid: str) -> AuditKey | None:
    return next((k for k in keys() if k.id == kid), None)
