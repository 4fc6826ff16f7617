"""Sign-in throttling as a real deployment sees it: behind a proxy, with a guesser who
wants to lock the rightful user out and a sprayer who tries one password on many accounts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.conftest import PASSWORD

ATTACKER, VICTIM = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def behind_proxy(settings):
    settings.EDCOOP_CLIENT_IP_HEADER = "X-Real-IP"
    return settings


def sign_in(username: str, password: str, ip: str) -> object:
    # Every request reaches the app from the proxy (127.0.0.1); X-Real-IP is the client.
    return Client(REMOTE_ADDR="127.0.0.1").post(
        "/accounts/login/", {"username": username, "password": password}, headers={"X-Real-IP": ip}
    )


def test_a_guesser_behind_the_proxy_cannot_lock_the_rightful_user_out(north, behind_proxy):
    victim = north.users["agency_admin"].username
    for _ in range(8):
        r = sign_in(victim, "wrong password", ATTACKER)
    assert r.status_code == 429
    assert "Sign-in paused for 15 minutes" in r.content.decode()
    # The guesser stays paused even with the right password...
    assert sign_in(victim, PASSWORD, ATTACKER).status_code == 429
    # ...while the rightful user, from their own address, signs in.
    ok = sign_in(victim, PASSWORD, VICTIM)
    assert ok.status_code == 302 and ok.url != "/accounts/login/"


def test_without_the_header_setting_a_forged_header_changes_nothing(north, settings):
    settings.EDCOOP_CLIENT_IP_HEADER = ""
    victim = north.users["auditor"].username
    for i in range(5):
        sign_in(victim, "wrong", f"10.0.0.{i}")  # forged: all come from 127.0.0.1
    assert sign_in(victim, PASSWORD, "10.0.0.99").status_code == 429


def test_password_spraying_from_one_address_is_paused_across_usernames(north, behind_proxy):
    behind_proxy.EDCOOP_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    User = get_user_model()
    names = [User.objects.create_user(f"teacher{i}", password=PASSWORD).username
             for i in range(8)]  # fmt: skip
    for name in names[:6]:
        r = sign_in(name, "Spring2026!", ATTACKER)  # one try each: no per-user lock
        assert r.status_code == 200
    r = sign_in(names[6], "Spring2026!", ATTACKER)
    assert r.status_code == 429
    assert "from your network paused" in r.content.decode()
    # Other addresses are not affected.
    assert sign_in(names[7], PASSWORD, VICTIM).status_code == 302


def test_a_success_clears_that_users_failures(north, behind_proxy):
    user = north.users["business_office"].username
    for _ in range(4):
        sign_in(user, "wrong", VICTIM)
    assert sign_in(user, PASSWORD, VICTIM).status_code == 302
    for _ in range(4):
        assert sign_in(user, "wrong", VICTIM).status_code == 200
