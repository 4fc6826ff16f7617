from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_item_withdrawn"),
    ]

    operations = [
        migrations.AddField(
            model_name="adminfeepayment",
            name="request_key",
            field=models.CharField(
                blank=True,
                help_text="The form's one-time key or the API caller's idempotency key: the "
                "same payment sent twice is recorded once.",
                max_length=100,
            ),
        ),
        migrations.AddConstraint(
            model_name="adminfeepayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("request_key", ""), _negated=True),
                fields=("invoice", "request_key"),
                name="admin_fee_payment_request_key",
            ),
        ),
    ]
