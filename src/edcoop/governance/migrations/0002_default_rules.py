"""Load the shipped default rules (governance.defaults) as rows without an agency."""

from django.db import migrations


def load(apps, schema_editor):
    from edcoop.governance.defaults import DEFAULT_RULES

    Rule = apps.get_model("governance", "ComplianceRule")
    for row in DEFAULT_RULES:
        Rule.objects.update_or_create(
            agency=None, key=row["key"], defaults={k: v for k, v in row.items() if k != "key"}
        )


def unload(apps, schema_editor):
    apps.get_model("governance", "ComplianceRule").objects.filter(agency=None).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_compliance_rules")]
    operations = [migrations.RunPython(load, unload)]
