"""Seal attachment names, types, sizes and hashes (issue 8): each existing row's clear
columns move into ``sealed_meta`` (encrypted with the current sealing key), then the clear
columns are dropped. Nothing stays behind in clear, legacy rows included."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from edcoop.procurement import sealing

    ResponseAttachment = apps.get_model("procurement", "ResponseAttachment")
    for a in ResponseAttachment.objects.all().iterator():
        meta = {"filename": a.filename, "content_type": a.content_type, "size": a.size,
                "sha256": a.sha256}  # fmt: skip
        a.sealed_meta = sealing.seal_attachment_meta(meta)
        a.save(update_fields=["sealed_meta"])


def unseal_existing(apps, schema_editor):
    import json

    from edcoop.procurement import sealing

    ResponseAttachment = apps.get_model("procurement", "ResponseAttachment")
    for a in ResponseAttachment.objects.all().iterator():
        meta = json.loads(sealing._unseal(a.sealed_meta))
        for key in ("filename", "content_type", "size", "sha256"):
            setattr(a, key, meta[key])
        a.save(update_fields=["filename", "content_type", "size", "sha256"])


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0005_response_supplier_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="responseattachment",
            name="sealed_meta",
            field=models.BinaryField(
                default=b"",
                help_text="Fernet ciphertext of the file's name, content type, size and SHA-256.",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(seal_existing, unseal_existing),
        migrations.AlterModelOptions(
            name="responseattachment",
            options={"ordering": ["response", "pk"]},
        ),
        # Defaults first, so that reversing can re-add the columns before refilling them.
        migrations.AlterField(model_name="responseattachment", name="filename",
                              field=models.CharField(max_length=200, default="")),
        migrations.AlterField(model_name="responseattachment", name="content_type",
                              field=models.CharField(max_length=100, default="")),
        migrations.AlterField(model_name="responseattachment", name="size",
                              field=models.PositiveIntegerField(default=0)),
        migrations.AlterField(model_name="responseattachment", name="sha256",
                              field=models.CharField(max_length=64, default="")),
        migrations.RemoveField(model_name="responseattachment", name="content_type"),
        migrations.RemoveField(model_name="responseattachment", name="filename"),
        migrations.RemoveField(model_name="responseattachment", name="sha256"),
        migrations.RemoveField(model_name="responseattachment", name="size"),
    ]
