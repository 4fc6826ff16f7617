"""Suppliers rename themselves after an opening (issue 8): through the API a supplier's
representative asks; the agency decides; the contact e-mail changes from its own mailbox."""

from __future__ import annotations

import re

from django.core import mail

from edcoop.core import audit
from edcoop.members.models import SupplierChangeRequest


def _url(tenant, tail=""):
    return f"/agencies/{tenant.agency.slug}/suppliers/{tenant.supplier.pk}{tail}"


def test_a_representatives_patch_of_its_identity_is_a_request_and_says_so(north, api_for):
    rep = api_for(north.users["supplier_rep"])
    answer = rep.patch(_url(north), {"legal_name": "Renamed Paper LLC", "tax_id": "98-7654321",
                                     "certifications": ["wbe"],
                                     "phone": "518-555-0100"})  # fmt: skip
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["legal_name"] == "North Paper Co"  # unchanged until the agency decides
    assert body["certifications"] == [] and body["phone"] == "(518) 555-0100"
    assert "waits for the agency's approval" in body["notices"][0]
    assert "legal name, tax ID, certifications" in body["notices"][0]
    north.supplier.refresh_from_db()
    assert north.supplier.legal_name == "North Paper Co" and north.supplier.tax_id != "98-7654321"

    [change] = rep.get(_url(north, "/change-requests")).json()["items"]
    assert change["status"] == "pending"
    assert change["requested"] == {"legal_name": "Renamed Paper LLC", "tax_id": "**-***4321",
                                   "certifications": "Women-owned (WBE)"}  # fmt: skip
    assert "98-7654321" not in str(change)

    # The supplier cannot approve its own request; the officer can.
    decision = _url(north, f"/change-requests/{change['id']}/decision")
    assert rep.post(decision, {"approve": True}).status_code == 403
    officer = api_for(north.users["procurement_officer"])
    assert officer.post(decision, {"approve": True}).status_code == 200
    north.supplier.refresh_from_db()
    assert north.supplier.legal_name == "Renamed Paper LLC"
    assert north.supplier.tax_id == "98-7654321" and north.supplier.certifications == ["wbe"]
    assert officer.post(decision, {"approve": True}).status_code == 400  # decided once
    assert audit.verify() == []


def test_a_rejection_needs_a_reason_and_stays_in_the_history(north, api_for):
    rep = api_for(north.users["supplier_rep"])
    rep.patch(_url(north), {"legal_name": "Someone Else Inc"})
    [change] = rep.get(_url(north, "/change-requests")).json()["items"]
    officer = api_for(north.users["procurement_officer"])
    decision = _url(north, f"/change-requests/{change['id']}/decision")
    refused = officer.post(decision, {"approve": False})
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    assert officer.post(decision, {"approve": False, "reason": "No evidence"}).status_code == 200
    [change] = rep.get(_url(north, "/change-requests")).json()["items"]
    assert change["status"] == "rejected" and change["reason"] == "No evidence"
    north.supplier.refresh_from_db()
    assert north.supplier.legal_name == "North Paper Co"


def test_staff_cannot_move_the_contact_and_the_representative_confirms_its_own(
    north, api_for, django_capture_on_commit_callbacks
):
    officer = api_for(north.users["procurement_officer"])
    refused = officer.patch(_url(north), {"email": "officer@north.example.org"})
    assert refused.status_code == 400 and "belongs to the supplier" in str(refused.json())

    rep = api_for(north.users["supplier_rep"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = rep.patch(_url(north), {"email": "Bids@NorthPaper.example"})
    assert "confirmation link to bids@northpaper.example" in answer.json()["notices"][0]
    assert answer.json()["email"] == ""  # not yet
    [confirm] = [m for m in mail.outbox if m.to == ["bids@northpaper.example"]]
    token = re.search(r"/supplier/contact/([^/\s]+)/", confirm.body).group(1)

    confirm_url = f"/agencies/{north.agency.slug}/supplier-contact/confirm"
    assert officer.post(confirm_url, {"token": token}).status_code == 403  # staff: never
    assert rep.post(confirm_url, {"token": token + "x"}).status_code == 400
    done = rep.post(confirm_url, {"token": token})
    assert done.status_code == 200 and done.json()["email"] == "bids@northpaper.example"
    assert rep.post(confirm_url, {"token": token}).status_code == 400  # used once
    statuses = set(SupplierChangeRequest.objects.values_list("status", flat=True))
    assert statuses == {"confirmed"}
