"""Service request pages: members file requests for next year; the business office approves
them into subscriptions or declines them (confirmation pages)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.web.conftest import ALL_ROLES, assert_audited, assert_csp_clean, client_for

from edcoop.services import services as svc
from edcoop.services.models import ServiceRequest, Subscription

LIST_OK = {"agency_admin", "business_office", "auditor", "procurement_officer",
           "member_admin", "member_buyer", "member_finance"}  # fmt: skip
FILE_OK = {"agency_admin", "business_office", "member_admin", "member_buyer", "member_finance"}
DECIDE_OK = {"agency_admin", "business_office"}


@pytest.fixture
def submitted(year):
    """A preliminary FY2028 request of district A (the member users' own institution)."""
    return svc.request_file(
        user=None, institution=year.a, service=year.s["rate"], fiscal_year=2028,
        kind="preliminary", quantity=Decimal("40"),
    )  # fmt: skip


def _file(year, **overrides):
    data = {"institution": year.a.pk, "service": year.s["rate"].pk, "fiscal_year": "2028",
            "kind": "preliminary", "quantity": "40", "note": "Two new students"}  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_list_role_matrix(year, submitted, role):
    response = client_for(year.tenant.users[role]).get("/a/north/services/requests/")
    assert response.status_code == (200 if role in LIST_OK else 403)
    if response.status_code == 200:
        body = response.content.decode()
        assert_csp_clean(body)
        assert "300.010 Speech therapy" in body


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_form_role_matrix(year, role):
    response = client_for(year.tenant.users[role]).get("/a/north/services/requests/new/")
    assert response.status_code == (200 if role in FILE_OK else 403)
    if response.status_code == 200:
        assert_csp_clean(response.content.decode())


def test_member_only_sees_its_own_requests(year, submitted):
    svc.request_file(user=None, institution=year.b, service=year.s["flat"], fiscal_year=2028,
                     kind="final", quantity=Decimal("1"))  # fmt: skip
    body = client_for(year.tenant.users["member_buyer"]).get(
        "/a/north/services/requests/").content.decode()  # fmt: skip
    assert "300.010" in body and "601.200" not in body
    staff = client_for(year.tenant.users["auditor"]).get("/a/north/services/requests/")
    assert "601.200" in staff.content.decode()


def test_member_buyer_files_a_preliminary_request(year):
    user = year.tenant.users["member_buyer"]
    response = client_for(user).post("/a/north/services/requests/new/", _file(year), follow=True)
    assert response.status_code == 200
    assert "request for 300.010 Speech therapy filed" in response.content.decode()
    req = ServiceRequest.objects.get(fiscal_year=2028)
    assert (req.institution, req.kind, req.quantity) == (year.a, "preliminary", Decimal("40"))
    assert req.submitted_by == user
    assert_audited("service_request.file", user)


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", "-3"), ("quantity", "many"), ("kind", "someday"), ("fiscal_year", "2030"),
     ("service", "999999")],
)  # fmt: skip
def test_bad_request_names_the_field_and_writes_nothing(year, field, value):
    response = client_for(year.tenant.users["member_admin"]).post(
        "/a/north/services/requests/new/", _file(year, **{field: value}))  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in body and f'href="#id_{field}"' in body
    assert not ServiceRequest.objects.exists()


def test_member_cannot_file_for_another_institution(year):
    response = client_for(year.tenant.users["member_finance"]).post(
        "/a/north/services/requests/new/", _file(year, institution=year.b.pk))  # fmt: skip
    assert 'id="id_institution_error"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("action", ["approve", "decline"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_decide_pages_role_matrix(year, submitted, role, action):
    url = f"/a/north/services/requests/{submitted.pk}/{action}/"
    response = client_for(year.tenant.users[role]).get(url)
    if role in DECIDE_OK:
        expected = 200
    elif role in {"member_admin", "member_buyer", "member_finance", "auditor",
                  "procurement_officer"}:  # fmt: skip
        expected = 403  # the request is theirs to see, the decision is not
    else:
        expected = 404  # evaluator, supplier rep: the request is not theirs to see
    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert_csp_clean(body)
        assert "from Submitted to" in body


def test_other_agency_and_other_member_get_404(year, nation, submitted):
    theirs = svc.request_file(user=None, institution=year.b, service=year.s["rate"],
                              fiscal_year=2028, kind="final", quantity=Decimal("1"))  # fmt: skip
    other = client_for(nation.users["agency_admin"])
    assert other.get(f"/a/north/services/requests/{submitted.pk}/approve/").status_code == 404
    assert other.get(f"/a/nation/services/requests/{submitted.pk}/approve/").status_code == 404
    assert other.get("/a/north/services/requests/").status_code == 404
    member = client_for(year.tenant.users["member_admin"])
    assert member.get(f"/a/north/services/requests/{theirs.pk}/approve/").status_code == 404


def test_business_office_approves_into_a_subscription(year, submitted):
    user = year.tenant.users["business_office"]
    response = client_for(user).post(
        f"/a/north/services/requests/{submitted.pk}/approve/", {"quantity": "35"}, follow=True)
    assert "Approved:" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "approved"
    sub = Subscription.objects.get(institution=year.a, service=year.s["rate"], fiscal_year=2028)
    assert sub.quantity == Decimal("35")
    assert_audited("service_request.decide", user)
    assert_audited("subscription.create", user)


def test_bad_approved_quantity_names_the_field_and_writes_nothing(year, submitted):
    response = client_for(year.tenant.users["agency_admin"]).post(
        f"/a/north/services/requests/{submitted.pk}/approve/", {"quantity": "-1"})
    body = response.content.decode()
    assert 'id="id_quantity_error"' in body and 'href="#id_quantity"' in body
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert not Subscription.objects.filter(fiscal_year=2028).exists()


def test_business_office_declines_and_cannot_decide_twice(year, submitted):
    user = year.tenant.users["business_office"]
    client = client_for(user)
    client.post(f"/a/north/services/requests/{submitted.pk}/decline/", {})
    submitted.refresh_from_db()
    assert submitted.status == "declined"
    assert_audited("service_request.decide", user)
    again = client.post(f"/a/north/services/requests/{submitted.pk}/approve/", {})
    assert "already declined" in again.content.decode()
    assert not Subscription.objects.filter(fiscal_year=2028).exists()
