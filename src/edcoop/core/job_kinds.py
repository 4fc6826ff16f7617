"""Core's background jobs: verifying the whole audit trail from the audit page."""

from __future__ import annotations

from typing import Any

from . import audit, permissions
from .jobs import JobFailed, Progress, job_kind
from .models import Job

AUDIT_VERIFY = "audit_verify"


@job_kind(AUDIT_VERIFY)
def run_audit_verify(job: Job, progress: Progress) -> dict[str, Any]:
    from edcoop.members.models import Agency

    agency = Agency.objects.get(pk=job.agency_id or 0)
    permissions.require(job.created_by, permissions.Action.AUDIT_VIEW, agency)
    problems = audit.verify(progress)
    if problems:
        raise JobFailed(
            "The audit trail does not verify: events were changed or removed outside EdCoop.",
            [f"Event #{p.seq}: {p.reason}" for p in problems[:50]],
        )
    return {"events checked": audit.AuditEvent.objects.count(), "problems": 0}
