"""Effective dates set on pages and through the API: a membership's first and last day, a
subscription's start and end within its year. Billing follows them month by month; every
change is bounded (a day within the year, never in a closed year, never leaving before
joining) and audited; only the business office (and the agency admin) may set them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.api.conftest import _api_for
from tests.web.conftest import ALL_ROLES, assert_audited, client_for

from edcoop.billing.models import Invoice, YearClose
from edcoop.billing.runs import billing_run_compute
from edcoop.members.models import Membership
from edcoop.services.models import Subscription

OCT = date(2026, 10, 1)


def _october(year):
    return billing_run_compute(user=year.admin, agency=year.tenant.agency, period=OCT)


def _lines(run, institution):
    """{service code: amount} the draft bills the member (service lines only)."""
    out: dict[str, Decimal] = {}
    for inv in Invoice.objects.filter(run=run, institution=institution):
        for line in inv.lines.filter(kind="service").select_related("service"):
            out[line.service.code] = out.get(line.service.code, Decimal(0)) + line.amount
    return out


def _close(year, fiscal_year):
    YearClose.objects.create(agency=year.tenant.agency, fiscal_year=fiscal_year,
                             closed_at=timezone.now())  # fmt: skip


# Memberships -----------------------------------------------------------------------------


def test_withdrawal_effective_in_september_stops_billing_after_september(year):
    admin = year.tenant.users["agency_admin"]
    membership = year.b.membership
    response = client_for(admin).post(
        f"/a/north/members/{membership.pk}/status/withdrawn/", {"effective_on": "2026-09-30"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.status, membership.left_on) == ("withdrawn", date(2026, 9, 30))
    assert_audited("membership.status", admin)
    run = _october(year)
    assert _lines(run, year.b) == {}
    # The administrative pool's October installment goes entirely to the district still in.
    assert _lines(run, year.a)["001.000"] == Decimal("10000.00")


def test_business_office_sets_a_late_join_and_october_bills_it_a_full_month(year):
    user = year.tenant.users["business_office"]
    membership = year.a.membership
    page = client_for(user).get(f"/a/north/members/{membership.pk}/dates/")
    assert page.status_code == 200 and "Member since" in page.content.decode()
    response = client_for(user).post(f"/a/north/members/{membership.pk}/dates/",
                                      {"joined_on": "2026-10-15", "left_on": ""})  # fmt: skip
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.joined_on == date(2026, 10, 15)
    event = assert_audited("membership.dates", user)
    assert event.changes["joined_on"][1] == "2026-10-15"
    run = _october(year)
    assert _lines(run, year.a)["601.200"] == Decimal("100.00")  # 1,200 a year, one month


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"joined_on": "", "left_on": ""}, "joined_on", "required"),
        ({"joined_on": "2026-07-01", "left_on": "2026-09-30"}, "left_on", "active membership"),
        ({"joined_on": "2031-01-01", "left_on": ""}, "joined_on", "within a year"),
        ({"joined_on": "0001-01-01", "left_on": ""}, "joined_on", "1900"),
        ({"joined_on": "2025-03-01", "left_on": ""}, "joined_on", "FY2025 is closed"),
    ],
)
def test_membership_dates_refused_name_the_field(year, data, field, message):
    _close(year, 2025)
    membership = year.a.membership
    before = (membership.joined_on, membership.left_on)
    response = client_for(year.tenant.users["business_office"]).post(
        f"/a/north/members/{membership.pk}/dates/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    membership.refresh_from_db()
    assert (membership.joined_on, membership.left_on) == before


def test_withdrawn_member_left_on_before_joining_is_refused(year):
    membership = year.b.membership
    membership.joined_on = date(2026, 8, 1)
    membership.save()
    response = client_for(year.tenant.users["agency_admin"]).post(
        f"/a/north/members/{membership.pk}/status/withdrawn/", {"effective_on": "2026-07-15"})
    assert "leaves before it joined" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == "active"


def test_reinstating_after_a_closed_year_rejoins_instead_of_rebilling_it(year):
    admin = year.tenant.users["agency_admin"]
    membership = year.b.membership
    client_for(admin).post(f"/a/north/members/{membership.pk}/status/withdrawn/",
                           {"effective_on": "2026-03-31"})  # fmt: skip
    _close(year, 2026)
    client_for(admin).post(f"/a/north/members/{membership.pk}/status/active/",
                           {"effective_on": "2026-10-01"})  # fmt: skip
    membership.refresh_from_db()
    assert (membership.status, membership.joined_on, membership.left_on) == (
        "active", date(2026, 10, 1), None)
    # Withdrawing effective in the closed year is refused.
    other = year.a.membership
    response = client_for(admin).post(f"/a/north/members/{other.pk}/status/withdrawn/",
                                      {"effective_on": "2026-05-31"})  # fmt: skip
    assert "FY2026 is closed" in response.content.decode()
    other.refresh_from_db()
    assert other.status == "active"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_membership_dates_page_roles(year, role):
    response = client_for(year.tenant.users[role]).get(
        f"/a/north/members/{year.a.membership.pk}/dates/")
    allowed = role in {"agency_admin", "business_office"}
    assert (response.status_code == 200) == allowed, response.status_code
    assert response.status_code in (200, 403, 404)


def test_membership_dates_other_agency_404(year, nation):
    response = client_for(nation.users["agency_admin"]).get(
        f"/a/north/members/{year.a.membership.pk}/dates/")
    assert response.status_code == 404


# Subscriptions ---------------------------------------------------------------------------


def _sub(year, key, inst=None):
    return Subscription.objects.get(institution=inst or year.a, service=year.s[key],
                                    fiscal_year=2027)  # fmt: skip


def test_subscription_ended_in_september_bills_no_october(year):
    user = year.tenant.users["business_office"]
    sub = _sub(year, "flat")
    page = client_for(user).get(f"/a/north/institution/{year.a.pk}/billing/")
    assert f"/a/north/services/subscriptions/{sub.pk}/dates/" in page.content.decode()
    response = client_for(user).post(f"/a/north/services/subscriptions/{sub.pk}/dates/",
                                      {"starts_on": "", "ends_on": "2026-09-30"})  # fmt: skip
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.ends_on == date(2026, 9, 30)
    assert_audited("subscription.update", user)
    run = _october(year)
    assert "601.200" not in _lines(run, year.a)
    assert _lines(run, year.b)["601.200"] == Decimal("100.00")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"starts_on": "2026-06-30", "ends_on": ""}, "starts_on", "within FY2027"),
        ({"starts_on": "", "ends_on": "2027-07-01"}, "ends_on", "within FY2027"),
        ({"starts_on": "2026-12-01", "ends_on": "2026-11-30"}, "ends_on", "before it starts"),
        ({"starts_on": "someday", "ends_on": ""}, "starts_on", "valid date"),
    ],
)
def test_subscription_dates_refused_name_the_field(year, data, field, message):
    sub = _sub(year, "flat")
    response = client_for(year.tenant.users["business_office"]).post(
        f"/a/north/services/subscriptions/{sub.pk}/dates/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    sub.refresh_from_db()
    assert (sub.starts_on, sub.ends_on) == (None, None)


def test_subscription_dates_in_a_closed_year_refused(year):
    _close(year, 2027)
    sub = _sub(year, "flat")
    response = client_for(year.tenant.users["business_office"]).post(
        f"/a/north/services/subscriptions/{sub.pk}/dates/", {"ends_on": "2026-09-30"})
    assert "FY2027 is closed" in response.content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_subscription_dates_page_roles(year, role):
    sub = _sub(year, "flat")
    response = client_for(year.tenant.users[role]).get(
        f"/a/north/services/subscriptions/{sub.pk}/dates/")
    allowed = role in {"agency_admin", "business_office"}
    assert (response.status_code == 200) == allowed, response.status_code


# API -------------------------------------------------------------------------------------


def test_api_sets_subscription_dates(year, nation):
    sub = _sub(year, "seats")
    path = f"/agencies/north/subscriptions/{sub.pk}/dates"
    api = _api_for(year.tenant.users["business_office"])
    response = api.put(path, {"starts_on": "2026-10-01", "ends_on": None})
    assert response.status_code == 200, response.json()
    assert response.json()["starts_on"] == "2026-10-01" and response.json()["ends_on"] is None
    bad = api.put(path, {"starts_on": "2025-10-01"})
    assert bad.status_code == 400 and "starts_on" in bad.json()["errors"]
    assert api.put(path, {"starts_on": "2026-10-01", "extra": 1}).status_code == 422
    member = _api_for(year.tenant.users["member_finance"])
    assert member.put(path, {"starts_on": None}).status_code == 403
    assert member.put(
        f"/agencies/north/subscriptions/{_sub(year, 'seats', year.b).pk}/dates",
        {"starts_on": None}).status_code == 404
    assert _api_for(nation.users["agency_admin"]).put(
        path, {"starts_on": None}).status_code == 404
    sub.refresh_from_db()
    assert sub.starts_on == date(2026, 10, 1)


def test_api_membership_dates_and_effective_withdrawal(year):
    membership = year.b.membership
    admin = _api_for(year.tenant.users["agency_admin"])
    response = admin.post(f"/agencies/north/memberships/{membership.pk}/status",
                          {"status": "withdrawn", "effective_on": "2026-10-31"})  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["left_on"] == "2026-10-31"
    office = _api_for(year.tenant.users["business_office"])
    path = f"/agencies/north/memberships/{membership.pk}/dates"
    response = office.put(path, {"joined_on": "2026-07-01", "left_on": "2026-09-30"})
    assert response.status_code == 200, response.json()
    assert (response.json()["joined_on"], response.json()["left_on"]) == (
        "2026-07-01", "2026-09-30")
    bad = office.put(path, {"joined_on": "2026-07-01", "left_on": None})
    assert bad.status_code == 400 and "left_on" in bad.json()["errors"]
    assert _api_for(year.tenant.users["auditor"]).put(
        path, {"joined_on": "2026-07-01", "left_on": "2026-09-30"}).status_code == 403
    membership.refresh_from_db()
    assert membership.left_on == date(2026, 9, 30)
    assert Membership.objects.get(pk=membership.pk).status == "withdrawn"


# Services ----------------------------------------------------------------------------------


def test_business_office_stops_a_service_and_october_does_not_bill_it(year):
    user = year.tenant.users["business_office"]
    flat = year.s["flat"]
    catalog = client_for(user).get("/a/north/services/").content.decode()
    assert f"/a/north/services/{flat.pk}/stop/" in catalog
    response = client_for(user).post(f"/a/north/services/{flat.pk}/stop/",
                                      {"last_day": "2026-09-30"})  # fmt: skip
    assert response.status_code == 302
    flat.refresh_from_db()
    assert (flat.active, flat.available_until) == (False, date(2026, 9, 30))
    assert_audited("service.deactivate", user)
    run = _october(year)
    assert "601.200" not in _lines(run, year.a) and "601.200" not in _lines(run, year.b)
    assert "001.000" in _lines(run, year.a)


@pytest.mark.parametrize(
    ("key", "last_day", "message"),
    [
        ("rate", "2026-08-31", "Usage is recorded after that day"),
        ("flat", "2025-12-31", "FY2026 is closed"),
        ("flat", "2031-01-01", "within a year"),
        ("flat", "", "required"),
    ],
)
def test_stopping_a_service_refused_names_the_day(year, key, last_day, message):
    _close(year, 2026)
    service = year.s[key]
    response = client_for(year.tenant.users["business_office"]).post(
        f"/a/north/services/{service.pk}/stop/", {"last_day": last_day})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["last_day"])
    service.refresh_from_db()
    assert service.active and service.available_until is None


@pytest.mark.parametrize("role", ALL_ROLES)
def test_service_stop_page_roles(year, role):
    response = client_for(year.tenant.users[role]).get(
        f"/a/north/services/{year.s['flat'].pk}/stop/")
    assert (response.status_code == 200) == (role in {"agency_admin", "business_office"})
