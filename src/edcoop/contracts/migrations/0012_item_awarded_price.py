"""The price each item of a contract made from an EdCoop award was awarded at: the ceiling of
every price-list version (until now the item's current price was the ceiling, so a version that
lowered a price lowered it for good)."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    """Items linked to a solicitation line take the price of the final award's primary line
    for that item and the contract's supplier: the price the contract was awarded at. Where no
    such line is found (the award was since cancelled or re-made), the item's current price is
    the best known: it is what the ceiling was before this migration, so nothing that was
    accepted becomes refused."""
    ContractItem = apps.get_model("contracts", "ContractItem")
    AwardLine = apps.get_model("procurement", "AwardLine")
    items = ContractItem.objects.filter(solicitation_item__isnull=False).select_related(
        "contract")
    for item in items.iterator():
        line = (AwardLine.objects.filter(item_id=item.solicitation_item_id,
                                         supplier_id=item.contract.supplier_id,
                                         rank="primary", award__status="final")
                .order_by("-pk").first())  # fmt: skip
        price = line.unit_price if line is not None else item.unit_price
        ContractItem.objects.filter(pk=item.pk).update(awarded_price=price)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0011_text_limits"),
        ("procurement", "0008_evaluator_conflict"),
    ]

    operations = [
        migrations.AddField(
            model_name="contractitem",
            name="awarded_price",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                editable=False,
                help_text="The unit price the item was awarded at (an item made from an EdCoop "
                "award): the ceiling of every price-list version, which never changes it.",
                max_digits=14,
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
