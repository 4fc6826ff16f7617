"""Billing's background job: a billing run big enough to take more than a second."""

from __future__ import annotations

from typing import Any

from edcoop.core.jobs import Progress, job_kind
from edcoop.core.models import Job
from edcoop.core.permissions import Action
from edcoop.members.models import Agency
from edcoop.services.fiscal import parse_period

BILLING_RUN = "billing_run"


@job_kind(BILLING_RUN, reads=Action.BILLING_VIEW)
def run_billing(job: Job, progress: Progress) -> dict[str, Any]:
    from .runs import billing_run_compute

    agency = Agency.objects.get(pk=job.agency_id or 0)
    run = billing_run_compute(
        user=job.created_by, agency=agency, period=parse_period(job.params["period"]),
        progress=progress,
    )  # fmt: skip
    return {"invoices": run.invoice_count, "lines": run.line_count, "total": str(run.total)}
