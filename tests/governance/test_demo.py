"""`make demo`'s governance story: an OCDS export that validates, a published CBO study, the
BOCES's own quote ladder."""

from django.test import Client

from edcoop.governance import ocds, selectors, services
from edcoop.governance.models import SavingsStudy
from edcoop.members.models import Agency


def test_demo_governance(demo_db: None):
    lakes = Agency.objects.get(slug="lakes")
    # The full OCDS export of every agency validates against the official schema.
    package = ocds.package(Agency.objects.all())
    assert ocds.validate(package) == []
    assert {r["ocid"] for r in package["releases"]} >= {"ocds-edcoop-lakes-LK-2027-01",
                                                        "ocds-edcoop-lakes-LK-2026-03"}  # fmt: skip
    sealed = next(r for r in package["releases"] if r["ocid"].endswith("LK-2027-01"))
    assert "bids" not in sealed
    # Every process's category is on the closed codelist, derived from the records: the
    # demo's bids are all for supplies (paper, milk, custodial supplies), so goods.
    categories = {r["ocid"]: r["tender"]["mainProcurementCategory"] for r in package["releases"]}
    assert set(categories.values()) <= {"goods", "works", "services"}
    assert categories["ocds-edcoop-lakes-LK-2026-03"] == "goods"
    # A contract made from a bid for a service makes it a services process, still valid.
    from edcoop.contracts.models import Contract

    made = Contract.objects.filter(solicitation__number="LK-2026-03", agency=lakes)
    assert made.exists()
    made.update(kind="service")
    again = ocds.package([lakes])
    assert ocds.validate(again) == []
    assert next(r for r in again["releases"] if r["ocid"].endswith("LK-2026-03"))[
        "tender"]["mainProcurementCategory"] == "services"  # fmt: skip
    # The published study computes, shows a district that pays more before aid, and reads
    # publicly.
    study = SavingsStudy.objects.get(agency=lakes, status="published")
    result, problems = selectors.study_result(study)
    assert problems == [] and len(result.districts) == 8
    assert result.shared == study.shared_cost
    assert any(r.saving_before_aid < 0 for r in result.districts)
    public = Client().get("/a/lakes/transparency/").content.decode()
    assert "FY2027 adopted budget" in public and "LK-2026-03" in public
    # The portal shows the BOCES's bids, tabulations, awards and contracts.
    assert "LK-2027-01" in public  # open now
    for empty in ("No bids have been opened yet", "No award has been announced yet",
                  "No contract is in force"):  # fmt: skip
        assert empty not in public
    from edcoop.procurement.models import Solicitation

    past = Solicitation.objects.get(agency=lakes, number="LK-2026-03")
    tabulation = Client().get(f"/a/lakes/bids/{past.pk}/tabulation/")
    assert tabulation.status_code == 200 and b"LK-2026-03" in tabulation.content
    page = Client().get(f"/a/lakes/studies/{study.pk}/")
    assert page.status_code == 200 and b"Saving after aid" in page.content
    # Its revision over ten districts is a draft (not public).
    revision = SavingsStudy.objects.get(agency=lakes, status="draft")
    assert revision.copied_from == study and revision.districts.count() == 10
    assert Client().get(f"/a/lakes/studies/{revision.pk}/").status_code == 404
    # $12,000 of copy paper: the BOCES's own policy decides (written quotes).
    check = services.compliance_check(
        agency=lakes, jurisdiction="NY", funding="local", kind="commodity", amount="12000",
        on="2026-11-30",
    )  # fmt: skip
    assert check["method"] == "quotes"
    assert "lakes-policy-6700-written-quotes" in [r["key"] for r in check["decided_by"]]


def test_demo_annual_report_audit_export_and_monitor(demo_db: None):
    from datetime import date

    from edcoop.billing import aid
    from edcoop.governance import annual, audit_files, monitor

    lakes = Agency.objects.get(slug="lakes")
    # The FY2027 annual report's charges are the ledger's, and the PDF prints.
    report = annual.annual_report(lakes, 2027)
    assert report.total("charges") == sum(aid.net_charges(lakes, 2027).values()) > 0
    from django.contrib.auth import get_user_model

    auditor = Client()
    auditor.force_login(get_user_model().objects.get(username="auditor@lakes.example.org"))
    pdf = auditor.get("/a/lakes/reports/annual/?year=2027&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # A member's report: Alder's finance officer downloads a PDF whose totals are Alder's
    # ledger (the year's charges net of memos, and what it owes at year end).
    from tests.billing.test_invoice_document import pdf_text

    from edcoop.billing import statements
    from edcoop.core import formatting
    from edcoop.governance import report_files
    from edcoop.members.models import Institution

    alder = Institution.objects.get(agency=lakes, name="Alder Creek CSD")
    mine = annual.annual_report(lakes, 2027, alder)
    charges = sum(v for (i, _), v in aid.net_charges(lakes, 2027).items() if i == alder.pk)
    assert mine.total("charges") == charges > 0
    assert mine.balance == statements.statement(alder, mine.end).balance
    finance = Client()
    finance.force_login(get_user_model().objects.get(username="finance@alder.example.org"))
    own = finance.get("/a/lakes/reports/annual/?year=2027&format=pdf")
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    text = pdf_text(report_files.annual_html(mine))
    assert "Alder Creek CSD" in text and formatting.money(charges) in text
    assert formatting.money(mine.balance) in text
    # The audit export names the auditor's verification of the trail.
    verification = audit_files.verification_for(lakes, date(2000, 1, 1), date(2100, 1, 1))
    assert verification.verification.startswith("intact")
    # The monitor: the split furniture orders, and the proof with the refused read.
    kinds = [f.kind for f in monitor.flags_for(lakes)]
    assert "split" in kinds and "read_before_opening" not in kinds
    # The piggybacked contracts' three orders, all after GML §103(16)'s sunset (2026-06-30);
    # the §119-o paper contract (Lakes its own lead) is not piggybacking.
    lapsed = [f for f in monitor.flags_for(lakes) if f.kind == "piggyback_lapsed"]
    assert sorted(f.subject.split(" under ")[1] for f in lapsed) == [
        "LK-PB-2027-01", "LK-PB-2027-01", "LK-PB-2027-02"]
    assert all("Jun 30, 2026" in f.evidence[1] for f in lapsed)
    proof = monitor.opening_proof(lakes)
    assert proof.holds and proof.refused and proof.events
    page = auditor.get("/a/lakes/compliance/monitor/").content.decode()
    assert "LK-PB-2027-01" in page and "Likely split purchase" in page
    assert "after the piggybacking authority lapsed" in page
