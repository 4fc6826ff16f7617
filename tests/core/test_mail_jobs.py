"""E-mail is a background job after the commit: a mail server out of reach never turns a
stored submission into an error, the job tries again, and the agency sees what failed."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.core import mail as outbox
from django.test import Client
from tests.api.conftest import _api_for
from tests.procurement.conftest import bid, clock, items  # noqa: F401 (fixtures)

from edcoop.core.mail import EMAIL, RETRY_DELAYS, send_after_commit
from edcoop.core.models import Job
from edcoop.procurement.models import Response

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.fixture
def mail_server_down(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 2


def test_a_submission_answers_success_with_the_mail_server_out_of_reach(
    north: Any,
    bid: Any,  # noqa: F811
    mail_server_down: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = _api_for(north.users["supplier_rep"])
    its = items(bid)
    body = {"supplier_id": north.supplier.pk, "attestations": ["non_collusion"],
            "lines": [{"item_id": its["2.01"].pk, "unit_price": "0.29"}]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(f"/agencies/north/solicitations/{bid.pk}/responses", body)
    assert answer.status_code == 201, answer.content
    assert Response.objects.filter(pk=answer.json()["response_id"]).exists()
    job = Job.objects.get(kind=EMAIL, title__contains="Receipt")
    assert job.status == Job.Status.FAILED
    assert job.params["attempt"] == len(RETRY_DELAYS) + 1  # tried, then once per delay
    assert "mail server did not take the message" in job.error
    assert job.agency_id == north.agency.pk

    # The agency's staff see it on their dashboard; the supplier does not.
    staff = Client()
    staff.force_login(north.users["agency_admin"])
    page = staff.get(f"/a/{north.agency.slug}/").content.decode()
    assert "E-mail not delivered" in page and "Receipt for your response" in page
    assert staff.get(f"/a/{north.agency.slug}/jobs/{job.pk}/").status_code == 200
    rep = Client()
    rep.force_login(north.users["supplier_rep"])
    assert rep.get(f"/a/{north.agency.slug}/jobs/{job.pk}/").status_code == 404


def test_mail_is_sent_after_the_commit_and_not_at_all_after_a_rollback(
    north: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = send_after_commit([("Hello", "Body", ["a@example.org"]),
                                 ("Hello", "Body", ["b@example.org"])],
                                agency_id=north.agency.pk, title="E-mail: Hello")  # fmt: skip
    assert job is not None
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result == {"sent": 2}
    assert [m.to for m in outbox.outbox] == [["a@example.org"], ["b@example.org"]]

    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_after_commit([("Never", "Body", ["c@example.org"])], agency_id=north.agency.pk,
                          title="E-mail: Never")  # fmt: skip
    assert callbacks and outbox.outbox == []  # queued only when (if) the transaction commits


def test_no_recipient_means_no_job(north: Any) -> None:
    assert send_after_commit([("S", "B", [])], agency_id=north.agency.pk, title="t") is None
    assert not Job.objects.filter(kind=EMAIL).exists()
