"""Every paginated page: a page that does not exist is a 404 that says so, never a 500 and
never a silent jump to another page."""

from __future__ import annotations

import pytest

from .conftest import assert_csp_clean, client_for

LISTS = [
    ("agency_admin", "/a/north/members/"),
    ("agency_admin", "/a/north/members/applications/"),
    ("agency_admin", "/a/north/suppliers/"),
    ("agency_admin", "/a/north/audit/"),
    ("agency_admin", "/a/north/solicitations/"),
    ("agency_admin", "/a/north/billing/"),
    ("agency_admin", "/a/north/billing/invoices/"),
    ("agency_admin", "/a/north/services/requests/"),
    (None, "/a/north/bids/"),
]


@pytest.mark.parametrize(("role", "url"), LISTS)
def test_pages_that_do_not_exist_are_404_with_a_way_back(north, role, url):
    client = client_for(north.users[role] if role else None)
    assert client.get(url).status_code == 200
    for page in ["99999999999999999999", "2", "0", "-1", "1e400", "abc"]:
        r = client.get(url, {"page": page, "sort": "name"})
        assert r.status_code == 404, (url, page, r.status_code)
        html = r.content.decode()
        assert "This list has no page" in html
        assert 'href="?sort=name"' in html  # back to page 1, filters and sort kept
        assert_csp_clean(html)


def test_page_one_and_no_page_are_the_same(north):
    client = client_for(north.users["agency_admin"])
    assert client.get("/a/north/members/", {"page": "1"}).status_code == 200
    assert client.get("/a/north/members/", {"page": ""}).status_code == 200
