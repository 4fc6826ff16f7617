"""Contracts' background job: a large price-list file checked and kept as a version.

The page or API call that received the file answered at once with the job's page; this runs
the same code a small file runs while its uploader waits (``pricelists.upload_version``, or
``import_version`` for the agency's own import), as the user who uploaded it."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from edcoop.core import formatting
from edcoop.core.jobs import JobFailed, Progress, job_kind
from edcoop.core.models import Job
from edcoop.core.permissions import Action

from . import pricelists
from .models import PriceListUpload, PriceListVersion
from .pricelists import PRICE_LIST_UPLOAD

__all__ = ["PRICE_LIST_UPLOAD", "run_price_list_upload"]


def _details(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [m if k in ("file", "__all__") else f"{k}: {m}"
            for k, msgs in exc.message_dict.items() for m in msgs]  # fmt: skip


@job_kind(PRICE_LIST_UPLOAD, reads=Action.CONTRACT_EDIT)
def run_price_list_upload(job: Job, progress: Progress) -> dict[str, Any]:
    upload = PriceListUpload.objects.select_related("contract__agency", "contract__supplier").get(
        pk=job.params["upload_id"])  # fmt: skip
    contract = upload.contract
    data = bytes(upload.content)
    total = pricelists.estimate_rows(data)

    def reached(line: int) -> None:
        if total:
            progress(min(line, total), total)

    try:
        if upload.effective_on is None:
            version = pricelists.import_version(
                user=job.created_by, contract=contract, data=io.BytesIO(data),
                file_name=upload.file_name, today=upload.uploaded_on, progress=reached)
        else:
            version = pricelists.upload_version(
                user=job.created_by, contract=contract, data=io.BytesIO(data),
                file_name=upload.file_name, effective_on=upload.effective_on,
                today=upload.uploaded_on, progress=reached)  # fmt: skip
    except ValidationError as exc:
        raise JobFailed("Nothing was saved: the price list has problems.", _details(exc)) from None
    finally:  # read once: the version holds the rows and the file's SHA-256
        PriceListUpload.objects.filter(pk=upload.pk).update(content=b"")
    PriceListUpload.objects.filter(pk=upload.pk).update(version=version)
    in_force = version.status == PriceListVersion.Status.APPROVED
    return {
        "version": version.number,
        # not "items": the job page reads the result's .items() (a dict's, in a template)
        "price-list items": version.row_count,
        "takes effect": formatting.day(version.effective_on),
        "status": "approved, in force" if in_force else "pending the agency's approval",
        "url": reverse("contracts:price_version",
                       args=[contract.agency.slug, contract.pk, version.number]),
    }  # fmt: skip
