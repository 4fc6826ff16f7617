"""Who sees which page: each role's pages open, the others are 403 (same agency) or 404
(another agency's records, or a record outside the user's own institution or supplier)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from edcoop.members import services
from edcoop.members.models import Institution

from .conftest import AGENCY_ROLES, ALL_ROLES, MEMBER_ROLES, client_for

LISTERS = {"agency_admin", "procurement_officer", "business_office", "auditor"}
STAFF = set(AGENCY_ROLES)


def applicant(tenant: Any, name: str = "Applicant Union Free SD") -> Any:
    return services.membership_apply(
        agency=tenant.agency,
        application=services.Application(
            name=name, kind=Institution.Kind.PUBLIC_K12, state="NY", contact_email="a@b.org"
        ),
    )


def pages(t: Any) -> dict[str, tuple[set[str], set[str]]]:
    """URL -> (roles that get 200, roles that get 404); every other role gets 403."""
    s = t.agency.slug
    m = t.institution.membership
    app = applicant(t)
    inst = t.institution.pk
    sup = t.supplier.pk
    not_own_inst = {"evaluator", "supplier_rep"}
    not_own_sup = set(MEMBER_ROLES)
    return {
        f"/a/{s}/members/": (LISTERS, set()),
        f"/a/{s}/members/?format=csv": (LISTERS, set()),
        f"/a/{s}/members/applications/": (LISTERS, set()),
        f"/a/{s}/members/{m.pk}/": (LISTERS, set()),
        f"/a/{s}/members/{m.pk}/edit/": ({"agency_admin", "business_office"}, set()),
        f"/a/{s}/members/{app.pk}/approve/": ({"agency_admin"}, set()),
        f"/a/{s}/members/{app.pk}/decline/": ({"agency_admin"}, set()),
        f"/a/{s}/members/{m.pk}/status/suspended/": ({"agency_admin"}, set()),
        f"/a/{s}/suppliers/": (STAFF, set()),
        f"/a/{s}/suppliers/{sup}/": (STAFF, set()),
        f"/a/{s}/suppliers/{sup}/approve/": ({"agency_admin", "procurement_officer"}, set()),
        f"/a/{s}/audit/": ({"agency_admin", "auditor"}, set()),
        f"/a/{s}/institution/{inst}/": (LISTERS | set(MEMBER_ROLES), not_own_inst),
        f"/a/{s}/institution/{inst}/edit/": (
            {"agency_admin", "business_office", "member_admin"},
            not_own_inst,
        ),
        f"/a/{s}/supplier/{sup}/": (STAFF | {"supplier_rep"}, not_own_sup),
        f"/a/{s}/supplier/{sup}/edit/": (
            {"agency_admin", "procurement_officer", "supplier_rep"},
            not_own_sup,
        ),
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_page_matrix(north: Any, role: str) -> None:
    client = client_for(north.users[role])
    for url, (ok, missing) in pages(north).items():
        expected = 200 if role in ok else 404 if role in missing else 403
        response = client.get(url)
        assert response.status_code == expected, (role, url, response.status_code)
        if expected == 403:
            assert b"You cannot do this with your account" in response.content
        if expected == 404:
            assert b"Page not found" in response.content


@pytest.mark.parametrize("role", sorted(STAFF))
def test_staff_see_their_dashboard(north: Any, role: str) -> None:
    body = client_for(north.users[role]).get("/a/north/").content.decode()
    assert "dashboard" in body
    if role in LISTERS:
        assert "Active members" in body and "Applications waiting" in body
    else:
        assert "Active members" not in body  # an evaluator does not see members
    assert "Active suppliers" in body


@pytest.mark.parametrize("role", [*MEMBER_ROLES, "supplier_rep"])
def test_member_and_supplier_users_see_the_public_page_with_their_links(
    north: Any, role: str
) -> None:
    body = client_for(north.users[role]).get("/a/north/").content.decode()
    assert "dashboard" not in body
    assert "Become a member" in body
    own = "My company" if role == "supplier_rep" else "My institution"
    assert own in body  # the navigation leads to their own page
    assert "Audit trail" not in body and ">Members<" not in body


@pytest.mark.parametrize(
    ("role", "landing"),
    [("agency_admin", "/a/north/"), ("member_buyer", "/a/north/institution/{inst}/"),
     ("supplier_rep", "/a/north/supplier/{sup}/")],
)  # fmt: skip
def test_home_sends_a_signed_in_user_to_their_start_page(
    north: Any, role: str, landing: str
) -> None:
    response = client_for(north.users[role]).get("/")
    assert response.status_code == 302
    assert response["Location"] == landing.format(inst=north.institution.pk, sup=north.supplier.pk)


def test_home_offers_a_chooser_to_a_user_of_two_agencies(north: Any, nation: Any) -> None:
    user = north.users["auditor"]
    services.role_assign(user=None, agency=nation.agency, person=user, role="evaluator")
    response = client_for(user).get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "North Agency: agency console" in body and "Nation Agency: agency console" in body
    assert "Switch agency" in body


def test_anonymous_visitors_are_sent_to_sign_in(north: Any) -> None:
    client = Client()
    for url in ["/a/north/members/", "/a/north/audit/", f"/a/north/supplier/{north.supplier.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    body = client.get("/").content.decode()
    assert "North Agency" in body and "/a/north/join/" in body and "/accounts/login/" in body


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_page_of_another_agency_is_404(north: Any, nation: Any, role: str) -> None:
    client = client_for(north.users[role])
    for url in pages(nation):
        response = client.get(url)
        assert response.status_code == 404, (role, url, response.status_code)
    # Nor can nation's records be reached through north's address: 404 for the roles that
    # may open that kind of page (the others get the 403 of the page itself).
    for url, openers in [
        (f"/a/north/members/{nation.institution.membership.pk}/", LISTERS),
        (f"/a/north/suppliers/{nation.supplier.pk}/", STAFF),
        (f"/a/north/institution/{nation.institution.pk}/", STAFF | set(MEMBER_ROLES)),
        (f"/a/north/supplier/{nation.supplier.pk}/", STAFF | {"supplier_rep"}),
    ]:
        status = client.get(url).status_code
        assert status == 404 if role in openers else status in {403, 404}, (role, url, status)
    # nation's public page is public, but shows nothing of its console.
    body = client.get("/a/nation/").content.decode()
    assert "dashboard" not in body and "Active members" not in body


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_member_user_cannot_open_the_other_institution(north: Any, role: str) -> None:
    client = client_for(north.users[role])
    other = north.institutions[1]
    assert client.get(f"/a/north/institution/{other.pk}/").status_code == 404
    assert client.get(f"/a/north/institution/{other.pk}/edit/").status_code == 404
    body = client.get(f"/a/north/institution/{north.institution.pk}/").content.decode()
    assert north.institution.name in body and other.name not in body


def test_writes_to_another_agency_are_404_and_change_nothing(north: Any, nation: Any) -> None:
    app = applicant(nation)
    client = client_for(north.users["agency_admin"])
    response = client.post(f"/a/nation/members/{app.pk}/approve/", {"component": "on"})
    assert response.status_code == 404
    app.refresh_from_db()
    assert app.status == "applicant"
    response = client.post(f"/a/north/members/{app.pk}/approve/", {"component": "on"})
    assert response.status_code == 404
    app.refresh_from_db()
    assert app.status == "applicant"
