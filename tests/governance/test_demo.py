"""`make demo`'s governance story: an OCDS export that validates, a published CBO study, the
BOCES's own quote ladder."""

import pytest
from django.test import Client

from edcoop import demo
from edcoop.governance import ocds, selectors, services
from edcoop.governance.models import SavingsStudy
from edcoop.members.models import Agency


@pytest.mark.django_db(transaction=True)
def test_demo_governance():
    demo.build()
    lakes = Agency.objects.get(slug="lakes")
    # The full OCDS export of every agency validates against the official schema.
    package = ocds.package(Agency.objects.all())
    assert ocds.validate(package) == []
    assert {r["ocid"] for r in package["releases"]} >= {"ocds-edcoop-lakes-LK-2027-01",
                                                        "ocds-edcoop-lakes-LK-2026-03"}  # fmt: skip
    sealed = next(r for r in package["releases"] if r["ocid"].endswith("LK-2027-01"))
    assert "bids" not in sealed
    # The published study computes, shows a district that pays more before aid, and reads
    # publicly.
    study = SavingsStudy.objects.get(agency=lakes)
    result, problems = selectors.study_result(study)
    assert problems == [] and len(result.districts) == 8
    assert result.shared == study.shared_cost
    assert any(r.saving_before_aid < 0 for r in result.districts)
    public = Client().get("/a/lakes/transparency/").content.decode()
    assert "FY2027 adopted budget" in public and "LK-2026-03" in public
    page = Client().get(f"/a/lakes/studies/{study.pk}/")
    assert page.status_code == 200 and b"Saving after aid" in page.content
    # $12,000 of copy paper: the BOCES's own policy decides (written quotes).
    check = services.compliance_check(
        agency=lakes, jurisdiction="NY", funding="local", kind="commodity", amount="12000",
        on="2026-11-30",
    )  # fmt: skip
    assert check["method"] == "quotes"
    assert "lakes-policy-6700-written-quotes" in [r["key"] for r in check["decided_by"]]


@pytest.mark.django_db(transaction=True)
def test_demo_annual_report_audit_export_and_monitor():
    import importlib
    from datetime import date

    from django.apps import apps

    # A transactional test before this one flushed the shipped rules the migration loads.
    importlib.import_module("edcoop.governance.migrations.0002_default_rules").load(apps, None)

    from edcoop.billing import aid
    from edcoop.governance import annual, audit_files, monitor

    demo.build()
    lakes = Agency.objects.get(slug="lakes")
    # The FY2027 annual report's charges are the ledger's, and the PDF prints.
    report = annual.annual_report(lakes, 2027)
    assert report.total("charges") == sum(aid.net_charges(lakes, 2027).values()) > 0
    from django.contrib.auth import get_user_model

    auditor = Client()
    auditor.force_login(get_user_model().objects.get(username="auditor@lakes.example.org"))
    pdf = auditor.get("/a/lakes/reports/annual/?year=2027&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The audit export names the auditor's verification of the trail.
    verification = audit_files.verification_for(lakes, date(2000, 1, 1), date(2100, 1, 1))
    assert verification.verification.startswith("intact")
    # The monitor: the split furniture orders, and the proof with the refused read.
    kinds = [f.kind for f in monitor.flags_for(lakes)]
    assert "split" in kinds and "read_before_opening" not in kinds
    proof = monitor.opening_proof(lakes)
    assert proof.holds and proof.refused and proof.events
    page = auditor.get("/a/lakes/compliance/monitor/").content.decode()
    assert "LK-PB-2027-01" in page and "Likely split purchase" in page
