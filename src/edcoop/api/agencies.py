from typing import Any

from django.http import HttpRequest
from ninja import Router

from edcoop.core import permissions
from edcoop.members.models import Agency

from . import auth, lookups
from .schemas import AgencyOut, MeOut, RoleOut

router = Router(tags=["agencies"])


def _out(agency: Agency, user: Any) -> AgencyOut:
    out = AgencyOut.from_orm(agency)
    out.roles = sorted({ra.role for ra in permissions.assignments(user, agency)})
    return out


@router.get("/agencies", response=list[AgencyOut], auth=auth.OPTIONAL)
def agency_list(request: HttpRequest) -> list[AgencyOut]:
    """Signed in: the agencies you hold roles in. Anonymous: those accepting applications."""
    user = lookups.caller(request)
    if user.is_authenticated:
        agencies = permissions.agencies_for(user)
    else:
        agencies = Agency.objects.filter(accepting_applications=True)
    return [_out(a, user) for a in agencies.order_by("name", "pk")]


@router.get("/agencies/{slug}", response=AgencyOut, auth=auth.OPTIONAL)
def agency_detail(request: HttpRequest, slug: str) -> AgencyOut:
    return _out(lookups.public_agency(request, slug), lookups.caller(request))


@router.get("/me", response=MeOut, tags=["me"])
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
