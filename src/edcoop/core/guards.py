"""Database-level guards: triggers that refuse what no code path may do, for anyone who
reaches the database without going through EdCoop (raw SQL, ``QuerySet.update``, a shell).

The audit table is append-only (this module's own triggers); other apps describe theirs as
``Rule`` rows and register them (``register``, from their ``AppConfig.ready``), e.g.
``billing.guards``. Migrations install them, and every ``migrate`` installs them all again
afterwards (``reinstall_all``, on ``post_migrate``): on SQLite a migration that rebuilds a
table drops that table's triggers with it.

The one sanctioned way round them is ``lifted`` -- ``edcoop flush`` emptying a development
or test database -- which is refused in production. On PostgreSQL only the tables' owner
(or a superuser) can drop or skip triggers, so the application's role must not own its
tables (docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "core_auditevent"
MESSAGE = "the audit trail is append-only"


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{op.lower()} "
                    f"BEFORE {op} ON {TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
                )
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP;
                END;
                $$ LANGUAGE plpgsql;
                """
            )
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
                f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse();"
            )
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse();"
            )


def remove(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for op in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{op}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")


# Other apps' guards, as rules ------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One trigger: refuse ``event`` on ``table`` (for rows where ``condition`` holds).

    ``event`` is INSERT, UPDATE or DELETE (row level; ``condition`` may use ``OLD``/``NEW``
    as the event allows), or TRUNCATE (PostgreSQL only, statement level, no condition).
    The refusal is an integrity error (SQLSTATE 23000) carrying ``message``.
    """

    name: str
    table: str
    event: str
    message: str
    condition: str = ""


def install_rules(connection: BaseDatabaseWrapper, rules: Sequence[Rule]) -> None:
    with connection.cursor() as cursor:
        for r in rules:
            if connection.vendor == "sqlite":
                if r.event == "TRUNCATE":
                    continue  # SQLite has no TRUNCATE; its DELETE rule covers it
                when = f"WHEN {r.condition} " if r.condition else ""
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {r.name} BEFORE {r.event} ON {r.table} "
                    f"FOR EACH ROW {when}BEGIN SELECT RAISE(ABORT, '{r.message}'); END;"
                )
            elif connection.vendor == "postgresql":
                test = r.condition or "TRUE"
                cursor.execute(
                    f"""
                    CREATE OR REPLACE FUNCTION {r.name}_refuse() RETURNS trigger AS $$
                    BEGIN
                        IF {test} THEN
                            RAISE EXCEPTION '{r.message}' USING ERRCODE = '23000';
                        END IF;
                        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                        RETURN NEW;
                    END;
                    $$ LANGUAGE plpgsql;
                    """
                )
                level = "STATEMENT" if r.event == "TRUNCATE" else "ROW"
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {r.name} BEFORE {r.event} ON {r.table} "
                    f"FOR EACH {level} EXECUTE FUNCTION {r.name}_refuse();"
                )


def remove_rules(connection: BaseDatabaseWrapper, rules: Sequence[Rule]) -> None:
    with connection.cursor() as cursor:
        for r in rules:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {r.name}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {r.name} ON {r.table}")


# The registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardSet:
    tables: tuple[str, ...]
    install: Callable[[BaseDatabaseWrapper], None]
    remove: Callable[[BaseDatabaseWrapper], None]


_SETS: dict[str, GuardSet] = {"core": GuardSet((TABLE,), install, remove)}


def register(name: str, rules: Sequence[Rule]) -> None:
    """Register an app's rules: installed after every migrate, lifted only by ``lifted``."""
    frozen = tuple(rules)
    _SETS[name] = GuardSet(
        tuple(sorted({r.table for r in frozen})),
        lambda connection: install_rules(connection, frozen),
        lambda connection: remove_rules(connection, frozen),
    )


def reinstall_all(connection: BaseDatabaseWrapper) -> None:
    """Install every registered guard whose tables exist (idempotent)."""
    existing = set(connection.introspection.table_names())
    for guard in _SETS.values():
        if set(guard.tables) <= existing:
            guard.install(connection)


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Every guard removed for the block, and put back after it, whatever happens."""
    existing = set(connection.introspection.table_names())
    guards = [g for g in _SETS.values() if set(g.tables) <= existing]
    for guard in guards:
        guard.remove(connection)
    try:
        yield
    finally:
        for guard in guards:
            guard.install(connection)


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: put back any guard a migration's table rebuild dropped."""
    from django.db import connections

    reinstall_all(connections[using])
