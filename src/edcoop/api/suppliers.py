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
from .schemas import (
    ReceivedOut,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
    SupplierStatusIn,
    plain,
)

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


REGISTRATION_RECEIVED = (
    "Thank you: the agency reviews every registration and writes to the e-mail address given."
)


@router.post(
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
