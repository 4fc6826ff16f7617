"""What every `edcoop` command shares: who acts, the agency argument, reading the input
file, and a progress bar on a terminal. Errors are one line and exit status 2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError
from tqdm import tqdm

from . import audit

if TYPE_CHECKING:
    from edcoop.members.models import Agency

CLI_ACTOR = audit.Actor(user_id=None, label="cli", source="cli")


def agency_arg(slug: str | None) -> Agency:
    from edcoop.members.models import Agency

    agency = Agency.objects.filter(slug=slug).first() if slug else None
    if agency is None:
        raise CommandError(f"--agency: no agency with slug {slug!r}", returncode=2)
    return agency


def read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}", returncode=2) from None


@contextmanager
def progress_bar(stream: Any, desc: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on the command's stderr when it is a terminal; the yielded function takes
    ``(done, total)`` like every ``progress`` argument of the services."""
    bar = tqdm(desc=desc, unit=unit, file=stream, leave=False, disable=not stream.isatty())

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    with bar:
        yield progress
