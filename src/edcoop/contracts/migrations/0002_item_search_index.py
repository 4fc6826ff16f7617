"""Keyword search over price-list items: a GIN full-text index on PostgreSQL (the expression
queries.py searches with); SQLite searches the same column by substring."""

from typing import Any

from django.db import migrations

INDEX = "contract_item_fts"
CREATE = (f"CREATE INDEX IF NOT EXISTS {INDEX} ON contracts_contractitem "
          "USING gin (to_tsvector('english'::regconfig, search_document))")  # fmt: skip


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
