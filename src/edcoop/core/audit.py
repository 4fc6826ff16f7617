"""Writing and verifying the audit trail.

Every service function that writes calls :func:`record` inside its own transaction, so the
audit row commits or rolls back with the change it describes. Who and from where come from
:func:`acting_as`, which the web middleware, the API and the CLI set once per request or
command; a service never has to be handed the request.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import sql
from django.utils import timezone

from . import auditkeys
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64

# Field names whose values never reach the audit log in clear; the change is still recorded.
SECRET_FIELDS = {"password", "tax_id", "key_hash"}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    source: str
    ip: str | None = None


SYSTEM = Actor(user_id=None, label="system", source="system")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("edcoop_actor", default=SYSTEM)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def set_actor(actor: Actor) -> None:
    """Name the actor for the rest of the current request or command (API token auth, which
    learns the user after the middleware ran; the middleware's reset still restores it)."""
    _current.set(actor)


def actor_for_user(user: Any, *, source: str, ip: str | None = None) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(user_id=None, label="anonymous", source=source, ip=ip)
    return Actor(user_id=user.pk, label=user.get_username(), source=source, ip=ip)


def current_actor() -> Actor:
    return _current.get()


def plain(value: Any) -> Any:
    """A JSON-safe, hash-stable form of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def mask(field: str, value: Any) -> Any:
    if field in SECRET_FIELDS and value not in (None, ""):
        return "[redacted]"
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values of ``instance``, keyed by field name (FKs by ``name``, as pk)."""
    names = fields or [f.name for f in instance._meta.concrete_fields]
    out: dict[str, Any] = {}
    for name in names:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = plain(getattr(instance, attname))
    return out


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field that changed, secrets redacted."""
    before = before or {}
    after = after or {}
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [mask(name, old), mask(name, new)]
    return changes


def _content(event: AuditEvent) -> str:
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "source": event.source,
        "ip": event.ip,
        "agency_id": event.agency_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "changes": event.changes,
    }
    if event.hash_version != AuditEvent.LEGACY:
        # Keyed content names its version and key, so neither can be swapped afterwards.
        body["hash_version"] = event.hash_version
        body["key_id"] = event.key_id
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class UnknownKey(Exception):
    """An event keyed with a key that EDCOOP_AUDIT_KEY does not hold."""


def compute_hash(event: AuditEvent) -> str:
    data = (event.prev_hash + _content(event)).encode("utf-8")
    if event.hash_version == AuditEvent.LEGACY:
        return hashlib.sha256(data).hexdigest()
    key = auditkeys.by_id(event.key_id) if event.hash_version == AuditEvent.KEYED else None
    if key is None:
        raise UnknownKey(event.key_id)
    return key.mac(data)


def _head_content(head: AuditHead) -> bytes:
    return (
        f"edcoop-audit-head|{head.last_seq}|{head.last_hash or GENESIS}|{head.legacy_seq}"
    ).encode()


def sign_head(head: AuditHead) -> None:
    """Sign the chain head with the audit key (the caller saves it)."""
    key = auditkeys.signing_key()
    head.key_id = key.id
    head.mac = key.mac(_head_content(head))


def head_signed(head: AuditHead) -> bool:
    key = auditkeys.by_id(head.key_id)
    return key is not None and key.verifies(_head_content(head), head.mac)


def _locked_head() -> AuditHead | None:
    # Raw: every audited write reads this row, and compiling the ORM's query for it cost
    # five times the read (issue 9).
    sql = f"SELECT * FROM {AuditHead._meta.db_table} WHERE id = 1"  # noqa: S608
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return next(iter(AuditHead.objects.raw(sql)), None)


def _lock_head() -> AuditHead:
    # The head row's lock serialises appenders: one statement on every audited write.
    head = _locked_head()
    if head is not None:
        return head
    if connection.vendor == "postgresql":
        # No head row yet (the first event, or after a flush): nothing to lock, so appenders
        # queue on an advisory lock instead, and the one that waited sees the row its
        # predecessor made (read committed: the read after the wait sees that commit).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x0EDC00A0])
        head = _locked_head()
    if head is None:
        head = AuditHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS)
    return head


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    agency_id: int | None = None,
    changes: dict[str, Any] | None = None,
    label: str | None = None,
    actor: Actor | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction."""
    actor = actor or current_actor()
    # No savepoint of its own (two round trips on every audited write): a failure here
    # fails the caller's transaction, or the caller's own savepoint, which is what it must do.
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        if agency_id is None and obj is not None:
            agency_id = getattr(obj, "agency_id", None)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor.user_id,
            actor_label=actor.label[:200],
            source=actor.source,
            ip=actor.ip,
            agency_id=agency_id,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_label=(label if label is not None else str(obj) if obj is not None else "")[
                :300
            ],
            changes=plain(changes or {}),
            prev_hash=head.last_hash or GENESIS,
            hash_version=AuditEvent.KEYED,
            key_id=auditkeys.signing_key().id,
        )
        event.hash = compute_hash(event)
        head.last_seq = event.seq
        head.last_hash = event.hash
        sign_head(head)
        _append(event, head)
    return event


_HEAD_FIELDS = ["last_seq", "last_hash", "key_id", "mac"]


def _append(event: AuditEvent, head: AuditHead) -> None:
    """Insert ``event`` and save the new ``head``. On PostgreSQL in one statement (a
    data-modifying WITH): the trail costs every audited write a round trip less."""
    if connection.vendor != "postgresql":
        event.save(force_insert=True)
        head.save(update_fields=_HEAD_FIELDS)
        return
    meta = AuditEvent._meta
    query = sql.InsertQuery(AuditEvent)
    query.insert_values([f for f in meta.local_concrete_fields if f is not meta.auto_field],
                        [event])  # fmt: skip
    [(insert, params)] = query.get_compiler(connection=connection).as_sql()
    table, pk = connection.ops.quote_name(meta.db_table), meta.pk.column
    head_table = connection.ops.quote_name(AuditHead._meta.db_table)
    assignments = ", ".join(f"{name} = %s" for name in _HEAD_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH e AS ({insert} RETURNING {table}.{pk}) UPDATE {head_table} "  # noqa: S608
            f"SET {assignments} "
            f"FROM e WHERE {head_table}.id = %s RETURNING e.{pk}",
            [*params, *(getattr(head, name) for name in _HEAD_FIELDS), head.pk],
        )
        row = cursor.fetchone()
    if row is None:  # pragma: no cover - the head row was locked by _lock_head
        raise RuntimeError("The audit chain's head row is missing.")
    event.pk = row[0]
    event._state.adding = False
    event._state.db = connection.alias


def record_create(action: str, obj: models.Model, **kwargs: Any) -> AuditEvent:
    return record(action, obj, changes=diff(None, snapshot(obj)), **kwargs)


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str


@dataclass
class ChainReport:
    """What walking the chain found: its problems, first bad event first, and what it held."""

    problems: list[Problem]
    events: int = 0
    keyed: int = 0
    by_agency: Counter[int | None] = field(default_factory=Counter)
    last_seq: int = 0
    last_hash: str = GENESIS
    last_at: datetime | None = None

    @property
    def legacy(self) -> int:
        return self.events - self.keyed


def _event_problems(event: AuditEvent, legacy_seq: int) -> list[Problem]:
    """What is wrong with one event on its own: its hash, and keying where it is due."""
    out = []
    if event.hash_version != AuditEvent.KEYED and (
        event.hash_version != AuditEvent.LEGACY or event.seq > legacy_seq
    ):
        out.append(Problem(event.seq, "is not keyed though written after keying began "
                                      "(rewritten without the audit key)"))  # fmt: skip
    try:
        intact = hmac.compare_digest(compute_hash(event), event.hash)
    except UnknownKey:
        out.append(Problem(event.seq, f"is keyed with key {event.key_id!r}, which "
                                      "EDCOOP_AUDIT_KEY does not hold"))  # fmt: skip
    else:
        if not intact:
            out.append(Problem(event.seq, "content does not match its hash (edited)"))
    return out


def _trusted_legacy_seq() -> int:
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or not (not (head.last_seq or head.legacy_seq) or head_signed(head)):
        return 0
    return head.legacy_seq


def verify_segment(first_seq: int, last_seq: int) -> ChainReport:
    """Walk the events ``first_seq`` to ``last_seq`` only: each hash, each link (the first
    event's link to the one before it included), no gap. What the stretch rests on (a signed
    checkpoint or the signed head at ``last_seq``) is the caller's to check."""
    report = ChainReport(problems=[])
    legacy_seq = _trusted_legacy_seq()
    before = AuditEvent.objects.filter(seq=first_seq - 1).values_list("hash", flat=True).first()
    expected_prev = GENESIS if first_seq <= 1 else before
    if first_seq > 1 and before is None:
        report.problems.append(Problem(first_seq - 1, f"event #{first_seq - 1} is missing"))
    expected_seq = first_seq
    events = AuditEvent.objects.filter(seq__gte=first_seq, seq__lte=last_seq).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        report.events += 1
        report.by_agency[event.agency_id] += 1
        if event.seq != expected_seq:
            report.problems.append(Problem(expected_seq, f"event #{expected_seq} is missing "
                                                         f"(next found #{event.seq})"))  # fmt: skip
        elif expected_prev is not None and event.prev_hash != expected_prev:
            report.problems.append(Problem(event.seq, "does not link to the event before it"))
        if event.hash_version == AuditEvent.KEYED:
            report.keyed += 1
        report.problems.extend(_event_problems(event, legacy_seq))
        expected_prev, expected_seq, report.last_at = event.hash, event.seq + 1, event.at
    if expected_seq <= last_seq:
        report.problems.append(Problem(expected_seq, f"events #{expected_seq} to #{last_seq} "
                                                     "are missing"))  # fmt: skip
    report.last_seq, report.last_hash = expected_seq - 1, expected_prev or ""
    report.problems.sort(key=lambda p: p.seq)
    return report


def verify_chain(progress: Callable[[int, int], None] | None = None) -> ChainReport:
    """Walk the chain: every event's hash (keyed ones under the audit key), every link, the
    signed chain head, and that no event after keying began passes itself off as unkeyed."""
    report = ChainReport(problems=[])
    problems = report.problems
    head = AuditHead.objects.filter(pk=1).first()
    head_trusted = head is not None and (not (head.last_seq or head.legacy_seq)
                                         or head_signed(head))  # fmt: skip
    # Unkeyed events are accepted only up to where a correctly signed head says keying began.
    legacy_seq = head.legacy_seq if head is not None and head_trusted else 0
    expected_prev = GENESIS
    expected_seq = 1
    total = AuditEvent.objects.count() if progress else 0
    for done, event in enumerate(AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)):
        if progress is not None and done % 2000 == 0:
            progress(done, total)
        report.events += 1
        report.by_agency[event.agency_id] += 1
        if event.seq != expected_seq:
            problems.append(
                Problem(expected_seq, f"event #{expected_seq} is missing (next found #{event.seq})")
            )
        elif event.prev_hash != expected_prev:
            problems.append(Problem(event.seq, "does not link to the event before it"))
        if event.hash_version == AuditEvent.KEYED:
            report.keyed += 1
        problems.extend(_event_problems(event, legacy_seq))
        expected_prev = event.hash
        expected_seq = event.seq + 1
        report.last_at = event.at
    last_seq = expected_seq - 1
    report.last_seq, report.last_hash = last_seq, expected_prev
    if head is not None and (head.last_seq, head.last_hash or GENESIS) != (last_seq, expected_prev):
        if head.last_seq > last_seq:
            problems.append(
                Problem(last_seq + 1, f"events #{last_seq + 1} to #{head.last_seq} are missing")
            )
        else:
            problems.append(Problem(head.last_seq, "chain head does not match the last event"))
    elif head is None and last_seq > 0:
        problems.append(Problem(1, "chain head record is missing"))
    if head is not None and not head_trusted:
        problems.append(Problem(head.last_seq, "chain head's signature does not verify "
                                               "(changed without the audit key)"))  # fmt: skip
    problems.sort(key=lambda p: p.seq)
    return report


def verify(progress: Callable[[int, int], None] | None = None) -> list[Problem]:
    """Walk the chain; return its problems, the first bad event first (empty if intact)."""
    return verify_chain(progress).problems
