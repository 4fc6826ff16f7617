"""Bad input: 400 (a domain rule refused it) or 422 (not the documented shape), always
naming the field, and nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edcoop.core import audit


def year_url(t):
    return f"/agencies/north/memberships/{t.institution.membership.pk}/years/2026"


CASES = [
    # (role, method, path builder, body, expected status, field)
    ("business_office", "put", year_url, {"rwada": "-1.00"}, 422, "rwada"),
    ("business_office", "put", year_url, {"aid_ratio": "1.5"}, 422, "aid_ratio"),
    ("business_office", "put", year_url, {"aid_ratio": "0.61505"}, 422, "aid_ratio"),
    ("business_office", "put", year_url, {"aid_ratio": 0.615}, 422, "aid_ratio"),
    ("business_office", "put", year_url, {"full_value": "lots"}, 422, "full_value"),
    ("business_office", "put", year_url, {"enrollment": -3}, 422, "enrollment"),
    ("business_office", "put", year_url, {"enrolment": 5}, 422, "enrolment"),
    ("business_office", "put",
     lambda t: f"/agencies/north/memberships/{t.institution.membership.pk}/years/1800",
     {"enrollment": 5}, 400, "fiscal_year"),
    ("agency_admin", "patch", lambda t: f"/agencies/north/institutions/{t.institution.pk}",
     {"kind": "castle"}, 422, "kind"),
    ("agency_admin", "patch", lambda t: f"/agencies/north/institutions/{t.institution.pk}",
     {"state": "ZZ"}, 400, "state"),
    ("agency_admin", "patch", lambda t: f"/agencies/north/institutions/{t.institution.pk}",
     {"nces_id": "12"}, 400, "nces_id"),
    ("member_admin", "patch", lambda t: f"/agencies/north/institutions/{t.institution.pk}",
     {"name": "Renamed"}, 400, "name"),
    (None, "post", lambda t: "/agencies/north/applications",
     {"name": "Castle ISD", "kind": "castle", "state": "NY"}, 422, "kind"),
    (None, "post", lambda t: "/agencies/north/applications",
     {"kind": "public_k12", "state": "NY"}, 422, "name"),
    (None, "post", lambda t: "/agencies/north/suppliers",
     {"legal_name": "Bad EIN Inc", "tax_id": "123456789"}, 400, "tax_id"),
    (None, "post", lambda t: "/agencies/north/suppliers",
     {"legal_name": "Bad Cert Inc", "tax_id": "12-3456789", "certifications": ["xyz"]},
     422, "certifications"),
    ("procurement_officer", "patch", lambda t: f"/agencies/north/suppliers/{t.supplier.pk}",
     {"tax_id": "12345"}, 400, "tax_id"),
    ("procurement_officer", "post",
     lambda t: f"/agencies/north/suppliers/{t.supplier.pk}/status",
     {"status": "debarred"}, 400, "reason"),
    ("procurement_officer", "post",
     lambda t: f"/agencies/north/suppliers/{t.supplier.pk}/status",
     {"status": "gone"}, 422, "status"),
    ("agency_admin", "post",
     lambda t: f"/agencies/north/memberships/{t.institution.membership.pk}/approve",
     {}, 400, "status"),
    ("agency_admin", "post",
     lambda t: f"/agencies/north/memberships/{t.institution.membership.pk}/status",
     {"status": "declined"}, 400, "status"),
]  # fmt: skip


@pytest.mark.parametrize("role, method, path, body, expected, field", CASES)
def test_bad_input_names_the_field_and_writes_nothing(
    north, anon, role, method, path, body, expected, field, api_for, state
):
    api = api_for(north.users[role]) if role else anon
    before = state()
    r = api.call(method, path(north), body)
    assert r.status_code == expected, r.content
    payload = r.json()
    assert payload["detail"].startswith(field)
    if expected == 400:
        assert field in payload["errors"]
    else:
        assert [e["field"].split(".")[0] for e in payload["errors"]] == [field]
    assert state() == before
    assert audit.verify() == []


def test_schema_errors_do_not_echo_the_input(north, anon):
    r = anon.post("/agencies/north/suppliers", {"legal_name": 5, "tax_id": ["98-7654321"]})
    assert r.status_code == 422
    assert "98-7654321" not in r.content.decode()


def test_a_body_that_is_not_json_is_a_clean_4xx(north, api_for):
    api = api_for(north.users["business_office"])
    r = api.client.put(
        f"/api/v1{year_url(north)}", "{not json", content_type="application/json",
        headers=api._headers(),
    )  # fmt: skip
    assert 400 <= r.status_code < 500
    assert r.json()["detail"]


def test_good_figures_round_trip_as_fixed_point_strings(north, api_for):
    api = api_for(north.users["business_office"])
    r = api.put(year_url(north), {"enrollment": 1210, "rwada": "1190.5", "aid_ratio": "0.62",
                                  "full_value": "900000000"})  # fmt: skip
    assert r.status_code == 200, r.content
    assert r.json() == {
        "fiscal_year": 2026,
        "enrollment": 1210,
        "rwada": "1190.50",
        "aid_ratio": "0.6200",
        "full_value": "900000000.00",
    }
    year = north.institution.membership.years.get(fiscal_year=2026)
    assert year.rwada == Decimal("1190.50")
    assert year.aid_ratio == Decimal("0.6200")
    assert '"rwada": "1190.50"' in r.content.decode()
