"""The production server's edges: health probes, request ids and JSON logs, the one-line
refusals at start-up, and what callers see while the database is out of reach."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from tests.procurement.conftest import bid, clock, offer  # noqa: F401 (fixtures)

from edcoop.core import audit, health
from edcoop.core.management.commands.serve import options
from edcoop.core.requests import JsonFormatter, RequestIdFilter
from edcoop.procurement import responses

GOOD_ENV = {
    "EDCOOP_ENV": "production",
    "EDCOOP_SECRET_KEY": "k" * 30 + "abcdefghijklmnopqrstuvwxyz",
    "EDCOOP_ALLOWED_HOSTS": "coop.example.org",
    "EDCOOP_SEALING_KEY": Fernet.generate_key().decode(),
    "EDCOOP_AUDIT_KEY": "audit-key-0123456789-abcdefghijklmnop",
    "DATABASE_URL": "postgresql://edcoop@127.0.0.1:1/edcoop",
}
# A port nothing listens on: the database "down".
DOWN = "postgresql://nobody@127.0.0.1:1/nothing"


def run_edcoop(args: list[str], env: dict[str, str], tmp_path: Path, **kw: Any) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EDCOOP_", "DATABASE_"))}
    base.update({"EDCOOP_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": ""})
    base.pop("DJANGO_SETTINGS_MODULE")
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "edcoop.cli", *args], env=base | env,
        capture_output=True, text=True, timeout=120, **kw,
    )  # fmt: skip


# Probes -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_and_readyz_answer_json_to_anyone_on_any_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["coop.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client(HTTP_HOST="10.0.0.7:8001")  # the load balancer's own address
    for path in ("/healthz", "/readyz"):
        answer = client.get(path)
        assert answer.status_code == 200, answer.content
        assert answer.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_refuses_when_the_audit_key_is_not_the_trails(settings: Any) -> None:
    audit.record("test.event", label="an event keyed with the installation's key")
    settings.EDCOOP_AUDIT_KEY = "another-audit-key-0123456789-abcdefghijklm"
    answer = Client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"
    assert any("EDCOOP_AUDIT_KEY" in p for p in answer.json()["problems"])


@pytest.mark.django_db
def test_readyz_refuses_when_the_sealing_key_does_not_open_what_is_sealed(
    settings: Any,
    bid: Any,  # noqa: F811
    north: Any,
) -> None:
    prices = {"1.01": "30", "1.02": "50", "2.01": "0.3"}
    responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                              supplier=north.supplier, data=offer(bid, prices))  # fmt: skip
    assert health.problems() == []
    settings.EDCOOP_SEALING_KEY = Fernet.generate_key().decode()
    found = health.problems()
    assert len(found) == 1 and "EDCOOP_SEALING_KEY does not decrypt" in found[0]
    assert Client().get("/readyz").status_code == 503


# Request ids and logs ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_id_is_returned_honoured_when_sensible_and_made_otherwise() -> None:
    client = Client()
    assert client.get("/", HTTP_X_REQUEST_ID="lb-7f3a.1")["X-Request-ID"] == "lb-7f3a.1"
    made = client.get("/")["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/")["X-Request-ID"]
    forged = client.get("/", HTTP_X_REQUEST_ID='x" injected=1 ' + "y" * 300)["X-Request-ID"]
    assert len(forged) == 32 and "injected" not in forged


@pytest.mark.django_db
def test_log_lines_are_json_carrying_the_request_id(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="edcoop.request")
    Client().get("/api/v1/me", HTTP_X_REQUEST_ID="req-42")
    records = [r for r in caplog.records if r.name == "edcoop.request"]
    assert records
    RequestIdFilter().filter(records[-1])
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == "req-42"
    assert line["status"] == 401 and line["path"] == "/api/v1/me"
    assert line["level"] == "INFO" and "time" in line


# Refusals to start, in one line -------------------------------------------------------------


def test_production_names_every_missing_setting_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    done = run_edcoop(["check", "--deploy"], {"EDCOOP_ENV": "production"}, tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    for name in ("EDCOOP_SECRET_KEY", "EDCOOP_ALLOWED_HOSTS", "DATABASE_URL",
                 "EDCOOP_SEALING_KEY", "EDCOOP_AUDIT_KEY"):  # fmt: skip
        assert name in lines[0]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DATABASE_URL": "sqlite:////tmp/e.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"EDCOOP_SEALING_KEY": "not-a-fernet-key"}, "EDCOOP_SEALING_KEY must be Fernet keys"),
        ({"EDCOOP_WORKERS": "8", "EDCOOP_DB_MAX_CONNECTIONS": "4"}, "EDCOOP_DB_MAX_CONNECTIONS"),
    ],
)
def test_an_unsafe_setting_is_refused_at_start_in_one_line(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    for command in (["check", "--deploy"], ["serve"]):
        done = run_edcoop(command, GOOD_ENV | change, tmp_path)
        assert done.returncode == 2, done.stderr
        assert named in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# The database out of reach ----------------------------------------------------------------

_DOWN_CLIENT = """
import django, json
django.setup()
from django.test import Client
c = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
api = c.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer abc")
page = c.get("/")
print(json.dumps({"api": [api.status_code, api.json(), api.get("Retry-After")],
                  "page": [page.status_code, page.content.decode()]}))
"""


def test_with_the_database_unreachable_the_api_answers_503_json_and_pages_say_so(
    tmp_path: Path,
) -> None:
    env = {"DATABASE_URL": DOWN, "EDCOOP_DB_POOL_TIMEOUT": "1", "EDCOOP_ENV": "development",
           "DJANGO_SETTINGS_MODULE": "edcoop.settings"}  # fmt: skip
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EDCOOP_", "DATABASE_"))}
    base["EDCOOP_VAR_DIR"] = str(tmp_path / "var")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _DOWN_CLIENT], env=base | env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    status, body, retry = seen["api"]
    assert status == 503 and "database cannot be reached" in body["detail"] and retry
    assert seen["page"][0] == 503 and "database cannot be reached" in seen["page"][1]


def test_audit_verify_with_the_database_unreachable_prints_one_line_exit_2(
    tmp_path: Path,
) -> None:
    done = run_edcoop(["audit", "verify"], {"DATABASE_URL": DOWN}, tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "cannot read the database" in done.stderr


# The server itself ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_runs_several_workers_that_answer_the_probes(tmp_path: Path) -> None:
    env = {"EDCOOP_ENV": "development"}
    assert run_edcoop(["migrate", "-v", "0"], env, tmp_path).returncode == 0
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EDCOOP_", "DATABASE_"))}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "edcoop.cli", "serve", "--workers", "2",
         "--bind", f"127.0.0.1:{port}"],
        env=base | env | {"EDCOOP_VAR_DIR": str(tmp_path / "var"), "EDCOOP_LOG_FORMAT": "json"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert (status, body) == (200, {"status": "ok"})
        assert _get(f"http://127.0.0.1:{port}/readyz") == (200, {"status": "ok"})
    finally:
        server.terminate()
        # The master may wait up to graceful_timeout for a worker to finish (seen once in
        # CI, on a loaded machine: a worker took the whole 30 s); the test is about booting.
        _, err = server.communicate(timeout=options("", 1, 1)["graceful_timeout"] + 30)
    booted = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert sum("Booting worker" in line["message"] for line in booted) == 2


def test_readyz_names_the_problem_without_the_database_hosts_address(tmp_path: Path) -> None:
    """Anyone may call /readyz: it says the database is out of reach, never where it is."""
    script = (
        "import django, json\ndjango.setup()\nfrom django.test import Client\n"
        "r = Client(HTTP_HOST='10.0.0.7').get('/readyz')\n"
        "print(json.dumps([r.status_code, r.json()]))\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EDCOOP_", "DATABASE_"))}
    env = base | {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/secretdb",
                  "EDCOOP_ENV": "development", "EDCOOP_VAR_DIR": str(tmp_path / "var"),
                  "DJANGO_SETTINGS_MODULE": "edcoop.settings"}  # fmt: skip
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    status, body = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["problems"] == ["the database cannot be reached"]
    assert "127.0.0.1" not in done.stdout and "secretdb" not in done.stdout
