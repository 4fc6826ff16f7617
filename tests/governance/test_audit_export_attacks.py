"""Attacks on ``edcoop audit export``'s period: the page refuses years outside 1900-2999;
the command did not, and the last day 9999-12-31 overflowed into a traceback."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.parametrize(("since", "until", "named"), [
    ("2026-01-01", "9999-12-31", "--to"),
    ("0001-01-01", "2026-01-01", "--from"),
    ("0001-01-01", "9999-12-31", "--from"),
])  # fmt: skip
def test_the_command_refuses_years_the_page_refuses(north, tmp_path, settings, since, until,
                                                    named):  # fmt: skip
    settings.EDCOOP_CHECKPOINT_DIR = tmp_path
    out = tmp_path / "north.zip"
    with pytest.raises(CommandError) as err:
        call_command("audit", "export", "--agency", "north", "--from", since, "--to", until,
                     "--out", str(out))  # fmt: skip
    assert named in str(err.value) and "between the years" in str(err.value)
    assert err.value.returncode == 2 and not out.exists()
