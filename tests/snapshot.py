"""Whole-database snapshots for the tests: the test database's contents taken once and put
back, exactly, before each test that starts from them.

The demo installation costs about a minute to build through the services; the tests that
start from it (``demo_db`` in tests/conftest.py) build it once per session and get the
built database back before each test, so nothing one test writes reaches another.

- SQLite (the suite's in-memory database): SQLite's backup API copies every page, schema
  and triggers included, into a private in-memory database, and back.
- PostgreSQL: every table of the schema but ``django_migrations`` is copied out with
  ``COPY ... TO STDOUT`` into memory; putting it back truncates them all and copies the rows
  in, with triggers and foreign-key checks off for that transaction
  (``session_replication_role = replica``, as a table owner or superuser can: the suite
  connects as one), then sets every sequence back where it was, but django_migrations'
  (its rows are never taken nor put back, so a migration test recording a migration after a
  restore must not be handed an id already used).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db import connection, transaction


class Snapshot:
    def restore(self) -> None:
        raise NotImplementedError

    def _after_restore(self) -> None:
        # Content types are cached per process by id; the rows put back have the ids they
        # had when taken, not those the last flush's post_migrate gave them.
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()


def take() -> Snapshot:
    """The default database's contents now (call outside any transaction)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return _SQLite()
    if connection.vendor == "postgresql":
        return _Postgres()
    raise NotImplementedError(f"no snapshot for {connection.vendor}")


class _SQLite(Snapshot):
    def __init__(self) -> None:
        self.copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(self.copy)

    def restore(self) -> None:
        connection.ensure_connection()
        self.copy.backup(connection.connection)
        self._after_restore()


_TABLES = """
SELECT c.relname::text,
       array_agg(quote_ident(a.attname::text) ORDER BY a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attgenerated = ''
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND c.relname <> 'django_migrations'
GROUP BY c.relname
ORDER BY c.relname
"""
_SEQUENCES = """
SELECT quote_ident(schemaname::text) || '.' || quote_ident(sequencename::text), last_value
FROM pg_sequences WHERE schemaname = current_schema()
  AND sequencename <> 'django_migrations_id_seq'
"""


class _Postgres(Snapshot):
    def __init__(self) -> None:
        self.tables: list[tuple[str, str, bytes]] = []
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_TABLES)
            names = cursor.fetchall()
            raw: Any = cursor.cursor
            for name, columns in names:
                table, cols = connection.ops.quote_name(name), ", ".join(columns)
                data = bytearray()
                with raw.copy(f"COPY {table} ({cols}) TO STDOUT") as copy:
                    for block in copy:
                        data += block
                self.tables.append((table, cols, bytes(data)))
            cursor.execute(_SEQUENCES)
            self.sequences: list[tuple[str, int | None]] = cursor.fetchall()

    def restore(self) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("TRUNCATE " + ", ".join(table for table, _, _ in self.tables))
            raw: Any = cursor.cursor
            for table, cols, data in self.tables:
                if data:
                    with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        copy.write(data)
            for sequence, last in self.sequences:
                cursor.execute(
                    "SELECT setval(%s, %s, %s)", [sequence, 1 if last is None else last,
                                                  last is not None]
                )
        self._after_restore()
