"""The database refuses UPDATE on issued invoices, posted runs and credit memos (see
billing.guards); and the New York BOCES-aid rule ships as data."""

import datetime
from decimal import Decimal

from django.db import migrations


def install(apps, schema_editor):
    from edcoop.billing import guards

    guards.install(schema_editor.connection)


def remove(apps, schema_editor):
    from edcoop.billing import guards

    guards.remove(schema_editor.connection)


def seed_aid_rule(apps, schema_editor):
    AidRule = apps.get_model("billing", "AidRule")
    AidRule.objects.get_or_create(
        jurisdiction="NY",
        effective_from=datetime.date(1990, 7, 1),
        defaults={
            "salary_cap": Decimal("30000.00"),
            "aid_ratio_floor": Decimal("0.3600"),
            "aid_ratio_ceiling": Decimal("0.9000"),
            "source": "Ed Law 1950(5)(b) salary cap; aid-ratio floor/ceiling commonly cited, "
            "confirm before relying on them. Effective date is a placeholder: edit it.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [
        migrations.RunPython(install, remove),
        migrations.RunPython(seed_aid_rule, migrations.RunPython.noop),
    ]
