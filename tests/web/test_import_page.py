"""The agency console's CSV import: upload, background job with progress, result or errors."""

from __future__ import annotations

from importlib import resources
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from edcoop.core.models import Job
from edcoop.members.models import Institution

from .conftest import assert_csp_clean, client_for


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_admin_imports_a_file_and_sees_the_result(
    north: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(north.users["agency_admin"])
    assert "Import institutions from CSV" in client.get("/a/north/members/").content.decode()
    data = resources.files("edcoop").joinpath("samples/centennial_boces_members.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/a/north/members/import/", {"file": upload("c.csv", data)})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/a/north/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert_csp_clean(page)
    assert "Finished" in page and "Created" in page and "14" in page
    assert Institution.objects.filter(agency=north.agency, state="CO").count() == 14
    progress = client.get(f"/a/north/jobs/{job.pk}/?format=json").json()
    assert progress == {
        "status": "succeeded", "status_label": "Finished", "done": 14, "total": 14,
        "percent": 100, "finished": True,
    }  # fmt: skip


def test_a_bad_file_lists_every_problem_by_line_and_imports_nothing(
    north: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(north.users["agency_admin"])
    data = b"name,kind,state\nGood,public_k12,NY\n,public_k12,NY\nBad,castle,NY\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/a/north/members/import/", {"file": upload("b.csv", data)})
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page
    assert "line 3: name is required" in page
    assert "line 4: kind &#x27;castle&#x27;" in page
    assert not Institution.objects.filter(name="Good").exists()


def test_the_upload_form_rejects_a_non_csv_or_non_utf8_file(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    page = client.post("/a/north/members/import/", {"file": upload("x.xlsx", b"PK")})
    assert "Choose a .csv file" in page.content.decode()
    page = client.post("/a/north/members/import/", {"file": upload("x.csv", b"\xff\xfe\x00")})
    assert "not UTF-8" in page.content.decode()
    page = client.post("/a/north/members/import/", {})
    assert "This field is required" in page.content.decode()
    assert not Job.objects.exists()


def test_import_and_jobs_are_scoped(north: Any, nation: Any) -> None:
    assert client_for(north.users["business_office"]).get(
        "/a/north/members/import/"
    ).status_code == 403
    assert client_for(north.users["agency_admin"]).get(
        "/a/nation/members/import/"
    ).status_code == 404
    job = Job.objects.create(kind="institution_import", title="t", agency_id=nation.agency.pk)
    for role in ("agency_admin", "auditor", "member_admin"):
        assert client_for(north.users[role]).get(
            f"/a/north/jobs/{job.pk}/"
        ).status_code == 404
    assert client_for(nation.users["agency_admin"]).get(
        f"/a/nation/jobs/{job.pk}/"
    ).status_code == 200
