"""An issued invoice keeps the letterhead it was issued with (logo, name, address, contacts,
tax ID, remit-to, how to pay, paper): the agency changing its settings later changes the
next invoices and the drafts, never a sent one. The row that freezes it never changes."""

from __future__ import annotations

import base64
import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from tests.web.conftest import client_for

from edcoop.billing.models import Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.members import services as member_services
from edcoop.members.models import Agency, LetterheadVersion, freeze_letterheads

from .test_invoice_document import pdf_objects, pdf_text

pytest.importorskip("weasyprint")

OCTOBER = {
    "name": "North BOCES", "address": "131 Drumlin Road\nCanandaigua, NY 14424",
    "phone": "(585) 555-0140", "email": "ar@north.example.org", "website": "",
    "tax_id": "16-6000000", "remit_to": "Business Office\nPO Box 4400\nCanandaigua, NY 14424",
    "payment_instructions": "Checks payable to North BOCES.", "paper_size": "letter",
}  # fmt: skip
NOVEMBER = {
    "name": "Finger Lakes Regional BOCES", "address": "9 Harbor Street\nGeneva, NY 14456",
    "phone": "(315) 555-0199", "email": "billing@flr.example.org",
    "website": "https://flr.example.org", "tax_id": "16-7000000",
    "remit_to": "Lockbox 77\nRochester, NY 14692",
    "payment_instructions": "ACH to Lakes Bank, routing 021000021.", "paper_size": "a4",
}  # fmt: skip


def png(color: tuple[int, int, int], size: tuple[int, int] = (300, 100)) -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def settle(tenant: Any, facts: dict[str, str], logo: bytes) -> Agency:
    """The agency administrator saves the settings page's facts and logo."""
    return member_services.agency_update(user=tenant.users["agency_admin"],
                                         agency=tenant.agency, logo=logo, **facts)  # fmt: skip


def logo_in(html: str) -> bytes:
    """The logo's bytes as the document embeds them (its data: URI)."""
    found = re.search(r'class="letterhead-logo" src="data:image/png;base64,([^"]+)"', html)
    assert found, "no logo on the letterhead"
    return base64.b64decode(found.group(1))


def pdf_images(pdf: bytes) -> list[bytes]:
    """Each image XObject's stream, as the PDF carries it."""
    return re.findall(rb"/Subtype /Image.*?stream\r?\n(.*?)\r?\nendstream", pdf, re.S)


def test_an_issued_invoice_keeps_its_letterhead_when_the_settings_change(year: Any) -> None:
    from edcoop.billing.pdf import invoice_html, invoice_pdf

    tenant = year.tenant
    settle(tenant, OCTOBER, png((31, 59, 92)))
    october_logo = bytes(Agency.objects.get(pk=tenant.agency.pk).logo_png)
    run = billing_run_compute(user=year.admin, agency=tenant.agency, period=year.sept)
    draft = Invoice.objects.get(run=run, institution=year.a)
    assert "131 Drumlin Road" in invoice_html(draft) and draft.letterhead is None
    billing_run_post(user=year.admin, run=run, issued_on=date(2026, 10, 1))
    issued = Invoice.objects.get(pk=draft.pk)
    before_html, before_pdf = invoice_html(issued), invoice_pdf(issued)
    before_text = pdf_text(before_html)
    for part in ("North BOCES", "131 Drumlin Road", "Tax ID (EIN) 16-6000000", "PO Box 4400",
                 "Checks payable to North BOCES.", "ar@north.example.org"):  # fmt: skip
        assert part in before_text, part
    assert logo_in(before_html) == october_logo
    # Every invoice of the run shares the one frozen letterhead.
    assert set(Invoice.objects.filter(run=run).values_list("letterhead", flat=True)) == {
        issued.letterhead_id
    }

    settle(tenant, NOVEMBER, png((200, 30, 30), (400, 100)))
    november_logo = bytes(Agency.objects.get(pk=tenant.agency.pk).logo_png)
    assert november_logo != october_logo

    issued = Invoice.objects.get(pk=draft.pk)
    after_html, after_pdf = invoice_html(issued), invoice_pdf(issued)
    assert pdf_text(after_html) == before_text
    assert logo_in(after_html) == october_logo
    assert pdf_images(after_pdf) == pdf_images(before_pdf) != []
    objects = pdf_objects(after_pdf)
    assert b"/MediaBox [0 0 612 792]" in objects  # still US Letter, though A4 is now chosen
    for moved in ("Finger Lakes", "9 Harbor Street", "16-7000000", "Lockbox 77", "ACH to"):
        assert moved not in after_html, moved
    # The page and the workbook print the same letterhead as the PDF.
    client = client_for(tenant.users["business_office"])
    page = client.get(f"/a/north/billing/invoices/{issued.pk}/").content.decode()
    assert "131 Drumlin Road" in page and "9 Harbor Street" not in page
    assert logo_in(page) == october_logo
    from openpyxl import load_workbook

    book = client.get(f"/a/north/billing/invoices/{issued.pk}/?format=xlsx").content
    sheet = load_workbook(BytesIO(book)).active
    assert sheet["A1"].value == "North BOCES"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_LETTER

    # The next month's draft prints the settings as they are now.
    october = billing_run_compute(user=year.admin, agency=tenant.agency,
                                  period=date(2026, 10, 1))  # fmt: skip
    draft_html = invoice_html(Invoice.objects.get(run=october, institution=year.a))
    assert "9 Harbor Street" in draft_html and "Finger Lakes Regional BOCES" in draft_html
    assert logo_in(draft_html) == november_logo
    assert "131 Drumlin Road" not in draft_html


def test_a_letterhead_version_never_changes(year: Any, posted: Any) -> None:
    version = Invoice.objects.filter(run=posted).first().letterhead  # type: ignore[union-attr]
    assert version is not None and version.name == year.tenant.agency.name
    with pytest.raises(ValidationError):
        version.name = "Someone else"
        version.save()
    with pytest.raises(ValidationError):
        version.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterheadVersion.objects.filter(pk=version.pk).update(name="Someone else")
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterheadVersion.objects.filter(pk=version.pk).delete()
    assert LetterheadVersion.objects.get(pk=version.pk).name == year.tenant.agency.name


def test_issuing_again_under_the_same_settings_reuses_the_version(north: Any) -> None:
    first = LetterheadVersion.issue(north.agency)
    assert LetterheadVersion.issue(north.agency).pk == first.pk
    Agency.objects.filter(pk=north.agency.pk).update(tax_id="16-1111111")
    north.agency.refresh_from_db()
    second = LetterheadVersion.issue(north.agency)
    assert second.pk != first.pk and second.tax_id == "16-1111111"
    assert LetterheadVersion.current(north.agency).digest == second.digest


def test_the_migration_freezes_documents_issued_before_letterheads_were_kept(
    north: Any, owner_bypass: Any
) -> None:
    """What the data migrations did to existing rows: each issued document gets its agency's
    letterhead as it stood then (the best record left), shared per agency; drafts none."""
    from tests.contracts.conftest import make_contract

    from edcoop.contracts import orders, services
    from edcoop.contracts.models import PurchaseOrder

    contract = make_contract(north)
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-1", description="Copy paper", unit="ream",
                       unit_price="4.10")  # fmt: skip
    buyer = north.users["member_buyer"]
    made = [orders.order_create(user=buyer, institution=north.institution, contract=contract,
                                lines=[orders.LineInput("1", sku="CP-1")],
                                ordered_on=date(2026, 11, 2)) for _ in range(3)]  # fmt: skip
    for order in made[:2]:
        orders.order_approve(user=buyer, order=order)
    # As before the migration, which ran before an approved order refused such changes.
    with owner_bypass():
        PurchaseOrder.objects.update(letterhead=None)
        freeze_letterheads(apps, "contracts.PurchaseOrder", Q(approved_at__isnull=False))
    kept = dict(PurchaseOrder.objects.values_list("pk", "letterhead"))
    assert kept[made[0].pk] == kept[made[1].pk] is not None and kept[made[2].pk] is None
    assert LetterheadVersion.objects.get(pk=kept[made[0].pk]).name == north.agency.name
