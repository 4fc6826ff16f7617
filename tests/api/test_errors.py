"""Errors are JSON with a readable detail; a crash never shows its insides."""

from __future__ import annotations

from edcoop.members import services


def test_an_unexpected_error_is_a_bare_json_500(north, api_for, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(services, "membership_year_set", boom)
    api = api_for(north.users["business_office"])
    m = north.institution.membership
    r = api.put(f"/agencies/north/memberships/{m.pk}/years/2026", {"enrollment": 5})
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal error"}
    assert "hunter2" not in r.content.decode()
    assert "Traceback" not in r.content.decode()


def test_permission_denied_is_403_json_with_a_reason(north, api_for):
    m = north.institution.membership
    r = api_for(north.users["auditor"]).post(
        f"/agencies/north/memberships/{m.pk}/status", {"status": "suspended"}
    )
    assert r.status_code == 403
    assert r.json() == {"detail": "You may not membership decide here."}


def test_a_wrong_method_is_not_an_html_page(north, api_for):
    r = api_for(north.users["agency_admin"]).call("delete", "/agencies/north")
    assert r.status_code == 405
    assert r.json()["detail"]
