"""Tokens and sessions: who the API thinks is calling."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from edcoop.api import services as token_services
from edcoop.api.models import ApiToken
from edcoop.core import audit
from edcoop.core.models import AuditEvent


def test_a_token_acts_as_its_user(north, api_for):
    api = api_for(north.users["business_office"])
    r = api.get("/me")
    assert r.status_code == 200
    assert r.json()["username"] == "north-business_office"
    assert r.json()["roles"] == [
        {"agency": "north", "role": "business_office", "institution_id": None, "supplier_id": None}
    ]


def test_only_the_hash_of_the_secret_is_stored(north):
    token, secret = token_services.token_create(user=north.users["auditor"], name="sync")
    assert secret.startswith("edc_") and len(secret) > 40
    assert token.key_hash == token_services.hash_secret(secret)
    assert secret.startswith(token.prefix)
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    assert secret not in str(stored)
    event = AuditEvent.objects.get(action="api_token.create")
    assert secret not in str(event.changes)
    assert event.changes["key_hash"] == [None, "[redacted]"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer edc_not-a-real-token",
        "Bearer ",
        "Token something",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_unknown_or_malformed_credentials_get_401(north, header):
    r = Client().get("/api/v1/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["detail"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_get_401_json_on_reads_and_writes(north, anon):
    slug = north.agency.slug
    m = north.institution.membership
    for r in (
        anon.get("/me"),
        anon.get(f"/agencies/{slug}/institutions"),
        anon.get(f"/agencies/{slug}/memberships"),
        anon.post(f"/agencies/{slug}/memberships/{m.pk}/approve"),
        anon.put(f"/agencies/{slug}/memberships/{m.pk}/years/2026", {"enrollment": 1}),
    ):
        assert r.status_code == 401, r.content
        assert "Authorization: Bearer" in r.json()["detail"]


def test_a_revoked_token_gets_401(north, bearer):
    user = north.users["agency_admin"]
    token, secret = token_services.token_create(user=user, name="erp")
    api = bearer(secret)
    assert api.get("/me").status_code == 200
    token_services.token_revoke(user=user, token=token)
    r = api.get("/me")
    assert r.status_code == 401
    assert r.json() == {"detail": "Invalid or revoked API token."}


def test_the_token_of_a_deactivated_user_gets_401(north, api_for):
    user = north.users["agency_admin"]
    api = api_for(user)
    user.is_active = False
    user.save()
    assert api.get("/me").status_code == 401


def test_a_bad_token_is_not_rescued_by_the_session(north):
    client = Client()
    client.force_login(north.users["agency_admin"])
    assert client.get("/api/v1/me").status_code == 200
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer edc_wrong"})
    assert r.status_code == 401


def test_use_is_recorded_on_the_token(north, bearer):
    user = north.users["auditor"]
    token, secret = token_services.token_create(user=user, name="bi")
    assert token.last_used_at is None
    bearer(secret).get("/agencies")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_the_owner_may_revoke(north):
    token, _ = token_services.token_create(user=north.users["auditor"], name="bi")
    with pytest.raises(Exception, match="owner"):
        token_services.token_revoke(user=north.users["agency_admin"], token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_two_live_tokens_cannot_share_a_name(north):
    from django.core.exceptions import ValidationError

    user = north.users["auditor"]
    token_services.token_create(user=user, name="bi")
    with pytest.raises(ValidationError) as exc:
        token_services.token_create(user=user, name="bi")
    assert "name" in exc.value.message_dict


# The browser session -----------------------------------------------------------------------


def test_the_session_authenticates_and_writes_need_the_csrf_token(north):
    client = Client(enforce_csrf_checks=True)
    client.force_login(north.users["business_office"])
    m = north.institution.membership
    url = f"/api/v1/agencies/north/memberships/{m.pk}/years/2027"
    body = '{"enrollment": 900}'
    assert client.get(f"/api/v1/agencies/north/memberships/{m.pk}").status_code == 200

    r = client.put(url, body, content_type="application/json")
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    assert not m.years.filter(fiscal_year=2027).exists()

    client.get("/api/v1/docs")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    r = client.put(url, body, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert r.status_code == 200, r.content
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.source, event.actor_label) == (
        "membership_year.create",
        "api",
        "north-business_office",
    )


# The command ------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_creates_lists_and_revokes(north, bearer):
    out, err = run("create", "--user", "north-auditor", "--name", "Power BI")
    secret = out.strip()
    assert secret.startswith("edc_")
    assert "cannot be shown again" in err
    assert bearer(secret).get("/me").json()["username"] == "north-auditor"

    listing, _ = run("list", "--user", "north-auditor")
    assert "Power BI" in listing and "live" in listing
    assert secret not in listing

    out, _ = run("revoke", "--user", "north-auditor", "--name", "Power BI")
    assert "Revoked" in out
    assert bearer(secret).get("/me").status_code == 401
    assert "revoked" in run("list", "--user", "north-auditor")[0]

    events = AuditEvent.objects.filter(action__startswith="api_token.").order_by("seq")
    assert [(e.action, e.source) for e in events] == [
        ("api_token.create", "cli"),
        ("api_token.revoke", "cli"),
    ]
    assert audit.verify() == []


@pytest.mark.parametrize(
    "args, message",
    [
        (("create", "--user", "nobody", "--name", "x"), "No user named 'nobody'"),
        (("create", "--user", "north-auditor", "--name", "  "), "name: Give the token a name"),
        (("revoke", "--user", "north-auditor", "--name", "missing"), "no live token named"),
    ],
)
def test_command_refuses_bad_input_with_one_line(north, args, message):
    with pytest.raises(CommandError, match=message) as exc:
        run(*args)
    assert exc.value.returncode == 2
    assert "\n" not in str(exc.value)
    assert not ApiToken.objects.exists()
