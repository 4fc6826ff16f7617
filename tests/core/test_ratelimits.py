"""Public forms and unsigned API writes are rate-limited per client address, counted in the
shared database cache; over the limit is a 429 with a message people and programs can read.
And the public endpoints never reveal who is already registered."""

from __future__ import annotations

import html

import pytest
from django.core import mail
from django.test import Client

from edcoop.members.models import Institution, Supplier

JOIN = {"name": "Hilltop CSD", "kind": "public_k12", "state": "NY", "contact_name": "Dana",
        "contact_email": "clerk@hilltop.example"}  # fmt: skip
SUPPLIER = {"legal_name": "Maple Buses LLC", "tax_id": "87-6543210", "email": "m@maple.example"}


@pytest.fixture
def proxied(settings):
    settings.EDCOOP_CLIENT_IP_HEADER = "X-Real-IP"
    return settings


def _from(ip: str) -> Client:
    return Client(headers={"X-Real-IP": ip})


def test_public_forms_share_a_budget_per_address(north, proxied):
    proxied.EDCOOP_RATE_PUBLIC_FORMS = "3/h"
    flood = _from("198.51.100.7")
    for i in range(2):
        assert flood.post("/a/north/join/", {**JOIN, "name": f"Flood {i}"}).status_code == 302
    assert flood.post("/a/north/suppliers/register/", {**SUPPLIER}).status_code == 302
    r = flood.post("/a/north/join/", {**JOIN, "name": "Flood 9"})
    assert r.status_code == 429
    body = html.unescape(r.content.decode())
    assert "Too many requests from your address (3 an hour allowed here)" in body
    assert int(r["Retry-After"]) > 0
    assert not Institution.objects.filter(name="Flood 9").exists()
    assert flood.get("/a/north/join/").status_code == 200  # reading the form is not limited
    # Someone else, behind the same proxy, is not affected.
    assert _from("203.0.113.9").post("/a/north/join/", JOIN).status_code == 302


def test_sign_in_and_password_reset_posts_are_limited(north, proxied):
    proxied.EDCOOP_RATE_SIGN_IN = "2/m"
    proxied.EDCOOP_RATE_PASSWORD_RESET = "1/h"
    c = _from("198.51.100.7")
    for _ in range(2):
        c.post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert c.post("/accounts/login/", {"username": "nobody", "password": "x"}).status_code == 429
    assert c.post("/accounts/password_reset/", {"email": "a@b.example"}).status_code == 302
    assert c.post("/accounts/password_reset/", {"email": "a@b.example"}).status_code == 429


def test_unsigned_api_writes_are_limited_with_a_json_429(north, anon, api_for, settings):
    settings.EDCOOP_RATE_API_ANONYMOUS = "2/h"
    for i in range(2):
        r = anon.post("/agencies/north/applications", {**JOIN, "name": f"API {i}"})
        assert r.status_code == 202
    r = anon.post("/agencies/north/applications", {**JOIN, "name": "API 9"})
    assert r.status_code == 429
    assert r.json()["detail"].startswith("Too many requests from your address (2 an hour")
    assert "Retry-After" in r
    assert not Institution.objects.filter(name="API 9").exists()
    # A caller with a token is not counted against the public's budget.
    staff = api_for(north.users["agency_admin"])
    assert staff.post("/agencies/north/applications", {**JOIN, "name": "API 10"}).status_code == 201


# Nothing revealed -----------------------------------------------------------------------------


def test_registering_a_known_tax_id_looks_like_any_registration(
    north, anon, client, django_capture_on_commit_callbacks
):
    Supplier.objects.filter(pk=north.supplier.pk).update(email="owner@northpaper.example")
    known = {**SUPPLIER, "tax_id": north.supplier.tax_id}
    with django_capture_on_commit_callbacks(execute=True):
        new = anon.post("/agencies/north/suppliers", SUPPLIER)
        dup = anon.post("/agencies/north/suppliers", known)
    assert (new.status_code, dup.status_code) == (202, 202)
    assert new.json() == dup.json()
    with django_capture_on_commit_callbacks(execute=True):
        page_new = client.post("/a/north/suppliers/register/",
                               {**SUPPLIER, "tax_id": "11-1111111"})  # fmt: skip
        page_dup = client.post("/a/north/suppliers/register/", known)
    assert page_new.status_code == page_dup.status_code == 302
    assert page_new.url == page_dup.url
    assert Supplier.objects.filter(tax_id=north.supplier.tax_id).count() == 1
    told = [m for m in mail.outbox if m.to == ["owner@northpaper.example"]]
    assert len(told) == 2 and "already registered" in told[0].body
    assert north.supplier.tax_id not in told[0].body  # masked even there


def test_applying_for_a_known_institution_looks_like_any_application(
    north, anon, client, django_capture_on_commit_callbacks
):
    north.institution.membership.contact_email = "super@north1.example"
    north.institution.membership.save()
    known = {**JOIN, "name": north.institution.name}
    with django_capture_on_commit_callbacks(execute=True):
        new = anon.post("/agencies/north/applications", JOIN)
        dup = anon.post("/agencies/north/applications", known)
        assert (new.status_code, dup.status_code) == (202, 202)
        assert new.json() == dup.json()
        assert client.post("/a/north/join/", known).url == client.post(
            "/a/north/join/", {**JOIN, "name": "Brand New CSD"}).url  # fmt: skip
    assert [m.to for m in mail.outbox].count(["super@north1.example"]) == 2


def test_staff_still_get_the_precise_answer(north, api_for):
    staff = api_for(north.users["agency_admin"])
    r = staff.post("/agencies/north/applications", {**JOIN, "name": north.institution.name})
    assert r.status_code == 400 and "already has a membership record" in r.json()["detail"]
    officer = api_for(north.users["procurement_officer"])
    r = officer.post("/agencies/north/suppliers", {**SUPPLIER, "tax_id": north.supplier.tax_id})
    assert r.status_code == 400 and r.json()["errors"]["tax_id"]


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_table_the_limits_count_in():
    import importlib

    from django.db import connection

    migration = importlib.import_module("edcoop.core.migrations.0005_shared_cache_table")
    with connection.schema_editor() as editor:
        migration.drop_cache_table(None, editor)
    assert "edcoop_cache" not in connection.introspection.table_names()
    with connection.schema_editor() as editor:
        migration.create_cache_table(None, editor)
    assert "edcoop_cache" in connection.introspection.table_names()
