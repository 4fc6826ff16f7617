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

Receipts commit without revealing. Each envelope (draft or submission) carries its own
random secret of 256 bits, sealed with the content; the receipt hash is
``HMAC-SHA256(key=secret, message=canonical JSON of the content)`` (receipt version 2). The
hash is what the audit trail, the agency and the admin see; the secret is shown only to the
supplier on its receipt. Without the secret nobody can test a guessed price against the hash.
Receipts issued before (version 1) are a plain SHA-256 of the canonical content: they stay
verifiable as they were, and the opening checks each with its own version's rule.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
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


RECEIPT_PLAIN = 1  # before issue 8: SHA-256 of the canonical content (guessable prices)
RECEIPT_KEYED = 2  # HMAC-SHA256 keyed with the envelope's own secret

SECRET_BYTES = 32  # 256 bits: no grid of guesses reaches it


def new_secret() -> str:
    return secrets.token_bytes(SECRET_BYTES).hex()


def receipt_hash(content: dict[str, Any], secret: str | None) -> str:
    """The receipt hash of ``content``: keyed by ``secret`` (v2), or plain SHA-256 (v1)."""
    data = canonical(content)
    if secret is None:
        return digest(data)
    return hmac.new(bytes.fromhex(secret), data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """What a sealed response holds: its content and, from receipt version 2, its secret."""

    content: dict[str, Any]
    secret: str | None
    receipt_version: int

    @property
    def receipt_hash(self) -> str:
        return receipt_hash(self.content, self.secret)


def seal_content(content: dict[str, Any]) -> tuple[bytes, Envelope]:
    """Seal ``content`` with a fresh secret; the ciphertext and the envelope (for its hash)."""
    envelope = Envelope(content, new_secret(), RECEIPT_KEYED)
    payload = {"receipt_version": RECEIPT_KEYED, "secret": envelope.secret, "content": content}
    return seal(canonical(payload)), envelope


def _envelope(raw: bytes) -> Envelope:
    data = json.loads(raw)
    if isinstance(data, dict) and data.get("receipt_version") == RECEIPT_KEYED:
        return Envelope(data["content"], str(data["secret"]), RECEIPT_KEYED)
    # A version-1 envelope is the content itself.
    return Envelope(data, None, RECEIPT_PLAIN)


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
    # After the opening, only what the opening read: never a withdrawn or replaced envelope.
    if response.never_opened:
        return False
    if solicitation.is_sealed or not permissions.can(user, Action.RESPONSE_READ, agency):
        return False
    from .evaluation import may_read_responses

    # An RFP's evaluator reads nothing before signing the conflict-of-interest attestation.
    return may_read_responses(user, solicitation)


def refuse(user: Any, response: Any, *, what: str) -> Sealed:
    """Record a refused read of sealed contents and return the exception to raise."""
    with transaction.atomic():
        audit.record(
            "response.sealed_read_refused",
            response,
            agency_id=response.solicitation.agency_id,
            changes={"what": [None, what]},
            label=f"{response.supplier_name} response to {response.solicitation.number}",
        )
    if response.never_opened and not response.solicitation.is_sealed:
        return Sealed(
            f"{response.never_opened}: this response stays sealed for good; the attempt to "
            "read it has been recorded in the audit trail."
        )
    return Sealed(
        "This response is sealed until the public opening; the attempt to read it has been "
        "recorded in the audit trail."
    )


def require_readable(user: Any, response: Any, *, what: str) -> None:
    if not may_read(user, response):
        if response.solicitation.is_sealed or response.never_opened:
            raise refuse(user, response, what=what)
        raise PermissionDenied("You may not read responses here.")


def unseal_for(user: Any, response: Any, *, what: str = "content") -> dict[str, Any]:
    """The response's content for ``user``: refused (and audited) while it is sealed."""
    require_readable(user, response, what=what)
    return _envelope(_unseal(response.sealed)).content


def own_envelope(user: Any, response: Any) -> Envelope:
    """The envelope with its receipt secret: for the supplier's own representatives only,
    before and after the opening (the agency never sees the secret)."""
    solicitation = response.solicitation
    if not permissions.can(user, Action.RESPONSE_SUBMIT, solicitation.agency,
                           supplier=response.supplier):  # fmt: skip
        if solicitation.is_sealed:
            raise refuse(user, response, what="receipt secret")
        raise PermissionDenied("Only the supplier sees its receipt secret.")
    return _envelope(_unseal(response.sealed))


def seal_attachment_meta(meta: dict[str, Any]) -> bytes:
    return seal(canonical(meta))


def attachment_meta_for(user: Any, attachment: Any) -> dict[str, Any]:
    """An attachment's name, content type, size and SHA-256, with its ``pk``: for whoever may
    read the response (the refusal names the response, never the file)."""
    require_readable(user, attachment.response, what="attachment list")
    return {**json.loads(_unseal(attachment.sealed_meta)), "pk": attachment.pk}


def unseal_attachment_for(user: Any, attachment: Any) -> tuple[dict[str, Any], bytes]:
    """An attachment's metadata and bytes; refused (and audited, naming the response) while
    sealed."""
    require_readable(user, attachment.response, what="attachment")
    return attachment_meta_for(user, attachment), _unseal(attachment.sealed)


def unseal_at_opening(response: Any) -> Envelope:
    """For the opening itself (``opening.solicitation_open``), after its checks."""
    if response.solicitation.is_sealed:
        raise Sealed("The solicitation has not been opened.")
    return _envelope(_unseal(response.sealed))
