"""The audit trail page: this agency's events, and a chain check run as a background job."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from edcoop.core import guards
from edcoop.core.models import AuditEvent, Job

from .conftest import client_for


def test_verify_button_runs_a_job_and_the_page_reports_an_intact_chain(
    north: Any, nation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(north.users["auditor"])
    assert "has not been checked" in client.get("/a/north/audit/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/a/north/audit/")
    job = Job.objects.get(kind="audit_verify")
    assert response["Location"] == f"/a/north/jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED
    # Its own agency's count, never the installation's (which would reveal the other's).
    ours = AuditEvent.objects.filter(agency_id=north.agency.pk).count()
    assert job.result["events checked"] == ours < AuditEvent.objects.count()
    page = client.get("/a/north/audit/").content.decode()
    assert "the whole audit trail verified" in page


def test_one_agencys_broken_records_are_its_own_business(
    north: Any, nation: Any, owner_bypass: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import date
    from decimal import Decimal

    from edcoop.billing.ledger import payment_record
    from edcoop.billing.models import Payment

    payment = payment_record(user=nation.users["business_office"], institution=nation.institution,
                             amount=Decimal("70.00"), received_on=date(2026, 9, 1))  # fmt: skip
    with owner_bypass():
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("7.00"))
    for tenant, status in ((north, Job.Status.SUCCEEDED), (nation, Job.Status.FAILED)):
        client = client_for(tenant.users["auditor"])
        with django_capture_on_commit_callbacks(execute=True):
            job_url = client.post(f"/a/{tenant.agency.slug}/audit/")["Location"]
        job = Job.objects.filter(agency_id=tenant.agency.pk).first()
        assert job.status == status
        page = client.get(job_url).content.decode()
        assert ("amount is 7.00" in page) == (tenant is nation)


def test_an_auditor_checks_the_trail_against_a_mailed_checkpoint(
    north: Any, tmp_path: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from edcoop.core import checkpoints

    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = checkpoints.take(directory=tmp_path).checkpoint
    (message,) = [m for m in mailoutbox if m.to == ["north-auditor@example.org"]]
    name, content, _ = message.attachments[0]
    client = client_for(north.users["auditor"])
    upload = SimpleUploadedFile(name, content.encode(), "application/json")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/a/north/audit/", {"check": "checkpoint", "checkpoint": upload})
    job = Job.objects.get(kind="audit_verify")
    assert response["Location"] == f"/a/north/jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED, job.error
    page = client.get(response["Location"]).content.decode()
    assert f"events #1 to #{checkpoint.seq} unchanged" in page
    # A file that is not a checkpoint is a field error, and nothing runs.
    bad = SimpleUploadedFile("notes.json", b'{"hello": 1}', "application/json")
    page = client.post("/a/north/audit/", {"check": "checkpoint", "checkpoint": bad})
    assert page.status_code == 200
    assert "not an EdCoop audit checkpoint" in page.content.decode()
    assert Job.objects.count() == 1


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


def test_an_event_whose_changes_name_a_field_items_still_shows(north: Any) -> None:
    """A change to a field called "items" (demand commitments) used to break the page: the
    template's ``changes.items`` looked the key up instead of listing the pairs."""
    from edcoop.core import audit

    audit.record("demand.commit", north.agency, agency_id=north.agency.pk,
                 changes={"items": ["1.01"], "total": [1, 2]})  # fmt: skip
    response = client_for(north.users["auditor"]).get("/a/north/audit/")
    assert response.status_code == 200
    assert "<li>items: " in response.content.decode()


def test_actions_read_in_words_and_filter_by_actor_record_and_days(north: Any) -> None:
    from edcoop.core.formatting import action_label

    assert action_label("billing.run.post") == "Billing run posted"
    assert action_label("demand.commit") == "Demand committed"
    assert action_label("odd") == "Odd"
    client = client_for(north.users["auditor"])
    body = client.get("/a/north/audit/").content.decode()
    assert "Membership year" in body or "created" in body  # words, not only codes
    mine = AuditEvent.objects.filter(agency_id=north.agency.pk).first()
    assert mine is not None
    who = mine.actor_label
    day = mine.at.astimezone(north.agency.zone).date()
    hit = client.get(f"/a/north/audit/?actor={who}&since={day}&until={day}").content.decode()
    assert f"<td class=\"num\">{mine.seq}</td>" in hit
    later = day.replace(year=day.year + 1)
    empty = client.get(f"/a/north/audit/?since={later}").content.decode()
    assert f"<td class=\"num\">{mine.seq}</td>" not in empty
    bad = client.get(f"/a/north/audit/?since={later}&until={day}")
    assert bad.status_code == 200 and "before its start" in bad.content.decode()
