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


def test_an_empty_figure_reads_as_a_dash_and_says_why(year: Any, posted: Any) -> None:  # noqa: F811
    """Before year-end patronage is distributed the member's summary says so; no cell of the
    page or PDF is left blank, which a business official would read as a printing fault."""
    _money_in_year(year)
    report = annual.annual_report(year.tenant.agency, 2027, year.a)
    assert report.patronage is None
    summary = annual.tables(report)[0]
    cells = {row[0][0]: row[1][0] for row in summary.formatted()}
    assert cells["Patronage allocated for the year (not distributed yet)"] == "\u2014"
    assert all(text != "" for row in (t.formatted() for t in annual.tables(report))
               for cells_ in row for text, _ in cells_)  # fmt: skip


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
    # The wide tables (participation, utilisation) turn sideways rather than run off the page.
    assert re.search(rb"/MediaBox \[0 0 792 612\]", objects)
    # The invoice's letterhead and footer (billing's one document pipeline).
    from tests.billing.test_invoice_document import pdf_text

    text = pdf_text(report_files.annual_html(report))
    assert agency.name in text and "Fiscal year FY2027" in text and re.search(r"Page 1 of \d", text)
    assert not re.search(r"[0-9][eE][+-]?[0-9]", text)
    agency.paper_size = "a4"  # the agency's settings page keeps it
    agency.save()
    a4 = pdf_objects(report_files.annual_pdf(report))
    assert re.search(rb"/MediaBox \[0 0 595\.\d+ 841\.\d+\]", a4)
    assert re.search(rb"/MediaBox \[0 0 841\.\d+ 595\.\d+\]", a4)


def test_workbook_holds_the_same_figures(year: Any, posted: Any) -> None:  # noqa: F811
    _money_in_year(year)
    report = annual.annual_report(year.tenant.agency, 2027)
    book = load_workbook(BytesIO(report_files.annual_xlsx(report)))
    assert book.sheetnames == ["Summary", "Services", "Utilisation", "Members", "Procurement",
                               "Contract purchases", "Admin fees", "Compliance",
                               "Flags resolved", "Savings"]  # fmt: skip
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
    (whole,) = annual.annual_report(north.agency, fy).contracts  # the agency's: every member's
    assert (whole.orders, whole.total, whole.savings) == (1, D("41.00"), D("23.90"))
    tables = {t.title: t for t in annual.tables(mine)}
    assert tables["Contract purchases"].totals[4] == D("41.00")


# Utilisation and admin fees (the agency's report), hand-worked -------------------------------


def _fee_year(north: Any) -> None:
    """Two contracts at a 2% admin fee, their sales reports and the suppliers' payments:

    ======================  ==========  ==========  ======================================
    what                    day         FY          fee
    ======================  ==========  ==========  ======================================
    C-FEE-1 2026 Q1 filed   2026-05-01  2026        1,000 reams x $3.90 = $3,900: $78.00
    payment CHK 1           2026-06-15  2026        $50.00 on it
    payment CHK 2           2026-07-10  2027        $28.00 on it (paid in full)
    C-FEE-1 2026 Q3 filed   2026-11-20  2027        500 x $3.90 = $1,950: $39.00
    payment CHK 3           2026-11-25  2027        $20.00 on it
    C-FEE-1 Q1 amended      2026-11-26  2027        800 x $3.90 = $3,120: $62.40, so -$15.60
    C-FEE-2 2026 Q3 filed   2026-10-20  2027        100 x $10.00 = $1,000: $20.00, unpaid
    ======================  ==========  ==========  ======================================
    """
    from tests.contracts.conftest import make_contract

    from edcoop.contracts import fees, sales
    from edcoop.contracts import services as contract_services

    officer, rep = north.users["procurement_officer"], north.users["supplier_rep"]
    office = north.users["business_office"]
    one = make_contract(north, number="C-FEE-1", starts_on=date(2026, 1, 1),
                        solicited_on=date(2025, 10, 1), awarded_on=date(2025, 12, 1))
    two = make_contract(north, number="C-FEE-2", title="Toner")
    for contract, sku in ((one, "CP-8511"), (two, "TN-1")):
        contract_services.item_save(user=officer, contract=contract, sku=sku,
                                    description=sku, unit="each", unit_price="3.90")  # fmt: skip

    def rows(sku: str, qty: str, price: str, day: str) -> list[dict[str, str]]:
        return [{"member": str(north.institution.pk), "sku": sku, "quantity": qty,
                 "unit_price": price, "invoice_date": day}]  # fmt: skip

    q1 = sales.report_file(user=rep, contract=one, year=2026, quarter=1,
                           rows=rows("CP-8511", "1000", "3.90", "2026-02-03"),
                           today=date(2026, 5, 1))  # fmt: skip
    fees.fee_payment_record(user=office, invoice=q1.fee_invoice, amount="50.00",
                            received_on=date(2026, 6, 15), reference="CHK 1")  # fmt: skip
    fees.fee_payment_record(user=office, invoice=q1.fee_invoice, amount="28.00",
                            received_on=date(2026, 7, 10), reference="CHK 2")  # fmt: skip
    q3 = sales.report_file(user=rep, contract=one, year=2026, quarter=3,
                           rows=rows("CP-8511", "500", "3.90", "2026-08-03"),
                           today=date(2026, 11, 20))  # fmt: skip
    fees.fee_payment_record(user=office, invoice=q3.fee_invoice, amount="20.00",
                            received_on=date(2026, 11, 25), reference="CHK 3")  # fmt: skip
    sales.report_amend(user=rep, report=q1, rows=rows("CP-8511", "800", "3.90", "2026-02-03"),
                       reason="200 reams returned", today=date(2026, 11, 26))  # fmt: skip
    sales.report_file(user=rep, contract=two, year=2026, quarter=3,
                      rows=rows("TN-1", "100", "10.00", "2026-09-03"),
                      today=date(2026, 10, 20))  # fmt: skip


def test_utilisation_and_admin_fees_equal_their_records(year: Any, posted: Any) -> None:  # noqa: F811
    from edcoop.contracts.models import AdminFeeInvoice, AdminFeePayment
    from edcoop.services import services as svc

    north = year.tenant
    agency = north.agency
    # The year before: district A took part in instructional technology and used 4 devices.
    svc.subscription_set(user=year.admin, institution=year.a, service=year.s["usage"],
                         fiscal_year=2026, quantity=D("12"))  # fmt: skip
    svc.usage_record(user=year.admin, institution=year.a, service=year.s["usage"],
                     period=date(2026, 3, 1), quantity=D("4"))  # fmt: skip
    _fee_year(north)
    report = annual.annual_report(agency, 2027)

    # Utilisation: both districts subscribe to every service; instructional technology
    # (capacity 100 devices) used 1 + 2 = 3 devices, 3% of its capacity.
    use = {u.code: u for u in report.utilisation}
    tech = use["500.100"]
    assert (tech.members, tech.members_before, tech.used, tech.used_before) == (2, 1, 3, 4)
    assert tech.capacity == D("100") and tech.of_capacity == D("0.03")
    assert use["300.010"].used == D("10") and use["300.010"].of_capacity is None
    assert report.utilisation_members == (2, 1)
    charges = aid.net_charges(agency, 2027)
    by_code = {s.code: s.pk for s in year.s.values()}
    for u in report.utilisation:  # each service's charges are the ledger's
        assert u.charges == sum(v for (_, sid), v in charges.items() if sid == by_code[u.code])
        assert u.charges_before == 0
    tables = {t.title: t for t in annual.tables(report)}
    assert tables["Utilisation"].totals[9] == sum(charges.values()) == report.total("charges")
    assert annual.show(tech.of_capacity, "percent") == "3%"

    # Admin fees, by hand (see _fee_year).
    fees = {f.number: f for f in report.fees}
    one, two = fees["C-FEE-1"], fees["C-FEE-2"]
    assert (one.invoices, one.owed_before, one.invoiced, one.paid, one.owed) == (
        2, D("28.00"), D("23.40"), D("48.00"), D("3.40"))
    assert (two.invoices, two.owed_before, two.invoiced, two.paid, two.owed) == (
        1, D("0.00"), D("20.00"), D("0.00"), D("20.00"))
    totals = tables["Admin fees"].totals
    assert totals[3:] == [3, D("28.00"), D("43.40"), D("48.00"), D("23.40")]
    # The totals are the records' sums: invoices issued and payments received in the year.
    start, end = report.start, report.end
    issued = AdminFeeInvoice.objects.filter(agency=agency, issued_on__range=(start, end))
    received = AdminFeePayment.objects.filter(invoice__agency=agency,
                                              received_on__range=(start, end))  # fmt: skip
    assert totals[5] == sum(i.amount for i in issued)
    assert totals[6] == sum(p.amount for p in received)
    open_at_end = (sum(i.amount for i in AdminFeeInvoice.objects.filter(agency=agency))
                   - sum(p.amount for p in AdminFeePayment.objects.all()))  # fmt: skip
    assert totals[7] == open_at_end
    summary = {row[0]: row[1] for row in tables["Summary"].rows}
    assert summary["Admin fees invoiced to suppliers (net of adjustments)"] == D("43.40")
    assert summary["Admin fees received from suppliers"] == D("48.00")
    # The year before ends where this one starts.
    before = {f.number: f for f in annual.annual_report(agency, 2026).fees}["C-FEE-1"]
    assert (before.invoiced, before.paid, before.owed) == (D("78.00"), D("50.00"), D("28.00"))

    # Both files carry the tables and a chart of each.
    html = report_files.annual_html(report)
    assert "Members taking part, by service" in html and "Admin fees by contract" in html
    book = load_workbook(BytesIO(report_files.annual_xlsx(report)))
    fee_rows = list(book["Admin fees"].iter_rows(min_row=5, values_only=True))
    assert fee_rows[-1][0] == "Total" and D(str(fee_rows[-1][7])) == D("23.40")
    assert book["Admin fees"]._charts and book["Utilisation"]._charts
    assert book["Utilisation"].cell(row=5, column=9).number_format == "0.0%"
    # A member's report has neither: both are the agency's business.
    mine = annual.annual_report(agency, 2027, year.a)
    assert mine.utilisation == [] and mine.fees == []
    assert {"Utilisation", "Admin fees"}.isdisjoint(t.title for t in annual.tables(mine))


def test_member_report_aid_and_net_cost_are_the_aid_estimates(year: Any, posted: Any) -> None:  # noqa: F811
    agency = year.tenant.agency
    for inst, ratio in ((year.a, "0.5000"), (year.b, "0.3600")):
        aid.aid_ratio_set(user=year.admin, agency=agency, institution_id=inst.pk,
                          aid_year=2028, ratio=D(ratio), data_years="test")  # fmt: skip
    estimate = {m.institution_id: m for m in aid.aid_estimate(agency, 2027).members}
    for member in (year.a, year.b):
        mine = annual.annual_report(agency, 2027, member)
        expected = estimate[member.pk].aid
        assert mine.total("aid") == expected
        assert mine.total("net") == mine.total("charges") - expected
        summary = {t.title: t for t in annual.tables(mine)}["Services"]
        assert summary.totals[6] == expected  # the Services table's aid column
    assert all(estimate[m.pk].aid > 0 for m in (year.a, year.b))  # not a trivial 0 = 0


def test_patronage_in_the_reports_is_the_years_allocation(year: Any, posted: Any) -> None:  # noqa: F811
    from edcoop.contracts import patronage
    from edcoop.contracts.models import PatronageAllocation

    north = year.tenant
    agency = north.agency
    assert annual.annual_report(agency, 2027).patronage is None  # not distributed yet
    _fee_year(north)  # sales reports: FY2027 purchases by north.institution
    distributed = patronage.patronage_distribute(
        user=north.users["business_office"], agency=agency, fiscal_year=2027,
        net_income="5000.00", distributable="1200.00",
    )  # fmt: skip
    allocations = PatronageAllocation.objects.filter(year=distributed)
    assert sum(a.amount for a in allocations) == D("1200.00")
    whole = annual.annual_report(agency, 2027)
    assert whole.patronage == D("1200.00")
    summary = {row[0]: row[1] for row in {t.title: t for t in annual.tables(whole)}["Summary"].rows}
    assert summary["Patronage allocated for the year"] == D("1200.00")
    for member in north.institutions:
        own = sum((a.amount for a in allocations if a.institution_id == member.pk), D("0"))
        assert annual.annual_report(agency, 2027, member).patronage == own
    book = load_workbook(BytesIO(report_files.annual_xlsx(whole)))
    rows = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=5, values_only=True)}
    assert D(str(rows["Patronage allocated for the year"])) == D("1200.00")


def test_both_reports_carry_their_charts(year: Any, posted: Any) -> None:  # noqa: F811
    agency = year.tenant.agency
    mine = report_files.annual_html(annual.annual_report(agency, 2027, year.a))
    assert mine.count('<figure class="report-chart">') == 1 and "<svg" in mine
    assert "Charges by service" in mine and "Charges by member" not in mine
    whole = report_files.annual_html(annual.annual_report(agency, 2027))
    assert whole.count('<figure class="report-chart">') >= 3
    assert "Charges by member" in whole and "Members taking part, by service" in whole
    for report in (annual.annual_report(agency, 2027, year.a), annual.annual_report(agency, 2027)):
        assert load_workbook(BytesIO(report_files.annual_xlsx(report)))["Services"]._charts


def test_savings_in_the_reports_are_the_published_studies(year: Any, posted: Any) -> None:  # noqa: F811
    from edcoop.governance import selectors, services

    north = year.tenant
    agency, office = north.agency, north.users["business_office"]
    a, b = year.a, year.b
    studies = {}
    for status in ("published", "draft"):
        study = services.study_create(
            user=office, agency=agency, title=f"CBO ({status})", service_name="CBO",
            fiscal_year=2027, basis="equal", shared_cost="90000", aidable=False,
            sensitivity_pct="10",
        )  # fmt: skip
        services.study_set_districts(user=office, study=study, rows={
            a.pk: {"fte": D("1"), "salary": D("60000"), "benefits_pct": D("40")},
            b.pk: {"fte": D("0.5"), "salary": D("50000"), "software": D("5000")},
        })  # fmt: skip
        studies[status] = study
    services.study_publish(user=office, study=studies["published"])
    result, problems = selectors.study_result(studies["published"])
    assert problems == [] and result is not None
    (line,) = annual.annual_report(agency, 2027).savings  # the draft is not reported
    assert (line.in_house, line.shared, line.saving_before_aid, line.saving_after_aid) == (
        result.in_house, result.shared, result.saving_before_aid, result.saving_after_aid)
    assert (line.in_house, line.saving_before_aid) == (D("114000.00"), D("24000.00"))
    (mine,) = annual.annual_report(agency, 2027, b).savings
    assert (mine.in_house, mine.shared, mine.saving_before_aid) == (
        D("30000.00"), D("45000.00"), D("-15000.00"))  # b's own row: it would pay more
    assert annual.annual_report(agency, 2026).savings == []  # another year's study is not
