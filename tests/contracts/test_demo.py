"""`make demo`'s contracts story: a district buyer finds the copy-paper contract, eligible
and compliant, with a PO received at the tier price; the national cooperative shows a
supplier's quarterly report, its admin fee invoice, and last year's patronage."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from edcoop.contracts import queries, sales
from edcoop.contracts.models import Contract, PatronageYear, PurchaseOrder, SalesReport
from edcoop.core import audit
from edcoop.members.models import Institution


def test_demo_tells_the_contracts_story(demo_db: None) -> None:
    assert audit.verify() == []
    buyer = get_user_model().objects.get(username="buyer@alder.example.org")
    alder = Institution.objects.get(name="Alder Creek CSD")
    found = queries.catalogue(user=buyer, agency=alder.agency, keyword="copy paper",
                              institution=alder)  # fmt: skip
    assert [c.number for c in found.contracts] == ["LK-C-2026-01"]
    paper = found.contracts[0]
    checks = queries.checklist(paper, alder, timezone.localdate())
    assert checks.passed, [(c.question, c.detail) for c in checks.checks if c.answer != "yes"]
    received = PurchaseOrder.objects.get(institution=alder, status="received")
    line = received.lines.get(item__sku="CP-8511")
    assert (line.quantity, line.unit_price) == (Decimal(250), Decimal("3.90"))  # 100+ tier
    waiting = PurchaseOrder.objects.get(institution=alder, status="draft")
    assert waiting.total > Decimal(5000)  # the finance officer's to approve
    # Empire's next price list waits for the officer: one cut, one increase, one new item.
    from edcoop.contracts import pricelists
    from edcoop.contracts.models import PriceListVersion

    pending = PriceListVersion.objects.get(contract=paper, status="pending")
    diff = pricelists.version_diff(pending)
    assert (diff.added, diff.removed, diff.changed, diff.increases) == (1, 0, 2, 1), diff
    assert str(paper.items.get(sku="CP-8511").unit_price) == "4.1000"  # not yet in force
    # A district that did not take part in the §119-o bid cannot buy under it.
    outside = Institution.objects.get(name="Round Lake CSD")
    assert paper not in queries.catalogue(user=buyer, agency=alder.agency,
                                          institution=outside).contracts  # fmt: skip
    assert Contract.objects.get(number="LK-C-2026-03").source == "award"
    # The milk contract needs each district's adoption before an order: none has yet.
    milk = Contract.objects.get(number="LK-C-2026-02")
    assert milk.requires_adoption and not milk.adoptions.exists()

    tech = Contract.objects.get(number="NEPC-2025-014")
    report = (SalesReport.objects.filter(contract=tech, version=1)
              .order_by("-year", "-quarter").first())  # fmt: skip
    assert report is not None and report.fee_invoice.amount == (
        report.total_sales * Decimal("0.02")
    ).quantize(Decimal("0.01"))
    states = {e.state for e in sales.expected_reports(tech.agency, timezone.localdate())}
    assert "missing" in states
    year = PatronageYear.objects.get(agency=tech.agency)
    assert sum(a.amount for a in year.allocations.all()) == year.distributable
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin@nation.example.org"))
    page = client.get(f"/a/nation/sales-reports/{report.pk}/").content.decode()
    assert "Admin fee invoice" in page
    # Rates are stored in percent: the 2% fee must not print as 200% (nor a share as 2,000%).
    assert "2% of" in page and "200%" not in page
    assert "2% of sales" in client.get(f"/a/nation/contracts/{tech.pk}/").content.decode()
    share = f"{year.cash_share_pct.normalize():f}%"
    patronage = client.get("/a/nation/patronage/").content.decode()
    assert "Patronage" in patronage and share in patronage, share
    assert "00%" not in patronage.replace("100%", "")
    # Fee payments (one invoice paid in full in two parts), an amended report with its fee
    # adjustment, and a member's purchasing dashboard.
    amended = SalesReport.objects.get(contract=tech, version=2)
    first = amended.amends
    assert first is not None and first.fee_invoice.paid_on is not None
    assert first.fee_invoice.payments.count() == 2
    assert amended.fee_invoice.amount + first.fee_invoice.amount == (
        amended.total_sales * Decimal("0.02")).quantize(Decimal("0.01"))  # fmt: skip
    page = client.get(f"/a/nation/sales-reports/{amended.pk}/").content.decode()
    assert "Versions of the" in page and "Admin fee adjustment" in page
    gpsu = Institution.objects.get(ipeds_id="900102")
    page = client.get("/a/nation/contracts/purchasing/", {"institution": gpsu.pk})
    assert page.status_code == 200 and "Open orders" in page.content.decode()
