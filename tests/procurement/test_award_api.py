"""The evaluation and award API: findings, the preview with tie keys, the recommendation
with a tie resolved, the board's approval, the notice; refusals as 400 naming the field."""

from __future__ import annotations

from tests.api.conftest import _api_for

from edcoop.procurement.models import Award

from .test_evaluation import three  # noqa: F401 (fixture)


def test_award_through_the_api(north, three, clock):  # noqa: F811
    bid, _second, third = three
    base = f"/agencies/north/solicitations/{bid.pk}"
    officer = _api_for(north.users["procurement_officer"])
    r = officer.post(base + "/findings/propose")
    assert r.status_code == 200
    bad = next(f for f in r.json() if not f["proposed"])
    assert bad["supplier"] == "North Paper Co"
    r = officer.post(base + f"/findings/{bad['id']}", {"value": True})
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = officer.post(base + f"/findings/{bad['id']}", {"value": "maybe"})
    assert r.status_code == 422
    preview = officer.get(base + "/award/preview").json()
    assert preview["status"] == "tie" and preview["tie_keys"]
    key = preview["tie_keys"][0]
    r = officer.post(base + "/award", {"basis": "Low bids.", "tie_choices": {}})
    assert r.status_code == 400 and "ties" in r.json()["errors"]
    assert not Award.objects.exists()
    r = officer.post(
        base + "/award",
        {"basis": "Low bids.", "tie_reason": "Drawn by lot.", "tie_choices": {key: str(third.pk)}},
    )
    assert r.status_code == 201, r.json()
    assert r.json()["total"] == "35596.57" and r.json()["status"] == "recommended"
    # The officer cannot approve for the board.
    r = officer.post(
        base + "/award/approve",
        {"board_resolution": "R-9", "board_date": clock.now.date().isoformat()},
    )
    assert r.status_code == 403
    admin = _api_for(north.users["agency_admin"])
    r = admin.post(
        base + "/award/approve",
        {"board_resolution": "R-9", "board_date": clock.now.date().isoformat()},
    )
    assert r.status_code == 200 and r.json()["board_resolution"] == "R-9"
    r = officer.post(base + "/award/notice")
    assert r.status_code == 200 and r.json()["standstill_ends_at"]
    r = officer.post(base + "/award/finalize")
    assert r.status_code == 400 and "stand-still" in r.json()["detail"]
    # A supplier and another agency's officer see nothing to change.
    assert _api_for(north.users["supplier_rep"]).post(base + "/findings/propose").status_code in (
        403,
        404,
    )


def test_other_agency_gets_404(north, three, clock):  # noqa: F811
    from tests.conftest import make_tenant

    bid, _second, _third = three
    south = make_tenant("south", kind="regional", state="NY", time_zone="America/New_York")
    api = _api_for(south.users["procurement_officer"])
    r = api.get(f"/agencies/north/solicitations/{bid.pk}/award/preview")
    assert r.status_code == 404
    r = api.post(f"/agencies/south/solicitations/{bid.pk}/findings/propose")
    assert r.status_code == 404
