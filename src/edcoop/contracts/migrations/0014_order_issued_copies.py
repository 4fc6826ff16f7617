from django.db import migrations, models


def backfill(apps, schema_editor):
    """Orders approved before these copies were kept get the member's, the supplier's and
    the contract's facts as they stand now: the best record left of what they printed (they
    printed the current values until now), and from here on they stay as they are."""
    from edcoop.billing.documents import bill_to_text
    from edcoop.contracts.orders import contract_text, vendor_text

    order_model = apps.get_model("contracts", "PurchaseOrder")
    approved = order_model.objects.exclude(status="draft").select_related(
        "institution", "contract", "contract__supplier")
    for order in approved:
        order_model.objects.filter(pk=order.pk).update(
            bill_to=bill_to_text(order.institution),
            vendor=vendor_text(order.contract.supplier),
            contract_text=contract_text(order.contract))


def install_guards(apps, schema_editor):
    """An approved order refuses changes to what it was issued with (contracts/guards.py)."""
    from edcoop.contracts.guards import ORDER_RULES
    from edcoop.core.guards import install_rules

    install_rules(schema_editor.connection, ORDER_RULES)


def remove_guards(apps, schema_editor):
    from edcoop.contracts.guards import ORDER_RULES
    from edcoop.core.guards import remove_rules

    remove_rules(schema_editor.connection, ORDER_RULES)


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0013_fee_invoice_bill_to"),
    ]

    operations = [
        migrations.AddField(
            model_name="purchaseorder",
            name="bill_to",
            field=models.TextField(
                blank=True,
                help_text="The member that ordered, as approved: name over its address.",
            ),
        ),
        migrations.AddField(
            model_name="purchaseorder",
            name="vendor",
            field=models.TextField(
                blank=True,
                help_text="The supplier, as approved: legal name, d/b/a, e-mail, phone.",
            ),
        ),
        migrations.AddField(
            model_name="purchaseorder",
            name="contract_text",
            field=models.TextField(
                blank=True, help_text="The contract, as approved: number, title, lead agency."
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install_guards, remove_guards),
    ]
