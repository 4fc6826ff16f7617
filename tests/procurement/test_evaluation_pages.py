"""The evaluation and award pages, through the browser's HTTP: the officer's flow from
findings to the final award, the board's approval, a supplier's protest in its portal."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from tests.billing.test_invoice_document import pdf_objects
from tests.web.conftest import client_for

from edcoop.procurement import awarding, evaluation
from edcoop.procurement.models import Award, Finding

from .test_evaluation import three  # noqa: F401 (fixture)


def url(name, s, *args):
    return reverse(f"procurement:{name}", args=["north", s.pk, *args])


def test_officer_flow_through_the_pages(north, three, clock, django_capture_on_commit_callbacks):  # noqa: F811
    bid, second, third = three
    officer = client_for(north.users["procurement_officer"])
    page = officer.get(url("evaluation", bid))
    assert page.status_code == 200
    assert "Lowest responsible bidder" in page.content.decode()
    assert officer.post(url("findings_propose", bid), {}).status_code == 302
    f = Finding.objects.get(response__supplier=north.supplier, kind="responsive")
    # Override without a reason: the form says why, nothing changes.
    r = officer.post(url("finding", bid, f.pk), {"value": "yes", "reason": ""})
    assert r.status_code == 200 and "override" in r.content.decode()
    assert Finding.objects.get(pk=f.pk).decided is None
    page = officer.get(url("evaluation", bid)).content.decode()
    assert "Ties:" in page and "none is picked here" in page
    form = officer.get(url("award_recommend", bid)).content.decode()
    assert "Choose the bidder" in form
    # Without choosing the tied bidder: refused with the reason.
    r = officer.post(
        url("award_recommend", bid),
        {"method": "lowest_price", "basis": "Low.", "tie_0": "", "tie_reason": "By lot."},
    )
    assert r.status_code == 200 and not Award.objects.exists()
    r = officer.post(
        url("award_recommend", bid),
        {
            "method": "lowest_price",
            "basis": "Low.",
            "tie_0": str(third.pk),
            "tie_reason": "By lot.",
        },
    )
    assert r.status_code == 302
    award = Award.objects.get()
    # The officer cannot record the board's approval; the agency admin can.
    assert officer.get(url("award_step", bid, "approve")).status_code == 403
    admin = client_for(north.users["agency_admin"])
    r = admin.post(
        url("award_step", bid, "approve"),
        {"board_resolution": "R-7", "board_date": clock.now.date().isoformat()},
    )
    assert r.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(url("award_step", bid, "notice"), {}).status_code == 302
    assert len([m for m in mail.outbox if "Notice of award" in m.subject]) == 3
    report = officer.get(url("award", bid)).content.decode()
    assert "R-7" in report and "By lot." in report and "Third Paper Co" in report
    pdf = officer.get(url("award_pdf", bid))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    objects = pdf_objects(pdf.content)
    assert b"/StructTreeRoot" in objects and b"/MediaBox [0 0 612 792]" in objects
    assert b"/Lang" in objects and b"/MarkInfo" in objects  # PDF/UA, like the invoice
    # The supplier's portal: its outcome, and a protest.
    rep = client_for(north.users["supplier_rep"])
    portal = reverse("procurement:award_notice", args=["north", north.supplier.pk, bid.pk])
    page = rep.get(portal).content.decode()
    assert "non-responsive" in page
    bids = rep.get(reverse("procurement:bids", args=["north", north.supplier.pk])).content
    assert portal.encode() in bids  # the portal lists the notice
    assert rep.post(portal, {"grounds": "We acknowledged it."}).status_code == 302
    # Another supplier's portal is not theirs.
    other = reverse("procurement:award_notice", args=["north", second.pk, bid.pk])
    assert rep.get(other).status_code in (403, 404)
    protest = award.protests.get()
    r = officer.post(
        url("protest_decide", bid, protest.pk),
        {"outcome": "upheld", "decision": "No acknowledgment was received."},
    )
    assert r.status_code == 302
    clock.set(clock.now + timedelta(days=6))
    assert officer.post(url("award_step", bid, "finalize"), {}).status_code == 302
    bid.refresh_from_db()
    assert bid.status == "awarded"
    assert awarding.final_award_lines(bid)


def test_evaluator_and_supplier_cannot_evaluate(north, three):  # noqa: F811
    bid, _second, _third = three
    for role in ("evaluator", "supplier_rep", "member_buyer", "auditor"):
        c = client_for(north.users[role])
        assert c.post(url("findings_propose", bid), {}).status_code in (403, 404), role
        assert c.post(url("award_recommend", bid), {"basis": "x"}).status_code in (403, 404)
    assert not evaluation.standings(bid) or not Finding.objects.exists()


def test_the_evaluation_page_solves_unchanged_inputs_once(north, bid, clock, monkeypatch):
    """Both previews are kept under a hash of the engine's inputs: a second load solves
    nothing; a changed finding is new input and is solved again."""
    from edcoop.procurement import award_engine

    from .test_evaluation import opened, second_supplier

    second, rep2 = second_supplier(north)
    s = opened(north, bid, clock, [
        (north.supplier, north.users["supplier_rep"],
         {"1.01": "29.00", "1.02": "50.00", "2.01": "0.25"}, False),
        (second, rep2, {"1.01": "30.00", "1.02": "55.00", "2.01": "0.29"}, False),
    ])  # fmt: skip
    officer = north.users["procurement_officer"]
    evaluation.findings_propose(user=officer, solicitation=s)
    solves = []
    real = award_engine.solve
    monkeypatch.setattr(award_engine, "solve",
                        lambda problem, **kw: solves.append(kw) or real(problem, **kw))  # fmt: skip
    page = client_for(officer)
    url = reverse("procurement:evaluation", args=["north", s.pk])
    first = page.get(url).content.decode()
    assert len(solves) == 2 and "Optimal award" in first
    assert page.get(url).content.decode().count("Total $") == first.count("Total $")
    assert len(solves) == 2  # nothing solved again
    finding = Finding.objects.get(response__supplier=north.supplier, kind="responsible")
    evaluation.finding_decide(user=officer, finding=finding, value=False, reason="Debarred.")
    after = page.get(url).content.decode()
    assert len(solves) == 4 and after != first
