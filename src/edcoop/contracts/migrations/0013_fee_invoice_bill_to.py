from django.db import migrations, models


def backfill(apps, schema_editor):
    """Invoices issued before the bill-to was kept get the supplier's name and e-mail as they
    stand now: the best record left of what they printed (they printed the current values
    until now), and from here on they stay as they are."""
    invoice_model = apps.get_model("contracts", "AdminFeeInvoice")
    for invoice in invoice_model.objects.filter(bill_to="").select_related("supplier"):
        supplier = invoice.supplier
        invoice.bill_to = "\n".join(p for p in (supplier.legal_name, supplier.email) if p)
        invoice.save(update_fields=["bill_to"])


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0012_item_awarded_price"),
    ]

    operations = [
        migrations.AddField(
            model_name="adminfeeinvoice",
            name="bill_to",
            field=models.TextField(
                blank=True, help_text="Who the invoice was issued to, as issued."
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
