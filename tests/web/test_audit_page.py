"""The audit trail page: this agency's events, and a chain check run as a background job."""

from __future__ import annotations

from typing import Any

from django.db import connection

from edcoop.core import guards
from edcoop.core.models import AuditEvent, Job

from .conftest import client_for


def test_verify_button_runs_a_job_and_the_page_reports_an_intact_chain(
    north: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(north.users["auditor"])
    assert "has not been checked" in client.get("/a/north/audit/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/a/north/audit/")
    job = Job.objects.get(kind="audit_verify")
    assert response["Location"] == f"/a/north/jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["events checked"] == AuditEvent.objects.count()
    page = client.get("/a/north/audit/").content.decode()
    assert "the whole audit trail verified" in page


def test_a_tampered_chain_shows_a_warning_naming_the_event(
    north: Any, django_capture_on_commit_callbacks: Any
) -> None:
    target = AuditEvent.objects.order_by("seq")[2]
    guards.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_label = 'x' WHERE seq = %s", [target.seq])
    guards.install(connection)
    client = client_for(north.users["agency_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        job_url = client.post("/a/north/audit/")["Location"]
    assert "did not verify" in client.get("/a/north/audit/").content.decode()
    assert f"Event #{target.seq}: content does not match" in client.get(job_url).content.decode()


def test_only_admins_and_auditors_see_the_audit_trail(north: Any, nation: Any) -> None:
    for role, status in (("business_office", 403), ("member_admin", 403), ("auditor", 200)):
        assert client_for(north.users[role]).get("/a/north/audit/").status_code == status
    assert client_for(north.users["auditor"]).post("/a/nation/audit/").status_code == 404
    assert not Job.objects.exists()
