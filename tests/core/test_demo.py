"""`edcoop demo`: one orchestrator calls each app's builder; no app's demo imports another's."""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import edcoop
from edcoop.core import audit

APPS_DEMOS = sorted(Path(edcoop.__file__).parent.glob("*/demo.py"))


def test_every_app_builds_its_own_part_of_the_demo() -> None:
    assert {p.parent.name for p in APPS_DEMOS} >= {
        "members", "billing", "procurement", "governance", "contracts"}  # fmt: skip
    for path in APPS_DEMOS:
        app = path.parent.name
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                others = parts[:1] == ["edcoop"] and len(parts) > 2 and parts[1] != app
                assert not (others and parts[2] == "demo" and parts[1] != "core"), (
                    f"{app}/demo.py imports {name}: shared demo helpers live in edcoop.core.demo"
                )


@pytest.mark.django_db(transaction=True)
def test_demo_command_loads_once_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    first = out.getvalue()
    assert first.startswith("Demo data loaded.")
    assert "password for all: edcoop-demo-2026" in first
    for line in (
        "admin@lakes.example.org", "purchasing@nation.example.org", "buyer@alder.example.org",
        "rep@empirepaper.example.com", "rep@flxdairy.example.com", "buyer@gpsu.example.edu",
    ):  # fmt: skip
        assert line in first
    assert audit.verify() == []
    # Again: nothing is built twice, and the same logins are printed from the database.
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    again = out.getvalue()
    assert again.startswith("Demo data already loaded.")
    assert again.splitlines()[1:] == first.splitlines()[1:]
    with pytest.raises(CommandError, match="already has agencies"):
        call_command("demo", stdout=StringIO())
