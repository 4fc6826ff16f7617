"""Suppliers through the API; the tax ID never leaves in clear."""

from __future__ import annotations

import pytest

from edcoop.core import audit
from edcoop.members.models import Supplier

EIN = "87-6543210"


def assert_no_clear_tax_id(response, *eins):
    text = response.content.decode()
    for ein in eins:
        assert ein not in text
        assert ein.replace("-", "") not in text


def test_tax_id_is_masked_in_every_supplier_response(north, anon, api_for):
    officer = api_for(north.users["procurement_officer"])
    rep = api_for(north.users["supplier_rep"])
    existing = north.supplier.tax_id

    created = officer.post("/agencies/north/suppliers", {"legal_name": "Maple Buses LLC",
                                                         "tax_id": EIN})  # fmt: skip
    assert created.status_code == 201
    assert created.json()["tax_id_masked"] == "**-***3210"
    assert "tax_id" not in created.json()
    sid = created.json()["id"]
    responses = [
        created,
        officer.get("/agencies/north/suppliers"),
        officer.get(f"/agencies/north/suppliers/{sid}"),
        officer.patch(f"/agencies/north/suppliers/{sid}", {"tax_id": "87-6543211"}),
        officer.post(f"/agencies/north/suppliers/{sid}/status", {"status": "active"}),
        rep.get("/agencies/north/suppliers"),
        rep.get(f"/agencies/north/suppliers/{north.supplier.pk}"),
        rep.patch(f"/agencies/north/suppliers/{north.supplier.pk}", {"phone": "518 555 0123"}),
        # A duplicate EIN: the public learns nothing, staff are told without repeating it.
        anon.post("/agencies/north/suppliers", {"legal_name": "Copycat", "tax_id": existing}),
        officer.post("/agencies/north/suppliers", {"legal_name": "Copycat", "tax_id": existing}),
    ]
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200, 200, 200, 200, 202,
                                                  400]  # fmt: skip
    for r in responses:
        assert_no_clear_tax_id(r, EIN, "87-6543211", existing)
    listing = responses[1].json()["items"]
    assert {s["tax_id_masked"] for s in listing} == {"**-***4567", "**-***3210"}
    assert Supplier.objects.get(pk=sid).tax_id == "87-6543211"
    assert audit.verify() == []


def test_registration_by_staff_needs_the_right_to_edit_suppliers(north, api_for):
    r = api_for(north.users["evaluator"]).post(
        "/agencies/north/suppliers", {"legal_name": "Inside Job", "tax_id": EIN}
    )
    assert r.status_code == 403
    assert not Supplier.objects.filter(legal_name="Inside Job").exists()


@pytest.mark.parametrize("status_", ["suspended", "debarred"])
def test_suspending_or_debarring_needs_a_reason(north, api_for, status_):
    officer = api_for(north.users["procurement_officer"])
    url = f"/agencies/north/suppliers/{north.supplier.pk}/status"
    r = officer.post(url, {"status": status_})
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = officer.post(url, {"status": status_, "reason": "Failed to deliver"})
    assert r.status_code == 200
    assert r.json()["status"] == status_


def test_supplier_filters(north, api_for):
    officer = api_for(north.users["procurement_officer"])
    assert officer.get("/agencies/north/suppliers", q="paper").json()["count"] == 1
    assert officer.get("/agencies/north/suppliers", q="nothing").json()["count"] == 0
    assert officer.get("/agencies/north/suppliers", status="active").json()["count"] == 0
