"""Verifying the audit trail and the business records it vouches for, agency by agency.

The chain (``audit.verify_chain``) proves that no event was changed, removed or forged
without the audit key. The records the events describe are checked by each app's integrity
checks, kept in ``<app>/integrity.py`` and registered with ``@integrity_check`` (core
imports every app's module at start-up): an issued invoice still equals its lines and the
total its event recorded, numbers have no gaps, every payment still matches the event that
recorded it. ``verify`` runs the chain walk and every check; ``edcoop audit verify`` and the
audit page's job both call it.

The chain is one for the whole installation, so its problems concern every agency (a
missing event could have been anyone's); counts and record problems belong to one agency,
and an agency's report shows only its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import models

from . import audit
from .checkpoints import Checkpoint
from .checkpoints import problems as checkpoint_problems
from .models import AuditEvent

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Finding:
    """A business record that no longer matches what the audit trail says of it."""

    agency_id: int | None
    reason: str
    seq: int | None = None


class Tally:
    """What the checks report, each under its agency; ``agency_id`` narrows what they read."""

    def __init__(self, agency_id: int | None = None) -> None:
        self.agency_id = agency_id
        self.findings: list[Finding] = []
        self.counts: defaultdict[int | None, Counter[str]] = defaultdict(Counter)

    def scope(self, queryset: models.QuerySet[M], field: str = "agency_id") -> models.QuerySet[M]:
        if self.agency_id is None:
            return queryset
        return queryset.filter(**{field: self.agency_id})

    def count(self, agency_id: int | None, what: str, n: int = 1) -> None:
        self.counts[agency_id][what] += n

    def problem(self, agency_id: int | None, reason: str, seq: int | None = None) -> None:
        self.findings.append(Finding(agency_id, reason, seq))


CheckFunction = Callable[[Tally], None]
_CHECKS: dict[str, CheckFunction] = {}


def integrity_check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function(tally)`` to run on every verification."""

    def register(function: CheckFunction) -> CheckFunction:
        _CHECKS[name] = function
        return function

    return register


def registered() -> dict[str, CheckFunction]:
    return dict(_CHECKS)


# A building block for the apps' checks ---------------------------------------------------


def same_value(now: Any, then: Any) -> bool:
    """Equal as the audit trail writes values (Decimals as text, so compare as numbers)."""
    if isinstance(now, Decimal) or isinstance(then, Decimal):
        try:
            return Decimal(str(now)) == Decimal(str(then))
        except (InvalidOperation, TypeError, ValueError):
            return False
    return audit.plain(now) == then


def events_by_object(tally: Tally, action: str, model: type[models.Model]) -> dict[str, Any]:
    """The ``action`` events about ``model`` rows in scope, by object id (the first wins)."""
    events = tally.scope(
        AuditEvent.objects.filter(action=action, object_type=model._meta.label_lower)
    ).only("seq", "agency_id", "object_id", "changes")
    found: dict[str, Any] = {}
    for event in events.order_by("seq").iterator(chunk_size=2000):
        found.setdefault(event.object_id, event)
    return found


def records_match_events(
    tally: Tally,
    queryset: models.QuerySet[M],
    *,
    action: str,
    fields: Iterable[str],
    what: str,
    label: Callable[[M], str],
) -> None:
    """Every record of ``queryset`` has the ``action`` event that created it (written by
    ``audit.record_create``) and still holds the values of ``fields`` it recorded; every
    such event's record still exists. Counted under ``what`` (a plural noun)."""
    fields = list(fields)
    model = queryset.model
    events = events_by_object(tally, action, model)
    noun = model._meta.verbose_name
    for obj in tally.scope(queryset).iterator(chunk_size=2000):
        agency_id = getattr(obj, "agency_id", None)
        tally.count(agency_id, what)
        event = events.pop(str(obj.pk), None)
        if event is None:
            tally.problem(agency_id, f"{label(obj)} has no audit event ({action}): "
                                     "it was written outside EdCoop")  # fmt: skip
            continue
        recorded = event.changes if isinstance(event.changes, dict) else {}
        for name in fields:
            now = audit.snapshot(obj, [name])[name]
            then = (recorded.get(name) or [None, None])[-1]
            if not same_value(now, then):
                tally.problem(agency_id, f"{label(obj)}: {name} is {now} but event "
                                         f"#{event.seq} recorded {then}", event.seq)  # fmt: skip
    for object_id, event in events.items():
        tally.problem(event.agency_id, f"{noun} #{object_id} recorded by event #{event.seq} "
                                       "no longer exists", event.seq)  # fmt: skip


# Running it all ---------------------------------------------------------------------------


@dataclass
class Report:
    """One verification: the shared chain, and each agency's records."""

    chain: audit.ChainReport
    findings: list[Finding] = field(default_factory=list)
    counts: dict[int | None, Counter[str]] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)  # e.g. checkpoint problems (shared)

    def chain_problems(self) -> list[str]:
        return [f"Event #{p.seq}: {p.reason}" for p in self.chain.problems] + self.extra

    def problems_for(self, agency_id: int | None) -> list[str]:
        """What an agency's auditor is told: the shared chain's problems and its own."""
        own = [f.reason for f in self.findings if f.agency_id == agency_id]
        return self.chain_problems() + own

    def all_problems(self) -> list[str]:
        return self.chain_problems() + [f.reason for f in self.findings]

    def counts_for(self, agency_id: int | None) -> dict[str, int]:
        counts = {"events": self.chain.by_agency.get(agency_id, 0)}
        counts.update(self.counts.get(agency_id, {}))
        return counts

    @property
    def ok(self) -> bool:
        return not self.all_problems()


def verify(
    *,
    agency_id: int | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Walk the whole chain, hold it against each checkpoint, then run every app's checks
    (only ``agency_id``'s records when given). Reads only."""
    chain = audit.verify_chain(progress)
    extra = [problem for cp in checkpoints for problem in checkpoint_problems(cp)]
    tally = Tally(agency_id)
    for check in _CHECKS.values():
        check(tally)
    findings = tally.findings
    if agency_id is not None:
        findings = [f for f in findings if f.agency_id == agency_id]
    return Report(chain=chain, findings=findings, counts=dict(tally.counts), extra=extra)
