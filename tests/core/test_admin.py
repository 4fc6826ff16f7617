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
        # The agency's document facts, sent back as they are.
        "payment_terms_days": agency.payment_terms_days, "paper_size": agency.paper_size,
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


def _operator(client):
    operator = get_user_model().objects.create_superuser("operator", "op@example.org", "x")
    client.force_login(operator)
    return operator


def test_the_admin_never_shows_a_suppliers_full_tax_id(north, client):
    _operator(client)
    supplier = north.supplier
    full, digits = supplier.tax_id, supplier.tax_id.replace("-", "")
    pages = [
        client.get("/admin/members/supplier/"),
        client.get(f"/admin/members/supplier/{supplier.pk}/change/"),
        client.get(f"/admin/members/supplier/{supplier.pk}/history/"),
        client.get(f"/admin/members/supplier/{supplier.pk}/delete/"),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert full not in body and digits not in body
    assert supplier.tax_id_masked in pages[1].content.decode()
    # Searching by the EIN finds nothing, so it cannot confirm a guess either.
    for q in (full, digits, full[-4:]):
        found = client.get("/admin/members/supplier/", {"q": q}).content.decode()
        assert "0 results" in found


def _supplier_form(supplier, **changes):
    form = {"agency": supplier.agency_id, "legal_name": supplier.legal_name, "dba": "",
            "tax_id": "", "certifications": "[]", "status": supplier.status, "state": "",
            "email": "", "phone": "", "website": ""}  # fmt: skip
    form.update(changes)
    return form


def test_saving_without_the_tax_id_keeps_it_and_a_new_one_replaces_it(north, client):
    _operator(client)
    supplier = north.supplier
    url = f"/admin/members/supplier/{supplier.pk}/change/"
    old = supplier.tax_id
    assert client.post(url, _supplier_form(supplier, dba="NPC")).status_code == 302
    supplier.refresh_from_db()
    assert (supplier.tax_id, supplier.dba) == (old, "NPC")
    assert client.post(url, _supplier_form(supplier, tax_id="98-7654321")).status_code == 302
    supplier.refresh_from_db()
    assert supplier.tax_id == "98-7654321"
    event = AuditEvent.objects.filter(action="supplier.admin_change").order_by("-seq").first()
    assert event.changes["tax_id"] == ["[redacted]", "[redacted]"]
    assert "98-7654321" not in str(event.changes)
