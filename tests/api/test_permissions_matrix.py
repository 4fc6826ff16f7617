"""Role x write endpoint: who may, who gets 403 (in their own agency), who cannot even see
the record (404). Allowed writes land in the audit trail as the token's user, source api."""

from __future__ import annotations

from typing import Any

import pytest

from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.members import services
from edcoop.members.models import Institution

ROLES = [
    "agency_admin", "procurement_officer", "business_office", "evaluator", "auditor",
    "member_admin", "member_buyer", "member_finance", "supplier_rep",
]  # fmt: skip


def applicant(tenant: Any) -> Any:
    return services.membership_apply(
        agency=tenant.agency,
        application=services.Application(
            name="Applicant Central", kind=Institution.Kind.PUBLIC_K12, state="NY"
        ),
    )


def approve(t: Any) -> tuple[str, str, Any]:
    return "post", f"/agencies/north/memberships/{applicant(t).pk}/approve", {"component": True}


def decline(t: Any) -> tuple[str, str, Any]:
    m = applicant(t)
    return "post", f"/agencies/north/memberships/{m.pk}/decline", {"reason": "Out of area"}


def set_status(t: Any) -> tuple[str, str, Any]:
    m = t.institution.membership
    return "post", f"/agencies/north/memberships/{m.pk}/status", {"status": "suspended"}


def put_year(t: Any) -> tuple[str, str, Any]:
    m = t.institution.membership
    body = {"enrollment": 1250, "rwada": "1201.25", "aid_ratio": "0.6200", "full_value": "1"}
    return "put", f"/agencies/north/memberships/{m.pk}/years/2027", body


def patch_institution(t: Any) -> tuple[str, str, Any]:
    return "patch", f"/agencies/north/institutions/{t.institution.pk}", {"city": "Albany"}


def patch_supplier(t: Any) -> tuple[str, str, Any]:
    return "patch", f"/agencies/north/suppliers/{t.supplier.pk}", {"phone": "518-555-0100"}


def supplier_status(t: Any) -> tuple[str, str, Any]:
    return "post", f"/agencies/north/suppliers/{t.supplier.pk}/status", {"status": "active"}


def register_supplier(t: Any) -> tuple[str, str, Any]:
    return "post", "/agencies/north/suppliers", {"legal_name": "New Co", "tax_id": "44-4444444"}


# Expected status per role, in ROLES order.
MATRIX = {
    approve:           [200, 403, 403, 404, 403, 404, 404, 404, 404],
    decline:           [200, 403, 403, 404, 403, 404, 404, 404, 404],
    set_status:        [200, 403, 403, 404, 403, 403, 403, 403, 404],
    put_year:          [200, 403, 200, 404, 403, 403, 403, 403, 404],
    patch_institution: [200, 403, 200, 404, 403, 200, 403, 403, 404],
    patch_supplier:    [200, 200, 403, 403, 403, 404, 404, 404, 200],
    supplier_status:   [200, 200, 403, 403, 403, 404, 404, 404, 403],
    register_supplier: [201, 201, 403, 403, 403, 403, 403, 403, 403],
}  # fmt: skip

CASES = [
    pytest.param(action, role, codes[i], id=f"{action.__name__}-{role}")
    for action, codes in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize("action, role, expected", CASES)
def test_role_matrix(north, nation, action, role, expected, api_for, state):
    user = north.users[role]
    api = api_for(user)
    method, path, body = action(north)
    before = state()
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    r = api.call(method, path, body)

    assert r.status_code == expected, r.content
    if expected >= 400:
        assert r.json()["detail"]
        assert state() == before
    else:
        events = list(AuditEvent.objects.filter(seq__gt=last_seq))
        assert events, "an allowed write must be audited"
        assert {(e.actor_id, e.actor_label, e.source) for e in events} == {
            (user.pk, user.username, "api")
        }
    assert audit.verify() == []
