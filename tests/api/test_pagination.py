"""Every API list pages the same way, and no page number or size reaches the database as an
offset it cannot hold (SQLite and PostgreSQL both overflow at 2**63)."""

from __future__ import annotations

import pytest

from edcoop.api.pagination import MAX_PAGE_SIZE

LISTS = [
    "/agencies/north/institutions",
    "/agencies/north/memberships",
    "/agencies/north/suppliers",
    "/agencies/north/services",
    "/agencies/north/subscriptions",
    "/agencies/north/usage",
    "/agencies/north/billing/runs",
    "/agencies/north/invoices",
]


@pytest.mark.parametrize("path", LISTS)
def test_huge_page_numbers_are_a_clear_4xx_on_every_list(north, api_for, path):
    api = api_for(north.users["agency_admin"])
    for page in ["99999999999999999999", str(2**63), "184467440737095517"]:
        r = api.get(path, page=page)
        assert r.status_code in (404, 422), (page, r.status_code, r.content)
        assert r.json()["detail"]


@pytest.mark.parametrize("path", LISTS)
def test_a_page_past_the_last_is_404_saying_how_many_pages_there_are(north, api_for, path):
    api = api_for(north.users["agency_admin"])
    first = api.get(path)
    assert first.status_code == 200
    r = api.get(path, page=5)
    assert r.status_code == 404
    count = first.json()["count"]
    assert r.json()["detail"].startswith(f"Page 5 does not exist: {count} records make 1 page")


def test_page_one_of_an_empty_list_exists(north, api_for):
    r = api_for(north.users["agency_admin"]).get("/agencies/north/invoices")
    assert r.status_code == 200
    assert r.json() == {"items": [], "count": 0}


@pytest.mark.parametrize("size", ["100000000", "9223372036854775807", str(MAX_PAGE_SIZE + 1)])
def test_a_page_size_above_the_cap_is_refused_not_clamped(north, api_for, size):
    r = api_for(north.users["agency_admin"]).get("/agencies/north/institutions", page_size=size)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "page_size"
    assert str(MAX_PAGE_SIZE) in r.json()["detail"]


def test_page_size_walks_every_record_once(north, api_for):
    api = api_for(north.users["agency_admin"])
    seen = []
    for page in (1, 2):
        r = api.get("/agencies/north/institutions", page=page, page_size=1)
        assert r.status_code == 200
        seen += [i["id"] for i in r.json()["items"]]
    assert sorted(seen) == sorted(i.pk for i in north.institutions)
    assert api.get("/agencies/north/institutions", page=3, page_size=1).status_code == 404
