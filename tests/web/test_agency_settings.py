"""The agency's own facts are set on its settings page, by its administrator only, audited,
and used by the next invoices and the public pages."""

from __future__ import annotations

from typing import Any

from edcoop.core.models import AuditEvent
from edcoop.members.models import Agency

from .conftest import client_for

URL = "/a/north/settings/"


def form(**over: Any) -> dict[str, Any]:
    data = {
        "name": "North BOCES", "email": "ar@north.example.org", "phone": "(585) 555-0100",
        "website": "", "address": "1 Main St\nNorth, NY 14400", "tax_id": "16-1234567",
        "remit_to": "PO Box 9\nNorth, NY 14400", "payment_instructions": "Checks to North BOCES.",
        "payment_terms_days": "45", "paper_size": "letter",
        "membership_terms": "Component districts share the budget by RWADA.",
        "accepting_applications": "on",
    }  # fmt: skip
    data.update(over)
    return data


def test_only_the_agency_admin_opens_it(north: Any, nation: Any) -> None:
    assert client_for(north.users["agency_admin"]).get(URL).status_code == 200
    for role in ("business_office", "procurement_officer", "auditor", "member_admin",
                 "supplier_rep"):  # fmt: skip
        assert client_for(north.users[role]).get(URL).status_code in (403, 404), role
    assert client_for(nation.users["agency_admin"]).get(URL).status_code in (403, 404)
    assert client_for(north.users["business_office"]).post(URL, form()).status_code in (403, 404)
    assert Agency.objects.get(pk=north.agency.pk).payment_terms_days == 30


def test_saving_updates_the_facts_and_the_audit_trail(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    response = client.post(URL, form())
    assert response.status_code == 302
    agency = Agency.objects.get(pk=north.agency.pk)
    assert agency.payment_terms_days == 45 and agency.remit_to.startswith("PO Box 9")
    event = AuditEvent.objects.filter(action="agency.update").latest("pk")
    assert event.changes["payment_terms_days"] == [30, 45]
    assert "share the budget by RWADA" in client.get("/a/north/join/").content.decode()


def test_bad_terms_are_refused_by_name_and_nothing_changes(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    body = client.post(URL, form(payment_terms_days="400", tax_id="x" * 30)).content.decode()
    assert "Payment terms (days)" in body and "365" in body
    assert 'value="400"' in body  # what was typed stays
    assert Agency.objects.get(pk=north.agency.pk).payment_terms_days == 30
