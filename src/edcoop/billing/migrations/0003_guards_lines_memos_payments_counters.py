"""The database also refuses deleting an issued invoice or its lines, adding lines to it,
deleting a credit memo, changing or deleting a payment, and a document counter going back
(see billing.guards). Existing triggers stay as they were."""

from django.db import migrations


def install(apps, schema_editor):
    from edcoop.billing import guards

    guards.install(schema_editor.connection)


def remove_new(apps, schema_editor):
    from edcoop.billing import guards
    from edcoop.core.guards import remove_rules

    old = {
        "billing_invoice_issued",
        "billing_line_issued",
        "billing_run_posted",
        "billing_credit_memo",
    }
    remove_rules(schema_editor.connection, [r for r in guards.RULES if r.name not in old])


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_guards_and_aid_rule")]
    operations = [migrations.RunPython(install, remove_new)]
