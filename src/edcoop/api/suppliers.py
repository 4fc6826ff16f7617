from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from edcoop.core import permissions
from edcoop.members import services
from edcoop.members.models import Supplier

from . import auth, lookups
from .pagination import Pages
from .schemas import SupplierIn, SupplierOut, SupplierPatch, SupplierStatusIn, plain

router = Router(tags=["suppliers"])


class SupplierFilters(Schema):
    q: str | None = None
    status: Supplier.Status | None = None


@router.get("/agencies/{slug}/suppliers", response=list[SupplierOut])
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


@router.get("/agencies/{slug}/suppliers/{supplier_id}", response=SupplierOut)
def supplier_detail(request: HttpRequest, slug: str, supplier_id: int) -> Supplier:
    return _supplier(request, slug, supplier_id)


@router.post(
    "/agencies/{slug}/suppliers", response={201: SupplierOut}, auth=auth.OPTIONAL,
    tags=["suppliers", "public"],
)  # fmt: skip
def supplier_register(
    request: HttpRequest, slug: str, payload: SupplierIn
) -> Status[Supplier]:
    """A supplier registers with the agency (applicant until approved). Anonymous callers
    register themselves; a signed-in caller registers on the agency's behalf, which needs
    the right to edit suppliers."""
    agency = lookups.public_agency(request, slug)
    user = lookups.caller(request)
    supplier = services.supplier_register(
        agency=agency,
        user=user if user.is_authenticated else None,
        **plain(payload.dict()),
    )
    return Status(201, supplier)


@router.patch("/agencies/{slug}/suppliers/{supplier_id}", response=SupplierOut)
def supplier_update(
    request: HttpRequest, slug: str, supplier_id: int, payload: SupplierPatch
) -> Supplier:
    supplier = _supplier(request, slug, supplier_id)
    return services.supplier_update(
        user=lookups.caller(request),
        supplier=supplier,
        **plain(payload.dict(exclude_unset=True)),
    )


@router.post("/agencies/{slug}/suppliers/{supplier_id}/status", response=SupplierOut)
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
