"""Background jobs: start one, report progress from inside it, read how it went.

A job kind is a plain function ``run(job, progress) -> dict`` registered with
``@job_kind(name, reads=Action.X)``: ``reads`` is the action that lets agency staff read
the job's page (everyone else sees only the jobs they started);
``job_start`` records the Job and enqueues it on the task queue after the transaction
commits. The function runs as the user who started it, so permission checks and the audit
trail see that user, and reports progress with ``progress(done, total)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from . import audit
from .models import Job
from .permissions import Action

Progress = Callable[[int, int], None]
JobFunction = Callable[[Job, Progress], dict[str, Any]]

_KINDS: dict[str, JobFunction] = {}
_READS: dict[str, Action] = {}
logger = logging.getLogger("edcoop.jobs")


class JobFailed(Exception):
    """A job's expected failure: its message (and details) are shown to the user."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class JobRetry(Exception):
    """A failure worth another try later (a mail server out of reach): the job goes back
    to the queue, to run again ``after`` from now, with ``params["attempt"]`` counted up."""

    def __init__(self, message: str, *, after: timedelta) -> None:
        super().__init__(message)
        self.after = after


def job_kind(name: str, *, reads: Action) -> Callable[[JobFunction], JobFunction]:
    """Register a job kind; ``reads`` is the action whose holders (agency-wide) may read any
    job of this kind, e.g. ``Action.AUDIT_VIEW`` for verifying the audit trail."""

    def register(function: JobFunction) -> JobFunction:
        _KINDS[name] = function
        _READS[name] = reads
        return function

    return register


def readers() -> dict[str, Action]:
    """Each job kind and the action that reads it."""
    return dict(_READS)


def job_start(
    *, kind: str, title: str, user: Any, agency_id: int | None, params: dict[str, Any]
) -> Job:
    if kind not in _KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    # No savepoint (two round trips): a failed insert fails the caller's transaction.
    with transaction.atomic(savepoint=False):
        job = Job.objects.create(
            kind=kind, title=title, agency_id=agency_id, params=params,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )  # fmt: skip
        # robust: a queue that cannot be written right after the commit is logged (the job
        # stays queued, visible), never turned into an error for a request that succeeded.
        transaction.on_commit(lambda: run_job.enqueue(job.pk), robust=True)
    return job


def _enqueue_later(job_id: int, after: timedelta) -> None:
    if run_job.get_backend().supports_defer:
        run_job.using(run_after=timezone.now() + after).enqueue(job_id)
    else:  # the test suite's immediate backend runs it at once
        run_job.enqueue(job_id)


def _progress_writer(job: Job) -> Progress:
    """Saves progress at most twice a second, so reporting never slows the work down."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.5:
            return
        last[0] = now
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    return report


@task()
def run_job(job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.QUEUED:
        return  # already run (a retried delivery)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    user = job.created_by
    actor = audit.actor_for_user(user, source="job") if user else audit.SYSTEM
    status, result, error = Job.Status.SUCCEEDED, {}, ""
    try:
        with audit.acting_as(actor):
            result = _KINDS[job.kind](job, _progress_writer(job))
    except JobRetry as exc:
        params = {**job.params, "attempt": int(job.params.get("attempt", 1)) + 1}
        logger.warning("job %s (%s) will be tried again in %s: %s", job.pk, job.kind,
                       exc.after, exc)  # fmt: skip
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.QUEUED, params=params,
            error=f"Attempt {params['attempt'] - 1} failed ({exc}); trying again.",
        )  # fmt: skip
        _enqueue_later(job.pk, exc.after)
        return
    except JobFailed as exc:
        status, error, result = Job.Status.FAILED, str(exc), {"details": exc.details}
        logger.error("job %s (%s) failed: %s", job.pk, job.kind, exc)
    except (ValidationError, PermissionDenied) as exc:
        status, error = Job.Status.FAILED, "; ".join(getattr(exc, "messages", [str(exc)]))
    except Exception:
        status, error = Job.Status.FAILED, "The job stopped on an unexpected error; it is logged."
        logger.exception("job %s failed", job.pk)
    finish: dict[str, Any] = {"status": status, "result": result, "error": error,
                              "finished_at": timezone.now()}  # fmt: skip
    if status == Job.Status.SUCCEEDED:
        finish["done"] = F("total")
    Job.objects.filter(pk=job.pk).update(**finish)
