"""Checkpoints: the chain's newest event, signed and kept where the database cannot reach.

Someone who can write to the database and also holds the audit key could rebuild the chain;
someone without it could still cut its newest events and put back an older chain head from
a backup. A checkpoint catches both for everything up to it: a small JSON file naming the
newest event (``seq``, ``hash``) of a chain that verified when it was taken, signed with the
audit key (HMAC-SHA256). ``edcoop audit checkpoint`` writes one into
``EDCOOP_CHECKPOINT_DIR`` and e-mails it to every agency's auditors; ``edcoop audit verify
--checkpoint FILE`` later proves that event #seq still has that hash and the chain verifies
up to it, so nothing before it changed.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import smtplib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from . import audit, auditkeys
from .models import AuditEvent

FORMAT = "edcoop-audit-checkpoint/1"
logger = logging.getLogger("edcoop.audit")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read as one."""


class ChainBroken(Exception):
    """The chain does not verify: no checkpoint is taken of it."""

    def __init__(self, problems: list[audit.Problem]) -> None:
        super().__init__(f"event #{problems[0].seq}: {problems[0].reason}")
        self.problems = problems


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    event_at: str
    taken_at: str
    installation: str
    key_id: str
    signature: str = ""
    format: str = FORMAT

    def body(self) -> bytes:
        """What the signature covers: every field but the signature, canonical JSON."""
        fields = asdict(self)
        fields.pop("signature")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @property
    def filename(self) -> str:
        try:
            stamp = datetime.fromisoformat(self.taken_at).astimezone(UTC)
        except ValueError:
            return f"edcoop-audit-checkpoint-{self.seq:010d}.json"
        return f"edcoop-audit-checkpoint-{self.seq:010d}-{stamp:%Y%m%dT%H%M%SZ}.json"


def load(path: Path) -> Checkpoint:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointError(f"{path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: not a checkpoint file (not JSON)") from None
    return parse(data, where=str(path))


def parse(data: Any, *, where: str = "checkpoint") -> Checkpoint:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not an EdCoop audit checkpoint ({FORMAT})")
    text = ("hash", "event_at", "taken_at", "installation", "key_id", "signature")
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise CheckpointError(f"{where}: seq must be a whole number of 0 or more")
    for name in text:
        if not isinstance(data.get(name), str):
            raise CheckpointError(f"{where}: {name} is missing")
    return Checkpoint(seq=seq, **{name: data[name] for name in text})


def sign(checkpoint: Checkpoint) -> Checkpoint:
    key = auditkeys.signing_key()
    unsigned = Checkpoint(**{**asdict(checkpoint), "key_id": key.id, "signature": ""})
    return Checkpoint(**{**asdict(unsigned), "signature": key.mac(unsigned.body())})


def problems(checkpoint: Checkpoint) -> list[str]:
    """Why ``checkpoint`` does not hold for the chain as it is now (empty if it holds).
    The chain itself is walked by ``audit.verify_chain``; together they prove that nothing
    up to the checkpoint changed."""
    taken = f"the checkpoint of {checkpoint.taken_at}"
    key = auditkeys.by_id(checkpoint.key_id)
    if key is None:
        return [f"{taken} is signed with key {checkpoint.key_id!r}, which EDCOOP_AUDIT_KEY "
                "does not hold"]  # fmt: skip
    if not key.verifies(checkpoint.body(), checkpoint.signature):
        return [f"{taken}: its signature does not verify; the file was altered or not made "
                "with this installation's audit key"]  # fmt: skip
    if checkpoint.seq == 0:
        return []
    event = AuditEvent.objects.filter(seq=checkpoint.seq).only("hash").first()
    if event is None:
        return [f"event #{checkpoint.seq} of {taken} is gone: the chain was cut back"]
    if not hmac.compare_digest(event.hash, checkpoint.hash):
        return [f"event #{checkpoint.seq} no longer has the hash {taken} recorded: the chain "
                "up to it was rewritten"]  # fmt: skip
    return []


def _write(directory: Path, checkpoint: Checkpoint) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / checkpoint.filename
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(checkpoint.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _auditor_messages(checkpoint: Checkpoint) -> list[EmailMessage]:
    from edcoop.members.models import Role, RoleAssignment

    assignments = RoleAssignment.objects.filter(
        role=Role.AUDITOR, user__is_active=True
    ).select_related("user", "agency")
    messages = []
    seen: set[tuple[int, str]] = set()
    for ra in assignments.order_by("agency_id", "user_id"):
        email = ra.user.email
        if not email or (ra.agency_id, email) in seen:
            continue
        seen.add((ra.agency_id, email))
        # One message per auditor: nobody sees another agency's auditors.
        message = EmailMessage(
            subject=f"[{ra.agency.name}] Audit trail checkpoint #{checkpoint.seq}",
            body=(
                f"The audit trail of {checkpoint.installation} verified at "
                f"{checkpoint.taken_at} (UTC) up to event #{checkpoint.seq}, fingerprint\n"
                f"{checkpoint.hash}.\n\n"
                "Keep this message and its attached file where the EdCoop server and its "
                "database administrators cannot change them. Later, anyone can prove that "
                "no event up to this one was changed or removed: on the audit trail page, "
                'upload the file under "Check against a checkpoint", or ask the operator '
                "to run `edcoop audit verify --checkpoint FILE`.\n"
            ),
            to=[email],
        )
        message.attach(checkpoint.filename, checkpoint.to_json(), "application/json")
        messages.append(message)
    return messages


@dataclass
class Taken:
    """A checkpoint written; ``mailed`` and ``mail_error`` are known once the write commits."""

    checkpoint: Checkpoint
    path: Path
    mailed: int = 0
    mail_error: str = ""


def _send(messages: list[EmailMessage], taken: Taken) -> None:
    try:
        taken.mailed = get_connection().send_messages(messages) or 0
    except (OSError, smtplib.SMTPException) as exc:
        # The checkpoint stands (file written, event recorded); the caller says what failed.
        taken.mail_error = str(exc) or type(exc).__name__
        logger.warning("audit checkpoint #%s not e-mailed: %s", taken.checkpoint.seq, exc)


def take(*, directory: Path | None = None, mail: bool = True) -> Taken:
    """Verify the chain, write a signed checkpoint of its newest event to ``directory``
    (``EDCOOP_CHECKPOINT_DIR``), record that in the trail and, after commit, e-mail it to
    every agency's auditors. Raises ``ChainBroken`` rather than vouch for a broken chain."""
    chain = audit.verify_chain()
    if chain.problems:
        raise ChainBroken(chain.problems)
    checkpoint = sign(
        Checkpoint(
            seq=chain.last_seq,
            hash=chain.last_hash,
            event_at=chain.last_at.astimezone(UTC).isoformat() if chain.last_at else "",
            taken_at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
            installation=settings.EDCOOP_BASE_URL,
            key_id="",
        )
    )
    taken = Taken(checkpoint, _write(Path(directory or settings.EDCOOP_CHECKPOINT_DIR), checkpoint))
    with transaction.atomic():
        audit.record(
            "audit.checkpoint",
            changes={"seq": checkpoint.seq, "hash": checkpoint.hash, "file": taken.path.name},
            label=f"Checkpoint of the audit trail at event #{checkpoint.seq}",
        )
        if mail:
            messages = _auditor_messages(checkpoint)
            transaction.on_commit(lambda: _send(messages, taken))
    return taken
