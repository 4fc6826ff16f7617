"""Production mode refuses unsafe configuration; a good one passes Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

GOOD_SECRET = "k3J9-pQ2x_Zr8vLm4Nc7Ht1Wy6Bd5Fs0Ga9Ue2Io3Ky8Rp4Tq7Vx1Mz6Lc5Nb"
GOOD_AUDIT_KEY = "Qx7_Lm2pR9vK4tN8wZ1cH6jB3fY5sD0gA-eU"


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    prefixes = ("EDCOOP_", "DATABASE_", "DJANGO_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    base.update({"DJANGO_SETTINGS_MODULE": "edcoop.settings", "EDCOOP_VAR_DIR": str(tmp_path)})
    base.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], env=base, capture_output=True, text=True, timeout=120
    )


def test_production_without_secrets_fails_fast_naming_each_setting(tmp_path):
    result = _run(["-c", "import django; django.setup()"], {"EDCOOP_ENV": "production"}, tmp_path)
    assert result.returncode != 0
    for name in ("EDCOOP_SECRET_KEY", "EDCOOP_ALLOWED_HOSTS", "DATABASE_URL", "EDCOOP_AUDIT_KEY"):
        assert name in result.stderr
    assert "refuses to start in production" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = _run(
        ["-c", "import django; django.setup()"],
        {
            "EDCOOP_ENV": "production",
            "EDCOOP_SECRET_KEY": GOOD_SECRET,
            "EDCOOP_ALLOWED_HOSTS": "coop.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            "EDCOOP_DEBUG": "true",
        },
        tmp_path,
    )
    assert result.returncode != 0
    assert "EDCOOP_DEBUG must be off" in result.stderr


@pytest.mark.django_db
def test_configured_production_passes_check_deploy_without_warnings(tmp_path):
    # Production runs on PostgreSQL only (SQLite is refused, below), and the deploy checks
    # read the database (core.checks): the suite's own, migrated test database.
    if connection.vendor != "postgresql":
        pytest.skip("production needs PostgreSQL; the suite's PostgreSQL run checks this")
    d = connection.settings_dict
    url = f"postgresql://{d['USER']}:{d['PASSWORD']}@{d['HOST']}:{d['PORT'] or 5432}/{d['NAME']}"
    result = _run(
        ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        {
            "EDCOOP_ENV": "production",
            "EDCOOP_SECRET_KEY": GOOD_SECRET,
            "EDCOOP_ALLOWED_HOSTS": "coop.example.org",
            "DATABASE_URL": url,
            "EDCOOP_SEALING_KEY": settings.EDCOOP_SEALING_KEY,
            "EDCOOP_AUDIT_KEY": settings.EDCOOP_AUDIT_KEY,
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert list(tmp_path.iterdir()) == []  # production makes no key of its own


def test_production_refuses_a_short_or_missing_audit_key(tmp_path):
    base = {
        "EDCOOP_ENV": "production",
        "EDCOOP_SECRET_KEY": GOOD_SECRET,
        "EDCOOP_ALLOWED_HOSTS": "coop.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EDCOOP_SEALING_KEY": "kS3m0x9bJd5K2mKj0y2tQyR8H0mZqfL1m7Jk0e1pW9Q=",
    }
    for audit_key in ("", "short", f"{GOOD_AUDIT_KEY},aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"):
        result = _run(["-c", "import django; django.setup()"],
                      {**base, "EDCOOP_AUDIT_KEY": audit_key}, tmp_path)  # fmt: skip
        assert result.returncode != 0, audit_key
        assert "EDCOOP_AUDIT_KEY must hold the key" in result.stderr


def test_passwords_are_hashed_with_argon2():
    # The suite swaps in a fast hasher per test; the configured list is read from the module.
    from edcoop import settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_csp_allows_no_inline_script_or_third_party_origin():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in str(directives)
