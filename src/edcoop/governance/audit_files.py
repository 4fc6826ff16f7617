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

from edcoop.core.job_kinds import AUDIT_VERIFY
from edcoop.core.models import AuditEvent, Job
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
    """What vouches for a period's events: the agency's latest chain verification and the
    first checkpoint taken after the period's last event (else the latest one)."""

    agency: str
    since: str
    until: str
    events: int
    first_seq: int | None
    last_seq: int | None
    verified_at: str | None = None
    verification: str = "never verified"
    verification_problems: list[str] = field(default_factory=list)
    verification_covers_period: bool = False
    checkpoint_seq: int | None = None
    checkpoint_hash: str = ""
    checkpoint_at: str | None = None
    checkpoint_file: str = ""
    checkpoint_covers_period: bool = False

    @property
    def summary(self) -> list[tuple[str, str]]:
        """The verification as label/value rows (the workbook's sheet, the page)."""
        covered = "yes" if self.checkpoint_covers_period else "no"
        return [
            ("Agency", self.agency), ("Period", f"{self.since} to {self.until}"),
            ("Events in the period", str(self.events)),
            ("First and last event", f"#{self.first_seq} to #{self.last_seq}"
             if self.first_seq else "none"),
            ("Latest verification of the chain", self.verified_at or "never"),
            ("Its result", self.verification),
            ("It covers the whole period", "yes" if self.verification_covers_period else "no"),
            ("Checkpoint", f"#{self.checkpoint_seq} ({self.checkpoint_file})"
             if self.checkpoint_seq else "none taken yet"),
            ("Checkpoint fingerprint", self.checkpoint_hash),
            ("Checkpoint taken at", self.checkpoint_at or ""),
            ("Checkpoint covers every event of the period", covered),
        ]  # fmt: skip


def verification_for(agency: Agency, since: date, until: date) -> Verification:
    events = period_events(agency, since, until)
    seqs = list(events.values_list("seq", flat=True))
    out = Verification(agency=agency.name, since=since.isoformat(), until=until.isoformat(),
                       events=len(seqs), first_seq=seqs[0] if seqs else None,
                       last_seq=seqs[-1] if seqs else None)  # fmt: skip
    job = (Job.objects.filter(kind=AUDIT_VERIFY, agency_id=agency.pk,
                              status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED])
           .order_by("-finished_at", "-pk").first())  # fmt: skip
    if job is not None and job.finished_at is not None:
        out.verified_at = job.finished_at.astimezone(UTC).isoformat(timespec="seconds")
        if job.status == Job.Status.SUCCEEDED:
            out.verification = "intact: every hash and link checks out"
        else:
            out.verification = f"FAILED: {job.error}"
            out.verification_problems = [str(p) for p in job.result.get("details", [])][:50]
        # A verification covers the events that existed when it started.
        last_at = events.last().at if seqs else None  # type: ignore[union-attr]
        out.verification_covers_period = last_at is None or (
            job.started_at is not None and job.started_at >= last_at
        )
    marks = AuditEvent.objects.filter(action="audit.checkpoint").order_by("seq")
    chosen = None
    for mark in marks.iterator():
        chosen = mark
        if out.last_seq is None or int(mark.changes.get("seq", 0)) >= out.last_seq:
            break
    if chosen is not None:
        out.checkpoint_seq = int(chosen.changes.get("seq", 0))
        out.checkpoint_hash = str(chosen.changes.get("hash", ""))
        out.checkpoint_file = str(chosen.changes.get("file", ""))
        out.checkpoint_at = chosen.at.astimezone(UTC).isoformat(timespec="seconds")
        out.checkpoint_covers_period = out.last_seq is None or out.checkpoint_seq >= out.last_seq
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


def audit_trail_zip(agency: Agency, since: date, until: date) -> bytes:
    """``events.csv``, ``verification.json`` and, when kept, the checkpoint file."""
    verification = verification_for(agency, since, until)
    files = {
        "events.csv": _csv(EVENT_HEADER, event_rows(period_events(agency, since, until))),
        "verification.json": (json.dumps(asdict(verification), indent=2) + "\n").encode(),
    }
    signed = checkpoint_file(verification)
    if signed is not None:
        files[Path(verification.checkpoint_file).name] = signed
    return _zip(files)


def audit_trail_xlsx(agency: Agency, since: date, until: date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    verification = verification_for(agency, since, until)
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
