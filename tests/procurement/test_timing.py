# ruff: noqa: DTZ001  (naive wall-clock times in the agency zone are the point here)
"""Deadlines in the agency's zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from edcoop.procurement import timing


def test_local_time_converts_in_winter_and_summer(north):
    assert timing.local_to_utc(north.agency, datetime(2026, 1, 15, 14, 0)) == datetime(
        2026, 1, 15, 19, 0, tzinfo=UTC
    )
    assert timing.local_to_utc(north.agency, datetime(2026, 7, 15, 14, 0)) == datetime(
        2026, 7, 15, 18, 0, tzinfo=UTC
    )


def test_the_skipped_spring_hour_is_refused(north):
    with pytest.raises(ValidationError, match="does not exist"):
        timing.local_to_utc(north.agency, datetime(2026, 3, 8, 2, 30), field="responses_due_at")


def test_the_repeated_autumn_hour_is_refused(north):
    with pytest.raises(ValidationError, match="happens twice"):
        timing.local_to_utc(north.agency, datetime(2026, 11, 1, 1, 30))


def test_deadline_across_the_spring_change(north):
    # Due 2 PM local on the Sunday clocks spring forward: 18:00 UTC (EDT), not 19:00.
    due = timing.local_to_utc(north.agency, datetime(2026, 3, 8, 14, 0))
    assert due == datetime(2026, 3, 8, 18, 0, tzinfo=UTC)
    assert timing.is_on_time(due, datetime(2026, 3, 8, 17, 59, 59, tzinfo=UTC))
    assert not timing.is_on_time(due, datetime(2026, 3, 8, 18, 0, tzinfo=UTC))


def test_deadline_across_the_autumn_change(nation):
    due = timing.local_to_utc(nation.agency, datetime(2026, 11, 1, 14, 0))  # Chicago, CST
    assert due == datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
    assert timing.is_on_time(due, datetime(2026, 11, 1, 19, 59, 59, 999999, tzinfo=UTC))
    assert not timing.is_on_time(due, due)
