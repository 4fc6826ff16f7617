"""Members' background jobs: the CSV import started from the agency console."""

from __future__ import annotations

from typing import Any

from edcoop.core.jobs import JobFailed, Progress, job_kind
from edcoop.core.models import Job
from edcoop.core.permissions import Action

from .importers import ImportFailed, import_institutions
from .models import Agency

INSTITUTION_IMPORT = "institution_import"


@job_kind(INSTITUTION_IMPORT, reads=Action.INSTITUTION_IMPORT)
def run_institution_import(job: Job, progress: Progress) -> dict[str, Any]:
    agency = Agency.objects.get(pk=job.agency_id or 0)
    user = job.created_by
    try:
        result = import_institutions(
            user=user, agency=agency, data=job.params["csv"], progress=progress
        )
    except ImportFailed as exc:
        raise JobFailed("Nothing was imported: the file has problems.", exc.errors) from None
    return {
        "rows": result.lines,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
