"""Another agency's records do not exist for a user: 404 for every read and write, never
403, and nothing changes. Member users see only their own institution."""

from __future__ import annotations

from typing import Any

import pytest

from edcoop.core import audit


def cross_agency_calls(target: Any) -> list[tuple[str, str, Any]]:
    slug = target.agency.slug
    inst = target.institution
    m = inst.membership
    sup = target.supplier
    return [
        ("get", f"/agencies/{slug}", None),
        ("get", f"/agencies/{slug}/institutions", None),
        ("get", f"/agencies/{slug}/institutions/{inst.pk}", None),
        ("patch", f"/agencies/{slug}/institutions/{inst.pk}", {"website": "https://x.example"}),
        ("get", f"/agencies/{slug}/memberships", None),
        ("get", f"/agencies/{slug}/memberships/{m.pk}", None),
        ("post", f"/agencies/{slug}/memberships/{m.pk}/approve", {}),
        ("post", f"/agencies/{slug}/memberships/{m.pk}/decline", {"reason": "no"}),
        ("post", f"/agencies/{slug}/memberships/{m.pk}/status", {"status": "suspended"}),
        ("put", f"/agencies/{slug}/memberships/{m.pk}/years/2026", {"enrollment": 1}),
        ("get", f"/agencies/{slug}/suppliers", None),
        ("get", f"/agencies/{slug}/suppliers/{sup.pk}", None),
        ("patch", f"/agencies/{slug}/suppliers/{sup.pk}", {"dba": "Hijacked"}),
        ("post", f"/agencies/{slug}/suppliers/{sup.pk}/status", {"status": "debarred",
                                                                 "reason": "x"}),
        ("post", f"/agencies/{slug}/suppliers", {"legal_name": "Sneaky",
                                                 "tax_id": "98-7654321"}),
        ("post", f"/agencies/{slug}/applications", {"name": "Sneaky ISD",
                                                    "kind": "public_k12", "state": "MN"}),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["agency_admin", "auditor", "member_admin", "supplier_rep"])
def test_another_agency_is_404_for_every_call_and_nothing_changes(
    north, nation, role, api_for, state
):
    api = api_for(north.users[role])
    before = state()
    for method, path, body in cross_agency_calls(nation):
        r = api.call(method, path, body)
        assert r.status_code == 404, (method, path, r.status_code, r.content)
        assert r.json() == {"detail": "Not found."}
    assert state() == before


def test_another_agencys_ids_under_your_own_slug_are_404(north, nation, api_for, state):
    """Right agency in the URL, wrong agency's record id: still not found."""
    api = api_for(north.users["agency_admin"])
    before = state()
    slug = north.agency.slug
    m = nation.institution.membership
    for method, path, body in [
        ("get", f"/agencies/{slug}/institutions/{nation.institution.pk}", None),
        ("patch", f"/agencies/{slug}/institutions/{nation.institution.pk}", {"city": "X"}),
        ("get", f"/agencies/{slug}/memberships/{m.pk}", None),
        ("post", f"/agencies/{slug}/memberships/{m.pk}/status", {"status": "suspended"}),
        ("put", f"/agencies/{slug}/memberships/{m.pk}/years/2026", {"enrollment": 1}),
        ("get", f"/agencies/{slug}/suppliers/{nation.supplier.pk}", None),
        ("patch", f"/agencies/{slug}/suppliers/{nation.supplier.pk}", {"dba": "X"}),
    ]:
        r = api.call(method, path, body)
        assert r.status_code == 404, (method, path, r.content)
    assert state() == before


def test_not_existing_and_not_yours_look_the_same(north, nation, api_for):
    api = api_for(north.users["agency_admin"])
    missing = api.get("/agencies/atlantis/institutions")
    foreign = api.get(f"/agencies/{nation.agency.slug}/institutions")
    assert (missing.status_code, missing.json()) == (foreign.status_code, foreign.json())


def test_agency_list_shows_only_the_callers_agencies(north, nation, anon, api_for):
    api = api_for(north.users["member_buyer"])
    agencies = api.get("/agencies").json()
    assert [a["slug"] for a in agencies] == ["north"]
    assert agencies[0]["roles"] == ["member_buyer"]

    public = anon.get("/agencies").json()
    assert sorted(a["slug"] for a in public) == ["nation", "north"]
    assert all(a["roles"] == [] for a in public)


def test_anonymous_callers_see_only_agencies_accepting_applications(north, nation, anon):
    nation.agency.accepting_applications = False
    nation.agency.save()
    assert [a["slug"] for a in anon.get("/agencies").json()] == ["north"]
    assert anon.get("/agencies/nation").status_code == 404
    r = anon.post("/agencies/nation/applications",
                  {"name": "Late ISD", "kind": "public_k12", "state": "MN"})  # fmt: skip
    assert r.status_code == 404
    assert anon.get("/agencies/north").json()["name"] == "North Agency"


@pytest.mark.parametrize("role", ["member_admin", "member_buyer", "member_finance"])
def test_member_users_see_only_their_own_institution(north, role, api_for):
    api = api_for(north.users[role])
    own, other = north.institutions
    listing = api.get("/agencies/north/institutions").json()
    assert listing["count"] == 1
    assert [i["name"] for i in listing["items"]] == [own.name]

    assert api.get(f"/agencies/north/institutions/{own.pk}").status_code == 200
    assert api.get(f"/agencies/north/institutions/{other.pk}").status_code == 404

    mine = api.get(f"/agencies/north/memberships/{own.membership.pk}")
    assert mine.status_code == 200
    assert mine.json()["years"][0]["rwada"] == "1180.50"
    assert api.get(f"/agencies/north/memberships/{other.membership.pk}").status_code == 404
    # Listing every member is staff business, asked within the user's own agency: 403.
    assert api.get("/agencies/north/memberships").status_code == 403


def test_member_users_cannot_touch_the_other_institution(north, api_for, state):
    api = api_for(north.users["member_admin"])
    other = north.institutions[1]
    before = state()
    r = api.patch(f"/agencies/north/institutions/{other.pk}", {"website": "https://x.example"})
    assert r.status_code == 404
    r = api.put(f"/agencies/north/memberships/{other.membership.pk}/years/2026",
                {"enrollment": 5})  # fmt: skip
    assert r.status_code == 404
    assert state() == before


def test_a_supplier_rep_sees_only_their_supplier(north, api_for):
    services_supplier = api_for(north.users["agency_admin"]).post(
        "/agencies/north/suppliers", {"legal_name": "Other Co", "tax_id": "55-5555555"}
    )
    assert services_supplier.status_code == 201
    api = api_for(north.users["supplier_rep"])
    listing = api.get("/agencies/north/suppliers").json()
    assert [s["legal_name"] for s in listing["items"]] == ["North Paper Co"]
    other_id = services_supplier.json()["id"]
    assert api.get(f"/agencies/north/suppliers/{other_id}").status_code == 404
    assert api.get("/agencies/north/institutions").json()["count"] == 0
    assert audit.verify() == []


def test_institution_filters_and_pagination(north, api_for):
    api = api_for(north.users["auditor"])
    r = api.get("/agencies/north/institutions", q="district 2")
    assert [i["name"] for i in r.json()["items"]] == ["North District 2"]
    assert api.get("/agencies/north/institutions", kind="charter").json()["count"] == 0
    assert api.get("/agencies/north/institutions", state="ny").json()["count"] == 2
    assert api.get("/agencies/north/institutions", status="applicant").json()["count"] == 0

    page1 = api.get("/agencies/north/institutions", page_size=1).json()
    page2 = api.get("/agencies/north/institutions", page_size=1, page=2).json()
    assert page1["count"] == page2["count"] == 2
    assert [i["name"] for i in page1["items"] + page2["items"]] == [
        "North District 1",
        "North District 2",
    ]


def test_membership_filters(north, api_for):
    api = api_for(north.users["business_office"])
    r = api.get("/agencies/north/memberships", status="active")
    assert r.json()["count"] == 2
    assert api.get("/agencies/north/memberships", status="applicant").json()["count"] == 0
    assert api.get("/agencies/north/memberships", component="true").json()["count"] == 0
