"""Development keys are made once per installation into var/, readable by its owner only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from edcoop.core.devsecrets import dev_secret

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SECRET_KEY, s.EDCOOP_SEALING_KEY, s.EDCOOP_AUDIT_KEY]))"
)


def _keys(var: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDCOOP_", "DATABASE_"))}
    env.update({"EDCOOP_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "edcoop.settings"})
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_installation_makes_its_own_keys_once(tmp_path):
    first = _keys(tmp_path / "one" / "var")
    assert _keys(tmp_path / "one" / "var") == first  # kept, not remade
    other = _keys(tmp_path / "two" / "var")
    assert all(a != b for a, b in zip(first, other, strict=True))
    secret_key, sealing_key, audit_key = first
    assert len(secret_key) >= 50 and len(audit_key) >= 32
    Fernet(sealing_key.encode())  # a usable Fernet key
    assert "development-only" not in secret_key


def test_var_and_everything_secret_in_it_is_owner_only(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    db = var / "edcoop.sqlite3"
    db.touch(mode=0o644)
    db.chmod(0o644)  # an installation from before: world-readable
    _keys(var)
    assert _mode(var) == 0o700
    for name in ("secret_key", "sealing_key", "audit_key", "edcoop.sqlite3"):
        assert _mode(var / name) == 0o600, name


def test_a_new_database_file_is_created_owner_only(tmp_path):
    var = tmp_path / "var"
    _keys(var)
    assert (var / "edcoop.sqlite3").exists() and _mode(var / "edcoop.sqlite3") == 0o600


def test_a_key_made_by_another_process_first_is_the_one_used(tmp_path):
    (tmp_path / "audit_key").write_text("made-by-the-worker\n")
    assert dev_secret(tmp_path, "audit_key", lambda: "made-by-the-web-server") == (
        "made-by-the-worker"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit_key"]  # no temporary left
