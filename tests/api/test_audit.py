"""Every write through the API is in the audit trail, as the token's user, source "api"."""

from __future__ import annotations

from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.members.models import Membership, Supplier


def new_events(after: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=after).order_by("seq"))


def head() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_each_write_is_audited_as_the_token_user(north, api_for):
    admin = north.users["agency_admin"]
    api = api_for(admin)
    start = head()

    r = api.post("/agencies/north/applications",
                 {"name": "Hilltop CSD", "kind": "public_k12", "state": "NY",
                  "contact_email": "clerk@hilltop.example"})  # fmt: skip
    assert r.status_code == 201
    mid = r.json()["membership_id"]
    steps = [
        api.post(f"/agencies/north/memberships/{mid}/approve", {"component": True}),
        api.put(f"/agencies/north/memberships/{mid}/years/2026",
                {"enrollment": 300, "rwada": "310.75", "aid_ratio": "0.4000"}),
        api.post(f"/agencies/north/memberships/{mid}/status", {"status": "suspended"}),
        api.patch(f"/agencies/north/institutions/{north.institution.pk}", {"city": "Utica"}),
        api.patch(f"/agencies/north/suppliers/{north.supplier.pk}", {"dba": "NPC"}),
        api.post(f"/agencies/north/suppliers/{north.supplier.pk}/status", {"status": "active"}),
        api.post("/agencies/north/suppliers", {"legal_name": "Blue Bus", "tax_id": "33-3333333"}),
    ]  # fmt: skip
    assert [s.status_code for s in steps] == [200, 200, 200, 200, 200, 200, 201]

    events = new_events(start)
    assert [e.action for e in events] == [
        "institution.create",
        "membership.apply",
        "membership.approve",
        "user.create",  # the applicant's contact, invited as member admin
        "role.assign",
        "membership_year.create",
        "membership.status",
        "institution.update",
        "supplier.update",
        "supplier.status",
        "supplier.register",
    ]
    assert {(e.actor_id, e.actor_label, e.source) for e in events} == {
        (admin.pk, "north-agency_admin", "api")
    }
    assert all(e.agency_id == north.agency.pk for e in events)
    assert all(e.ip == "127.0.0.1" for e in events)
    assert Membership.objects.get(pk=mid).status == "suspended"
    assert audit.verify() == []


def test_public_writes_are_audited_as_anonymous_api_calls(north, anon):
    start = head()
    r = anon.post("/agencies/north/suppliers", {"legal_name": "Walk-in Co",
                                                "tax_id": "22-2222222"})  # fmt: skip
    assert r.status_code == 202  # the public's answer names no record
    assert Supplier.objects.get(legal_name="Walk-in Co").status == "applicant"
    (event,) = new_events(start)
    assert (event.action, event.actor_id, event.actor_label, event.source) == (
        "supplier.register", None, "anonymous", "api"
    )
    assert event.changes["tax_id"] == [None, "[redacted]"]
    assert audit.verify() == []


def test_a_refused_write_leaves_no_audit_event(north, api_for):
    api = api_for(north.users["business_office"])
    start = head()
    m = north.institution.membership
    r = api.put(f"/agencies/north/memberships/{m.pk}/years/2026", {"aid_ratio": "1.5"})
    assert r.status_code == 422
    assert new_events(start) == []
