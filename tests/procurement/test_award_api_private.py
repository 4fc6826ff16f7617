"""``GET .../award`` in the API: a recommendation or approval is the agency's until the
notice of award (docs/evaluation.md, "Public"); respondents and members read the award once
noticed, as on the public tabulation."""

from __future__ import annotations

from tests.api.conftest import _api_for

from edcoop.procurement import awarding

from .test_evaluation import officer, recommended, three  # noqa: F401 (fixtures)


def test_nobody_outside_the_staff_reads_an_award_before_its_notice(north, three, clock):  # noqa: F811
    bid, _second, third = three
    award = recommended(north, bid, third)
    path = f"/agencies/north/solicitations/{bid.pk}/award"
    outsiders = [north.users[r] for r in ("supplier_rep", "member_admin", "member_buyer",
                                          "member_finance")]  # fmt: skip
    apis = {user: _api_for(user) for user in outsiders}
    for user, api in apis.items():
        r = api.get(path)
        assert r.status_code == 404 and "35596.57" not in r.content.decode(), user
    assert _api_for(north.users["business_office"]).get(path).status_code == 200
    award = awarding.award_approve(user=north.users["agency_admin"], award=award,
                                   board_resolution="R-9", board_date=clock.now.date())
    rep = apis[north.users["supplier_rep"]]
    assert rep.get(path).status_code == 404
    awarding.award_notice(user=officer(north), award=award)
    r = rep.get(path)
    assert r.status_code == 200 and r.json()["total"] == "35596.57"
