"""Changes made by operators in the Django admin land in the audit trail too."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from edcoop.core import audit
from edcoop.core.models import AuditEvent


def test_admin_change_is_audited_with_the_changed_fields(north, client):
    operator = get_user_model().objects.create_superuser("operator", "op@example.org", "x")
    client.force_login(operator)
    agency = north.agency
    url = f"/admin/members/agency/{agency.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "slug": agency.slug, "name": "North Country BOCES", "kind": agency.kind,
        "state": agency.state, "time_zone": agency.time_zone,
        "fiscal_year_start_month": 7, "website": "", "email": "",
        "accepting_applications": "on",
    }  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 302
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "agency.admin_change"
    assert event.actor_label == "operator"
    assert event.source == "admin"
    assert event.changes == {"name": ["North Agency", "North Country BOCES"]}
    assert audit.verify() == []


def test_audit_events_cannot_be_edited_or_deleted_in_the_admin(north, client):
    operator = get_user_model().objects.create_superuser("operator", "op@example.org", "x")
    client.force_login(operator)
    event = AuditEvent.objects.first()
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert client.post(f"/admin/core/auditevent/{event.pk}/change/", {}).status_code == 403
