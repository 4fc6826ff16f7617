"""An approved purchase order's lines refuse change (but the goods received), deletion and
new lines, and the order refuses deletion and changes to whom and under what it was issued
(contracts/guards.py). The order's trigger from 0014 is replaced: on SQLite ``CREATE
TRIGGER IF NOT EXISTS`` would keep the old condition."""

from django.db import migrations


def install_guards(apps, schema_editor):
    from edcoop.contracts.guards import ORDER_RULES
    from edcoop.core.guards import install_rules, remove_rules

    remove_rules(schema_editor.connection, ORDER_RULES)
    install_rules(schema_editor.connection, ORDER_RULES)


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0014_order_issued_copies"),
    ]

    operations = [
        # Back to 0014 keeps the stricter rules (0014's own reversal removes them all).
        migrations.RunPython(install_guards, migrations.RunPython.noop),
    ]
