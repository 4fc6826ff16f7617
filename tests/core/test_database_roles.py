"""On PostgreSQL the application runs as a role that does not own its tables, so it cannot
drop, disable or skip the triggers that keep the audit trail and issued documents as they
were written (docs/deploy.md, "The database roles").

This test builds that setup from scratch with the statements docs/deploy.md gives: an owner
role that migrates a fresh database, an application role with the documented grants. Then it
works as the application and attacks as it. The rest of the suite runs as a superuser (it
must create its test database and play the owner in the attack tests), so this is the test
that shows the split holds; CI's PostgreSQL run sets EDCOOP_PG_ROLE_TEST=required, which
turns a skip into a failure.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

if not ON_POSTGRESQL:
    if os.environ.get("EDCOOP_PG_ROLE_TEST") == "required":
        raise RuntimeError("EDCOOP_PG_ROLE_TEST=required but the suite is not on PostgreSQL")
    pytest.skip("PostgreSQL only: roles and triggers", allow_module_level=True)

psycopg = pytest.importorskip("psycopg")
errors = psycopg.errors


def _sql_block(marker: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(rf"<!-- roles-sql:{marker} -->\s*```sql\n(.*?)```", text, re.S)
    assert found, f"docs/deploy.md has no roles-sql:{marker} block"
    return found.group(1)


def _statements(block: str, names: dict[str, str]) -> list[str]:
    for placeholder, real in names.items():
        block = re.sub(rf"\b{placeholder}\b", real, block)
    return [s.strip() for s in block.split(";") if s.strip()]


def _url(user: str, password: str, dbname: str) -> str:
    db = settings.DATABASES["default"]
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}"


def _admin_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    return _url(db["USER"], db.get("PASSWORD") or "", dbname)


def _python(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Python with EdCoop's settings, connected as the role of ``url``."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "edcoop.settings",
           "EDCOOP_VAR_DIR": str(tmp_path)}  # fmt: skip
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=600
    )


def _edcoop(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _python(url, tmp_path, "-m", "edcoop.cli", *args)


WORK_AS_THE_APP = """
import django; django.setup()
from datetime import date
from decimal import Decimal
from django.contrib.auth import get_user_model
from edcoop.billing.ledger import payment_record
from edcoop.members import services
from edcoop.members.models import Institution, Role
agency = services.agency_create(slug="roles", name="Roles BOCES", kind="regional", state="NY",
                                time_zone="America/New_York")
m = services.membership_apply(agency=agency, application=services.Application(
    name="Roles District", kind=Institution.Kind.PUBLIC_K12, state="NY", contact_email=""))
clerk = get_user_model().objects.create_user(username="clerk", email="clerk@example.org")
services.role_assign(user=None, agency=agency, person=clerk, role=Role.BUSINESS_OFFICE)
payment_record(user=clerk, institution=m.institution, amount=Decimal("10.00"),
               received_on=date(2026, 9, 1))
"""


@pytest.fixture
def roles(tmp_path: Path) -> Iterator[dict[str, Any]]:
    tag = f"edcoop_t{secrets.token_hex(4)}"
    names = {"edcoop_owner": f"{tag}_owner", "edcoop_app": f"{tag}_app", "edcoop": tag}
    passwords = {"OWNER-PASSWORD": secrets.token_hex(12), "APP-PASSWORD": secrets.token_hex(12)}
    admin = psycopg.connect(_admin_url("postgres"), autocommit=True)
    try:
        block = _sql_block("superuser")
        for placeholder, password in passwords.items():
            block = block.replace(placeholder, password)
        for statement in _statements(block, names):
            admin.execute(statement)
        yield {
            "owner_url": _url(names["edcoop_owner"], passwords["OWNER-PASSWORD"], tag),
            "app_url": _url(names["edcoop_app"], passwords["APP-PASSWORD"], tag),
            "names": names,
            "tmp": tmp_path,
        }
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {tag} WITH (FORCE)")
        for role in (names["edcoop_app"], names["edcoop_owner"]):
            admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.close()


def _refused(conn: Any, statement: str, error: type[Exception], match: str | None = None) -> None:
    with pytest.raises(error, match=match), conn.transaction():
        conn.execute(statement)


def test_the_application_role_cannot_get_round_the_triggers(roles):
    with psycopg.connect(roles["owner_url"], autocommit=True) as owner:
        for statement in _statements(_sql_block("owner"), roles["names"]):
            owner.execute(statement)
    migrated = _edcoop(roles["owner_url"], roles["tmp"], "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr

    # The application works as the application role: writes, audit events, a checkpoint.
    worked = _python(roles["app_url"], roles["tmp"], "-c", WORK_AS_THE_APP)
    assert worked.returncode == 0, worked.stderr
    checkpoint = _edcoop(roles["app_url"], roles["tmp"], "audit", "checkpoint", "--no-mail")
    assert checkpoint.returncode == 0, checkpoint.stderr

    with psycopg.connect(roles["app_url"], autocommit=True) as app:
        app_role = roles["names"]["edcoop_app"]
        row = app.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role]).fetchone()
        assert row == (False,)
        owner_row = app.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'core_auditevent'"
        ).fetchone()
        assert owner_row == (roles["names"]["edcoop_owner"],)
        denied = errors.InsufficientPrivilege
        # Skipping or removing the triggers needs the owner or a superuser.
        _refused(app, "SET session_replication_role = replica", denied)
        for table in ("core_auditevent", "billing_payment", "billing_invoiceline"):
            _refused(app, f"ALTER TABLE {table} DISABLE TRIGGER ALL", denied, "owner")
        _refused(app, "DROP TRIGGER core_auditevent_no_change ON core_auditevent", denied)
        _refused(app, "DROP FUNCTION core_auditevent_refuse() CASCADE", denied)
        _refused(app, "TRUNCATE core_auditevent", denied)
        _refused(app, "CREATE TABLE escape_hatch (i int)", denied)
        _refused(app, f"SET ROLE {roles['names']['edcoop_owner']}", denied)
        # And the triggers refuse the application role itself.
        _refused(app, "DELETE FROM core_auditevent", errors.RaiseException, "append-only")
        _refused(app, "UPDATE core_auditevent SET action = 'forged'", errors.RaiseException)
        _refused(app, "DELETE FROM billing_payment", errors.IntegrityConstraintViolation,
                 "a payment cannot be deleted")  # fmt: skip
        _refused(app, "UPDATE billing_payment SET amount = 1", errors.IntegrityConstraintViolation)
        events = app.execute("SELECT count(*) FROM core_auditevent").fetchone()
        assert events is not None and events[0] > 0

    verified = _edcoop(roles["app_url"], roles["tmp"], "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "roles: " in verified.stdout and "1 payment" in verified.stdout
