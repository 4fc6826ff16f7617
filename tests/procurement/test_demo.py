"""`make demo`'s procurement story: a sealed current bid and an opened past one."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from edcoop.core import audit
from edcoop.procurement import evaluation, selectors
from edcoop.procurement.models import Finding, Solicitation


def test_demo_has_a_sealed_bid_and_an_opened_tabulation(demo_db: None):
    assert audit.verify() == []
    # A supplier's own change of certifications waits for the agency's decision.
    from edcoop.members.models import SupplierChangeRequest

    pending = SupplierChangeRequest.objects.get(status="pending", kind="profile")
    assert "Local business" in pending.described and "local" not in pending.supplier.certifications
    current = Solicitation.objects.get(number="LK-2027-01")
    assert current.status == "published" and current.is_sealed
    assert current.responses.filter(is_current=True).count() == 3
    assert current.addenda.count() == 1
    assert selectors.public_questions(current).count() == 2
    assert selectors.participants(current).count() == 12
    past = Solicitation.objects.get(number="LK-2026-03")
    assert past.status == "awarded"
    award = past.awards.get()
    assert award.status == "final" and award.board_resolution
    # Empire did not acknowledge the addendum: found non-responsive, never the low bid.
    assert {ln.supplier.dba or ln.supplier.legal_name for ln in award.lines.all()} == {
        "NECP", "Finger Lakes Dairy Cooperative"}  # fmt: skip
    assert Finding.objects.filter(response__solicitation=past, decided=False).count() == 1
    client = Client()
    page = client.get(reverse("procurement:tabulation", args=["lakes", past.pk]))
    assert page.status_code == 200 and b"NECP" in page.content
    # The tabulation shows the award; the board's resolution is numbered for the day it met.
    resolution = award.board_resolution
    assert resolution == f"{award.board_date:%Y-%m-%d}-4"
    assert f"Board resolution {resolution}".encode() in page.content
    rfp = Solicitation.objects.get(number="LK-2026-07")
    assert rfp.status == "under_evaluation"
    result = evaluation.committee_result(rfp)
    assert (result.submitted, result.seated) == (1, 2) and len(result.rows) == 2
    from django.contrib.auth import get_user_model

    paper = Solicitation.objects.get(number="LK-2026-05")
    recommended = paper.awards.get()
    assert recommended.status == "recommended"
    # NECP's spend discount moves the optimal award off the lowest price per lot (Empire).
    assert {ln.supplier.legal_name.split()[0] for ln in recommended.lines.all()} == {"Northeast"}
    assert recommended.total < recommended.baseline_total
    assert [d["percent"] for d in recommended.result["discounts"]] == ["2.5"]

    officer = Client()
    officer.force_login(get_user_model().objects.get(username="purchasing@lakes.example.org"))
    report = officer.get(reverse("procurement:award", args=["lakes", past.pk])).content.decode()
    assert resolution in report and "Overrode" not in report and "Confirmed" in report
    paper_report = officer.get(reverse("procurement:award", args=["lakes", paper.pk]))
    assert b"What pooling earned each member" in paper_report.content
    assert b"Spend discounts in the total: NECP 2.5% of" in paper_report.content
    page = officer.get(reverse("procurement:evaluation", args=["lakes", rfp.pk])).content
    # The officer is seated on LK-2026-07 and has not submitted: no committee scores yet.
    assert b"1 of 2 evaluator(s) submitted" not in page
    assert b"shown to you once you submit your own" in page
    admin = Client()  # not seated: the agency administrator sees the committee's table
    admin.force_login(get_user_model().objects.get(username="admin@lakes.example.org"))
    page = admin.get(reverse("procurement:evaluation", args=["lakes", rfp.pk])).content
    assert b"1 of 2 evaluator(s) submitted" in page
    evaluator = Client()
    evaluator.force_login(get_user_model().objects.get(username="evaluator@lakes.example.org"))
    page = evaluator.get(reverse("procurement:evaluation", args=["lakes", rfp.pk])).content
    assert b"Consensus" in page  # submitted: the committee's table is theirs to see
    assert b"Total by evaluator" in page and b"Jordan Kim" in page
    sealed = client.get(reverse("procurement:tabulation", args=["lakes", current.pk]))
    assert sealed.status_code == 404 and b"38.40" not in sealed.content


def test_demo_has_the_officers_next_steps(demo_db: None):
    """Every state the console has a page for is in the demo: a question to answer, a
    protest to decide, a draft (lots, items, criteria, a document) whose demand survey is
    open, proposals with attachments, and a supplier's contact change to confirm."""
    from edcoop.members.models import SupplierChangeRequest
    from edcoop.procurement import timing
    from edcoop.procurement.models import ResponseAttachment

    current = Solicitation.objects.get(number="LK-2027-01")
    assert current.questions.filter(answered_at__isnull=True).count() == 1
    award = Solicitation.objects.get(number="LK-2026-08").awards.get()
    assert award.status == "noticed" and award.standstill_ends_at > timing.now()
    protest = award.protests.get()
    assert protest.outcome == "" and protest.supplier.dba == "Empire Paper"
    draft = Solicitation.objects.get(number="LK-2027-02")
    assert draft.status == "draft" and draft.survey_deadline > timing.now()
    assert (draft.lots.count(), draft.items.count(), draft.criteria.count(),
            draft.documents.count()) == (2, 4, 3, 1)  # fmt: skip
    assert draft.items.filter(commitments__isnull=False).distinct().count() == 2
    rfp = Solicitation.objects.get(number="LK-2026-07")
    assert ResponseAttachment.objects.filter(response__solicitation=rfp).count() == 2
    contact = SupplierChangeRequest.objects.get(status="pending", kind="contact")
    assert contact.after == {"email": "contracts@ctp.example.com"}


def test_demo_done_means_for_evaluation_and_award(demo_db: None):
    """Issue 12's "Done means": the opened copy-paper bid has findings and an award
    recommendation priced at the volume tiers with the saving shown; an awarded past RFP shows
    its committee scores in its award report (the page and the PDF)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from tests.billing.test_invoice_document import pdf_text

    from edcoop.billing.pdf import document_html
    from edcoop.core.formatting import money
    from edcoop.procurement.views.evaluation import _report

    officer = Client()
    user = get_user_model().objects.get(username="purchasing@lakes.example.org")
    officer.force_login(user)
    paper = Solicitation.objects.get(number="LK-2026-05")
    findings = Finding.objects.filter(response__solicitation=paper)
    assert findings.count() == 2 * paper.responses.filter(is_current=True).count()
    assert not findings.filter(decided__isnull=True).exists()
    award = paper.awards.get()
    assert (award.status, award.method) == ("recommended", "optimal")
    # Each line is priced at the tier its pooled quantity earns, below the base price bid.
    for line in award.lines.select_related("response"):
        bid = line.response.bid_lines.get(item=line.item)
        if bid.tiers:
            assert line.unit_price < bid.unit_price
            assert str(line.unit_price) in {str(Decimal(t["unit_price"])) for t in bid.tiers}
    assert award.lines.filter(unit_price__lt=Decimal("38.75")).exists()
    saving = award.baseline_total - award.total
    assert saving > 0
    report = officer.get(reverse("procurement:award", args=["lakes", paper.pk])).content.decode()
    assert f"saving {money(saving)}" in report
    assert "What pooling earned each member" in report
    page = officer.get(reverse("procurement:evaluation", args=["lakes", paper.pk])).content
    assert b"Responsive" in page or b"responsive" in page

    rfp = Solicitation.objects.get(number="LK-2026-04")
    assert (rfp.kind, rfp.status) == ("rfp", "awarded")
    final = rfp.awards.get()
    assert (final.status, final.method) == ("final", "best_value")
    assert {ln.supplier.legal_name.split()[0] for ln in final.lines.all()} == {"Northeast"}
    report = officer.get(reverse("procurement:award", args=["lakes", rfp.pk])).content.decode()
    board = final.board_resolution  # numbered for the day the board met, last August
    assert board == f"{final.board_date:%Y-%m-%d}-3" and final.board_date.month == 8
    for shown in ("Committee scores", "83.82", "79.50", board, "Confirmed",
                  "Fleet plan reviewed building by building."):  # fmt: skip
        assert shown in report, shown
    request = type("R", (), {"user": user})()
    text = pdf_text(document_html("procurement/award_pdf.html",
                                  _report(request, rfp.agency, rfp, final)))  # fmt: skip
    for shown in ("Committee scores", "83.82", "79.50", "Bid tabulation", "Findings",
                  "Ties and how they were resolved", board):  # fmt: skip
        assert shown.casefold() in text.casefold(), shown  # headings print in capitals
    pdf = officer.get(reverse("procurement:award_pdf", args=["lakes", rfp.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
