"""The full-text index behind keyword search, one per database.

PostgreSQL: a GIN index on ``to_tsvector('english', search_document)`` (migration 0002).
SQLite: an FTS5 table over the same column (Porter stemming, like PostgreSQL's English
configuration), kept in step by triggers. SQLite drops a table's triggers when a migration
rebuilds the table, so they are (re)installed after every migrate, and the index rebuilt
whenever they had to be.
"""

from __future__ import annotations

from typing import Any

FTS = "contracts_item_fts"
TABLE = "contracts_contractitem"
# Literal SQL (the names are constants): nothing here comes from a request.
TRIGGERS = {
    "contracts_item_fts_ai": "AFTER INSERT ON contracts_contractitem BEGIN "
        "INSERT INTO contracts_item_fts(rowid, search_document) "
        "VALUES (new.id, new.search_document); END",
    "contracts_item_fts_ad": "AFTER DELETE ON contracts_contractitem BEGIN "
        "INSERT INTO contracts_item_fts(contracts_item_fts, rowid, search_document) "
        "VALUES ('delete', old.id, old.search_document); END",
    "contracts_item_fts_au": "AFTER UPDATE OF search_document ON contracts_contractitem BEGIN "
        "INSERT INTO contracts_item_fts(contracts_item_fts, rowid, search_document) "
        "VALUES ('delete', old.id, old.search_document); "
        "INSERT INTO contracts_item_fts(rowid, search_document) "
        "VALUES (new.id, new.search_document); END",
}  # fmt: skip
CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS contracts_item_fts USING fts5(search_document, "
    "content='contracts_contractitem', content_rowid='id', tokenize='porter unicode61')"
)
REBUILD = "INSERT INTO contracts_item_fts(contracts_item_fts) VALUES ('rebuild')"
JOIN = ["contracts_item_fts.rowid = contracts_contractitem.id", "contracts_item_fts MATCH %s"]
ORDER = "contracts_item_fts.rowid"


def install(connection: Any) -> None:
    """Create the SQLite FTS5 index and its triggers where missing (idempotent)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        if TABLE not in present:
            return
        if FTS in present and all(name in present for name in TRIGGERS):
            return
        cursor.execute(CREATE)
        for name, body in TRIGGERS.items():
            cursor.execute("CREATE TRIGGER IF NOT EXISTS " + name + " " + body)
        cursor.execute(REBUILD)


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    install(connections[using])


def sqlite_match(words: list[str]) -> str:
    """An FTS5 query requiring every word (each as a quoted phrase, so no operator syntax
    reaches the parser)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)
