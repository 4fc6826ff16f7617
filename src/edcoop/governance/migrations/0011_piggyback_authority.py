"""Piggybacking authority per jurisdiction, and the shipped default (governance.defaults)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def load(apps, schema_editor):
    from edcoop.governance.defaults import DEFAULT_PIGGYBACK

    Authority = apps.get_model("governance", "PiggybackAuthority")
    for row in DEFAULT_PIGGYBACK:
        Authority.objects.update_or_create(
            agency=None, jurisdiction=row["jurisdiction"],
            defaults={k: v for k, v in row.items() if k != "jurisdiction"},
        )


def unload(apps, schema_editor):
    apps.get_model("governance", "PiggybackAuthority").objects.filter(agency=None).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0010_study_published_figures'),
        ('members', '0008_text_limits'),
    ]

    operations = [
        migrations.CreateModel(
            name='PiggybackAuthority',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('jurisdiction', models.CharField(help_text="A state's two-letter code.", max_length=2)),
                ('name', models.CharField(max_length=200)),
                ('effective_from', models.DateField(blank=True, help_text='First day in force; empty: not known (not checked).', null=True)),
                ('effective_to', models.DateField(blank=True, help_text='Last day in force (the sunset); empty: no end.', null=True)),
                ('source', models.TextField(max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)])),
                ('source_url', models.URLField(blank=True, max_length=300)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='members.agency')),
            ],
            options={
                'verbose_name_plural': 'piggybacking authorities',
                'ordering': ['jurisdiction'],
                'constraints': [models.UniqueConstraint(fields=('agency', 'jurisdiction'), name='piggyback_once'), models.UniqueConstraint(condition=models.Q(('agency__isnull', True)), fields=('jurisdiction',), name='piggyback_default_once')],
            },
        ),
        migrations.RunPython(load, unload),
    ]
