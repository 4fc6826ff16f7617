from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from edcoop.core import permissions
from edcoop.members import services
from edcoop.members.models import Institution, Membership

from . import lookups
from .pagination import Pages
from .schemas import InstitutionOut, InstitutionPatch, plain

router = Router(tags=["institutions"])


class InstitutionFilters(Schema):
    q: str | None = None
    kind: Institution.Kind | None = None
    state: str | None = None
    status: Membership.Status | None = None


@router.get("/agencies/{slug}/institutions", response=list[InstitutionOut])
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


@router.get("/agencies/{slug}/institutions/{institution_id}", response=InstitutionOut)
def institution_detail(request: HttpRequest, slug: str, institution_id: int) -> Institution:
    return _institution(request, slug, institution_id)


@router.patch("/agencies/{slug}/institutions/{institution_id}", response=InstitutionOut)
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
