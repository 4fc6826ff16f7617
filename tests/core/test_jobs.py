"""Background jobs: progress while they run, the result or the reason they failed after."""

from __future__ import annotations

from importlib import resources

from edcoop.core.jobs import job_start
from edcoop.core.models import AuditEvent, Job
from edcoop.members.jobs import INSTITUTION_IMPORT
from edcoop.members.models import Institution


def _start(north, data: str, role: str = "agency_admin") -> Job:
    return job_start(
        kind=INSTITUTION_IMPORT, title="Import institutions", user=north.users[role],
        agency_id=north.agency.pk, params={"csv": data},
    )  # fmt: skip


def test_import_job_runs_as_its_user_and_reports_its_result(
    north, django_capture_on_commit_callbacks
):
    data = resources.files("edcoop").joinpath("samples/ny_boces.csv").read_text()
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(north, data)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"rows": 37, "created": 37, "updated": 0, "unchanged": 0}
    assert job.percent == 100
    assert Institution.objects.filter(agency=north.agency, kind="esa").count() == 37
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.action == "institution.import"
    assert (last.actor_label, last.source) == ("north-agency_admin", "job")


def test_a_bad_file_fails_the_job_with_line_numbered_details(
    north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(north, "name,kind,state\nA,castle,NY\n")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "Nothing was imported" in job.error
    assert job.result["details"][0].startswith("line 2: kind 'castle'")


def test_a_job_started_by_someone_without_permission_fails_cleanly(
    north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(north, "name,kind,state\nA,esa,NY\n", role="auditor")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "may not" in job.error
    assert not Institution.objects.filter(name="A").exists()


def test_a_job_page_follows_the_permission_of_what_it_is_about(north):
    from django.test import Client

    from edcoop.billing.jobs import BILLING_RUN
    from edcoop.core.job_kinds import AUDIT_VERIFY

    def start(kind, role):
        return job_start(kind=kind, title=kind, user=north.users[role],
                         agency_id=north.agency.pk, params={"period": "2025-11"})  # fmt: skip

    jobs = {
        INSTITUTION_IMPORT: start(INSTITUTION_IMPORT, "agency_admin"),
        AUDIT_VERIFY: start(AUDIT_VERIFY, "auditor"),
        BILLING_RUN: start(BILLING_RUN, "business_office"),
    }
    may_read = {
        "agency_admin": {INSTITUTION_IMPORT, AUDIT_VERIFY, BILLING_RUN},
        "auditor": {AUDIT_VERIFY, BILLING_RUN},
        "business_office": {BILLING_RUN},
        "procurement_officer": set(),
        "evaluator": set(),
        "member_admin": set(),
        "supplier_rep": set(),
    }
    for role, readable in may_read.items():
        client = Client()
        client.force_login(north.users[role])
        for kind, job in jobs.items():
            for suffix in ("", "?format=json"):
                r = client.get(f"/a/north/jobs/{job.pk}/{suffix}")
                assert r.status_code == (200 if kind in readable else 404), (role, kind)


def test_whoever_started_a_job_reads_it(north):
    from django.test import Client

    job = _start(north, "name,kind,state\n", role="auditor")  # refused when it runs
    client = Client()
    client.force_login(north.users["auditor"])
    assert client.get(f"/a/north/jobs/{job.pk}/").status_code == 200
