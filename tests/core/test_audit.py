"""The audit trail: every write recorded, the chain verifiable, the table append-only."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from edcoop.billing.models import Payment
from edcoop.core import audit, auditkeys, guards
from edcoop.core.models import AuditEvent, AuditHead
from edcoop.members import services


def _tamper(sql: str, params: list[object]) -> None:
    """Change the table behind the product's back, as someone with database access could."""
    guards.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        guards.install(connection)


def test_a_write_records_who_what_and_the_changed_fields(north):
    admin = north.users["business_office"]
    membership = north.institution.membership
    with audit.acting_as(audit.actor_for_user(admin, source="web", ip="203.0.113.9")):
        services.membership_update(user=admin, membership=membership, component=True)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "membership.update"
    assert event.actor_label == "north-business_office"
    assert event.actor_id == admin.pk
    assert event.ip == "203.0.113.9"
    assert event.source == "web"
    assert event.agency_id == north.agency.pk
    assert event.changes == {"component": [False, True]}


def test_intact_chain_verifies_and_the_command_says_so(north, capsys):
    assert audit.verify() == []
    call_command("audit", "verify")
    assert "audit trail intact" in capsys.readouterr().out


def test_edited_row_is_named_as_the_first_bad_event(north):
    target = AuditEvent.objects.order_by("seq")[3]
    _tamper(
        "UPDATE core_auditevent SET object_label = %s WHERE seq = %s", ["forged", target.seq]
    )
    problems = audit.verify()
    assert problems[0].seq == target.seq
    assert "edited" in problems[0].reason
    with pytest.raises(CommandError, match=f"broken at event #{target.seq}") as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode == 1


def test_edited_row_with_a_recomputed_hash_still_breaks_the_next_link(north):
    events = list(AuditEvent.objects.order_by("seq")[:6])
    forged = events[4]
    forged.action = "forged.action"
    forged.hash = audit.compute_hash(forged)
    _tamper(
        "UPDATE core_auditevent SET action = %s, hash = %s WHERE seq = %s",
        [forged.action, forged.hash, forged.seq],
    )
    problems = audit.verify()
    assert problems[0].seq == events[5].seq
    assert "link" in problems[0].reason


def test_deleted_row_is_caught(north):
    target = AuditEvent.objects.order_by("seq")[5]
    _tamper("DELETE FROM core_auditevent WHERE seq = %s", [target.seq])
    problems = audit.verify()
    assert problems[0].seq == target.seq
    assert "missing" in problems[0].reason


def test_deleting_the_newest_rows_is_caught_by_the_chain_head(north):
    last = AuditEvent.objects.order_by("-seq").first()
    _tamper("DELETE FROM core_auditevent WHERE seq >= %s", [last.seq - 1])
    problems = audit.verify()
    assert problems[0].seq == last.seq - 1
    assert "missing" in problems[0].reason


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET action = 'x'",
        "DELETE FROM core_auditevent",
    ],
)
def test_database_refuses_update_and_delete(north, sql):
    before = AuditEvent.objects.count()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.count() == before
    assert audit.verify() == []


def test_tax_id_never_reaches_the_audit_trail(north):
    supplier = north.supplier
    assert supplier.tax_id == "15-1234567"
    services.supplier_update(
        user=north.users["agency_admin"], supplier=supplier, tax_id="98-7654321"
    )
    texts = [str(e.changes) + e.object_label for e in AuditEvent.objects.all()]
    assert not any("98-7654321" in t or "15-1234567" in t for t in texts)
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.changes == {"tax_id": ["[redacted]", "[redacted]"]}


def test_a_failed_write_leaves_no_audit_event(north):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.membership_year_set(
            user=north.users["agency_admin"],
            membership=north.institution.membership,
            fiscal_year=2027,
            aid_ratio=Decimal("1.5"),
        )
    assert "aid_ratio" in excinfo.value.message_dict
    assert AuditEvent.objects.count() == before


# Keyed hashes: the chain cannot be rebuilt without the audit key --------------------------


def _payment(north):
    from datetime import date

    from edcoop.billing.ledger import payment_record

    return payment_record(user=north.users["business_office"], institution=north.institution,
                          amount=Decimal("250.00"), received_on=date(2026, 9, 20),
                          reference="CHK 1001")  # fmt: skip


def _plain_sha256(event):
    return hashlib.sha256((event.prev_hash + audit._content(event)).encode()).hexdigest()


@pytest.mark.parametrize(
    "downgrade", ["keep version", "claim unkeyed", "claim unkeyed, forge head"]
)
def test_a_chain_rebuilt_without_the_key_does_not_verify(
    north, owner_bypass, rebuild_chain, downgrade
):
    payment = _payment(north)
    victim = AuditEvent.objects.order_by("seq")[3].seq

    def edit(event):
        if event.action == "payment.record" and event.object_id == str(payment.pk):
            event.changes = {**event.changes, "amount": [None, "25.00"]}
        if downgrade != "keep version":
            event.hash_version, event.key_id = AuditEvent.LEGACY, ""

    with owner_bypass():
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("25.00"))
    def forge(head):
        if "forge" in downgrade:
            head.legacy_seq = head.last_seq

    rebuild_chain(delete_seq=victim, edit=edit, rehash=_plain_sha256, head=forge)

    problems = audit.verify()
    assert problems, "a chain re-hashed with plain SHA-256 passed as intact"
    assert problems[0].seq == 1  # every event is now suspect, the first one included
    with pytest.raises(CommandError, match="audit trail broken at event #1") as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode == 1


def test_the_same_rebuild_with_the_key_passes_the_chain_so_the_key_is_what_stops_it(
    north, rebuild_chain
):
    # The control for the attack above: the only thing the attacker lacked was the key.
    _payment(north)
    victim = AuditEvent.objects.order_by("seq")[3].seq
    rebuild_chain(delete_seq=victim, rehash=audit.compute_hash, head=audit.sign_head)
    assert audit.verify() == []


def test_new_events_are_keyed_with_the_first_key_and_older_keys_still_verify(north, settings):
    first = AuditEvent.objects.order_by("-seq").first()
    assert first.hash_version == AuditEvent.KEYED
    assert first.key_id == auditkeys.signing_key().id
    old_key = settings.EDCOOP_AUDIT_KEY
    settings.EDCOOP_AUDIT_KEY = "a-brand-new-key-after-rotation-0123456789," + old_key
    services.membership_update(user=north.users["agency_admin"],
                               membership=north.institution.membership, component=True)  # fmt: skip
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest.key_id != first.key_id
    assert audit.verify() == []
    # Without the key that keyed the older events, they cannot be vouched for.
    settings.EDCOOP_AUDIT_KEY = "a-brand-new-key-after-rotation-0123456789"
    problems = audit.verify()
    assert problems and "does not hold" in problems[0].reason


def test_the_chain_head_cannot_be_moved_without_the_key(north, owner_bypass):
    last = AuditEvent.objects.order_by("-seq").first()
    with owner_bypass(), transaction.atomic():
        AuditEvent.objects.filter(seq=last.seq).delete()
        AuditHead.objects.filter(pk=1).update(last_seq=last.seq - 1, last_hash=last.prev_hash)
    problems = audit.verify()
    assert [p.reason for p in problems] == [
        "chain head's signature does not verify (changed without the audit key)"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_chain_written_before_keying_still_verifies_and_cannot_be_extended_unkeyed():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_jobs")])
    old = executor.loader.project_state([("core", "0003_jobs")]).apps
    OldEvent, OldHead = old.get_model("core", "AuditEvent"), old.get_model("core", "AuditHead")
    prev = audit.GENESIS
    for seq in range(1, 4):
        event = AuditEvent(seq=seq, at=datetime(2026, 1, seq, tzinfo=UTC), actor_label="cli",
                           source="cli", action="legacy.write", object_label=f"row {seq}",
                           changes={"n": [None, seq]}, prev_hash=prev,
                           hash_version=AuditEvent.LEGACY)  # fmt: skip
        event.hash = _plain_sha256(event)
        fields = {f.name: getattr(event, f.name) for f in OldEvent._meta.concrete_fields
                  if f.name != "id"}  # fmt: skip
        OldEvent.objects.create(**fields)
        prev = event.hash
    OldHead.objects.create(pk=1, last_seq=3, last_hash=prev)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert AuditHead.objects.get(pk=1).legacy_seq == 3
    audit.record("after.keying", label="first keyed event")
    report = audit.verify_chain()
    assert report.problems == []
    assert (report.events, report.keyed, report.legacy) == (4, 1, 3)
    # The triggers survived the table rebuild.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()


# The command: per agency, and one line when it cannot check -------------------------------


def test_verify_reports_each_agency_and_an_agency_sees_only_its_own(north, nation, capsys):
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "north: " in out and "nation: " in out
    north_events = AuditEvent.objects.filter(agency_id=north.agency.pk).count()
    call_command("audit", "verify", "--agency", "north")
    out = capsys.readouterr().out
    assert f"north: {north_events} events" in out
    assert "nation" not in out and "installation-wide" not in out


def test_verify_with_an_unknown_agency_is_one_line_and_exit_2(north):
    with pytest.raises(CommandError, match="no agency with slug 'nowhere'") as excinfo:
        call_command("audit", "verify", "--agency", "nowhere")
    assert excinfo.value.returncode == 2


@pytest.mark.parametrize(
    "url", ["postgresql://nobody@127.0.0.1:9/edcoop", "sqlite:////nonexistent/dir/edcoop.sqlite3"]
)
def test_verify_without_a_database_prints_one_line_and_no_traceback(tmp_path, url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDCOOP_", "DATABASE_"))}
    env.update({"DATABASE_URL": url, "EDCOOP_VAR_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "edcoop.settings"})  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "edcoop.cli", "audit", "verify"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: cannot read the database")
