"""Deadlines: stored in UTC, entered and shown in the agency's time zone, decided by the
server clock.

A response is on time while ``now < responses_due_at``: at the due second itself it is
late (a bid due at 2:00:00 PM is refused at 2:00:00 PM). A local time that does not exist
(the hour skipped when clocks spring forward) or exists twice (the hour repeated in the
autumn) is refused with a message, so a deadline never silently moves by an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def received(request: Any) -> datetime:
    """The server clock when ``request`` reached the application (core.requests stamps it
    before anything can make it wait): the time a submission is judged by, so one that
    arrived before the deadline is never late for having queued behind others. Never later
    than ``now()`` (a request that went around the middleware is received now)."""
    from edcoop.core.requests import received_at

    current = now()
    stamp = received_at(request)
    return stamp if stamp is not None and stamp <= current else current


def local_to_utc(agency: Any, local: datetime, *, field: str = "__all__") -> datetime:
    """A wall-clock time in the agency's zone (naive) as an aware UTC moment."""
    if timezone.is_aware(local):
        return local.astimezone(UTC)
    zone = agency.zone
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    shown = f"{local:%b} {local.day}, {local.year} {local:%H:%M}"
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != local:
            raise ValidationError(
                {
                    field: f"{shown} does not exist in {agency.time_zone} (clocks spring forward "
                    "that night); choose another time."
                }
            )
        raise ValidationError(
            {
                field: f"{shown} happens twice in {agency.time_zone} (clocks fall back that "
                "night); choose another time."
            }
        )
    return first.astimezone(UTC)


def utc_to_local(agency: Any, moment: datetime) -> datetime:
    return moment.astimezone(agency.zone)


def is_on_time(due: datetime | None, at: datetime) -> bool:
    return due is not None and at < due
