"""Backups of the whole database, and restoring one (``edcoop backup`` / ``edcoop restore``).

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``
(so a restore that fails part-way changes nothing). SQLite: the online backup API, which
copies a consistent database while the server keeps running, in both directions. Keys are
never in a backup (settings; docs/deploy.md "Keys"): a restored database needs the same
EDCOOP_SEALING_KEY and EDCOOP_AUDIT_KEY, and ``edcoop audit verify`` proves it intact.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.apps import apps
from django.db import connection

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Why a backup or restore could not be done, in one line."""


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD")):  # fmt: skip
        if db.get(key):
            env[var] = str(db[key])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools of the server's "
            "version or newer (Debian: apt-get install postgresql-client)"
        )
    return path


def _run(args: list[str]) -> None:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        raise BackupError(f"{Path(args[0]).name} failed: {lines[-1] if lines else done.returncode}")


def backup(target: Path) -> None:
    """Write a consistent copy of the whole database to ``target`` (replaced if it exists)."""
    target = Path(target)
    tmp = target.with_name("." + target.name + ".part")
    if connection.vendor == "postgresql":
        _run([_tool("pg_dump"), "--format=custom", "--file", str(tmp),
              "--dbname", str(connection.settings_dict["NAME"])])  # fmt: skip
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        dest = sqlite3.connect(tmp)
        try:
            connection.connection.backup(dest)
        finally:
            dest.close()
    else:  # pragma: no cover
        raise BackupError(f"no backup for a {connection.vendor} database")
    os.chmod(tmp, 0o600)  # the whole database: owner-only, like the database itself
    os.replace(tmp, target)


def _kind(source: Path) -> str:
    try:
        with open(source, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"{source}: {exc.strerror}") from None
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"{source} is not an EdCoop backup (neither pg_dump's nor SQLite's)")


def restore(source: Path) -> None:
    """Replace the whole database with the backup in ``source``."""
    source = Path(source)
    kind = _kind(source)
    if kind != connection.vendor:
        raise BackupError(
            f"{source} is a {kind} backup; this installation's database is {connection.vendor}"
        )
    if kind == "postgresql":
        connection.close()  # our own session must not hold a lock on what is dropped
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction",
              "--exit-on-error", "--dbname", str(connection.settings_dict["NAME"]),
              str(source)])  # fmt: skip
        return
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "django_migrations" not in tables or "core_auditevent" not in tables:
            raise BackupError(f"{source} is an SQLite database, but not an EdCoop one")
        connection.ensure_connection()
        src.backup(connection.connection)
    finally:
        src.close()


def record_counts() -> dict[str, int]:
    """Rows of every model, to hold a restore against the backup it came from."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}
