"""Issue 12, "Aggregation, shown": each participant sees what the pooled quantity earned it,
its own quantity at the tier it would earn alone against the pooled tier, and the saving in
money; only its own quantities, and only once the award is public (noticed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from tests.web.conftest import client_for

from edcoop.procurement import awarding, demand, evaluation, opening, publication, responses
from edcoop.procurement.responses import LineInput, ResponseInput

from .conftest import NOW, OPENING, approve, build_bid, items

D = Decimal


def test_each_member_sees_what_pooling_earned_it(north, clock):
    approve(north, north.supplier)
    officer, admin = north.users["procurement_officer"], north.users["agency_admin"]
    s = build_bid(north, publish=False, basis="per_item")
    s.survey_deadline = NOW + timedelta(days=1)
    s.save()
    milk = items(s)["2.01"]
    # 100 and 233 alone earn the base 0.30 each; pooled, 333 earns the 0.25 tier from 300.
    demand.demand_commit(
        user=north.users["member_buyer"], solicitation=s, institution=north.institutions[0],
        quantities={milk.pk: D("100")},
    )  # fmt: skip
    demand.demand_commit(user=admin, solicitation=s, institution=north.institutions[1],
                         quantities={milk.pk: D("233")})  # fmt: skip
    s = publication.survey_close(user=officer, solicitation=s)
    s = publication.solicitation_publish(user=officer, solicitation=s)
    responses.response_submit(
        user=north.users["supplier_rep"], solicitation=s, supplier=north.supplier,
        data=ResponseInput(lines=[LineInput(milk.pk, "0.30", [("300", "0.25")])],
                           attestations=["non_collusion"], acknowledged_addenda=[]),
    )  # fmt: skip
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=s)
    evaluation.findings_propose(user=officer, solicitation=s)
    award = awarding.award_recommend(user=officer, solicitation=s, basis="Lowest.")
    buyer = client_for(north.users["member_buyer"])
    page_url = reverse("procurement:surveys", args=["north", north.institutions[0].pk])
    assert "What pooling earned" not in buyer.get(page_url).content.decode()  # not public yet
    award = awarding.award_approve(user=admin, award=award, board_resolution="R-1",
                                   board_date=clock.now.date())  # fmt: skip
    awarding.award_notice(user=officer, award=award)
    rows = awarding.pooling_of(north.institutions[0])
    assert [(r.line.item.number, r.saving.quantity, r.saving.alone_unit_price,
             r.saving.pooled_unit_price, r.saving.saving) for r in rows] == [
        ("2.01", D("100"), D("0.30"), D("0.25"), D("5.00"))]  # fmt: skip
    assert awarding.pooling_of(north.institutions[1])[0].saving.saving == D("11.65")
    page = buyer.get(page_url).content.decode()
    assert f"What pooling earned {north.institutions[0].name}" in page
    for shown in ("IFB-2026-01", "2.01", "0.3000", "0.2500", "$5.00"):
        assert shown in page, shown
    assert "11.65" not in page and north.institutions[1].name not in page  # its own only
