"""Issue 14's "done means", on the demo as `make demo` builds it: the OCDS export the command
prints validates and carries every stage of a contracting process, the public portal shows
the BOCES's bids (documents, addenda, answers), tabulations, awards with their basis and
contracts with who may use them, the published CBO study shows every district before and
after aid with its inputs and range, and every monitor flag links to its record."""

from __future__ import annotations

import html
import json
import re
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from edcoop.core import formatting
from edcoop.governance import monitor, ocds, selectors
from edcoop.governance.models import SavingsStudy
from edcoop.members.models import Agency
from edcoop.procurement.models import Award, Solicitation


def _text(body: bytes) -> str:
    """A page's words as a reader sees them."""
    words = re.sub(r"<[^>]+>", " ", body.decode())
    return " ".join(html.unescape(words).split())


def test_the_demo_ocds_export_validates_with_every_stage(demo_db: None) -> None:
    out = StringIO()
    call_command("export", "ocds", "--agency", "lakes", "--validate", stdout=out)
    package = json.loads(out.getvalue())
    assert ocds.validate(package) == []
    releases = package["releases"]
    assert releases and all(r["ocid"].startswith("ocds-edcoop-lakes-") for r in releases)
    # Planning (a demand survey), tender, awards, contracts and their implementation (what
    # members ordered under a contract made from a published award) are all in the demo.
    assert any("planning" in r for r in releases)
    assert all("tender" in r for r in releases)
    assert any("awards" in r for r in releases)
    contracts = [c for r in releases for c in r.get("contracts", [])]
    assert contracts
    transactions = [t for c in contracts for t in c.get("implementation", {})
                    .get("transactions", [])]  # fmt: skip
    assert transactions and all(t["value"]["amount"] > 0 for t in transactions)


def test_the_public_portal_shows_the_demo_bids_tabulations_awards_and_contracts(
    demo_db: None,
) -> None:
    anyone = Client()
    current = Solicitation.objects.get(number="LK-2027-01")
    page = anyone.get(f"/a/lakes/bids/{current.pk}/")
    assert page.status_code == 200
    text = _text(page.content)
    # Its documents, its addendum and the answered questions as published.
    for document in current.documents.all():
        assert document.title in text
    for addendum in current.addenda.all():
        assert addendum.title in text
    answered = current.questions.filter(answered_at__isnull=False)
    assert answered.count() == 2
    for question in answered:
        assert question.public_text in text and question.answer in text
    for question in current.questions.all():
        if question.text != question.public_text:
            assert question.text not in text  # as asked, with who asked: not the public's
    assert b"38.40" not in page.content  # sealed
    # The past bid's tabulation, and the awards with their basis.
    past = Solicitation.objects.get(number="LK-2026-03")
    tabulation = anyone.get(f"/a/lakes/bids/{past.pk}/tabulation/")
    assert tabulation.status_code == 200 and b"NECP" in tabulation.content
    records = _text(anyone.get("/a/lakes/transparency/").content)
    noticed = Award.objects.filter(solicitation__agency__slug="lakes", noticed_at__isnull=False)
    assert noticed.count() >= 2
    for award in noticed:
        assert award.solicitation.number in records and award.basis in records
    awards = records.split("Awards", 1)[1].split("Contracts in force", 1)[0]
    for award in Award.objects.filter(solicitation__agency__slug="lakes", noticed_at=None):
        assert f"{award.solicitation.number}:" not in awards  # a recommendation is not public
    # The contracts in force, with who may use each.
    assert "LK-C-2026-03" in records and "LK-C-2026-01" in records
    assert "only the members that took part in the cooperative bid" in records
    # The posted budget and annual audit.
    assert "FY2027 adopted budget" in records and "FY2026 annual independent audit" in records


def test_the_published_cbo_study_shows_each_district_before_and_after_aid(
    demo_db: None,
) -> None:
    lakes = Agency.objects.get(slug="lakes")
    study = SavingsStudy.objects.get(agency=lakes, status="published")
    result, problems = selectors.study_result(study)
    assert problems == [] and result is not None and result.aid > 0
    text = _text(Client().get(f"/a/lakes/studies/{study.pk}/").content)
    assert "Saving before aid" in text and "Saving after aid" in text
    money = formatting.money
    for row in result.districts:
        cells = (f"{row.name} {money(row.in_house)} {money(row.shared)} {money(row.aid)} "
                 f"{money(row.saving_before_aid)} {money(row.saving_after_aid)} "
                 f"{money(row.saving_low)} to {money(row.saving_high)}")  # fmt: skip
        assert cells in text, row.name
    assert (
        f"Total {money(result.in_house)} {money(result.shared)} {money(result.aid)} "
        f"{money(result.saving_before_aid)} {money(result.saving_after_aid)}"
    ) in text
    # The inputs are shown beside the results: each district's FTE, salary, benefits, costs.
    for d in study.districts.select_related("institution"):
        fte = format(d.fte.normalize(), "f")
        benefits = format(d.benefits_pct.normalize(), "f")
        assert (
            f"{d.institution.name} {fte} {money(d.salary)} {benefits}% "
            f"{money(d.software)} {money(d.audit_findings)} {money(d.other)}"
        ) in text
    assert "Range after aid" in text


def test_every_demo_flag_links_to_its_record(demo_db: None) -> None:
    lakes = Agency.objects.get(slug="lakes")
    officer = Client()
    officer.force_login(get_user_model().objects.get(username="purchasing@lakes.example.org"))
    page = officer.get("/a/lakes/compliance/monitor/").content.decode()
    flags = monitor.flags_for(lakes)
    assert {"split", "piggyback_public_work", "piggyback_lapsed"} <= {f.kind for f in flags}
    for flag in flags:
        assert flag.evidence, flag.kind
        assert f'href="{flag.url}"' in page, flag.kind
        assert officer.get(flag.url).status_code == 200, (flag.kind, flag.url)


def test_the_demo_auditor_exports_the_trail_and_each_procurement_file(demo_db: None) -> None:
    import hashlib
    import io
    import zipfile

    from django.utils import timezone

    auditor = Client()
    auditor.force_login(get_user_model().objects.get(username="auditor@lakes.example.org"))
    today = timezone.localdate()
    period = {"since": f"{today.year - 1}-01-01", "until": today.isoformat(), "format": "zip"}
    trail = auditor.get("/a/lakes/audit/export/", period)
    assert trail.status_code == 200 and trail["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(trail.content)) as archive:
        verification = json.loads(archive.read("verification.json"))
        assert archive.read("events.csv").count(b"\n") > 100
    assert verification["verification"].startswith("intact")
    for number in ("LK-2027-01", "LK-2026-03"):  # sealed now, and opened and awarded
        s = Solicitation.objects.get(number=number)
        got = auditor.get(f"/a/lakes/audit/solicitations/{s.pk}/file.zip")
        assert got.status_code == 200, number
        with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
        listed = json.loads(files["documents.json"])
        assert len(listed) == s.documents.count(), number
        assert listed or number == "LK-2026-03"  # the demo's past bid has no documents
        for entry in listed:  # the documents themselves, as published
            assert hashlib.sha256(files[entry["file"]]).hexdigest() == entry["sha256"]
        manifest = json.loads(files["manifest.json"])
        assert all(hashlib.sha256(files[n]).hexdigest() == h for n, h in manifest.items())
        assert ("tabulation.csv" in files) is (not s.is_sealed), number
