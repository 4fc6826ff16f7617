from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0007_letterhead_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="contractitem",
            name="withdrawn_on",
            field=models.DateField(
                blank=True,
                help_text="Not on the price list in force since this day (a new version left "
                "it out): kept for the orders, sales reports, award and savings that name it, "
                "hidden from the catalogue and new orders.",
                null=True,
            ),
        ),
    ]
