"""Annual reports: every figure equals the ledger it comes from; the PDF is tagged and on
the agency's paper; the workbook holds the same numbers; each reader sees only their own."""

from __future__ import annotations

import re
import zlib
from datetime import date
from decimal import Decimal as D
from io import BytesIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook
from tests.billing.conftest import posted, year  # noqa: F401

from edcoop.billing import aid, ledger, statements
from edcoop.billing.models import Invoice
from edcoop.governance import annual, report_files

pytestmark = pytest.mark.django_db


def _money_in_year(year: Any) -> tuple[Invoice, Any]:  # noqa: F811
    inv = Invoice.objects.filter(institution=year.a, status=Invoice.Status.ISSUED).get()
    line = inv.lines.order_by("pk").first()
    memo = ledger.memo_issue(user=year.admin, line=line, amount="10.00", reason="Duplicate hour")
    ledger.payment_record(user=year.admin, institution=year.a, amount="100.00",
                          received_on=date(2026, 11, 2), reference="CHK 77")  # fmt: skip
    return inv, memo


def test_agency_report_totals_equal_the_ledgers(year: Any, posted: Any) -> None:  # noqa: F811
    _money_in_year(year)
    agency = year.tenant.agency
    report = annual.annual_report(agency, 2027)
    charges = aid.net_charges(agency, 2027)
    estimate = aid.aid_estimate(agency, 2027)
    assert report.total("charges") == sum(charges.values())
    assert report.total("aid") == estimate.aid
    assert sum(s.charges for s in report.services) == sum(charges.values())
    invoiced = sum(i.total for i in Invoice.objects.filter(agency=agency, fiscal_year=2027,
                                                           status="issued"))  # fmt: skip
    assert report.total("invoiced") == invoiced
    # Charges are what was invoiced less the credit memo.
    assert report.total("charges") == invoiced - D("10.00")
    assert report.total("credits") == D("10.00") and report.total("paid") == D("100.00")
    position = statements.receivables(agency, report.end)
    assert report.balance == position.net
    a = next(m for m in report.members if m.institution_id == year.a.pk)
    assert a.paid == D("100.00") and a.credits == D("10.00")
    # The year's usage: district A used 10 hours of speech therapy in September.
    speech = next(s for s in report.services if s.code == "300.010")
    assert speech.used == D("10") and speech.members == 1


def test_member_report_is_the_members_statement(year: Any, posted: Any) -> None:  # noqa: F811
    _money_in_year(year)
    agency = year.tenant.agency
    report = annual.annual_report(agency, 2027, year.a)
    assert [m.institution_id for m in report.members] == [year.a.pk]
    assert report.balance == statements.statement(year.a, report.end).balance
    charges = aid.net_charges(agency, 2027)
    assert report.total("charges") == sum(v for (i, _), v in charges.items() if i == year.a.pk)
    assert all(s.code != "" for s in report.services)
    titles = [t.title for t in annual.tables(report)]
    assert "Members" not in titles  # a member's report never lists the other members


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's text with every compressed stream inflated (object streams included)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


def test_pdf_is_tagged_on_the_agencys_paper(year: Any, posted: Any) -> None:  # noqa: F811
    agency = year.tenant.agency
    report = annual.annual_report(agency, 2027)
    pdf = report_files.annual_pdf(report)
    objects = pdf_objects(pdf)
    assert pdf.startswith(b"%PDF") and b"/StructTreeRoot" in objects
    assert b"/MarkInfo" in objects and b"/Lang" in objects
    assert re.search(rb"/MediaBox \[0 0 612 792\]", objects)  # US Letter by default
    # The invoice's letterhead and footer (billing's one document pipeline).
    from tests.billing.test_invoice_document import pdf_text

    text = pdf_text(report_files.annual_html(report))
    assert agency.name in text and "Fiscal year FY2027" in text and re.search(r"Page 1 of \d", text)
    assert not re.search(r"[0-9][eE][+-]?[0-9]", text)
    agency.paper_size = "a4"  # the agency's settings page keeps it
    agency.save()
    a4 = pdf_objects(report_files.annual_pdf(report))
    assert re.search(rb"/MediaBox \[0 0 595\.\d+ 841\.\d+\]", a4)


def test_workbook_holds_the_same_figures(year: Any, posted: Any) -> None:  # noqa: F811
    _money_in_year(year)
    report = annual.annual_report(year.tenant.agency, 2027)
    book = load_workbook(BytesIO(report_files.annual_xlsx(report)))
    assert book.sheetnames == ["Summary", "Services", "Members", "Procurement",
                               "Contract purchases", "Compliance", "Flags resolved",
                               "Savings"]  # fmt: skip
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=5, values_only=True)}
    assert D(str(summary["Invoiced"])) == report.total("invoiced")
    assert D(str(summary["Payments received during the year"])) == D("100.00")
    services = book["Services"]
    assert services._charts, "the Services sheet carries its chart"
    rows = list(services.iter_rows(min_row=5, values_only=True))
    assert rows[-1][0] == "Total"
    assert D(str(rows[-1][5])) == report.total("charges")
    assert services.cell(row=5, column=6).number_format.startswith('"$"')


def test_who_sees_which_report(year: Any, posted: Any) -> None:  # noqa: F811
    north = year.tenant
    url = "/a/north/reports/annual/?year=2027"
    finance = Client()
    finance.force_login(north.users["member_finance"])  # district 1's finance officer
    page = finance.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert north.institutions[0].name in body and north.institutions[1].name not in body
    assert finance.get(f"{url}&member={north.institutions[1].pk}").status_code == 404
    assert finance.get(f"{url}&format=pdf").content.startswith(b"%PDF")
    buyer = Client()
    buyer.force_login(north.users["member_buyer"])
    assert buyer.get(url).status_code == 403
    for role in ("supplier_rep", "evaluator", "procurement_officer"):
        other = Client()
        other.force_login(north.users[role])
        assert other.get(url).status_code == 403, role
        assert other.get(f"{url}&format=pdf").status_code == 403, role
    auditor = Client()
    auditor.force_login(north.users["auditor"])
    whole = auditor.get(url)
    assert whole.status_code == 200 and "Members" in whole.content.decode()
    xlsx = auditor.get(f"{url}&format=xlsx")
    assert xlsx["Content-Disposition"].endswith('fy2027.xlsx"')
    assert Client().get(url).status_code == 302  # sign in first
    assert auditor.get("/a/north/reports/annual/?year=abc").status_code == 404


def test_outsider_gets_404(year: Any, posted: Any, nation: Any) -> None:  # noqa: F811
    outsider = Client()
    outsider.force_login(nation.users["agency_admin"])
    assert outsider.get("/a/north/reports/annual/").status_code == 404


def test_command_writes_the_files(year: Any, posted: Any, tmp_path: Any) -> None:  # noqa: F811
    out = tmp_path / "r.xlsx"
    call_command("report", "annual", agency="north", year="2027", format="xlsx", output=out)
    assert load_workbook(out).sheetnames[0] == "Summary"
    member = tmp_path / "m.pdf"
    call_command("report", "annual", agency="north", year="2027", format="pdf",
                 member=str(year.a.pk), output=member)  # fmt: skip
    assert member.read_bytes().startswith(b"%PDF")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--member"):
        call_command("report", "annual", agency="north", year="2027", member="nope")
    with pytest.raises(CommandError, match="--year"):
        call_command("report", "annual", agency="north", year="20x7")


def test_contract_purchases_and_their_savings(year: Any, posted: Any) -> None:  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone
    from tests.contracts.conftest import make_contract

    from edcoop.contracts import orders, services

    north = year.tenant
    today = timezone.localdate()
    contract = make_contract(north, number="C-NOW", starts_on=today - timedelta(days=30),
                             ends_on=today + timedelta(days=300))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper", unit="ream",
                       unit_price="4.10", list_price="6.49")  # fmt: skip
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=contract,
                                lines=[orders.LineInput(quantity="10", sku="CP-8511")])  # fmt: skip
    orders.order_approve(user=north.users["member_buyer"], order=order)
    orders.order_send(user=north.users["member_buyer"], order=order)
    fy = 2027 if today < date(2027, 7, 1) else today.year + 1
    mine = annual.annual_report(north.agency, fy, north.institution)
    (line,) = mine.contracts
    assert (line.orders, line.total, line.savings) == (1, D("41.00"), D("23.90"))
    other = annual.annual_report(north.agency, fy, north.institutions[1])
    assert other.contracts == []  # another member's orders are not in its report
    tables = {t.title: t for t in annual.tables(mine)}
    assert tables["Contract purchases"].totals[4] == D("41.00")
