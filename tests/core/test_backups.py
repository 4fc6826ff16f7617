"""A backup restores to the very records it was taken from, and the audit trail verifies
before and after (SQLite's backup API always; pg_dump/pg_restore on PostgreSQL)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from tests.procurement.conftest import bid, clock, offer  # noqa: F401 (fixtures)

from edcoop.core import audit, backups, integrity
from edcoop.members.models import Supplier
from edcoop.members.services import supplier_register
from edcoop.procurement import responses


def _verified() -> tuple[int, list[str]]:
    report = integrity.verify()
    return report.chain.events, report.all_problems()


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_gives_back_the_same_records_and_a_verified_trail(
    tmp_path: Path,
    north: Any,
    bid: Any,  # noqa: F811
) -> None:
    if connection.vendor == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (postgresql-client)")
    prices = {"1.01": "30", "1.02": "50", "2.01": "0.3"}
    responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                              supplier=north.supplier, data=offer(bid, prices))  # fmt: skip
    counts, (events, problems) = backups.record_counts(), _verified()
    assert problems == [] and events > 5

    target = tmp_path / "edcoop.backup"
    call_command("backup", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    # Life goes on after the backup: a registration, its audit events.
    supplier_register(agency=north.agency, legal_name="Later Paper Co", tax_id="33-1234567")
    assert backups.record_counts() != counts

    call_command("restore", str(target), yes=True)
    assert backups.record_counts() == counts
    assert not Supplier.objects.filter(legal_name="Later Paper Co").exists()
    assert _verified() == (events, [])
    # The restored trail goes on: the next event links to the restored head.
    audit.record("test.after_restore", label="written after the restore")
    assert _verified() == (events + 1, [])


@pytest.mark.django_db
def test_restore_refuses_without_yes_and_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("not a database")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(other))
    with pytest.raises(CommandError, match="not an EdCoop backup"):
        call_command("restore", str(other), yes=True)
    with pytest.raises(CommandError, match="No such file"):
        call_command("restore", str(tmp_path / "missing"), yes=True)


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path: Path) -> None:
    other_kind = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    forged = tmp_path / "other.backup"
    forged.write_bytes(backups.SQLITE_MAGIC if other_kind == "sqlite" else b"PGDMP\x01\x0f")
    with pytest.raises(CommandError, match=f"is a {other_kind} backup"):
        call_command("restore", str(forged), yes=True)
