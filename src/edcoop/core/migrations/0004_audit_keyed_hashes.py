"""Key the audit trail: events from now on are HMAC-SHA256 under EDCOOP_AUDIT_KEY.

Events already written keep their plain SHA-256 (``hash_version`` 1) and still verify. The
chain head records where they end (``legacy_seq``) and is signed with the audit key, so
nobody without the key can later pass keyed events off as unkeyed ones. On SQLite adding the
columns rebuilds the table, which drops its triggers: they are put back here.
"""

from django.db import migrations, models


def mark_legacy_and_sign(apps, schema_editor):
    from edcoop.core import audit

    AuditHead = apps.get_model("core", "AuditHead")
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.last_seq == 0:
        return
    head.legacy_seq = head.last_seq
    audit.sign_head(head)
    head.save(update_fields=["legacy_seq", "key_id", "mac"])


def reinstall_guards(apps, schema_editor):
    from edcoop.core import guards

    guards.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_jobs")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="1: plain SHA-256; 2: keyed."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, help_text="The audit key's id.", max_length=16),
        ),
        migrations.AddField(
            model_name="audithead",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="audithead",
            name="legacy_seq",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="audithead",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(reinstall_guards, migrations.RunPython.noop),
        migrations.RunPython(mark_legacy_and_sign, migrations.RunPython.noop),
    ]
