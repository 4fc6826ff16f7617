"""The public membership form, and the agency's approval queue behind it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.members.models import Agency, Institution, Membership

from .conftest import assert_audited, assert_csp_clean, client_for

GOOD = {
    "name": "Lakeview Central School District",
    "kind": "public_k12",
    "state": "NY",
    "county": "Oswego",
    "city": "Lakeview",
    "nces_id": "3612345",
    "ipeds_id": "",
    "beds_code": "",
    "website": "https://lakeview.example.org",
    "contact_name": "Pat Lee",
    "contact_title": "School Business Official",
    "contact_email": "pat.lee@lakeview.example.org",
    "contact_phone": "315-555-0100",
    "notes": "",
}


def counts() -> tuple[int, int, int]:
    return Institution.objects.count(), Membership.objects.count(), AuditEvent.objects.count()


def test_join_form_states_the_agencys_own_membership_terms(north: Any, client: Any) -> None:
    """What membership costs is the agency's fact: none is claimed for it, its own is shown."""
    body = client.get("/a/north/join/").content.decode()
    assert "no cost" not in body and "free" not in body.lower()
    Agency.objects.filter(pk=north.agency.pk).update(
        membership_terms="Component districts share the administrative budget by RWADA."
    )
    for url in ("/a/north/join/", "/a/north/", "/"):
        body = client.get(url).content.decode()
        assert "share the administrative budget by RWADA" in body, url
    body = client.get("/a/north/join/").content.decode()
    assert '<label for="id_name">Institution name <span class="req">(required)</span>' in body
    assert_csp_clean(body)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"contact_email": "pat at lakeview"}, "contact_email", "Enter a valid email address."),
        ({"nces_id": "12345"}, "nces_id", "NCES IDs are 7 (district) or 12 digits."),
        ({"beds_code": "12-34"}, "beds_code", "NY BEDS codes are 12 digits."),
    ],
)
def test_join_form_rejects_bad_input_naming_the_field(
    north: Any, client: Any, change: dict[str, str], field: str, message: str
) -> None:
    before = counts()
    response = client.post("/a/north/join/", {**GOOD, **change})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body  # the summary at the top
    assert f'href="#id_{field}"' in body  # ...links to the field
    assert f'id="id_{field}_error"' in body and message in body  # the error beside it
    assert f'aria-describedby="id_{field}' in body and 'aria-invalid="true"' in body
    assert body.count('aria-invalid="true"') == 1
    assert "<title>Error: " in body
    assert counts() == before  # nothing created, not even an audit event
    assert_csp_clean(body)


def test_join_form_answers_a_duplicate_like_any_application(north: Any, client: Any) -> None:
    first = client.post("/a/north/join/", GOOD)
    before = counts()
    again = client.post("/a/north/join/", {**GOOD, "name": "Other name"})
    assert again.status_code == 302 and again.url == first.url  # nothing revealed
    assert counts() == before


def test_application_is_approved_from_the_queue(
    north: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = client.post("/a/north/join/", GOOD)
    assert response.status_code == 302
    assert "your application is in" in client.get(response["Location"]).content.decode()
    membership = Membership.objects.get(institution__name=GOOD["name"])
    assert membership.status == "applicant"
    assert AuditEvent.objects.filter(action="membership.apply", actor_label="anonymous").exists()

    admin = north.users["agency_admin"]
    staff = client_for(admin)
    queue = staff.get("/a/north/members/applications/").content.decode()
    assert GOOD["name"] in queue
    assert f"/a/north/members/{membership.pk}/approve/" in queue

    page = staff.get(f"/a/north/members/{membership.pk}/approve/").content.decode()
    assert "e-mails pat.lee@lakeview.example.org" in page  # the confirmation says what happens
    membership.refresh_from_db()
    assert membership.status == "applicant"  # showing the confirmation changes nothing

    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves after commit
        with_mail = staff.post(
            f"/a/north/members/{membership.pk}/approve/", {"component": "on"}, follow=True
        )
    assert "is now a member" in with_mail.content.decode()
    membership.refresh_from_db()
    assert membership.status == "active" and membership.component is True
    assert membership.joined_on is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [GOOD["contact_email"]]
    assert "Welcome to North Agency" in mail.outbox[0].subject
    assert "/accounts/reset/" in mail.outbox[0].body
    assert_audited("membership.approve", admin)
    assert GOOD["name"] not in staff.get("/a/north/members/applications/").content.decode()


def test_decline_needs_a_reason(north: Any, client: Any) -> None:
    client.post("/a/north/join/", GOOD)
    membership = Membership.objects.get(institution__name=GOOD["name"])
    admin = north.users["agency_admin"]
    staff = client_for(admin)
    url = f"/a/north/members/{membership.pk}/decline/"
    events = AuditEvent.objects.count()

    body = staff.post(url, {"reason": "  "}).content.decode()
    assert 'id="id_reason_error"' in body and "This field is required." in body
    membership.refresh_from_db()
    assert membership.status == "applicant"
    assert AuditEvent.objects.count() == events

    response = staff.post(url, {"reason": "Outside our service region"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == "declined"
    event = assert_audited("membership.decline", admin)
    assert event.changes["reason"] == [None, "Outside our service region"]
    assert mail.outbox == []


def test_only_an_agency_admin_decides(north: Any, client: Any) -> None:
    client.post("/a/north/join/", GOOD)
    membership = Membership.objects.get(institution__name=GOOD["name"])
    office = client_for(north.users["business_office"])
    queue = office.get("/a/north/members/applications/").content.decode()
    assert GOOD["name"] in queue and "/approve/" not in queue
    response = office.post(f"/a/north/members/{membership.pk}/approve/", {})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.status == "applicant"


def test_suspend_and_reactivate_a_member(north: Any) -> None:
    admin = north.users["agency_admin"]
    staff = client_for(admin)
    m = north.institution.membership
    detail = staff.get(f"/a/north/members/{m.pk}/").content.decode()
    assert f"/a/north/members/{m.pk}/status/suspended/" in detail
    assert "<dialog" in detail  # the JS confirmation, with the page as no-JS fallback
    confirm = staff.get(f"/a/north/members/{m.pk}/status/suspended/").content.decode()
    assert "from <strong>Active</strong> to <strong>Suspended</strong>" in confirm
    staff.post(f"/a/north/members/{m.pk}/status/suspended/")
    m.refresh_from_db()
    assert m.status == "suspended"
    assert_audited("membership.status", admin)
    staff.post(f"/a/north/members/{m.pk}/status/active/")
    m.refresh_from_db()
    assert m.status == "active"
    # A move the service refuses shows the reason instead of changing anything.
    staff.post(f"/a/north/members/{m.pk}/status/withdrawn/")
    body = staff.post(f"/a/north/members/{m.pk}/status/suspended/").content.decode()
    assert "cannot become suspended" in body
    m.refresh_from_db()
    assert m.status == "withdrawn"
    assert audit.verify() == []


def test_yearly_figures_are_added_and_corrected(north: Any) -> None:
    office = north.users["business_office"]
    staff = client_for(office)
    m = north.institution.membership
    url = f"/a/north/members/{m.pk}/years/"
    staff.post(url, {"fiscal_year": "2027", "enrollment": "1210", "rwada": "1190.25",
                     "aid_ratio": "0.6200", "full_value": "830000000"})  # fmt: skip
    assert_audited("membership_year.create", office)
    staff.post(url, {"fiscal_year": "2026", "enrollment": "1250", "rwada": "1180.50",
                     "aid_ratio": "0.6150", "full_value": "812345678.00"})  # fmt: skip
    assert_audited("membership_year.update", office)
    body = staff.get(f"/a/north/members/{m.pk}/").content.decode()
    assert "FY2027" in body and "$830,000,000.00" in body and "1,190.25" in body
    assert '<td class="num">1,250</td>' in body
    bad = staff.post(url, {"fiscal_year": "2028", "aid_ratio": "1.5"}).content.decode()
    assert 'id="id_aid_ratio_error"' in bad
    assert not m.years.filter(fiscal_year=2028).exists()
    # An auditor reads the figures but gets no form, and cannot post one.
    auditor = client_for(north.users["auditor"])
    assert "Add or correct a year" not in auditor.get(f"/a/north/members/{m.pk}/").content.decode()
    assert auditor.post(url, {"fiscal_year": "2029"}).status_code == 403


def test_staff_edit_the_institution(north: Any) -> None:
    office = north.users["business_office"]
    m = north.institution.membership
    url = f"/a/north/members/{m.pk}/edit/"
    data = {"name": "North District One", "kind": "public_k12", "state": "NY",
            "county": "Oswego", "city": "Fulton", "nces_id": "3600001", "ipeds_id": "",
            "beds_code": "", "website": ""}  # fmt: skip
    assert client_for(office).post(url, data).status_code == 302
    north.institution.refresh_from_db()
    assert north.institution.name == "North District One"
    assert_audited("institution.update", office)
