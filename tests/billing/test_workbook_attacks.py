"""Attack on the invoice workbook: a member's administrator types its own purchase-order
number; typed as a formula, it became a live formula in the agency's invoice workbook (the
one XLSX written without the export's defusing)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from django.test import Client
from openpyxl import load_workbook

from edcoop.billing.models import Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.members import services as member_services

EVIL = '=HYPERLINK("https://evil.example/pay","Pay here")'


def test_a_typed_formula_stays_text_in_the_invoice_workbook(year):
    member_services.institution_update(user=year.tenant.users["member_admin"],
                                       institution=year.a, purchase_order=EVIL[:40])  # fmt: skip
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    billing_run_post(user=year.admin, run=run, issued_on=date(2026, 10, 1))
    invoice = Invoice.objects.get(run=run, institution=year.a)
    for role in ("business_office", "member_admin"):
        client = Client()
        client.force_login(year.tenant.users[role])
        got = client.get(f"/a/north/billing/invoices/{invoice.pk}/", {"format": "xlsx"})
        assert got.status_code == 200, role
        sheet = load_workbook(BytesIO(got.content)).active
        po = next(sheet.cell(r, 2) for r in range(1, sheet.max_row + 1)
                  if sheet.cell(r, 1).value == "PO number")  # fmt: skip
        assert po.data_type != "f" and not str(po.value).startswith("="), po.value
