"""The audit trail: every write recorded, the chain verifiable, the table append-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from edcoop.core import audit, guards
from edcoop.core.models import AuditEvent
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
