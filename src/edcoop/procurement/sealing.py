"""Sealing: response contents encrypted at rest until the public opening.

The key comes from ``EDCOOP_SEALING_KEY`` (a Fernet key; several comma-separated keys rotate:
the first encrypts, any decrypts). Production refuses to start without it; elsewhere settings
make one once per installation into ``var/`` (``core.devsecrets``), so no two development
installations share a key. The key is never stored in the database, so a dump taken before
an opening shows no price.

``unseal_for`` is the only function that decrypts a response for a reader. It lets the
supplier's own representative read its own envelope, and anyone with ``RESPONSE_READ`` read
it once the solicitation is opened; every other attempt is refused *and* written to the audit
trail (in its own transaction, so the refusal stays recorded).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction

from edcoop.core import audit, permissions
from edcoop.core.permissions import Action


class Sealed(PermissionDenied):
    """A read of a sealed response before its opening: refused and audited."""


@lru_cache(maxsize=4)
def _fernet(raw: str) -> MultiFernet:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("EDCOOP_SEALING_KEY is not set.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "EDCOOP_SEALING_KEY must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(getattr(settings, "EDCOOP_SEALING_KEY", "") or "")


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(data: bytes) -> bytes:
    return fernet().encrypt(data)


def _unseal(token: bytes) -> bytes:
    try:
        return fernet().decrypt(bytes(token))
    except InvalidToken as exc:  # wrong key, or the row was tampered with
        raise ImproperlyConfigured(
            "A sealed response cannot be decrypted: check EDCOOP_SEALING_KEY."
        ) from exc


def may_read(user: Any, response: Any) -> bool:
    solicitation = response.solicitation
    agency = solicitation.agency
    own = permissions.can(user, Action.RESPONSE_SUBMIT, agency, supplier=response.supplier)
    if own:
        return True
    return not solicitation.is_sealed and permissions.can(user, Action.RESPONSE_READ, agency)


def refuse(user: Any, response: Any, *, what: str) -> Sealed:
    """Record a refused read of sealed contents and return the exception to raise."""
    with transaction.atomic():
        audit.record(
            "response.sealed_read_refused",
            response,
            agency_id=response.solicitation.agency_id,
            changes={"what": [None, what]},
            label=f"{response.supplier} response to {response.solicitation.number}",
        )
    return Sealed(
        "This response is sealed until the public opening; the attempt to read it has been "
        "recorded in the audit trail."
    )


def require_readable(user: Any, response: Any, *, what: str) -> None:
    if not may_read(user, response):
        if response.solicitation.is_sealed:
            raise refuse(user, response, what=what)
        raise PermissionDenied("You may not read responses here.")


def unseal_for(user: Any, response: Any, *, what: str = "content") -> dict[str, Any]:
    """The response's content for ``user``: refused (and audited) while it is sealed."""
    require_readable(user, response, what=what)
    return json.loads(_unseal(response.sealed))


def unseal_attachment_for(user: Any, attachment: Any) -> bytes:
    require_readable(user, attachment.response, what=f"attachment {attachment.filename}")
    return _unseal(attachment.sealed)


def unseal_at_opening(response: Any) -> dict[str, Any]:
    """For the opening itself (``services.solicitation_open``), after its checks."""
    if response.solicitation.is_sealed:
        raise Sealed("The solicitation has not been opened.")
    return json.loads(_unseal(response.sealed))
