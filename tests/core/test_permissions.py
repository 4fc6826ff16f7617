"""The role x action matrix, decided in edcoop.core.permissions and nowhere else."""

from __future__ import annotations

import pytest
from django.http import Http404

from edcoop.core import permissions
from edcoop.core.permissions import Action as A
from edcoop.core.permissions import can

AGENCY_WIDE = {
    # action: roles that may do it anywhere in their agency
    A.AGENCY_CONSOLE: {
        "agency_admin", "procurement_officer", "business_office", "evaluator", "auditor",
    },
    A.MEMBERSHIP_LIST: {"agency_admin", "procurement_officer", "business_office", "auditor"},
    A.MEMBERSHIP_DECIDE: {"agency_admin"},
    A.MEMBERSHIP_EDIT: {"agency_admin", "business_office"},
    A.INSTITUTION_IMPORT: {"agency_admin"},
    A.SUPPLIER_LIST: {
        "agency_admin", "procurement_officer", "business_office", "evaluator", "auditor",
    },
    A.SUPPLIER_DECIDE: {"agency_admin", "procurement_officer"},
    A.AUDIT_VIEW: {"agency_admin", "auditor"},
    A.ROLE_ASSIGN: {"agency_admin"},
}  # fmt: skip

ROLES = [
    "agency_admin", "procurement_officer", "business_office", "evaluator", "auditor",
    "member_admin", "member_buyer", "member_finance", "supplier_rep",
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(AGENCY_WIDE))
def test_agency_wide_actions(north, role, action):
    assert can(north.users[role], action, north.agency) is (role in AGENCY_WIDE[action])


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_into_another_agency(north, nation, role):
    user = north.users[role]
    for action in A:
        assert not can(user, action, nation.agency)
        assert not can(user, action, nation.agency, institution=nation.institution)
        assert not can(user, action, nation.agency, supplier=nation.supplier)
    with pytest.raises(Http404):
        permissions.agency_for_user(user, nation.agency.slug)
    assert permissions.agency_for_user(user, north.agency.slug) == north.agency


@pytest.mark.parametrize(
    ("role", "view", "edit"),
    [
        ("member_admin", True, True),
        ("member_buyer", True, False),
        ("member_finance", True, False),
        ("supplier_rep", False, False),
        ("auditor", True, False),
        ("business_office", True, True),
    ],
)
def test_institution_actions_own_versus_other(north, role, view, edit):
    user = north.users[role]
    own, other = north.institutions
    assert can(user, A.INSTITUTION_VIEW, north.agency, institution=own) is view
    assert can(user, A.INSTITUTION_EDIT, north.agency, institution=own) is edit
    staff = role in {"auditor", "business_office"}
    assert can(user, A.INSTITUTION_VIEW, north.agency, institution=other) is (staff and view)


def test_member_users_see_only_their_institution(north):
    for role in ("member_admin", "member_buyer", "member_finance"):
        visible = list(permissions.institutions_for(north.users[role], north.agency))
        assert visible == [north.institution]
    assert permissions.institutions_for(north.users["auditor"], north.agency).count() == 2
    assert not permissions.institutions_for(north.users["supplier_rep"], north.agency).exists()


def test_supplier_rep_acts_only_on_its_own_supplier(north, nation):
    rep = north.users["supplier_rep"]
    assert can(rep, A.SUPPLIER_EDIT, north.agency, supplier=north.supplier)
    assert not can(rep, A.SUPPLIER_DECIDE, north.agency, supplier=north.supplier)
    assert not can(rep, A.SUPPLIER_EDIT, nation.agency, supplier=nation.supplier)
    assert list(permissions.suppliers_for(rep, north.agency)) == [north.supplier]


def test_inactive_and_anonymous_users_can_do_nothing(north):
    from django.contrib.auth.models import AnonymousUser

    admin = north.users["agency_admin"]
    admin.is_active = False
    assert not can(admin, A.AGENCY_CONSOLE, north.agency)
    assert not can(AnonymousUser(), A.AGENCY_CONSOLE, north.agency)


def test_the_roles_read_gives_what_the_orm_gives(north, nation):
    """Every permission stands on this read (raw SQL, for speed): for each user and agency it
    must give the ORM's rows, suppliers with every column converted as the ORM does."""
    from edcoop.members.models import RoleAssignment, Supplier

    north.supplier.certifications = ["MWBE", "SDVOB"]
    north.supplier.save()
    rep = north.users["supplier_rep"]
    RoleAssignment.objects.create(user=rep, agency=nation.agency, role="supplier_rep",
                                  supplier=nation.supplier)  # fmt: skip
    checked = 0
    for tenant in (north, nation):
        for user in {*north.users.values(), *nation.users.values()}:
            got = permissions._read_assignments(user.pk, tenant.agency.pk)
            want = list(RoleAssignment.objects.filter(user=user, agency=tenant.agency)
                        .select_related("supplier"))  # fmt: skip
            assert sorted(ra.pk for ra in got) == sorted(ra.pk for ra in want)
            for ra in got:
                for f in RoleAssignment._meta.concrete_fields:
                    assert getattr(ra, f.attname) == getattr(RoleAssignment.objects.get(pk=ra.pk),
                                                             f.attname)  # fmt: skip
                if ra.supplier_id is None:
                    assert ra.supplier is None
                    continue
                checked += 1
                row = Supplier.objects.get(pk=ra.supplier_id)
                for f in Supplier._meta.concrete_fields:
                    assert getattr(ra.supplier, f.attname) == getattr(row, f.attname), f.name
    assert checked == 3  # north's rep in north, the same rep in nation, nation's rep
    [own] = permissions._read_assignments(rep.pk, north.agency.pk)
    assert own.supplier.certifications == ["MWBE", "SDVOB"]  # JSON read back as a list
