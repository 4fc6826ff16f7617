"""The members' API (mounted from ``edcoop.api.urls``): agencies and who you are in them,
institutions, memberships with their yearly figures, applications, and suppliers with the
changes they ask for. Thin handlers: a schema in, a scoped lookup through
``core.permissions``, one service, a schema out.

These operations were first published from ``edcoop.api.<agencies|institutions|memberships|
suppliers>``; their operationIds keep those names (``_published_as``): clients generate their
function names from them.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from edcoop.api import auth, lookups
from edcoop.api.pagination import Pages
from edcoop.api.schemas import KEEP, Clearable, In, Money, Ratio, null_is_empty, plain
from edcoop.core import permissions
from edcoop.core.decimals import api_decimal, column
from edcoop.core.inputs import NOTE
from edcoop.core.permissions import Action

from . import services
from .models import (
    Agency,
    Institution,
    Membership,
    MembershipYear,
    ServiceArea,
    Supplier,
    SupplierChangeRequest,
)

# Agencies ---------------------------------------------------------------------------------


class AgencyOut(Schema):
    slug: str
    name: str
    kind: str
    state: str
    time_zone: str
    fiscal_year_start_month: int
    website: str
    email: str
    accepting_applications: bool
    roles: list[str] = Field(
        default_factory=list, description="The caller's roles in this agency (none if anonymous)."
    )


class RoleOut(Schema):
    agency: str
    role: str
    institution_id: int | None
    supplier_id: int | None


class MeOut(Schema):
    username: str
    email: str
    roles: list[RoleOut]


# Institutions -----------------------------------------------------------------------------


class InstitutionOut(Schema):
    id: int
    name: str
    kind: str
    state: str
    county: str
    city: str
    nces_id: str
    ipeds_id: str
    beds_code: str
    website: str
    membership_id: int | None
    membership_status: str | None

    @staticmethod
    def resolve_membership_id(obj: Institution) -> int | None:
        m = getattr(obj, "membership", None)
        return m.pk if m is not None else None

    @staticmethod
    def resolve_membership_status(obj: Institution) -> str | None:
        m = getattr(obj, "membership", None)
        return m.status if m is not None else None


class InstitutionPatch(In):
    """Fields left out are kept; null clears an optional field; name, kind and state
    cannot be null."""

    columns = (Institution,)
    name: str = KEEP
    kind: Institution.Kind = KEEP
    state: str = KEEP
    county: Clearable = None
    city: Clearable = None
    nces_id: Clearable = None
    ipeds_id: Clearable = None
    beds_code: Clearable = None
    website: Clearable = None


class InstitutionRef(Schema):
    id: int
    name: str


# Memberships ------------------------------------------------------------------------------


class ServiceAreaRef(Schema):
    id: int
    name: str


class MembershipYearOut(Schema):
    fiscal_year: int
    enrollment: int | None
    rwada: Money | None
    aid_ratio: Ratio | None
    full_value: Money | None


class MembershipOut(Schema):
    id: int
    institution: InstitutionRef
    status: str
    component: bool
    service_area: ServiceAreaRef | None
    joined_on: date | None
    left_on: date | None
    applied_at: datetime | None
    decided_at: datetime | None
    contact_name: str
    contact_title: str
    contact_email: str
    contact_phone: str
    notes: str


class MembershipDetail(MembershipOut):
    years: list[MembershipYearOut]

    @staticmethod
    def resolve_years(obj: Membership) -> list[Any]:
        return list(obj.years.order_by("-fiscal_year"))


class ApproveIn(In):
    component: bool = False
    service_area_id: int | None = None


class DeclineIn(In):
    reason: str = Field(max_length=NOTE)


class MembershipStatusIn(In):
    status: Membership.Status
    effective_on: date | None = Field(
        None, description="Suspend or withdraw: the last day of membership (billing stops "
        "after that month); reinstate after a closed year: the day it rejoins. Default today.",
    )  # fmt: skip


class MembershipDatesIn(In):
    joined_on: date = Field(..., description="Billing starts with this month.")
    left_on: date | None = Field(
        None, description="A suspended or withdrawn member's last day (billing stops after "
        "that month); null for an active member.",
    )  # fmt: skip


if TYPE_CHECKING:
    Rwada = Decimal
    AidRatio = Decimal
    FullValue = Decimal
else:
    Rwada = api_decimal(column(MembershipYear, "rwada"), "1180.50")
    AidRatio = api_decimal(column(MembershipYear, "aid_ratio", maximum=Decimal(1)), "0.6150")
    FullValue = api_decimal(column(MembershipYear, "full_value"), "812345678.00")


class YearIn(In):
    """The whole year's figures (PUT): a figure left out is recorded as unknown."""

    enrollment: int | None = Field(None, ge=0, le=2_147_483_647)
    rwada: Rwada | None = None
    aid_ratio: AidRatio | None = None
    full_value: FullValue | None = None


class ApplicationIn(In):
    columns = (Institution, Membership)
    name: str
    kind: Institution.Kind
    state: str = Field(description="Two-letter code, e.g. NY.")
    county: str = ""
    city: str = ""
    nces_id: str = ""
    ipeds_id: str = ""
    beds_code: str = ""
    website: str = ""
    contact_name: str = ""
    contact_title: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""


class ApplicationOut(Schema):
    membership_id: int
    institution_id: int
    status: str


class ReceivedOut(Schema):
    """The public's answer to an application or a registration, new or not: a public form
    never says who is already registered (their contact is told by e-mail instead)."""

    status: str = "received"
    detail: str


# Suppliers --------------------------------------------------------------------------------


class SupplierOut(Schema):
    """The tax ID only ever leaves masked."""

    id: int
    legal_name: str
    dba: str
    tax_id_masked: str
    certifications: list[str]
    status: str
    state: str
    email: str
    phone: str
    website: str


class SupplierUpdateOut(SupplierOut):
    """The profile after a PATCH, and what became a request instead of a change: a
    representative's new legal name, tax ID or certifications wait for the agency, a new
    e-mail for its confirmation from that mailbox."""

    notices: list[str] = Field(default_factory=list)


class SupplierChangeOut(Schema):
    """A supplier's request to change its identity or contact; the tax ID masked."""

    id: int
    kind: str
    status: str
    requested: dict[str, str]
    current: dict[str, str]
    requested_at: datetime
    decided_at: datetime | None
    reason: str

    @staticmethod
    def resolve_requested(obj: Any) -> dict[str, str]:
        return dict(obj.shown("after"))

    @staticmethod
    def resolve_current(obj: Any) -> dict[str, str]:
        return dict(obj.shown("before"))


class SupplierChangeDecisionIn(In):
    approve: bool
    reason: str = Field("", max_length=2000, description="Required to reject.")


class SupplierContactConfirmIn(In):
    token: str = Field(max_length=500, description="From the link mailed to the new address.")


class SupplierIn(In):
    columns = (Supplier,)
    legal_name: str
    tax_id: str = Field(description="EIN, e.g. 12-3456789. Never returned in clear.")
    dba: str = ""
    certifications: list[Supplier.Certification] = Field(default_factory=list)
    state: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


class SupplierPatch(In):
    """Fields left out are kept; null clears an optional field; the legal name and tax ID
    cannot be null."""

    columns = (Supplier,)
    legal_name: str = KEEP
    tax_id: str = KEEP
    dba: Clearable = None
    certifications: Annotated[list[Supplier.Certification] | None, null_is_empty([])] = None
    state: Clearable = None
    email: Clearable = None
    phone: Clearable = None
    website: Clearable = None


class SupplierStatusIn(In):
    status: Supplier.Status
    reason: str = Field("", max_length=NOTE)


# Agencies --------------------------------------------------------------------------------

agencies_router = Router(tags=["agencies"])


def _out(agency: Agency, user: Any) -> AgencyOut:
    out = AgencyOut.from_orm(agency)
    out.roles = sorted({ra.role for ra in permissions.assignments(user, agency)})
    return out


@agencies_router.get("/agencies", response=list[AgencyOut], auth=auth.OPTIONAL)
def agency_list(request: HttpRequest) -> list[AgencyOut]:
    """Signed in: the agencies you hold roles in. Anonymous: those accepting applications."""
    user = lookups.caller(request)
    if user.is_authenticated:
        agencies = permissions.agencies_for(user)
    else:
        agencies = Agency.objects.filter(accepting_applications=True)
    return [_out(a, user) for a in agencies.order_by("name", "pk")]


@agencies_router.get("/agencies/{slug}", response=AgencyOut, auth=auth.OPTIONAL)
def agency_detail(request: HttpRequest, slug: str) -> AgencyOut:
    return _out(lookups.public_agency(request, slug), lookups.caller(request))


@agencies_router.get("/me", response=MeOut, tags=["me"])
def me(request: HttpRequest) -> MeOut:
    """Who the token or session acts as, and their roles."""
    user = lookups.caller(request)
    roles = [
        RoleOut(
            agency=ra.agency.slug,
            role=ra.role,
            institution_id=ra.institution_id,
            supplier_id=ra.supplier_id,
        )
        for ra in user.role_assignments.select_related("agency").order_by("agency__slug", "role")
    ]
    return MeOut(username=user.get_username(), email=user.email, roles=roles)


# Institutions ----------------------------------------------------------------------------

institutions_router = Router(tags=["institutions"])


class InstitutionFilters(Schema):
    q: str | None = None
    kind: Institution.Kind | None = None
    state: str | None = None
    status: Membership.Status | None = None


@institutions_router.get("/agencies/{slug}/institutions", response=list[InstitutionOut])
@paginate(Pages)
def institution_list(
    request: HttpRequest, slug: str, filters: Query[InstitutionFilters]
) -> QuerySet[Institution]:
    """Staff who list members see every institution; member users see their own."""
    agency = lookups.agency(request, slug)
    qs = permissions.institutions_for(lookups.caller(request), agency).select_related("membership")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q.strip())
    if filters.kind:
        qs = qs.filter(kind=filters.kind.value)
    if filters.state:
        qs = qs.filter(state=filters.state.upper())
    if filters.status:
        qs = qs.filter(membership__status=filters.status.value)
    return qs.order_by("name", "pk")


def _institution(request: HttpRequest, slug: str, institution_id: int) -> Institution:
    agency = lookups.agency(request, slug)
    qs = permissions.institutions_for(lookups.caller(request), agency).select_related(
        "membership", "agency"
    )
    return permissions.get_or_404(qs, pk=institution_id)


@institutions_router.get("/agencies/{slug}/institutions/{institution_id}", response=InstitutionOut)
def institution_detail(request: HttpRequest, slug: str, institution_id: int) -> Institution:
    return _institution(request, slug, institution_id)


@institutions_router.patch(
    "/agencies/{slug}/institutions/{institution_id}", response=InstitutionOut
)
def institution_update(
    request: HttpRequest, slug: str, institution_id: int, payload: InstitutionPatch
) -> Institution:
    """Agency staff may change every field; a member's admin its website, city, county."""
    institution = _institution(request, slug, institution_id)
    return services.institution_update(
        user=lookups.caller(request),
        institution=institution,
        **plain(payload.dict(exclude_unset=True)),
    )


# Memberships -----------------------------------------------------------------------------

memberships_router = Router(tags=["memberships"])


class MembershipFilters(Schema):
    status: Membership.Status | None = None
    component: bool | None = None


@memberships_router.get("/agencies/{slug}/memberships", response=list[MembershipOut])
@paginate(Pages)
def membership_list(
    request: HttpRequest, slug: str, filters: Query[MembershipFilters]
) -> QuerySet[Membership]:
    """Every member of the agency (staff who may list members)."""
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    permissions.require(user, Action.MEMBERSHIP_LIST, agency)
    qs = permissions.memberships_for(user, agency).order_by("institution__name", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status.value)
    if filters.component is not None:
        qs = qs.filter(component=filters.component)
    return qs


def _membership(request: HttpRequest, slug: str, membership_id: int) -> Membership:
    agency = lookups.agency(request, slug)
    qs = permissions.memberships_for(lookups.caller(request), agency).select_related("agency")
    return permissions.get_or_404(qs, pk=membership_id)


@memberships_router.get("/agencies/{slug}/memberships/{membership_id}", response=MembershipDetail)
def membership_detail(request: HttpRequest, slug: str, membership_id: int) -> Membership:
    """One membership with its yearly figures (member users: their own only)."""
    return _membership(request, slug, membership_id)


@memberships_router.post(
    "/agencies/{slug}/memberships/{membership_id}/approve", response=MembershipDetail
)
def membership_approve(
    request: HttpRequest, slug: str, membership_id: int, payload: ApproveIn
) -> Membership:
    """Approve an application; its contact is invited as the member's administrator."""
    membership = _membership(request, slug, membership_id)
    user = lookups.caller(request)
    # Asked before the service area is looked up, so a caller without the right learns
    # nothing about the agency's service areas from the answer.
    permissions.require(user, Action.MEMBERSHIP_DECIDE, membership.agency)
    area = None
    if payload.service_area_id is not None:
        area = ServiceArea.objects.filter(
            agency=membership.agency, pk=payload.service_area_id
        ).first()
        if area is None:
            raise ValidationError({"service_area_id": "No such service area in this agency."})
    return services.membership_approve(
        user=user, membership=membership, component=payload.component, service_area=area
    )


@memberships_router.post(
    "/agencies/{slug}/memberships/{membership_id}/decline", response=MembershipDetail
)
def membership_decline(
    request: HttpRequest, slug: str, membership_id: int, payload: DeclineIn
) -> Membership:
    membership = _membership(request, slug, membership_id)
    return services.membership_decline(
        user=lookups.caller(request), membership=membership, reason=payload.reason
    )


@memberships_router.post(
    "/agencies/{slug}/memberships/{membership_id}/status", response=MembershipDetail
)
def membership_set_status(
    request: HttpRequest, slug: str, membership_id: int, payload: MembershipStatusIn
) -> Membership:
    """Suspend, withdraw or reinstate an active member."""
    membership = _membership(request, slug, membership_id)
    return services.membership_set_status(
        user=lookups.caller(request), membership=membership, status=payload.status.value,
        effective_on=payload.effective_on,
    )  # fmt: skip


@memberships_router.put(
    "/agencies/{slug}/memberships/{membership_id}/dates", response=MembershipDetail
)
def membership_dates_set(
    request: HttpRequest, slug: str, membership_id: int, payload: MembershipDatesIn
) -> Membership:
    """The days a member is billed from and to (business office); audited."""
    membership = _membership(request, slug, membership_id)
    return services.membership_dates_set(
        user=lookups.caller(request), membership=membership, joined_on=payload.joined_on,
        left_on=payload.left_on,
    )  # fmt: skip


@memberships_router.put(
    "/agencies/{slug}/memberships/{membership_id}/years/{fiscal_year}",
    response=MembershipYearOut,
)
def membership_year_set(
    request: HttpRequest, slug: str, membership_id: int, fiscal_year: int, payload: YearIn
) -> MembershipYear:
    """Record or correct one fiscal year's figures (FY2026 = the year ending in 2026)."""
    membership = _membership(request, slug, membership_id)
    return services.membership_year_set(
        user=lookups.caller(request),
        membership=membership,
        fiscal_year=fiscal_year,
        **payload.dict(),
    )


APPLICATION_RECEIVED = (
    "Thank you: the agency reviews every application and e-mails its contact person."
)


@memberships_router.post(
    "/agencies/{slug}/applications",
    response={201: ApplicationOut, 202: ReceivedOut},
    auth=auth.OPTIONAL,
    tags=["public"],
)
def membership_apply(
    request: HttpRequest, slug: str, payload: ApplicationIn
) -> Status[ApplicationOut | ReceivedOut]:
    """An institution applies for membership (what it costs is the agency's
    ``membership_terms``). No credentials needed; the agency approves or declines. The
    public gets 202 and the same answer whether or not the institution is already on the
    agency's books (its contact is told by e-mail); staff who list members get 201 with the
    new records, or 400."""
    agency = lookups.public_agency(request, slug)
    staff = permissions.can(lookups.caller(request), Action.MEMBERSHIP_LIST, agency)
    application = services.Application(**plain(payload.dict()))
    try:
        membership = services.membership_apply(agency=agency, application=application)
    except services.AlreadyRegistered as e:
        if staff:
            raise
        services.tell_already_registered(e)
        return Status(202, ReceivedOut(detail=APPLICATION_RECEIVED))
    if not staff:
        return Status(202, ReceivedOut(detail=APPLICATION_RECEIVED))
    out = ApplicationOut(
        membership_id=membership.pk,
        institution_id=membership.institution_id,
        status=membership.status,
    )
    return Status(201, out)


# Suppliers -------------------------------------------------------------------------------

suppliers_router = Router(tags=["suppliers"])


class SupplierFilters(Schema):
    q: str | None = None
    status: Supplier.Status | None = None


@suppliers_router.get("/agencies/{slug}/suppliers", response=list[SupplierOut])
@paginate(Pages)
def supplier_list(
    request: HttpRequest, slug: str, filters: Query[SupplierFilters]
) -> QuerySet[Supplier]:
    """Staff see every supplier of the agency; a supplier's representative their own."""
    agency = lookups.agency(request, slug)
    qs = permissions.suppliers_for(lookups.caller(request), agency)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(legal_name__icontains=q) | qs.filter(dba__icontains=q)
    if filters.status:
        qs = qs.filter(status=filters.status.value)
    return qs.order_by("legal_name", "pk")


def _supplier(request: HttpRequest, slug: str, supplier_id: int) -> Supplier:
    agency = lookups.agency(request, slug)
    qs = permissions.suppliers_for(lookups.caller(request), agency).select_related("agency")
    return permissions.get_or_404(qs, pk=supplier_id)


@suppliers_router.get("/agencies/{slug}/suppliers/{supplier_id}", response=SupplierOut)
def supplier_detail(request: HttpRequest, slug: str, supplier_id: int) -> Supplier:
    return _supplier(request, slug, supplier_id)


REGISTRATION_RECEIVED = (
    "Thank you: the agency reviews every registration and writes to the e-mail address given."
)


@suppliers_router.post(
    "/agencies/{slug}/suppliers", response={201: SupplierOut, 202: ReceivedOut},
    auth=auth.OPTIONAL, tags=["suppliers", "public"],
)  # fmt: skip
def supplier_register(
    request: HttpRequest, slug: str, payload: SupplierIn
) -> Status[Supplier | ReceivedOut]:
    """A supplier registers with the agency (applicant until approved). Anonymous callers
    register themselves and get 202, the same answer whether or not the tax ID is already
    registered (the registered supplier is told by e-mail); a signed-in caller registers on
    the agency's behalf, which needs the right to edit suppliers, and gets 201 or 400."""
    agency = lookups.public_agency(request, slug)
    user = lookups.caller(request)
    try:
        supplier = services.supplier_register(
            agency=agency,
            user=user if user.is_authenticated else None,
            **plain(payload.dict()),
        )
    except services.AlreadyRegistered as e:
        if user.is_authenticated:
            raise
        services.tell_already_registered(e)
        return Status(202, ReceivedOut(detail=REGISTRATION_RECEIVED))
    if not user.is_authenticated:
        return Status(202, ReceivedOut(detail=REGISTRATION_RECEIVED))
    return Status(201, supplier)


@suppliers_router.patch("/agencies/{slug}/suppliers/{supplier_id}", response=SupplierUpdateOut)
def supplier_update(
    request: HttpRequest, slug: str, supplier_id: int, payload: SupplierPatch
) -> Supplier:
    """Staff correct a profile (not its contact e-mail, which belongs to the supplier). A
    supplier's representative changes the rest at once, but its new legal name, tax ID or
    certifications become a request the agency decides, and a new e-mail a request it
    confirms from the new mailbox: ``notices`` says so, and the profile keeps the current
    values until then."""
    supplier = _supplier(request, slug, supplier_id)
    return services.supplier_update(
        user=lookups.caller(request),
        supplier=supplier,
        **plain(payload.dict(exclude_unset=True)),
    )


@suppliers_router.get(
    "/agencies/{slug}/suppliers/{supplier_id}/change-requests", response=list[SupplierChangeOut]
)
@paginate(Pages)
def supplier_change_list(
    request: HttpRequest, slug: str, supplier_id: int
) -> QuerySet[SupplierChangeRequest]:
    """The supplier's requested changes, newest first, decided ones included (its history)."""
    return _supplier(request, slug, supplier_id).change_requests.order_by("-requested_at", "-pk")


@suppliers_router.post(
    "/agencies/{slug}/suppliers/{supplier_id}/change-requests/{request_id}/decision",
    response=SupplierChangeOut,
)
def supplier_change_decide(
    request: HttpRequest, slug: str, supplier_id: int, request_id: int,
    payload: SupplierChangeDecisionIn,
) -> SupplierChangeRequest:  # fmt: skip
    """The agency approves (the record changes) or rejects (a reason needed) a change of
    legal name, tax ID or certifications."""
    supplier = _supplier(request, slug, supplier_id)
    change = permissions.get_or_404(supplier.change_requests.all(), pk=request_id)
    return services.supplier_change_decide(
        user=lookups.caller(request), request=change, approve=payload.approve,
        reason=payload.reason,
    )  # fmt: skip


@suppliers_router.post("/agencies/{slug}/supplier-contact/confirm", response=SupplierOut)
def supplier_contact_confirm(
    request: HttpRequest, slug: str, payload: SupplierContactConfirmIn
) -> Supplier:
    """A supplier's representative confirms a new contact e-mail with the mailed token."""
    agency = lookups.agency(request, slug)
    return services.supplier_contact_confirm(
        user=lookups.caller(request), agency=agency, token=payload.token
    )


@suppliers_router.post("/agencies/{slug}/suppliers/{supplier_id}/status", response=SupplierOut)
def supplier_set_status(
    request: HttpRequest, slug: str, supplier_id: int, payload: SupplierStatusIn
) -> Supplier:
    """Approve (active), suspend, debar or deactivate; suspend and debar need a reason."""
    supplier = _supplier(request, slug, supplier_id)
    return services.supplier_set_status(
        user=lookups.caller(request),
        supplier=supplier,
        status=payload.status.value,
        reason=payload.reason,
    )


def _published_as(router: Router, module: str) -> Router:
    """Each operation keeps the operationId it was published with from ``edcoop.api.<module>``
    (ninja's default follows the function to this module, which would rename it)."""
    for view in router.path_operations.values():
        for operation in view.operations:
            name = operation.view_func.__name__
            operation.operation_id = operation.operation_id or f"edcoop_api_{module}_{name}"
    return router


# Mounted in this order (the order of the OpenAPI document's paths).
routers = (
    _published_as(agencies_router, "agencies"),
    _published_as(institutions_router, "institutions"),
    _published_as(memberships_router, "memberships"),
    _published_as(suppliers_router, "suppliers"),
)
