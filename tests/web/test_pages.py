"""What every page shares: the layout, the CSP rules, error pages, sign-in and lockout."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from tests.conftest import PASSWORD as PASSWORD_FOR_TESTS

from edcoop.core.templatetags.edcoop_ui import agency_time, decimal_places, money

from .conftest import ALL_ROLES, assert_csp_clean, client_for


@pytest.mark.parametrize("role", ALL_ROLES)
def test_layout_and_no_inline_script_or_style(north: Any, role: str) -> None:
    client = client_for(north.users[role])
    urls = ["/", "/a/north/", "/a/north/members/", "/a/north/suppliers/", "/a/north/audit/",
            f"/a/north/institution/{north.institution.pk}/",
            f"/a/north/supplier/{north.supplier.pk}/", "/a/north/join/",
            "/a/north/suppliers/register/", "/accounts/password_change/",
            "/a/nation-none/"]  # fmt: skip
    for url in urls:
        body = client.get(url, follow=True).content.decode()
        assert_csp_clean(body)
        assert 'href="#main"' in body and '<main id="main"' in body
        assert 'action="/accounts/logout/"' in body  # sign out is a POST form
        assert 'role="status"' in body


def test_anonymous_pages_are_csp_clean(north: Any) -> None:
    client = Client()
    urls = ["/", "/a/north/", "/accounts/login/", "/accounts/password_reset/",
            "/accounts/password_reset/done/", "/accounts/reset/x/y/", "/no/such/page/"]  # fmt: skip
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code in {200, 404}, url
        assert_csp_clean(response.content.decode())


def test_navigation_follows_the_role(north: Any) -> None:
    admin = client_for(north.users["agency_admin"]).get("/a/north/members/").content.decode()
    for label in ["Members", "Applications", "Suppliers", "Audit trail"]:
        assert f">{label}</a>" in admin
    assert 'href="/a/north/members/" aria-current="page"' in admin
    evaluator = client_for(north.users["evaluator"]).get("/a/north/").content.decode()
    assert ">Suppliers</a>" in evaluator and ">Members</a>" not in evaluator
    assert ">Audit trail</a>" not in evaluator


def test_friendly_error_pages(north: Any) -> None:
    client = client_for(north.users["member_buyer"])
    missing = client.get("/a/north/members/999999/")
    assert missing.status_code == 403  # the page itself is not for members
    assert b"You cannot do this with your account" in missing.content
    assert b"Traceback" not in missing.content
    not_found = client.get("/a/unknown-agency/members/")
    assert not_found.status_code == 404 and b"Page not found" in not_found.content
    # The 500 page renders with no context at all (Django gives it none).
    html = render_to_string("500.html")
    assert "something went wrong" in html and "Traceback" not in html
    assert_csp_clean(html)


def test_login_and_logout(north: Any) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "north-auditor", "password": PASSWORD_FOR_TESTS}
    )
    assert response.status_code == 302
    assert client.get("/a/north/audit/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/a/north/audit/").status_code == 302


def test_wrong_password_five_times_locks_the_account(north: Any) -> None:
    client = Client()
    for _ in range(4):
        response = client.post(
            "/accounts/login/", {"username": "north-auditor", "password": "wrong password"}
        )
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    response = client.post(
        "/accounts/login/", {"username": "north-auditor", "password": "wrong password"}
    )
    assert response.status_code == 429
    assert b"paused for 15 minutes" in response.content
    # Even the right password is refused while locked.
    response = client.post(
        "/accounts/login/", {"username": "north-auditor", "password": PASSWORD_FOR_TESTS}
    )
    assert response.status_code == 429
    assert client.get("/a/north/audit/").status_code == 302
    assert_csp_clean(response.content.decode())


def test_login_form_errors_are_accessible(north: Any) -> None:
    body = Client().post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "There is a problem" in body and 'href="#id_username"' in body
    assert 'id="id_username_error"' in body


def test_money_and_numbers() -> None:
    assert money(Decimal("812345678")) == "$812,345,678.00"
    assert money(Decimal("0.005")) == "$0.01"  # half-up
    assert money(Decimal("-12.5")) == "-$12.50"
    assert money(None) == ""
    assert decimal_places(Decimal("0.615"), 4) == "0.6150"
    assert decimal_places(1200, 0) == "1,200"


def test_times_are_shown_in_the_agency_zone(north: Any, nation: Any) -> None:
    moment = datetime(2026, 1, 15, 17, 30, tzinfo=UTC)
    assert ">Jan 15, 2026, 12:30 PM EST</time>" in agency_time(moment, north.agency)
    assert ">Jan 15, 2026, 11:30 AM CST</time>" in agency_time(moment, nation.agency)
    summer = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
    assert "Jun 30, 2026, 11:00 PM EDT" in agency_time(summer, north.agency)
    assert 'datetime="2026-07-01T03:00:00+00:00"' in agency_time(summer, north.agency)
