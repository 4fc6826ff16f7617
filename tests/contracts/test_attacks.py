"""Attacks on what contracts landed last: price-list versions (who sees a pending list, who
uploads or decides, hostile files), admin fee invoices and payments, amended sales reports.
Each attack that worked once is a regression test here; the rest show the hole stays shut."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from tests.api.conftest import BASE
from tests.api.conftest import _api_for as api_for
from tests.procurement.conftest import second_supplier
from tests.web.conftest import client_for

from edcoop.contracts import pricelists, sales
from edcoop.contracts.models import Contract, ContractItem, PriceListVersion, SalesReport
from edcoop.core import tabular

TODAY = timezone.localdate()
COLUMNS = ["sku", "description", "unit", "unit_price"]
AFTER = date(2026, 11, 20)  # Q3 2026 has ended


def _book() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    sheet.append(["A-1", "Pens", "box", 1.5])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(xml: bytes) -> bytes:
    """A real workbook whose first sheet's XML is replaced by ``xml``."""
    source = zipfile.ZipFile(io.BytesIO(_book()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = xml
            archive.writestr(part.filename, data)
    return out.getvalue()


SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
         b'.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>')
HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr">'
              b'<is><t>description</t></is></c><c r="C1" t="inlineStr"><is><t>unit</t></is></c>'
              b'<c r="D1" t="inlineStr"><is><t>unit_price</t></is></c></row>')
HOSTILE = {
    # XML that ends mid-element: the stdlib parser raises ParseError (a SyntaxError).
    "truncated XML": SHEET.replace(b"</sheetData></worksheet>", b"") % (HEADER_ROW + b"<row r="),
    # A shared-string cell pointing past the workbook's strings: an IndexError.
    "shared string out of range": SHEET % (HEADER_ROW + b'<row r="2"><c r="A2" t="s"><v>9999'
                                           b'</v></c></row>'),
    # Entities declared in the sheet: expat's billion-laughs guard, or a ParseError.
    "entity expansion": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet xmlns="http'
                        b'://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>'
                        b'</sheetData></worksheet>',
}


@pytest.mark.parametrize("attack", sorted(HOSTILE))
def test_a_damaged_workbook_is_refused_on_file_not_a_500(attack: str) -> None:
    data = _with_sheet(HOSTILE[attack])
    with pytest.raises(ValidationError) as refused:
        list(tabular.read_table(data, required=COLUMNS, max_rows=10))
    assert "file" in refused.value.message_dict, attack


def test_a_damaged_workbook_on_the_upload_page_and_the_api(north: Any, paper: Contract) -> None:
    data = _with_sheet(HOSTILE["shared string out of range"])
    page = Client(raise_request_exception=False)
    page.force_login(north.users["supplier_rep"])
    url = f"/a/north/contracts/{paper.pk}/price-lists/"
    sent = page.post(url, {"effective_on": TODAY.isoformat(),
                           "file": SimpleUploadedFile("p.xlsx", data)})  # fmt: skip
    assert sent.status_code == 200 and b"workbook" in sent.content
    rep = api_for(north.users["supplier_rep"])
    rep.client.raise_request_exception = False
    made = rep.client.post(BASE + f"/agencies/north/contracts/{paper.pk}/price-lists", {
        "effective_on": TODAY, "file": SimpleUploadedFile("p.xlsx", data)},
        headers=rep._headers())  # fmt: skip
    assert made.status_code == 400 and "file" in made.json()["errors"]
    assert not PriceListVersion.objects.exists()


def test_a_pending_list_is_seen_by_no_member_rival_or_catalogue(
    north: Any, nation: Any, paper: Contract, ream: ContractItem
) -> None:
    """Held: a pending version's rows live apart from the contract's items until approved."""
    pricelists.upload_version(user=north.users["supplier_rep"], contract=paper, effective_on=TODAY,
                              data="sku,description,unit,unit_price\n"
                                   "ZZ-SECRET,Secretly cheap toner,each,1.00\n")  # fmt: skip
    _rival, rival_rep = second_supplier(north, "Rival Paper", "98-7654321")
    for user in (north.users["member_buyer"], north.users["member_finance"], rival_rep):
        c = client_for(user)
        assert c.get(f"/a/north/contracts/{paper.pk}/price-lists/1/").status_code in (403, 404)
        found = c.get("/a/north/contracts/", {"q": "Secretly"})
        assert b"ZZ-SECRET" not in found.content
        api = api_for(user)
        assert api.get(f"/agencies/north/contracts/{paper.pk}/price-lists/1").status_code in (
            403, 404)  # fmt: skip
        assert "ZZ-SECRET" not in api.get("/agencies/north/contracts", q="toner").content.decode()
        detail = api.get(f"/agencies/north/contracts/{paper.pk}")
        assert "ZZ-SECRET" not in detail.content.decode()
    # the rival may not upload for, nor decide on, someone else's contract
    rc = client_for(rival_rep)
    assert rc.post(f"/a/north/contracts/{paper.pk}/price-lists/", {
        "effective_on": TODAY.isoformat(), "file": SimpleUploadedFile("p.csv", b"x")}
    ).status_code == 404  # fmt: skip
    own = client_for(north.users["supplier_rep"])
    assert own.post(f"/a/north/contracts/{paper.pk}/price-lists/1/",
                    {"decision": "approve"}).status_code == 403  # fmt: skip
    assert PriceListVersion.objects.get().status == "pending"
    assert not ContractItem.objects.filter(sku="ZZ-SECRET").exists()


@pytest.fixture
def report(north: Any, paper: Contract, ream: ContractItem) -> SalesReport:
    return sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                             quarter=3, rows=[{"member": str(north.institution.pk),
                                               "sku": "CP-8511", "quantity": "1000",
                                               "unit_price": "3.90",
                                               "invoice_date": "2026-08-03"}],
                             today=AFTER)  # fmt: skip


def test_another_supplier_and_members_never_read_a_fee_invoice(north: Any, report: SalesReport
                                                               ) -> None:  # fmt: skip
    """Held: report, PDF, payments and amendment are the supplier's own and the agency's."""
    _rival, rival_rep = second_supplier(north, "Rival Paper", "98-7654321")
    fee = report.fee_invoice
    urls = [f"/a/north/sales-reports/{report.pk}/", f"/a/north/fee-invoices/{fee.pk}/pdf/",
            f"/a/north/sales-reports/{report.pk}/amend/"]
    for user in (rival_rep, north.users["member_admin"], north.users["member_finance"]):
        c = client_for(user)
        for url in urls:
            assert c.get(url).status_code in (403, 404), (user, url)
        assert c.post(f"/a/north/fee-invoices/{fee.pk}/payments/", {
            "amount": "78.00", "received_on": "2026-11-21", "reference": "X"}
        ).status_code in (403, 404)  # fmt: skip
        api = api_for(user)
        assert api.get(f"/agencies/north/sales-reports/{report.pk}").status_code in (403, 404)
        assert api.post(f"/agencies/north/sales-reports/{report.pk}/amendments", {
            "reason": "x", "sales": []}).status_code in (403, 404)  # fmt: skip
    assert not fee.payments.exists() and SalesReport.objects.count() == 1


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_payments_dated_year_one_or_9999_are_refused_by_name(north: Any, report: SalesReport,
                                                             day: str) -> None:  # fmt: skip
    """Held: the received date is checked against the invoice and today on page and API."""
    api = api_for(north.users["business_office"])
    api.client.raise_request_exception = False
    sent = api.post(f"/agencies/north/fee-invoices/{report.fee_invoice.pk}/payments",
                    {"amount": "1.00", "received_on": day, "reference": f"R{day}"})  # fmt: skip
    assert sent.status_code in (400, 422) and "received_on" in sent.content.decode()
    page = Client(raise_request_exception=False)
    page.force_login(north.users["business_office"])
    posted = page.post(f"/a/north/fee-invoices/{report.fee_invoice.pk}/payments/",
                       {"amount": "1.00", "received_on": day, "reference": "P"}, follow=True)
    assert posted.status_code == 200 and b"received_on" in posted.content
    assert not report.fee_invoice.payments.exists()


@pytest.mark.parametrize("price", ["1" * 40, "-0", "-0.00", "Infinity", "sNaN", "\u0661\u0662",
                                   "1_000", "0x10", "1,5", " ", "4.12345"])  # fmt: skip
def test_prices_that_are_not_prices_are_refused_on_their_line(north: Any, paper: Contract,
                                                               price: str) -> None:  # fmt: skip
    """Held: one grammar for every number, whatever a spreadsheet makes of it."""
    body = f"sku,description,unit,unit_price\nA-1,Pens,box,\"{price}\"\n"
    with pytest.raises(ValidationError) as refused:
        pricelists.upload_version(user=north.users["supplier_rep"], contract=paper,
                                  data=body, effective_on=TODAY)  # fmt: skip
    assert refused.value.message_dict["file"][0].startswith("line 2: unit_price"), price
    assert not PriceListVersion.objects.exists()


@pytest.mark.parametrize("data", [
    "sku,description,unit,unit_price\nA-1,Pens,box,1\n".encode("utf-16"),
    "sku,description,unit,unit_price\nA-1,Plumes \u00e0 \u00e9crire,box,1\n".encode("latin-1"),
    b"\x1f\x8b\x08\x00" + b"\0" * 64,  # a gzip file
    b"%PDF-1.7\n",
])  # fmt: skip
def test_files_that_are_not_utf8_tables_are_refused_on_file(north: Any, paper: Contract,
                                                            data: bytes) -> None:  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        pricelists.upload_version(user=north.users["supplier_rep"], contract=paper,
                                  data=data, effective_on=TODAY)  # fmt: skip
    assert "file" in refused.value.message_dict
    assert not PriceListVersion.objects.exists()
