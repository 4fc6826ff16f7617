from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from edcoop.core import permissions
from edcoop.members import services
from edcoop.members.models import Supplier, SupplierChangeRequest

from . import auth, lookups
from .pagination import Pages
from .schemas import (
    ReceivedOut,
    SupplierChangeDecisionIn,
    SupplierChangeOut,
    SupplierContactConfirmIn,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
    SupplierStatusIn,
    SupplierUpdateOut,
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


@router.patch("/agencies/{slug}/suppliers/{supplier_id}", response=SupplierUpdateOut)
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


@router.get(
    "/agencies/{slug}/suppliers/{supplier_id}/change-requests", response=list[SupplierChangeOut]
)
@paginate(Pages)
def supplier_change_list(
    request: HttpRequest, slug: str, supplier_id: int
) -> QuerySet[SupplierChangeRequest]:
    """The supplier's requested changes, newest first, decided ones included (its history)."""
    return _supplier(request, slug, supplier_id).change_requests.order_by("-requested_at", "-pk")


@router.post(
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


@router.post("/agencies/{slug}/supplier-contact/confirm", response=SupplierOut)
def supplier_contact_confirm(
    request: HttpRequest, slug: str, payload: SupplierContactConfirmIn
) -> Supplier:
    """A supplier's representative confirms a new contact e-mail with the mailed token."""
    agency = lookups.agency(request, slug)
    return services.supplier_contact_confirm(
        user=lookups.caller(request), agency=agency, token=payload.token
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
