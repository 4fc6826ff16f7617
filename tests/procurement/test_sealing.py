"""The sealing key: required in production, rotatable, and never silently wrong."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from tests.test_settings import GOOD_SECRET, _run

from edcoop.procurement import sealing


def test_production_refuses_to_start_without_the_sealing_key(tmp_path):
    result = _run(["-c", "import django; django.setup()"], {
        "EDCOOP_ENV": "production", "EDCOOP_SECRET_KEY": GOOD_SECRET,
        "EDCOOP_ALLOWED_HOSTS": "coop.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }, tmp_path)  # fmt: skip
    assert result.returncode != 0
    assert "EDCOOP_SEALING_KEY" in result.stderr


def test_rotation_new_key_first_old_key_still_decrypts(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.EDCOOP_SEALING_KEY = old
    token = sealing.seal(b"prices")
    settings.EDCOOP_SEALING_KEY = f"{new},{old}"
    assert sealing._unseal(token) == b"prices"
    assert Fernet(new.encode()).decrypt(sealing.seal(b"x")) == b"x"


def test_a_wrong_key_is_an_error_not_garbage(settings):
    settings.EDCOOP_SEALING_KEY = Fernet.generate_key().decode()
    token = sealing.seal(b"prices")
    settings.EDCOOP_SEALING_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="EDCOOP_SEALING_KEY"):
        sealing._unseal(token)


def test_a_malformed_key_is_named(settings):
    settings.EDCOOP_SEALING_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        sealing.seal(b"x")
