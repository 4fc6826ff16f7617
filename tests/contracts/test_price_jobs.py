"""Large price-list uploads run as a background job: the page and the API keep the file and
answer at once with the job (progress, then the version made or each line's refusal). These
run the real job runner: the database task queue worked by ``db_worker``, as ``make demo``
starts it, or the test settings' immediate runner."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from tests.api.conftest import _api_for as api_for
from tests.web.conftest import client_for

from edcoop.contracts.models import Contract, ContractItem, PriceListUpload, PriceListVersion
from edcoop.core.models import Job

HEADER = "sku,description,unit,unit_price,category,list_price,tiers\n"
GOOD = HEADER + "".join(f"P-{i:04d},Pens box {i},box,{2 + i / 100:.2f},Pens,,\n"
                        for i in range(1, 41))  # fmt: skip
BAD = HEADER + "P-1,Pens,box,2.00,,,\nP-2,,box,-1,,,\nP-1,Pens,box,2.00,,,\n"
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                        "ENQUEUE_ON_COMMIT": False}}  # fmt: skip
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def small_threshold(settings: Any) -> None:
    settings.EDCOOP_PRICE_LIST_INLINE_BYTES = 100  # every file here is "large"


def _csv(body: str, name: str = "prices.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


@pytest.mark.django_db(transaction=True)
def test_the_page_queues_the_file_and_db_worker_makes_the_version(north: Any,
                                                                  paper: Contract) -> None:
    supplier = client_for(north.users["supplier_rep"])
    with override_settings(TASKS=DB_QUEUE):
        answer = supplier.post(f"/a/north/contracts/{paper.pk}/price-lists/",
                               {"effective_on": TODAY.isoformat(), "file": _csv(GOOD)})
        job = Job.objects.get(kind="price_list_upload")
        assert answer.status_code == 302 and answer["Location"] == f"/a/north/jobs/{job.pk}/"
        waiting = supplier.get(answer["Location"]).content.decode()
        assert "Waiting to start" in waiting and "progress" in waiting
        assert not PriceListVersion.objects.exists()  # nothing checked yet
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay",
                     "--interval", "0", verbosity=0)  # fmt: skip
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.total == 41 and job.percent == 100  # the file's lines, header included
    version = PriceListVersion.objects.get(contract=paper)
    assert (version.number, version.status, version.row_count) == (1, "pending", 40)
    assert version.file_name == "prices.csv"
    done = supplier.get(f"/a/north/jobs/{job.pk}/").content.decode()
    assert "pending the agency" in done and "Price-list items</dt><dd>40</dd>" in done
    assert f"/a/north/contracts/{paper.pk}/price-lists/1/" in done  # the version's page
    upload = PriceListUpload.objects.get()
    assert bytes(upload.content) == b"" and upload.version == version  # not kept twice
    # members still buy from the list in force until the agency approves
    assert not ContractItem.objects.filter(contract=paper, sku="P-0001").exists()


def test_a_bad_large_file_fails_the_job_with_every_line(
    north: Any, paper: Contract, django_capture_on_commit_callbacks: Any
) -> None:
    supplier = client_for(north.users["supplier_rep"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = supplier.post(f"/a/north/contracts/{paper.pk}/price-lists/",
                               {"effective_on": TODAY.isoformat(), "file": _csv(BAD)})
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert job.error == "Nothing was saved: the price list has problems."
    first, second = job.result["details"]
    assert first.startswith("line 3: description: This field is required.")
    assert "unit_price: Cannot be negative" in first
    assert second == "line 4: sku 'P-1' repeats an earlier line"
    page = supplier.get(answer["Location"]).content.decode()
    assert "line 4: sku &#x27;P-1&#x27; repeats an earlier line" in page
    assert not PriceListVersion.objects.exists()


def test_a_date_or_permission_problem_is_refused_before_anything_is_queued(
    north: Any, nation: Any, paper: Contract
) -> None:
    supplier = client_for(north.users["supplier_rep"])
    page = supplier.post(f"/a/north/contracts/{paper.pk}/price-lists/",
                         {"effective_on": "2099-01-01", "file": _csv(GOOD)})  # fmt: skip
    assert page.status_code == 200 and "ends on" in page.content.decode()
    buyer = client_for(north.users["member_buyer"])
    refused = buyer.post(f"/a/north/contracts/{paper.pk}/price-lists/",
                         {"effective_on": TODAY.isoformat(), "file": _csv(GOOD)})  # fmt: skip
    assert refused.status_code in (403, 404)
    assert not Job.objects.exists() and not PriceListUpload.objects.exists()


def test_the_api_answers_202_and_the_job_url_follows_it(
    north: Any, nation: Any, paper: Contract, django_capture_on_commit_callbacks: Any
) -> None:
    api = api_for(north.users["supplier_rep"])
    path = f"/api/v1/agencies/north/contracts/{paper.pk}/price-lists"
    headers = {"Authorization": f"Bearer {api.secret}"}
    with django_capture_on_commit_callbacks(execute=True):
        made = api.client.post(path, {"effective_on": TODAY.isoformat(), "file": _csv(GOOD)},
                               headers=headers)  # fmt: skip
    assert made.status_code == 202, made.content
    body = made.json()
    assert body["status"] == "queued" and body["page"] == f"/a/north/jobs/{body['job_id']}/"
    assert body["url"] == f"{path}/uploads/{body['job_id']}"
    now = api.client.get(body["url"], headers=headers).json()
    assert (now["status"], now["version"], now["error"]) == ("succeeded", 1, "")
    version = api.get(f"/agencies/north/contracts/{paper.pk}/price-lists/1").json()
    assert (version["status"], version["row_count"]) == ("pending", 40)
    # the officer reads it too; another agency's staff and a member do not
    officer = api_for(north.users["procurement_officer"])
    assert officer.client.get(body["url"], headers={
        "Authorization": f"Bearer {officer.secret}"}).status_code == 200  # fmt: skip
    for user in (nation.users["procurement_officer"], north.users["member_buyer"]):
        other = api_for(user)
        assert other.client.get(body["url"], headers={
            "Authorization": f"Bearer {other.secret}"}).status_code == 404  # fmt: skip


def test_the_officers_own_large_import_is_approved_in_force(
    north: Any, paper: Contract, django_capture_on_commit_callbacks: Any
) -> None:
    officer = client_for(north.users["procurement_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = officer.post(f"/a/north/contracts/{paper.pk}/prices/", {"file": _csv(GOOD)})
    job = Job.objects.get()
    assert answer["Location"] == f"/a/north/jobs/{job.pk}/" and job.status == "succeeded"
    page = officer.get(answer["Location"]).content.decode()
    assert "approved, in force" in page
    assert "Price-list items</dt><dd>40</dd>" in page
    assert ContractItem.objects.filter(contract=paper, withdrawn_on=None).count() == 40
