"""E-mail sent after the transaction that caused it commits, by the background worker.

A submission, an approval or a publication is done once its transaction commits; the
e-mail about it must never undo that, nor hold the request up while an SMTP server answers
slowly. So ``send_after_commit`` records a job (kind ``email``) in the same transaction and
the worker (``edcoop db_worker``) sends it after the commit, trying again later when the
mail server is out of reach (``RETRY_DELAYS``). A message that still cannot be sent leaves
its job failed, with the reason, on the agency's dashboard ("E-mail not delivered") and in
the log; the person who caused it already has their answer.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMessage, get_connection

from .jobs import JobFailed, JobRetry, Progress, job_kind, job_start
from .models import Job
from .permissions import Action

EMAIL = "email"
# After the first attempt fails: again after 1 minute, 5 minutes, 30 minutes and 2 hours.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2))  # fmt: skip


def send_after_commit(
    messages: list[tuple[str, str, list[str]]], *, agency_id: int | None, title: str
) -> Job | None:
    """Queue ``(subject, body, [to])`` messages to be sent once the current transaction
    commits (nothing is sent if it rolls back)."""
    messages = [(subject, body, list(to)) for subject, body, to in messages if to]
    if not messages:
        return None
    return job_start(kind=EMAIL, title=title, user=None, agency_id=agency_id,
                     params={"messages": messages})  # fmt: skip


@job_kind(EMAIL, reads=Action.AGENCY_CONSOLE)
def run_email(job: Job, progress: Progress) -> dict[str, Any]:
    messages = job.params["messages"]
    sent = int(job.result.get("sent", 0)) if isinstance(job.result, dict) else 0
    try:
        with get_connection() as connection:
            # One message at a time, so a retry resends only those not yet accepted.
            for subject, body, to in messages[sent:]:
                connection.send_messages([EmailMessage(subject, body, None, to)])
                sent += 1
                Job.objects.filter(pk=job.pk).update(result={"sent": sent})
                progress(sent, len(messages))
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"the mail server did not take the message: {str(exc) or type(exc).__name__}"
        attempt = int(job.params.get("attempt", 1))
        if attempt <= len(RETRY_DELAYS):
            raise JobRetry(reason, after=RETRY_DELAYS[attempt - 1]) from exc
        raise JobFailed(
            f"E-mail not delivered after {attempt} attempts ({sent} of {len(messages)} sent): "
            f"{reason}"
        ) from exc
    return {"sent": sent}
