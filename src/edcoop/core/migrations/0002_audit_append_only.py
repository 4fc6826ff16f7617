"""The database itself refuses UPDATE and DELETE on the audit trail (see core.guards)."""

from django.db import migrations


def install(apps, schema_editor):
    from edcoop.core import guards

    guards.install(schema_editor.connection)


def remove(apps, schema_editor):
    from edcoop.core import guards

    guards.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
