"""Who may do what. The one place every view, API call and command asks.

A user holds roles per agency (``RoleAssignment``). Agency roles act on the whole agency;
member roles only on their own institution; the supplier role only on its own supplier.
Records of another agency do not exist for a user: lookups raise ``Http404``, never 403,
so that existence does not leak.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from edcoop.core.models import Job
    from edcoop.members.models import Agency, Institution, Membership, RoleAssignment, Supplier


class Action(StrEnum):
    AGENCY_CONSOLE = "agency.console"  # the agency's staff pages
    MEMBERSHIP_LIST = "membership.list"  # all members of the agency
    MEMBERSHIP_DECIDE = "membership.decide"  # approve, decline, suspend, withdraw
    MEMBERSHIP_EDIT = "membership.edit"  # component flag, service area, yearly figures
    INSTITUTION_VIEW = "institution.view"  # private details of one institution
    INSTITUTION_EDIT = "institution.edit"
    INSTITUTION_IMPORT = "institution.import"
    SUPPLIER_LIST = "supplier.list"
    SUPPLIER_VIEW = "supplier.view"
    SUPPLIER_EDIT = "supplier.edit"  # profile details
    SUPPLIER_DECIDE = "supplier.decide"  # approve, suspend, debar
    AUDIT_VIEW = "audit.view"
    ROLE_ASSIGN = "role.assign"


A = Action
_STAFF_READ = {
    A.AGENCY_CONSOLE,
    A.MEMBERSHIP_LIST,
    A.INSTITUTION_VIEW,
    A.SUPPLIER_LIST,
    A.SUPPLIER_VIEW,
}

# Role -> the actions it grants. Scope (whole agency, own institution, own supplier) is
# applied by ``can`` from the role's kind, not repeated here.
MATRIX: dict[str, frozenset[Action]] = {
    "agency_admin": frozenset(Action),
    "procurement_officer": frozenset(_STAFF_READ | {A.SUPPLIER_EDIT, A.SUPPLIER_DECIDE}),
    "business_office": frozenset(_STAFF_READ | {A.MEMBERSHIP_EDIT, A.INSTITUTION_EDIT}),
    "evaluator": frozenset({A.AGENCY_CONSOLE, A.SUPPLIER_LIST, A.SUPPLIER_VIEW}),
    # Read-only everything in the agency, the audit trail included.
    "auditor": frozenset(_STAFF_READ | {A.AUDIT_VIEW}),
    "member_admin": frozenset({A.INSTITUTION_VIEW, A.INSTITUTION_EDIT}),
    "member_buyer": frozenset({A.INSTITUTION_VIEW}),
    "member_finance": frozenset({A.INSTITUTION_VIEW}),
    "supplier_rep": frozenset({A.SUPPLIER_VIEW, A.SUPPLIER_EDIT}),
}

_CACHE_ATTR = "_edcoop_role_cache"


def assignments(user: Any, agency: Agency) -> list[RoleAssignment]:
    """The user's roles in ``agency``, read once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated:
        return []
    cache: dict[int, list[RoleAssignment]] = user.__dict__.setdefault(_CACHE_ATTR, {})
    if agency.pk not in cache:
        from edcoop.members.models import RoleAssignment

        cache[agency.pk] = list(RoleAssignment.objects.filter(user=user, agency=agency))
    return cache[agency.pk]


def forget(user: Any) -> None:
    """Drop the cached roles, after roles change within one request."""
    user.__dict__.pop(_CACHE_ATTR, None)


def can(
    user: Any,
    action: Action,
    agency: Agency,
    *,
    institution: Institution | None = None,
    supplier: Supplier | None = None,
) -> bool:
    """May ``user`` do ``action`` in ``agency`` (on ``institution`` / ``supplier``)?"""
    from edcoop.members.models import AGENCY_ROLES, MEMBER_ROLES, SUPPLIER_ROLES

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if institution is not None and institution.agency_id != agency.pk:
        return False
    if supplier is not None and supplier.agency_id != agency.pk:
        return False
    for ra in assignments(user, agency):
        if action not in MATRIX.get(ra.role, ()):
            continue
        if ra.role in AGENCY_ROLES:
            return True
        own_institution = (
            ra.role in MEMBER_ROLES
            and institution is not None
            and supplier is None
            and ra.institution_id == institution.pk
        )
        own_supplier = (
            ra.role in SUPPLIER_ROLES
            and supplier is not None
            and institution is None
            and ra.supplier_id == supplier.pk
        )
        if own_institution or own_supplier:
            return True
    return False


def require(user: Any, action: Action, agency: Agency, **scope: Any) -> None:
    """Raise ``PermissionDenied`` unless ``can``; for writes, after the record was found."""
    if not can(user, action, agency, **scope):
        raise PermissionDenied(f"You may not {action.value.replace('.', ' ')} here.")


def is_agency_staff(user: Any, agency: Agency) -> bool:
    from edcoop.members.models import AGENCY_ROLES

    return any(ra.role in AGENCY_ROLES for ra in assignments(user, agency))


def has_any_role(user: Any, agency: Agency) -> bool:
    return bool(assignments(user, agency))


# Scoped reads: querysets already narrowed to what the user may see.


def agencies_for(user: Any) -> QuerySet[Agency]:
    from edcoop.members.models import Agency

    if user is None or not user.is_authenticated:
        return Agency.objects.none()
    return Agency.objects.filter(role_assignments__user=user).distinct()


def memberships_for(user: Any, agency: Agency) -> QuerySet[Membership]:
    """Memberships the user may see: all for staff who list members, else their own."""
    from edcoop.members.models import Membership

    return Membership.objects.filter(
        agency=agency, institution__in=institutions_for(user, agency)
    ).select_related("institution", "service_area")


def institutions_for(user: Any, agency: Agency) -> QuerySet[Institution]:
    from edcoop.members.models import Institution

    qs = Institution.objects.filter(agency=agency)
    if can(user, Action.MEMBERSHIP_LIST, agency):
        return qs
    own = [
        ra.institution_id
        for ra in assignments(user, agency)
        if ra.institution_id and Action.INSTITUTION_VIEW in MATRIX.get(ra.role, ())
    ]
    return qs.filter(pk__in=own)


def suppliers_for(user: Any, agency: Agency) -> QuerySet[Supplier]:
    from edcoop.members.models import Supplier

    qs = Supplier.objects.filter(agency=agency)
    if can(user, Action.SUPPLIER_LIST, agency):
        return qs
    own = [ra.supplier_id for ra in assignments(user, agency) if ra.supplier_id]
    return qs.filter(pk__in=own)


def jobs_for(user: Any, agency: Agency) -> QuerySet[Job]:
    """Background jobs: agency staff see the agency's; anyone else only those they started."""
    from edcoop.core.models import Job

    qs = Job.objects.filter(agency_id=agency.pk)
    if can(user, Action.AGENCY_CONSOLE, agency):
        return qs
    return qs.filter(created_by=user) if user.is_authenticated else qs.none()


M = TypeVar("M", bound=Model)


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch from an already-scoped queryset; anything outside the scope is a 404."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404("No such record.")
    return obj


def agency_for_user(user: Any, slug: str) -> Agency:
    """The agency named in the URL, if the user holds a role there; otherwise 404."""
    from edcoop.members.models import Agency

    agency = Agency.objects.filter(slug=slug).first()
    if agency is None or not has_any_role(user, agency):
        raise Http404("No such agency.")
    return agency
