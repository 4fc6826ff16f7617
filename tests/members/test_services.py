"""Approving a supplier's registration gives its contact a login, once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import mail

from edcoop.core import audit
from edcoop.members import services
from edcoop.members.models import Role, RoleAssignment, Supplier


def test_approving_a_registration_invites_the_supplier_contact(
    north, django_capture_on_commit_callbacks
):
    supplier = services.supplier_register(
        agency=north.agency, legal_name="Valley Bus Parts LLC", tax_id="31-7654321",
        email="Bids@ValleyBus.example.com",
    )  # fmt: skip
    officer = north.users["procurement_officer"]
    with django_capture_on_commit_callbacks(execute=True):
        services.supplier_set_status(user=officer, supplier=supplier, status="active")
    rep = get_user_model().objects.get(username="bids@valleybus.example.com")
    assert not rep.has_usable_password()
    assert RoleAssignment.objects.filter(user=rep, role=Role.SUPPLIER_REP, supplier=supplier)
    [message] = mail.outbox
    assert message.to == ["bids@valleybus.example.com"]
    assert "approved the registration of Valley Bus Parts LLC" in message.body
    assert "/accounts/reset/" in message.body
    assert audit.verify() == []


def test_reinstating_a_supplier_that_has_staff_sends_no_invitation(
    north, django_capture_on_commit_callbacks
):
    supplier = north.supplier  # already has a representative (the fixture's supplier_rep)
    supplier.status = Supplier.Status.APPLICANT
    supplier.email = "office@north-paper.example.com"
    supplier.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.supplier_set_status(
            user=north.users["agency_admin"], supplier=supplier, status="active"
        )
    assert mail.outbox == []
