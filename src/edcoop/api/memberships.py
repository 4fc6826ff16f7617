from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from edcoop.core import permissions
from edcoop.core.permissions import Action
from edcoop.members import services
from edcoop.members.models import Membership, MembershipYear, ServiceArea

from . import auth, lookups
from .pagination import Pages
from .schemas import (
    ApplicationIn,
    ApplicationOut,
    ApproveIn,
    DeclineIn,
    MembershipDatesIn,
    MembershipDetail,
    MembershipOut,
    MembershipStatusIn,
    MembershipYearOut,
    ReceivedOut,
    YearIn,
    plain,
)

router = Router(tags=["memberships"])


class MembershipFilters(Schema):
    status: Membership.Status | None = None
    component: bool | None = None


@router.get("/agencies/{slug}/memberships", response=list[MembershipOut])
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


@router.get("/agencies/{slug}/memberships/{membership_id}", response=MembershipDetail)
def membership_detail(request: HttpRequest, slug: str, membership_id: int) -> Membership:
    """One membership with its yearly figures (member users: their own only)."""
    return _membership(request, slug, membership_id)


@router.post("/agencies/{slug}/memberships/{membership_id}/approve", response=MembershipDetail)
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


@router.post("/agencies/{slug}/memberships/{membership_id}/decline", response=MembershipDetail)
def membership_decline(
    request: HttpRequest, slug: str, membership_id: int, payload: DeclineIn
) -> Membership:
    membership = _membership(request, slug, membership_id)
    return services.membership_decline(
        user=lookups.caller(request), membership=membership, reason=payload.reason
    )


@router.post("/agencies/{slug}/memberships/{membership_id}/status", response=MembershipDetail)
def membership_set_status(
    request: HttpRequest, slug: str, membership_id: int, payload: MembershipStatusIn
) -> Membership:
    """Suspend, withdraw or reinstate an active member."""
    membership = _membership(request, slug, membership_id)
    return services.membership_set_status(
        user=lookups.caller(request), membership=membership, status=payload.status.value,
        effective_on=payload.effective_on,
    )  # fmt: skip


@router.put("/agencies/{slug}/memberships/{membership_id}/dates", response=MembershipDetail)
def membership_dates_set(
    request: HttpRequest, slug: str, membership_id: int, payload: MembershipDatesIn
) -> Membership:
    """The days a member is billed from and to (business office); audited."""
    membership = _membership(request, slug, membership_id)
    return services.membership_dates_set(
        user=lookups.caller(request), membership=membership, joined_on=payload.joined_on,
        left_on=payload.left_on,
    )  # fmt: skip


@router.put(
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


@router.post(
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
