"""The database a benchmark runs on: one copy of "SQLite under var/ or DATABASE_URL, made
empty, migrated" for every script in bench/ (not a test).

    import _database               # bench/ is the script's own directory, first on sys.path

    _database.use("catalog")       # at import: DATABASE_URL, else var/bench-catalog.sqlite3
    ...
    _database.fresh()              # in main or a phase: empty, migrated, Django set up

A fresh database is made the same way on both engines, so a run never inherits rows from the
last one: SQLite's file is deleted; PostgreSQL's database is dropped (its other sessions
ended) and created again, so a ``DATABASE_URL`` naming a database that does not exist yet
is made rather than failing, and the rows the migrations load (the shipped compliance rules)
are there as on a new installation, which ``flush`` used to empty. That needs a role that
may create databases (``postgres`` here); point ``DATABASE_URL`` only at a database whose
contents may go.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use(name: str) -> str:
    """Point Django at the bench's database before ``django.setup()``: ``DATABASE_URL`` when
    it is set, else ``var/bench-NAME.sqlite3``. Returns the URL."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edcoop.settings")
    default = f"sqlite:///{ROOT / 'var' / f'bench-{name}.sqlite3'}"
    return os.environ.setdefault("DATABASE_URL", default)


def fresh() -> str:
    """Set Django up on an empty database of the latest schema; returns the vendor."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(settings["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        # A journal or WAL left by a killed run must not meet the new file.
        for suffix in ("", "-journal", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    elif connection.vendor == "postgresql":
        name = connection.ops.quote_name(settings["NAME"])
        # The server's maintenance database, as Django's own test runner reaches it to create
        # the test database; DROP and CREATE DATABASE run outside a transaction (autocommit).
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name}")
    else:
        raise SystemExit(f"the benchmarks run on SQLite or PostgreSQL, not {connection.vendor}")
    call_command("migrate", verbosity=0)
    return connection.vendor


def agency_with_districts(members: int):
    """The agency the billing and governance benches load: a NY BOCES named ``bench`` with
    ``members`` public K-12 districts (bulk-created, in name order). Returns (agency,
    institutions)."""
    from edcoop.members.models import Agency, Institution

    agency = Agency.objects.create(slug="bench", name="Bench BOCES", kind="regional", state="NY")
    institutions = Institution.objects.bulk_create(
        Institution(agency=agency, name=f"District {i:05d}", kind="public_k12", state="NY")
        for i in range(members)
    )
    return agency, institutions
