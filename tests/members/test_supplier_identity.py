"""A supplier's identity belongs to the supplier: staff cannot take its login, its contact
address, or rename it after the fact (issue 8, "An officer can bid in a supplier's name")."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from tests.conftest import make_user

from edcoop.core import audit, permissions
from edcoop.core.permissions import Action
from edcoop.members import services
from edcoop.members.models import Role, RoleAssignment, Supplier, SupplierChangeRequest


def _applicant(tenant, email="bids@valleybus.example.com"):
    return services.supplier_register(
        agency=tenant.agency, legal_name="Valley Bus Parts LLC", tax_id="31-7654321", email=email
    )


def test_an_officer_cannot_move_an_applicants_contact_to_a_staff_address(north):
    supplier = _applicant(north)
    officer = north.users["procurement_officer"]
    with pytest.raises(ValidationError) as refused:
        services.supplier_update(user=officer, supplier=supplier, email=officer.email)
    assert "belongs to the supplier" in str(refused.value.message_dict["email"])
    supplier.refresh_from_db()
    assert supplier.email == "bids@valleybus.example.com"


def test_approving_a_supplier_registered_with_a_staff_address_is_refused(
    north, django_capture_on_commit_callbacks
):
    """The takeover ends in a refusal even when the staff address was typed at registration
    (or put there by an operator): the approval's role write refuses staff."""
    officer = make_user("buyer@north.example.org")  # staff whose login is an address
    services.role_assign(user=None, agency=north.agency, person=officer,
                         role=Role.PROCUREMENT_OFFICER)  # fmt: skip
    supplier = _applicant(north, email=officer.username)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as e:
        services.supplier_set_status(user=officer, supplier=supplier, status="active")
    assert "on the staff of" in str(e.value)
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPLICANT  # nothing half-written
    assert not RoleAssignment.objects.filter(user=officer, role=Role.SUPPLIER_REP).exists()
    assert mail.outbox == []
    permissions.forget(officer)
    assert not permissions.can(officer, Action.RESPONSE_SUBMIT, north.agency, supplier=supplier)


@pytest.mark.parametrize("staff_role", ["agency_admin", "procurement_officer", "auditor"])
def test_no_role_write_makes_staff_a_supplier_or_a_supplier_staff(north, staff_role):
    staff = north.users[staff_role]
    with pytest.raises(ValidationError):
        services.role_assign(user=None, agency=north.agency, person=staff,
                             role=Role.SUPPLIER_REP, supplier=north.supplier)  # fmt: skip
    rep = north.users["supplier_rep"]
    with pytest.raises(ValidationError):
        services.role_assign(user=north.users["agency_admin"], agency=north.agency,
                             person=rep, role=staff_role)  # fmt: skip
    assert not RoleAssignment.objects.filter(user=rep, role=staff_role).exists()


def test_the_rule_is_per_agency(north, nation):
    """Staff of one agency may represent a supplier of another."""
    person = north.users["procurement_officer"]
    services.role_assign(user=None, agency=nation.agency, person=person,
                         role=Role.SUPPLIER_REP, supplier=nation.supplier)  # fmt: skip
    assert permissions.can(person, Action.RESPONSE_SUBMIT, nation.agency, supplier=nation.supplier)
    assert permissions.can(person, Action.SOLICITATION_VIEW, north.agency)


def test_a_both_ways_user_made_in_the_database_holds_nothing(north):
    """Past the role write (straight SQL), the permission module still refuses: such a user
    neither bids for the supplier nor reads as staff."""
    officer = north.users["procurement_officer"]
    RoleAssignment.objects.create(user=officer, agency=north.agency, role=Role.SUPPLIER_REP,
                                  supplier=north.supplier)  # fmt: skip
    permissions.forget(officer)
    assert not permissions.can(officer, Action.RESPONSE_SUBMIT, north.agency,
                               supplier=north.supplier)  # fmt: skip
    assert not permissions.can(officer, Action.RESPONSE_READ, north.agency)
    with pytest.raises(PermissionDenied):
        permissions.require(officer, Action.SOLICITATION_VIEW, north.agency)


def test_the_admin_refuses_the_second_hat(north, admin_client):
    answer = admin_client.post("/admin/members/roleassignment/add/", {
        "user": north.users["evaluator"].pk, "agency": north.agency.pk,
        "role": Role.SUPPLIER_REP, "supplier": north.supplier.pk,
    })  # fmt: skip
    assert answer.status_code == 200  # the form again, with the reason
    assert "on the staff of" in answer.content.decode()
    assert not RoleAssignment.objects.filter(
        user=north.users["evaluator"], role=Role.SUPPLIER_REP
    ).exists()


def test_the_invitation_goes_to_the_registered_contact(north, django_capture_on_commit_callbacks):
    supplier = _applicant(north)
    with django_capture_on_commit_callbacks(execute=True):
        services.supplier_set_status(
            user=north.users["procurement_officer"], supplier=supplier, status="active"
        )
    [message] = mail.outbox
    assert message.to == ["bids@valleybus.example.com"]
    rep = get_user_model().objects.get(username="bids@valleybus.example.com")
    assert permissions.can(rep, Action.RESPONSE_SUBMIT, north.agency, supplier=supplier)
    assert audit.verify() == []


def test_the_pages_carry_the_whole_flow(north, django_capture_on_commit_callbacks):
    import re

    from django.test import Client

    rep, officer = Client(), Client()
    rep.force_login(north.users["supplier_rep"])
    officer.force_login(north.users["procurement_officer"])
    edit = f"/a/north/supplier/{north.supplier.pk}/edit/"
    with django_capture_on_commit_callbacks(execute=True):
        answer = rep.post(edit, {"legal_name": "North Paper Company", "new_tax_id": "45-1112223",
                                 "email": "bids@northpaper.example"}, follow=True)  # fmt: skip
    page = answer.content.decode()
    assert "waits for the agency" in page and "confirmation link" in page
    [confirm] = [m for m in mail.outbox if m.to == ["bids@northpaper.example"]]
    link = re.search(r"https?://[^/]+(/a/north/supplier/contact/[^\s]+)", confirm.body).group(1)
    assert any("instead of this address" in m.body for m in mail.outbox) is False  # no old one

    # Staff see the e-mail but cannot change it; a posted value is ignored, not applied.
    staff_form = officer.get(edit).content.decode()
    assert re.search(r'name="email"[^>]*disabled', staff_form)
    assert officer.get(link).status_code == 200
    assert officer.post(link).status_code == 403
    assert rep.post(link).status_code == 302
    north.supplier.refresh_from_db()
    assert north.supplier.email == "bids@northpaper.example"

    detail = officer.get(f"/a/north/suppliers/{north.supplier.pk}/").content.decode()
    assert "Legal name: North Paper Company; Tax ID: **-***2223" in detail
    assert "45-1112223" not in detail
    change = SupplierChangeRequest.objects.get(kind="profile")
    decide = f"/a/north/suppliers/{north.supplier.pk}/changes/{change.pk}/"
    assert rep.get(decide).status_code in (403, 404)
    assert officer.post(decide, {"decision": "approve"}).status_code == 302
    north.supplier.refresh_from_db()
    assert north.supplier.legal_name == "North Paper Company"
    assert north.supplier.tax_id == "45-1112223"
