"""What an auditor takes away: the audit trail of a period with the chain's verification and
the checkpoint that vouches for it, and the procurement file of one solicitation.

Nothing here decides who may read: the views ask ``core.permissions`` (``AUDIT_VIEW``,
``solicitations_for``) before calling. Nothing sealed leaves: a solicitation's responses
appear as receipts (who, when, the hash of the sealed content) until the opening; only an
opened solicitation's file holds the opening record and the tabulation, both written at the
opening from the unsealed prices.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from edcoop.core.models import AuditEvent
from edcoop.core.views import spreadsheet_cell
from edcoop.members.models import Agency

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVENT_HEADER = ["Seq", "At (UTC)", "Actor", "Source", "IP address", "Action", "Object type",
                "Object id", "Object", "Changes (JSON)", "Previous hash", "Hash"]  # fmt: skip


# The audit trail of a period ---------------------------------------------------------------


def period_events(agency: Agency, since: date, until: date) -> QuerySet[AuditEvent]:
    """The agency's events from ``since`` to ``until`` (days in the agency's zone, both
    included), in chain order."""
    zone = agency.zone
    start = datetime.combine(since, time.min, zone)
    end = datetime.combine(until + timedelta(days=1), time.min, zone)
    return AuditEvent.objects.filter(agency_id=agency.pk, at__gte=start, at__lt=end).order_by("seq")


def event_rows(events: Iterable[AuditEvent]) -> Iterator[list[Any]]:
    for e in events:
        yield [e.seq, e.at.astimezone(UTC).isoformat(timespec="microseconds"), e.actor_label,
               e.source, e.ip or "", e.action, e.object_type, e.object_id, e.object_label,
               json.dumps(e.changes, sort_keys=True, ensure_ascii=False), e.prev_hash,
               e.hash]  # fmt: skip


@dataclass
class Verification:
    """The export's own verification of the period: the chain walked from the event before
    the period's first to the point that vouches for it, the first checkpoint taken after
    the period's last event (its signature and recorded hash checked), or, when none has been
    taken since, the signed chain head."""

    agency: str
    since: str
    until: str
    events: int
    first_seq: int | None
    last_seq: int | None
    verified_at: str | None = None
    verification: str = "not verified"
    verification_problems: list[str] = field(default_factory=list)
    verification_covers_period: bool = False
    walked_from: int | None = None
    walked_to: int | None = None
    rests_on: str = ""
    checkpoint_seq: int | None = None
    checkpoint_hash: str = ""
    checkpoint_at: str | None = None
    checkpoint_file: str = ""
    checkpoint_covers_period: bool = False

    @property
    def summary(self) -> list[tuple[str, str]]:
        """The verification as label/value rows (the workbook's sheet, the page)."""
        covered = "yes" if self.checkpoint_covers_period else "no"
        walked = (f"#{self.walked_from} to #{self.walked_to}" if self.walked_to is not None
                  else "nothing to walk")  # fmt: skip
        return [
            ("Agency", self.agency), ("Period", f"{self.since} to {self.until}"),
            ("Events in the period", str(self.events)),
            ("First and last event", f"#{self.first_seq} to #{self.last_seq}"
             if self.first_seq else "none"),
            ("Verified at (this export)", self.verified_at or "never"),
            ("Its result", self.verification),
            ("Chain walked (every agency's events between)", walked),
            ("It rests on", self.rests_on),
            ("It covers the whole period", "yes" if self.verification_covers_period else "no"),
            ("Checkpoint", f"#{self.checkpoint_seq} ({self.checkpoint_file})"
             if self.checkpoint_seq else "none taken since the period"),
            ("Checkpoint fingerprint", self.checkpoint_hash),
            ("Checkpoint taken at", self.checkpoint_at or ""),
            ("Checkpoint covers every event of the period", covered),
        ]  # fmt: skip


def verification_for(agency: Agency, since: date, until: date) -> Verification:
    """Verify the period's stretch of the chain now (see ``Verification``)."""
    from django.utils import timezone

    from edcoop.core import audit, checkpoints
    from edcoop.core.models import AuditHead

    events = period_events(agency, since, until)
    first = events.values_list("seq", flat=True).first()
    last = events.order_by("-seq").values_list("seq", flat=True).first()
    out = Verification(agency=agency.name, since=since.isoformat(), until=until.isoformat(),
                       events=events.count(), first_seq=first, last_seq=last)  # fmt: skip
    out.verified_at = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
    # The first checkpoint at or after the period's last event vouches for it.
    marks = AuditEvent.objects.filter(action="audit.checkpoint").order_by("seq")
    chosen = None
    for mark in marks.iterator():
        if last is None or int(mark.changes.get("seq", 0)) >= last:
            chosen = mark
            break
    if chosen is None:
        chosen = marks.last()  # named for the record, though it does not cover the period
    problems: list[str] = []
    head = None  # the signed chain head, when no checkpoint covers the period
    if chosen is not None:
        out.checkpoint_seq = int(chosen.changes.get("seq", 0))
        out.checkpoint_hash = str(chosen.changes.get("hash", ""))
        out.checkpoint_file = str(chosen.changes.get("file", ""))
        out.checkpoint_at = chosen.at.astimezone(UTC).isoformat(timespec="seconds")
        out.checkpoint_covers_period = last is None or out.checkpoint_seq >= last
    if last is None:
        out.verification = "no events in the period: nothing to verify"
        out.verification_covers_period = True
        return out
    if out.checkpoint_covers_period and out.checkpoint_seq is not None:
        anchor = out.checkpoint_seq
        signed = checkpoint_file(out)
        if signed is not None:
            try:
                checkpoint = checkpoints.parse(json.loads(signed), where=out.checkpoint_file)
            except (ValueError, checkpoints.CheckpointError) as exc:
                problems.append(f"the checkpoint file does not read: {exc}")
            else:
                problems += checkpoints.problems(checkpoint)
                anchor = checkpoint.seq
            out.rests_on = f"the signed checkpoint #{anchor} ({out.checkpoint_file})"
        else:
            out.rests_on = (f"checkpoint #{anchor} as recorded in the trail (its signed file "
                            "is no longer on the server)")  # fmt: skip
        found = AuditEvent.objects.filter(seq=anchor).values_list("hash", flat=True).first()
        if found is not None and found != out.checkpoint_hash:
            problems.append(f"event #{anchor} no longer has the hash its checkpoint recorded")
    else:
        head = AuditHead.objects.filter(pk=1).first()
        anchor = head.last_seq if head is not None else last
        if head is None or not audit.head_signed(head):
            problems.append("the chain head is missing or its signature does not verify")
        out.rests_on = (f"the signed chain head at #{anchor} (no checkpoint taken since the "
                        "period: take one to pin it)")  # fmt: skip
    start = max(first - 1, 1) if first is not None else 1
    walked = audit.verify_segment(start, anchor)
    if head is not None and (head.last_hash or audit.GENESIS) != walked.last_hash:
        problems.append("the chain head does not match the last event walked")
    problems += [f"event #{p.seq} {p.reason}" for p in walked.problems]
    out.walked_from, out.walked_to = start, anchor
    out.verification_problems = problems[:50]
    out.verification = ("intact: every hash and link checks out" if not problems
                        else f"FAILED: {len(problems)} problem(s)")  # fmt: skip
    out.verification_covers_period = not problems
    return out


def checkpoint_file(verification: Verification) -> bytes | None:
    """The signed checkpoint file itself, when the server still keeps it."""
    name = Path(verification.checkpoint_file).name
    if not name:
        return None
    try:
        return (Path(settings.EDCOOP_CHECKPOINT_DIR) / name).read_bytes()
    except OSError:
        return None


def _csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def _zip(files: dict[str, bytes]) -> bytes:
    """A ZIP of ``files`` with a manifest of each file's SHA-256, so a copy can be checked."""
    manifest = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return out.getvalue()


def audit_trail_export(agency: Agency, since: date, until: date,
                       fmt: str = "zip") -> tuple[bytes, Verification]:  # fmt: skip
    """The period's export (``zip`` or ``xlsx``) and the verification made for it: what the
    Audit page and ``edcoop audit export`` both serve."""
    verification = verification_for(agency, since, until)
    make = _trail_xlsx if fmt == "xlsx" else _trail_zip
    return make(agency, since, until, verification), verification


def audit_trail_zip(agency: Agency, since: date, until: date) -> bytes:
    return audit_trail_export(agency, since, until, "zip")[0]


def audit_trail_xlsx(agency: Agency, since: date, until: date) -> bytes:
    return audit_trail_export(agency, since, until, "xlsx")[0]


def _trail_zip(agency: Agency, since: date, until: date, verification: Verification) -> bytes:
    """``events.csv``, ``verification.json`` (this export's own verification of the period)
    and, when kept, the checkpoint file it rests on."""
    files = {
        "events.csv": _csv(EVENT_HEADER, event_rows(period_events(agency, since, until))),
        "verification.json": (json.dumps(asdict(verification), indent=2) + "\n").encode(),
    }
    signed = checkpoint_file(verification)
    if signed is not None:
        files[Path(verification.checkpoint_file).name] = signed
    return _zip(files)


def _trail_xlsx(agency: Agency, since: date, until: date, verification: Verification) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Verification")
    for label, value in verification.summary:
        sheet.append([label, spreadsheet_cell(value)])
    for problem in verification.verification_problems:
        sheet.append(["Problem", spreadsheet_cell(problem)])
    events = book.create_sheet("Events")
    events.freeze_panes = "A2"
    from openpyxl.cell import WriteOnlyCell

    header = []
    for title in EVENT_HEADER:
        cell = WriteOnlyCell(events, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    events.append(header)
    for row in event_rows(period_events(agency, since, until)):
        events.append([spreadsheet_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The procurement file ---------------------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value.isoformat()


def solicitation_events(solicitation: Any) -> QuerySet[AuditEvent]:
    """Every event about the solicitation or anything that belongs to it."""
    ids: dict[str, list[Any]] = {
        "procurement.solicitation": [solicitation.pk],
        "procurement.lot": list(solicitation.lots.values_list("pk", flat=True)),
        "procurement.lineitem": list(solicitation.items.values_list("pk", flat=True)),
        "procurement.criterion": list(solicitation.criteria.values_list("pk", flat=True)),
        "procurement.document": list(solicitation.documents.values_list("pk", flat=True)),
        "procurement.addendum": list(solicitation.addenda.values_list("pk", flat=True)),
        "procurement.question": list(solicitation.questions.values_list("pk", flat=True)),
        "procurement.response": list(solicitation.responses.values_list("pk", flat=True)),
    }
    q = Q()
    for object_type, pks in ids.items():
        if pks:
            q |= Q(object_type=object_type, object_id__in=[str(pk) for pk in pks])
    return AuditEvent.objects.filter(q, agency_id=solicitation.agency_id).order_by("seq")


def procurement_file(solicitation: Any) -> bytes:
    """The solicitation's file as a ZIP: its record, documents, addenda, questions and
    answers, response receipts (hashes only), the opening and tabulation once opened, and
    its audit events, with a manifest of hashes."""
    from edcoop.procurement import selectors as procurement_selectors

    s = solicitation
    record = {
        "number": s.number, "title": s.title, "kind": s.get_kind_display(),
        "status": s.get_status_display(), "category": s.category,
        "lead_agency": s.lead_agency, "description": s.description,
        "eligibility": s.get_eligibility_display(), "eligible_kinds": s.eligible_kinds,
        "required_attestations": s.required_attestations,
        "published_at": _iso(s.published_at), "questions_due_at": _iso(s.questions_due_at),
        "responses_due_at": _iso(s.responses_due_at), "opening_at": _iso(s.opening_at),
        "opened_at": _iso(s.opened_at),
        "lots": [{"number": lot.number, "title": lot.title,
                  "award_basis": lot.get_award_basis_display()}
                 for lot in s.lots.order_by("number")],
        "items": [{"lot": i.lot.number, "number": i.number, "description": i.description,
                   "unit": i.unit, "estimated_quantity": str(i.estimated_quantity),
                   "specifications": i.specifications}
                  for i in s.items.select_related("lot").order_by("lot__number", "number")],
        "criteria": [{"name": c.name, "weight": str(c.weight)} for c in s.criteria.all()],
        "status_changes": [{"from": c.from_status, "to": c.to_status, "at": _iso(c.at),
                            "by": c.by_label, "note": c.note}
                           for c in s.status_changes.all()],
    }  # fmt: skip
    files: dict[str, bytes] = {
        "solicitation.json": (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode()
    }
    documents = []
    for d in s.documents.select_related("addendum").order_by("added_at", "pk"):
        name = f"documents/{d.pk}-{Path(d.filename).name}"
        files[name] = bytes(d.content)
        documents.append({"file": name, "title": d.title, "sha256": d.sha256,
                          "added_at": _iso(d.added_at),
                          "addendum": d.addendum.number if d.addendum else None})  # fmt: skip
    files["documents.json"] = (json.dumps(documents, indent=2) + "\n").encode()
    addenda = [{"number": a.number, "title": a.title, "body": a.body,
                "issued_at": _iso(a.issued_at),
                "new_responses_due_at": _iso(a.new_responses_due_at)}
               for a in s.addenda.order_by("number")]  # fmt: skip
    files["addenda.json"] = (json.dumps(addenda, indent=2, ensure_ascii=False) + "\n").encode()
    questions = [{"asked_at": _iso(q.asked_at), "supplier": str(q.supplier), "question": q.text,
                  "published_question": q.public_text, "answer": q.answer,
                  "answered_at": _iso(q.answered_at)}
                 for q in s.questions.select_related("supplier").order_by("asked_at")]  # fmt: skip
    files["questions.json"] = (json.dumps(questions, indent=2, ensure_ascii=False) + "\n").encode()
    from edcoop.procurement.models import Response

    receipts = (Response.objects.filter(solicitation=s).exclude(status=Response.Status.DRAFT)
                .select_related("supplier").order_by("received_at", "pk"))  # fmt: skip
    files["receipts.csv"] = _csv(
        ["Supplier", "Version", "Status", "Received at (UTC)", "SHA-256 of the sealed content",
         "Withdrawn at (UTC)"],
        ([r.supplier_name, r.version, r.get_status_display(), _iso(r.received_at),
          r.content_sha256, _iso(r.withdrawn_at)] for r in receipts),
    )  # fmt: skip
    if not s.is_sealed:
        opened = procurement_selectors.opened_responses(s)
        opening = {"opened_at": _iso(s.opened_at), "responses": [
            {"supplier": r.supplier_name, "version": r.version, "sha256": r.content_sha256,
             "responsive": r.responsive, "nonresponsive_reasons": r.nonresponsive_reasons,
             "acknowledged_addenda": (r.opened_content or {}).get("acknowledged_addenda", []),
             "attestations": (r.opened_content or {}).get("attestations", [])}
            for r in opened]}  # fmt: skip
        files["opening.json"] = (json.dumps(opening, indent=2, ensure_ascii=False) + "\n").encode()
        tab = procurement_selectors.tabulation_for(s)
        if tab is not None:
            header, rows = procurement_selectors.tabulation_rows(
                tab, procurement_selectors.unopened_responses(s),
                procurement_selectors.public_awards(s.agency).filter(solicitation=s).first(),
            )  # fmt: skip
            files["tabulation.csv"] = _csv(header, rows)
    files["audit-events.csv"] = _csv(EVENT_HEADER, event_rows(solicitation_events(s)))
    return _zip(files)
