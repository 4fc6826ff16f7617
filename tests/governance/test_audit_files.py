"""Audit support: the trail of a period with what vouches for it, and the procurement file
of a solicitation, which never holds anything sealed before the opening."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from tests.procurement.conftest import OPENING, offer

from edcoop.core import audit, checkpoints
from edcoop.governance import audit_files
from edcoop.procurement import opening, publication, questions, responses
from edcoop.procurement.models import Response

pytestmark = pytest.mark.django_db

PRICE = "31.4159"  # a unit price no other figure in the file could show


def _submit(north: Any, s: Any) -> Any:
    return responses.response_submit(
        user=north.users["supplier_rep"], solicitation=s, supplier=north.supplier,
        data=offer(s, {"1.01": PRICE, "1.02": "40.00", "2.01": "0.29"}),
    )  # fmt: skip


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _everything(files: dict[str, bytes]) -> bytes:
    return b"\n".join(files.values())


def test_procurement_file_before_the_opening_holds_receipts_only(north, bid, clock):
    q = questions.question_ask(user=north.users["supplier_rep"], solicitation=bid,
                               supplier=north.supplier, text="Is 96 bright OK?")  # fmt: skip
    questions.question_answer(user=north.users["procurement_officer"], question=q,
                              answer="Yes.", public_text="Is 96 brightness accepted?")  # fmt: skip
    publication.addendum_issue(user=north.users["procurement_officer"], solicitation=bid,
                               title="Delivery", body="Tuesdays only.")  # fmt: skip
    _submit(north, bid)
    response = Response.objects.get(is_current=True)
    files = _files(audit_files.procurement_file(bid))
    assert {"solicitation.json", "documents.json", "addenda.json", "questions.json",
            "receipts.csv", "audit-events.csv", "manifest.json"} <= set(files)  # fmt: skip
    assert "opening.json" not in files and "tabulation.csv" not in files
    everything = _everything(files)
    assert PRICE.encode() not in everything  # no price leaves before the opening
    assert bytes(response.sealed)[:40] not in everything  # nor the ciphertext
    assert response.content_sha256.encode() in files["receipts.csv"]
    assert json.loads(files["addenda.json"])[0]["title"] == "Delivery"
    assert json.loads(files["questions.json"])[0]["answer"] == "Yes."
    events = list(csv.reader(io.StringIO(files["audit-events.csv"].decode("utf-8-sig"))))
    actions = {row[5] for row in events[1:]}
    assert {"solicitation.create", "addendum.issue", "question.ask", "response.submit"} <= actions
    # The manifest holds each file's hash.
    import hashlib

    manifest = json.loads(files["manifest.json"])
    assert manifest["receipts.csv"] == hashlib.sha256(files["receipts.csv"]).hexdigest()


def test_procurement_file_after_the_opening_holds_the_tabulation(north, bid, clock):
    _submit(north, bid)
    clock.set(OPENING)
    opening.solicitation_open(user=north.users["procurement_officer"], solicitation=bid)
    bid.refresh_from_db()
    files = _files(audit_files.procurement_file(bid))
    assert PRICE.encode() in files["tabulation.csv"]
    assert json.loads(files["opening.json"])["responses"][0]["responsive"] is True
    events = files["audit-events.csv"].decode("utf-8-sig")
    assert "response.open" in events


def test_who_may_download_a_procurement_file(north, nation, bid, clock):
    url = f"/a/north/audit/solicitations/{bid.pk}/file.zip"
    auditor = Client()
    auditor.force_login(north.users["auditor"])
    got = auditor.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    for role in ("procurement_officer", "member_admin", "supplier_rep"):
        client = Client()
        client.force_login(north.users[role])
        assert client.get(url).status_code == 403, role
    outsider = Client()
    outsider.force_login(nation.users["auditor"])
    assert outsider.get(url).status_code == 404
    assert auditor.get("/a/north/audit/solicitations/999999/file.zip").status_code == 404
    assert Client().get(url).status_code == 302


def test_audit_trail_export_names_its_verification_and_checkpoint(north, tmp_path, settings):
    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    agency = north.agency
    today = date(2100, 1, 1)  # every event so far
    last = audit_files.period_events(agency, date(2000, 1, 1), today).last()
    assert last is not None
    before = audit_files.verification_for(agency, date(2000, 1, 1), today)
    assert before.checkpoint_seq is None and not before.checkpoint_covers_period
    taken = checkpoints.take(mail=False)
    after = audit_files.verification_for(agency, date(2000, 1, 1), today)
    assert after.checkpoint_seq == taken.checkpoint.seq >= last.seq
    assert after.checkpoint_covers_period and after.checkpoint_hash == taken.checkpoint.hash
    files = _files(audit_files.audit_trail_zip(agency, date(2000, 1, 1), today))
    assert taken.path.name in files  # the signed file itself, for the auditor to keep
    assert checkpoints.parse(json.loads(files[taken.path.name])).seq == taken.checkpoint.seq
    rows = list(csv.reader(io.StringIO(files["events.csv"].decode("utf-8-sig"))))
    assert rows[0][0] == "Seq" and int(rows[-1][0]) == last.seq
    # Every row links to the one before it within the export (a gapless agency stretch
    # shows prev_hash = previous hash only when no other agency wrote in between).
    assert all(len(r[11]) == 64 for r in rows[1:])
    book = load_workbook(io.BytesIO(audit_files.audit_trail_xlsx(agency, date(2000, 1, 1), today)))
    assert book.sheetnames == ["Verification", "Events"]
    facts = {r[0]: r[1] for r in book["Verification"].iter_rows(values_only=True)}
    assert facts["Checkpoint covers every event of the period"] == "yes"


def test_audit_export_page(north, nation):
    url = "/a/north/audit/export/"
    auditor = Client()
    auditor.force_login(north.users["auditor"])
    assert auditor.get(url).status_code == 200
    got = auditor.get(url, {"since": "2000-01-01", "until": "2100-01-01", "format": "xlsx"})
    assert got.status_code == 200 and got["Content-Disposition"].endswith('.xlsx"')
    bad = auditor.get(url, {"since": "2026-12-01", "until": "2026-11-01", "format": "xlsx"})
    assert bad.status_code == 200 and "on or after the first day" in bad.content.decode()
    edge = auditor.get(url, {"since": "0001-01-01", "until": "9999-12-31", "format": "zip"})
    assert edge.status_code == 200 and "between the years" in edge.content.decode()
    nonsense = auditor.get(url, {"since": "yesterday", "until": "", "format": "exe"})
    assert nonsense.status_code == 200 and "Enter a valid date" in nonsense.content.decode()
    # Another agency's events never appear in this agency's export.
    with audit.acting_as(audit.SYSTEM):
        audit.record("test.other", agency_id=nation.agency.pk, label="nation secret")
    zipped = auditor.get(url, {"since": "2000-01-01", "until": "2100-01-01", "format": "zip"})
    assert b"nation secret" not in _everything(_files(zipped.content))
    officer = Client()
    officer.force_login(north.users["procurement_officer"])
    assert officer.get(url).status_code == 403


# The export verifies its own period ---------------------------------------------------------


def _tamper(sql: str, params: list[object]) -> None:
    from django.db import connection

    from edcoop.core import guards

    guards.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        guards.install(connection)


def test_the_export_verifies_its_period_resting_on_the_signed_head_then_a_checkpoint(
    north, tmp_path, settings
):
    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    agency, everything = north.agency, (date(2000, 1, 1), date(2100, 1, 1))
    no_job = audit_files.verification_for(agency, *everything)  # no verification job was run
    assert no_job.verification.startswith("intact") and no_job.verification_covers_period
    assert no_job.rests_on.startswith("the signed chain head")
    assert no_job.walked_from == 1 and no_job.walked_to == no_job.last_seq
    taken = checkpoints.take(mail=False)
    pinned = audit_files.verification_for(agency, *everything)
    assert pinned.rests_on == f"the signed checkpoint #{taken.checkpoint.seq} ({taken.path.name})"
    assert pinned.verification.startswith("intact")
    facts = dict(pinned.summary)
    assert facts["It rests on"].startswith("the signed checkpoint")


def test_an_edited_event_of_the_period_fails_the_export(north, tmp_path, settings):
    from edcoop.core.models import AuditEvent

    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    agency = north.agency
    target = audit_files.period_events(agency, date(2000, 1, 1), date(2100, 1, 1)).last()
    checkpoints.take(mail=False)
    _tamper("UPDATE core_auditevent SET object_label = %s WHERE seq = %s", ["forged", target.seq])
    found = audit_files.verification_for(agency, date(2000, 1, 1), date(2100, 1, 1))
    assert found.verification.startswith("FAILED") and not found.verification_covers_period
    assert any(f"#{target.seq}" in p and "edited" in p for p in found.verification_problems)
    # A period before the edit, up to an earlier event, still walks to the checkpoint: failed.
    assert AuditEvent.objects.filter(seq=target.seq).exists()


def test_a_forged_checkpoint_file_fails_the_export(north, tmp_path, settings):
    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    taken = checkpoints.take(mail=False)
    body = json.loads(taken.path.read_text())
    body["hash"] = "0" * 64
    taken.path.write_text(json.dumps(body))
    found = audit_files.verification_for(north.agency, date(2000, 1, 1), date(2100, 1, 1))
    assert found.verification.startswith("FAILED")


def test_audit_export_command_writes_the_same_export(north, tmp_path, settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    out = tmp_path / "north.zip"
    printed = io.StringIO()
    call_command("audit", "export", "--agency", "north", "--from", "2000-01-01", "--to",
                 "2100-01-01", "--out", str(out), stdout=printed)  # fmt: skip
    files = _files(out.read_bytes())
    verification = json.loads(files["verification.json"])
    assert verification["verification"].startswith("intact")
    assert "verification: intact" in printed.getvalue()
    book = tmp_path / "north.xlsx"
    call_command("audit", "export", "--agency", "north", "--from", "2000-01-01", "--to",
                 "2100-01-01", "--out", str(book), stdout=io.StringIO())  # fmt: skip
    assert load_workbook(book).sheetnames == ["Verification", "Events"]
    for args, word in [
        (["--agency", "nowhere", "--from", "2026-01-01", "--to", "2026-02-01"], "--agency"),
        (["--agency", "north", "--from", "0001-13-01", "--to", "2026-02-01"], "--from"),
        (["--agency", "north", "--from", "2026-03-01", "--to", "2026-02-01"], "--to"),
        (["--agency", "north", "--from", "2026-01-01", "--to", "\x00"], "--to"),
    ]:
        with pytest.raises(CommandError) as err:
            call_command("audit", "export", *args, "--out", str(out))
        assert word in str(err.value) and err.value.returncode == 2
    with pytest.raises(CommandError) as err:
        call_command("audit", "export", "--agency", "north", "--from", "2026-01-01", "--to",
                     "2026-02-01", "--out", str(tmp_path / "x.txt"))  # fmt: skip
    assert "--out" in str(err.value)
    _tamper("UPDATE core_auditevent SET object_label = %s WHERE seq = %s", ["forged", 1])
    with pytest.raises(CommandError) as err:
        call_command("audit", "export", "--agency", "north", "--from", "2000-01-01", "--to",
                     "2100-01-01", "--out", str(out), stdout=io.StringIO())  # fmt: skip
    assert err.value.returncode == 1 and "does not verify" in str(err.value)


def test_the_trail_export_holds_exactly_the_days_asked_for_in_the_agencys_zone(
    north, tmp_path, settings
):
    """Both days included, counted in the agency's time zone: an event one second before the
    first day or at midnight after the last is not in the period; one at either edge is."""
    from datetime import datetime, time, timedelta

    import time_machine

    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    agency = north.agency
    zone = agency.zone
    first, last = date(2027, 3, 1), date(2027, 3, 31)
    moments = {
        "before the first day": datetime.combine(first, time.min, zone) - timedelta(seconds=1),
        "the first day's midnight": datetime.combine(first, time.min, zone),
        "the last day's last second": datetime.combine(last, time(23, 59, 59), zone),
        "midnight after the last day": datetime.combine(last + timedelta(days=1), time.min, zone),
    }
    for label, moment in moments.items():
        with time_machine.travel(moment, tick=False), audit.acting_as(audit.SYSTEM):
            audit.record("test.moment", agency_id=agency.pk, label=label)
    inside = {"the first day's midnight", "the last day's last second"}
    events = [e.object_label for e in audit_files.period_events(agency, first, last)]
    assert set(events) == inside
    files = _files(audit_files.audit_trail_zip(agency, first, last))
    rows = list(csv.reader(io.StringIO(files["events.csv"].decode("utf-8-sig"))))[1:]
    assert {r[8] for r in rows} == inside
    verification = json.loads(files["verification.json"])
    assert verification["verification"].startswith("intact")
    book = load_workbook(io.BytesIO(audit_files.audit_trail_xlsx(agency, first, last)))
    labels = {r[8] for r in book["Events"].iter_rows(min_row=2, values_only=True)}
    assert labels == inside
