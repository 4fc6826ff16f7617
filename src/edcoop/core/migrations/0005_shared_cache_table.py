"""The database cache table the rate limits count in (settings.CACHES["shared"]), so every
installation has it after `edcoop migrate`, without a separate `createcachetable` step."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # No table names: createcachetable creates the table of every database cache in CACHES.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS edcoop_cache")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_keyed_hashes")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
