"""Core's background jobs: verifying the audit trail from an agency's audit page."""

from __future__ import annotations

from typing import Any

from . import checkpoints, integrity, permissions
from .jobs import JobFailed, Progress, job_kind
from .models import Job

AUDIT_VERIFY = "audit_verify"


@job_kind(AUDIT_VERIFY, reads=permissions.Action.AUDIT_VIEW)
def run_audit_verify(job: Job, progress: Progress) -> dict[str, Any]:
    """The shared chain, then this agency's records only: its auditor learns its own counts
    and problems and the chain's, never another agency's. ``params["checkpoint"]`` (an
    uploaded checkpoint file's content) is held against the chain too."""
    from edcoop.members.models import Agency

    agency = Agency.objects.get(pk=job.agency_id or 0)
    permissions.require(job.created_by, permissions.Action.AUDIT_VIEW, agency)
    loaded = []
    if job.params.get("checkpoint") is not None:
        try:
            loaded.append(checkpoints.parse(job.params["checkpoint"]))
        except checkpoints.CheckpointError as exc:
            raise JobFailed(str(exc)) from None
    report = integrity.verify(agency_id=agency.pk, checkpoints=loaded, progress=progress)
    problems = report.problems_for(agency.pk)
    if problems:
        raise JobFailed(
            "The audit trail does not verify: events or records were changed or removed "
            "outside EdCoop.",
            problems[:50],
        )
    counts = report.counts_for(agency.pk)
    result: dict[str, Any] = {"events checked": counts.pop("events")}
    result.update({f"{what} checked": n for what, n in counts.items()})
    for cp in loaded:
        result[f"checkpoint of {cp.taken_at}"] = f"events #1 to #{cp.seq} unchanged"
    result["problems"] = 0
    return result
