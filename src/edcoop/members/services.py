"""Writes on agencies, members, suppliers and roles.

Each function checks permission, validates, writes in one transaction and records the
audit event in that same transaction; e-mail leaves only after the commit. Views, the API,
commands and tests all call these, never the models' ``save()`` directly.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from edcoop.core import audit, mail
from edcoop.core.permissions import Action, assignments, forget, is_agency_staff, require

from .models import (
    BILLING_FIELDS,
    INSTITUTION_FIELDS,
    Agency,
    Institution,
    Membership,
    MembershipYear,
    Role,
    RoleAssignment,
    ServiceArea,
    Supplier,
    SupplierChangeRequest,
    match_institution,
)


def _save_validated(obj: Model, *, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude)
    obj.save()


def _apply(obj: Model, fields: dict[str, Any], allowed: Collection[str]) -> dict[str, list[Any]]:
    """Set ``fields`` on ``obj`` (only ``allowed`` ones); return the audit diff."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    names = sorted(allowed)
    before = audit.snapshot(obj, names)
    for name, value in fields.items():
        setattr(obj, name, value)
    return audit.diff(before, audit.snapshot(obj, names))


class AlreadyRegistered(ValidationError):
    """The institution or supplier is already on the agency's books. Staff get the message;
    the public gets the same neutral answer as for a new registration, and the record's own
    contact is told by e-mail (:func:`tell_already_registered`), so a public form never
    reveals who is registered."""

    def __init__(self, message: dict[str, str], *, record: Membership | Supplier) -> None:
        super().__init__(message)
        self.record = record


def tell_already_registered(exc: AlreadyRegistered) -> None:
    """E-mail the existing record's contact that someone tried to register it again
    (after the current transaction commits; nothing else is written)."""
    record = exc.record
    agency = record.agency
    if isinstance(record, Supplier):
        to, what = record.email, f"{record.legal_name} (tax ID {record.tax_id_masked})"
    else:
        to, what = record.contact_email, record.institution.name
    if not to:
        return
    body = (
        f"Someone asked to register {what} with {agency.name} through its public form. "
        f"It is already registered, so nothing was changed.\n\nIf this was you, sign in "
        f"at {settings.EDCOOP_BASE_URL}/ or write to {agency.email or agency.name}. "
        "If it was not you, you need not do anything."
    )
    subject = f"{agency.name}: already registered"
    mail.send_after_commit([(subject, body, [to])], agency_id=agency.pk,
                           title=f"E-mail: {subject}")  # fmt: skip


def agency_today(agency: Agency) -> Any:
    return timezone.now().astimezone(agency.zone).date()


# Membership -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    """What an institution tells the agency when it applies (the public form)."""

    name: str
    kind: str
    state: str
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


@transaction.atomic
def membership_apply(*, agency: Agency, application: Application) -> Membership:
    """An institution asks to join; the agency approves (what it costs is the agency's
    ``membership_terms``)."""
    if not agency.accepting_applications:
        raise ValidationError({"__all__": f"{agency} is not accepting applications right now."})
    a = application
    institution = Institution(
        agency=agency,
        name=a.name.strip(),
        kind=a.kind,
        state=a.state,
        county=a.county.strip(),
        city=a.city.strip(),
        nces_id=a.nces_id.strip(),
        ipeds_id=a.ipeds_id.strip(),
        beds_code=a.beds_code.strip(),
        website=a.website.strip(),
    )
    existing = match_institution(agency, audit.snapshot(institution, INSTITUTION_FIELDS))
    if existing is not None and hasattr(existing, "membership"):
        raise AlreadyRegistered(
            {"name": f"{existing.name} already has a membership record with {agency}."},
            record=existing.membership,
        )
    _save_validated(institution)
    membership = Membership(
        agency=agency,
        institution=institution,
        status=Membership.Status.APPLICANT,
        applied_at=timezone.now(),
        contact_name=a.contact_name.strip(),
        contact_title=a.contact_title.strip(),
        contact_email=a.contact_email.strip(),
        contact_phone=a.contact_phone.strip(),
        notes=a.notes.strip(),
    )
    _save_validated(membership)
    audit.record_create("institution.create", institution)
    audit.record_create("membership.apply", membership)
    return membership


@transaction.atomic
def membership_approve(
    *,
    user: Any,
    membership: Membership,
    component: bool = False,
    service_area: ServiceArea | None = None,
    invite_contact: bool = True,
    joined_on: date | None = None,
) -> Membership:
    """Approve an application; membership (and billing) starts ``joined_on`` (default
    today)."""
    require(user, Action.MEMBERSHIP_DECIDE, membership.agency)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != Membership.Status.APPLICANT:
        raise ValidationError(
            {"status": f"Only applications can be approved; this one is {membership.status}."}
        )
    changes = _apply(
        membership,
        {
            "status": Membership.Status.ACTIVE,
            "component": component,
            "service_area": service_area,
            "joined_on": joined_on or agency_today(membership.agency),
            "decided_at": timezone.now(),
        },
        {"status", "component", "service_area", "joined_on", "decided_at"},
    )
    _save_validated(membership)
    audit.record("membership.approve", membership, changes=changes)
    if invite_contact and membership.contact_email:
        _invite_member_admin(membership)
    return membership


def _invite_member_admin(membership: Membership) -> None:
    """Give the applicant's contact a member-admin login and mail a link to set a password."""
    institution = membership.institution
    _invite(
        agency=membership.agency,
        email=membership.contact_email,
        name=membership.contact_name,
        role=Role.MEMBER_ADMIN,
        institution=institution,
        message=f"{membership.agency.name} has approved the membership of {institution.name}.",
        footer=membership.agency.membership_terms,
    )


def _invite(
    *,
    agency: Agency,
    email: str,
    name: str,
    role: Role,
    message: str,
    footer: str,
    institution: Institution | None = None,
    supplier: Supplier | None = None,
) -> None:
    """A login for a newly approved member or supplier: the user (made once per e-mail
    address, without a password), the role, and an e-mail with a link to choose a password."""
    User = get_user_model()
    email = email.lower()
    user = User.objects.filter(username=email).first()
    if user is None:
        first, _, last = name.partition(" ")
        user = User.objects.create_user(
            username=email, email=email, first_name=first[:150], last_name=last[:150]
        )
        user.set_unusable_password()
        user.save()
        audit.record(
            "user.create", user, agency_id=agency.pk, changes={"username": [None, user.username]}
        )
    held = RoleAssignment.objects.filter(
        user=user, agency=agency, role=role, institution=institution, supplier=supplier
    ).exists()
    if not held:
        _role_grant(
            person=user, agency=agency, role=role, institution=institution, supplier=supplier
        )
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.EDCOOP_BASE_URL + reverse(
        "password_reset_confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )
    body = (
        f"{message}\n\nYour EdCoop login is {user.username}. Choose a password here:\n"
        f"{link}" + (f"\n\n{footer}" if footer else "")
    )
    mail.send_after_commit([(f"Welcome to {agency.name}", body, [email])], agency_id=agency.pk,
                           title=f"E-mail: welcome to {agency.name}")  # fmt: skip


@transaction.atomic
def membership_decline(*, user: Any, membership: Membership, reason: str) -> Membership:
    require(user, Action.MEMBERSHIP_DECIDE, membership.agency)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != Membership.Status.APPLICANT:
        raise ValidationError({"status": "Only applications can be declined."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the application is declined."})
    changes = _apply(
        membership,
        {"status": Membership.Status.DECLINED, "decided_at": timezone.now()},
        {"status", "decided_at"},
    )
    membership.save()
    changes["reason"] = [None, reason.strip()]
    audit.record("membership.decline", membership, changes=changes)
    return membership


_STATUS_MOVES = {
    Membership.Status.ACTIVE: {Membership.Status.SUSPENDED, Membership.Status.WITHDRAWN},
    Membership.Status.SUSPENDED: {Membership.Status.ACTIVE, Membership.Status.WITHDRAWN},
    Membership.Status.WITHDRAWN: {Membership.Status.ACTIVE},
}


@transaction.atomic
def membership_set_status(
    *, user: Any, membership: Membership, status: str, effective_on: date | None = None
) -> Membership:
    """Suspend, withdraw or reinstate. A suspension or withdrawal takes effect on
    ``effective_on`` (default today): its last day of membership, so billing stops after that
    month. Reinstating clears it (the member is billed as if it had never left), unless the
    fiscal year it left in is closed: then it rejoins on ``effective_on`` (default today).
    No day may move billing in a closed fiscal year."""
    require(user, Action.MEMBERSHIP_DECIDE, membership.agency)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    allowed = _STATUS_MOVES.get(Membership.Status(membership.status), set())
    if status not in allowed:
        raise ValidationError(
            {"status": f"A {membership.status} membership cannot become {status}."}
        )
    from edcoop.billing.closing import year_closed
    from edcoop.services.fiscal import fiscal_year_of

    agency = membership.agency
    fields: dict[str, Any] = {"status": status, "left_on": None}
    if status in (Membership.Status.SUSPENDED, Membership.Status.WITHDRAWN):
        left_on = fields["left_on"] = effective_on or agency_today(agency)
        if membership.joined_on and left_on < membership.joined_on:
            raise ValidationError({"effective_on": "The member leaves before it joined."})
        _check_billing_day(agency, left_on, "effective_on")
        # Leaving changes what the months after the last day bill: none may be closed.
        _billing_years_open(agency, membership.left_on, left_on, "effective_on")
    elif membership.left_on and year_closed(
        agency, fiscal_year_of(membership.left_on, agency.fiscal_year_start_month)
    ):
        # The year it left is closed: it rejoins (billed again from that day) rather than
        # being billed as if it had never left.
        joined = fields["joined_on"] = effective_on or agency_today(agency)
        if joined <= membership.left_on:
            raise ValidationError({"effective_on": "It rejoins after its last day, "
                                   f"{membership.left_on:%Y-%m-%d}."})  # fmt: skip
        _check_billing_day(agency, joined, "effective_on")
        _billing_years_open(agency, None, joined, "effective_on")
    else:
        # Reinstated as if it had never left: the months since its last day bill again.
        _billing_years_open(agency, membership.left_on, None, "effective_on")
    changes = _apply(membership, fields, {"status", "left_on", "joined_on"})
    membership.save()
    audit.record("membership.status", membership, changes=changes)
    return membership


# A membership's days bound its billing; a day more than this far ahead is a typo.
BILLING_DAYS_AHEAD = 366


def _check_billing_day(agency: Agency, day: date, field: str) -> None:
    if (day - agency_today(agency)).days > BILLING_DAYS_AHEAD:
        raise ValidationError({field: "Choose a day within a year from today."})


def _billing_years_open(agency: Agency, old: date | None, new: date | None, field: str) -> None:
    """Refuse a change of a membership day whose months fall in a closed fiscal year (an
    open end, None, stands for the years around the other day)."""
    from edcoop.billing.closing import ensure_open, ensure_open_on
    from edcoop.services.fiscal import fiscal_year_of

    if old == new:
        return
    days = [d for d in (old, new) if d is not None]
    for day in days:
        ensure_open_on(agency, day, field, "membership dates")
    if len(days) == 2:
        start = agency.fiscal_year_start_month
        for fy in range(fiscal_year_of(min(days), start), fiscal_year_of(max(days), start)):
            ensure_open(agency, fy, field, "membership dates")


@transaction.atomic
def membership_dates_set(
    *, user: Any, membership: Membership, joined_on: date | None, left_on: date | None
) -> Membership:
    """Set the days a member is billed from and to (business office): a late join or a
    withdrawal effective mid-year bills exactly its months, and the true-up recomputes the
    year the same way. ``left_on`` belongs to a suspended or withdrawn membership only (an
    active one has no last day: suspend or withdraw it). Audited as ``membership.dates``."""
    require(user, Action.MEMBERSHIP_EDIT, membership.agency)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    agency = membership.agency
    billed = (Membership.Status.ACTIVE, Membership.Status.SUSPENDED, Membership.Status.WITHDRAWN)
    if membership.status not in billed:
        raise ValidationError({"joined_on": "Only a member's dates can be set; this is an "
                               f"{membership.get_status_display().lower()}."})  # fmt: skip
    if joined_on is None:
        raise ValidationError({"joined_on": "Enter the day the membership began."})
    if membership.status == Membership.Status.ACTIVE and left_on is not None:
        raise ValidationError({"left_on": "An active membership has no last day: suspend or "
                               "withdraw it, effective on its last day."})  # fmt: skip
    if membership.status != Membership.Status.ACTIVE and left_on is None:
        raise ValidationError({"left_on": "Enter the last day of the suspended or withdrawn "
                               "membership."})  # fmt: skip
    if left_on is not None and left_on < joined_on:
        raise ValidationError({"left_on": "The member leaves before it joined."})
    for field, day in (("joined_on", joined_on), ("left_on", left_on)):
        if day is not None:
            _check_billing_day(agency, day, field)
    _billing_years_open(agency, membership.joined_on, joined_on, "joined_on")
    _billing_years_open(agency, membership.left_on, left_on, "left_on")
    changes = _apply(membership, {"joined_on": joined_on, "left_on": left_on},
                     {"joined_on", "left_on"})  # fmt: skip
    if changes:
        _save_validated(membership)
        audit.record("membership.dates", membership, changes=changes)
    return membership


@transaction.atomic
def membership_update(*, user: Any, membership: Membership, **fields: Any) -> Membership:
    """Component flag, service area, contact details."""
    require(user, Action.MEMBERSHIP_EDIT, membership.agency)
    changes = _apply(
        membership,
        fields,
        {
            "component",
            "service_area",
            "contact_name",
            "contact_title",
            "contact_email",
            "contact_phone",
            "notes",
        },
    )
    _save_validated(membership)
    if changes:
        audit.record("membership.update", membership, changes=changes)
    return membership


@transaction.atomic
def membership_year_set(
    *,
    user: Any,
    membership: Membership,
    fiscal_year: int,
    enrollment: int | None = None,
    rwada: Decimal | None = None,
    aid_ratio: Decimal | None = None,
    full_value: Decimal | None = None,
) -> MembershipYear:
    """Record (or correct) a member's figures for one fiscal year."""
    require(user, Action.MEMBERSHIP_EDIT, membership.agency)
    year = MembershipYear.objects.filter(membership=membership, fiscal_year=fiscal_year).first()
    created = year is None
    if year is None:
        year = MembershipYear(membership=membership, fiscal_year=fiscal_year)
    changes = _apply(
        year,
        {
            "enrollment": enrollment,
            "rwada": rwada,
            "aid_ratio": aid_ratio,
            "full_value": full_value,
        },
        {"enrollment", "rwada", "aid_ratio", "full_value"},
    )
    _save_validated(year)
    if changes or created:
        audit.record(
            "membership_year.create" if created else "membership_year.update",
            year,
            agency_id=membership.agency_id,
            changes={"fiscal_year": [None, fiscal_year], **changes} if created else changes,
        )
    return year


# Institutions ---------------------------------------------------------------------------

# A member keeps its own billing address and PO number current; the account is the agency's.
MEMBER_EDITABLE_FIELDS = {"website", "city", "county", "billing_address", "purchase_order"}


@transaction.atomic
def institution_update(*, user: Any, institution: Institution, **fields: Any) -> Institution:
    require(user, Action.INSTITUTION_EDIT, institution.agency, institution=institution)
    staff = is_agency_staff(user, institution.agency)
    allowed = {*INSTITUTION_FIELDS, *BILLING_FIELDS} if staff else MEMBER_EDITABLE_FIELDS
    changes = _apply(institution, fields, allowed)
    _save_validated(institution)
    if changes:
        audit.record("institution.update", institution, changes=changes)
    return institution


# Suppliers ------------------------------------------------------------------------------

SUPPLIER_PROFILE_FIELDS = {
    "legal_name",
    "dba",
    "tax_id",
    "certifications",
    "state",
    "email",
    "phone",
    "website",
}


CONTACT_BELONGS_TO_SUPPLIER = (
    "The contact e-mail belongs to the supplier: it changes only when the supplier's own "
    "representative asks and confirms the new address."
)


@transaction.atomic
def supplier_register(*, agency: Agency, user: Any = None, **fields: Any) -> Supplier:
    """A supplier registers (applicant until the agency approves it)."""
    unknown = set(fields) - SUPPLIER_PROFILE_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    if user is not None and user.is_authenticated:
        require(user, Action.SUPPLIER_EDIT, agency)
    tax_id = str(fields.get("tax_id") or "").strip()
    existing = Supplier.objects.filter(agency=agency, tax_id=tax_id).first() if tax_id else None
    if existing is not None:
        raise AlreadyRegistered(
            {"tax_id": f"A supplier with this tax ID is already registered with {agency}."},
            record=existing,
        )
    supplier = Supplier(agency=agency, status=Supplier.Status.APPLICANT, **fields)
    _save_validated(supplier)
    audit.record_create("supplier.register", supplier)
    return supplier


# Who the supplier is on record: a representative's change of these waits for the agency.
SUPPLIER_IDENTITY_FIELDS = ("legal_name", "tax_id", "certifications")
CHANGE_REQUESTED = (
    "The change of {fields} waits for the agency's approval; the profile keeps the current "
    "values until then."
)
CONTACT_REQUESTED = (
    "We sent a confirmation link to {email}; the contact e-mail changes when a representative "
    "of the supplier opens it."
)


def represents(user: Any, supplier: Supplier) -> bool:
    """Is ``user`` one of the supplier's own representatives (not agency staff)?"""
    return (
        user is not None
        and user.is_authenticated
        and not is_agency_staff(user, supplier.agency)
        and any(ra.supplier_id == supplier.pk for ra in assignments(user, supplier.agency))
    )


@transaction.atomic
def supplier_update(*, user: Any, supplier: Supplier, **fields: Any) -> Supplier:
    """Edit a supplier's profile. Staff may correct it, except the contact e-mail, which
    belongs to the supplier. A representative's own edits of legal name, tax ID and
    certifications become a request the agency decides, and a new e-mail a request
    confirmed from the new mailbox; ``supplier.notices`` says which requests were made."""
    require(user, Action.SUPPLIER_EDIT, supplier.agency, supplier=supplier)
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    supplier.notices = []
    new_email = fields.pop("email", supplier.email)
    new_email = (new_email or "").strip()
    if new_email.lower() != supplier.email.lower():
        if not represents(user, supplier):
            # The registered contact is where the approval invitation goes: if staff could
            # change it, staff could receive the supplier's login.
            raise ValidationError({"email": CONTACT_BELONGS_TO_SUPPLIER})
        _contact_change_request(user=user, supplier=supplier, email=new_email)
    if represents(user, supplier):
        wanted = {
            name: fields.pop(name)
            for name in SUPPLIER_IDENTITY_FIELDS
            if name in fields and _differs(supplier, name, fields[name])
        }
        for name in SUPPLIER_IDENTITY_FIELDS:
            fields.pop(name, None)  # unchanged: nothing to ask for
        if wanted:
            _profile_change_request(user=user, supplier=supplier, after=wanted)
    changes = _apply(supplier, fields, SUPPLIER_PROFILE_FIELDS)
    _save_validated(supplier)
    if changes:
        audit.record("supplier.update", supplier, changes=changes)
    return supplier


def _differs(supplier: Supplier, name: str, value: Any) -> bool:
    current = getattr(supplier, name)
    if name == "certifications":
        return sorted(map(str, value or [])) != sorted(map(str, current or []))
    return str(value or "").strip() != str(current or "")


def _replace_pending(supplier: Supplier, kind: str) -> None:
    SupplierChangeRequest.objects.filter(
        supplier=supplier, kind=kind, status=SupplierChangeRequest.Status.PENDING
    ).update(status=SupplierChangeRequest.Status.REPLACED)


def _profile_change_request(
    *, user: Any, supplier: Supplier, after: dict[str, Any]
) -> SupplierChangeRequest:
    if "legal_name" in after:
        after["legal_name"] = str(after["legal_name"] or "").strip()
    if "tax_id" in after:
        after["tax_id"] = str(after["tax_id"] or "").strip()
    if "certifications" in after:
        after["certifications"] = sorted({str(c) for c in after["certifications"] or []})
    # Check the values now, as the approval will: a bad request is refused at the door.
    trial = Supplier(**{**audit.snapshot(supplier, SUPPLIER_PROFILE_FIELDS), **after},
                     agency=supplier.agency, pk=supplier.pk)  # fmt: skip
    trial._state.adding = False  # the supplier itself, not a second one with its id
    trial.full_clean(exclude=["agency"])
    _replace_pending(supplier, SupplierChangeRequest.Kind.PROFILE)
    request = SupplierChangeRequest.objects.create(
        supplier=supplier, kind=SupplierChangeRequest.Kind.PROFILE, after=after,
        before={name: audit.plain(getattr(supplier, name)) for name in after},
        requested_by=user, requested_at=timezone.now(),
    )  # fmt: skip
    audit.record("supplier.change_request", request, changes=audit.diff(request.before, after))
    supplier.notices.append(CHANGE_REQUESTED.format(fields=_field_names(after)))
    return request


def _field_names(values: dict[str, Any]) -> str:
    names = {"legal_name": "legal name", "tax_id": "tax ID", "certifications": "certifications",
             "email": "contact e-mail"}  # fmt: skip
    return ", ".join(names.get(n, n) for n in values)


CONTACT_SALT = "edcoop.supplier.contact"
CONTACT_LINK_DAYS = 3


def contact_confirm_path(request: SupplierChangeRequest) -> str:
    """The path of the confirmation link mailed for a contact change (signed, so the link
    alone names the request)."""
    token = signing.dumps({"r": request.pk}, salt=CONTACT_SALT)
    return reverse("members:supplier_contact_confirm",
                   args=[request.supplier.agency.slug, token])  # fmt: skip


def _contact_change_request(*, user: Any, supplier: Supplier, email: str) -> None:
    field = Supplier._meta.get_field("email")
    email = field.clean(email, supplier).lower()
    if not email:
        raise ValidationError({"email": "A supplier needs a contact e-mail."})
    _replace_pending(supplier, SupplierChangeRequest.Kind.CONTACT)
    request = SupplierChangeRequest.objects.create(
        supplier=supplier, kind=SupplierChangeRequest.Kind.CONTACT, after={"email": email},
        before={"email": supplier.email}, requested_by=user, requested_at=timezone.now(),
    )  # fmt: skip
    audit.record("supplier.contact_request", request,
                 changes=audit.diff(request.before, request.after))  # fmt: skip
    link = settings.EDCOOP_BASE_URL + contact_confirm_path(request)
    agency, old = supplier.agency, supplier.email
    body = (
        f"A representative of {supplier.legal_name} asked {agency.name} to send its notices "
        f"to this address. To confirm, sign in to EdCoop as that representative and open:\n"
        f"{link}\n\nThe link works for {CONTACT_LINK_DAYS} days. If you did not expect this, "
        "ignore it: nothing changes."
    )
    warning = (
        f"A representative of {supplier.legal_name} asked {agency.name} to send its notices "
        f"to {email} instead of this address. It changes only once confirmed from that "
        "mailbox. If this is not your company's request, tell the agency."
    )

    messages = [(f"Confirm your contact e-mail with {agency.name}", body, [email])]
    if old:
        messages.append((f"Contact e-mail change requested at {agency.name}", warning, [old]))
    mail.send_after_commit(messages, agency_id=agency.pk,
                           title=f"E-mail: contact change for {supplier.legal_name}")  # fmt: skip
    supplier.notices.append(CONTACT_REQUESTED.format(email=email))


@transaction.atomic
def supplier_contact_confirm(*, user: Any, agency: Agency, token: str) -> Supplier:
    """A representative confirms a contact change from the link mailed to the new address."""
    try:
        data = signing.loads(token, salt=CONTACT_SALT, max_age=CONTACT_LINK_DAYS * 86400)
    except signing.BadSignature as e:
        raise ValidationError({"token": "This confirmation link is invalid or expired."}) from e
    request = (
        SupplierChangeRequest.objects.select_for_update()
        .filter(pk=data.get("r"), supplier__agency=agency, kind=SupplierChangeRequest.Kind.CONTACT)
        .select_related("supplier")
        .first()
    )
    if request is None or not represents(user, request.supplier):
        raise PermissionDenied("Only the supplier's own representatives confirm its contact.")
    if request.status != SupplierChangeRequest.Status.PENDING:
        raise ValidationError({"token": "This request was already settled or replaced."})
    supplier = Supplier.objects.select_for_update().get(pk=request.supplier_id)
    changes = _apply(supplier, {"email": request.after["email"]}, {"email"})
    _save_validated(supplier)
    _decide(request, user=user, status=SupplierChangeRequest.Status.CONFIRMED)
    audit.record("supplier.contact_confirm", supplier, changes=changes)
    return supplier


def _decide(request: SupplierChangeRequest, *, user: Any, status: str, reason: str = "") -> None:
    request.status = status
    request.decided_by = user
    request.decided_at = timezone.now()
    request.reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])


@transaction.atomic
def supplier_change_decide(
    *, user: Any, request: SupplierChangeRequest, approve: bool, reason: str = ""
) -> SupplierChangeRequest:
    """The agency approves (the supplier's record changes) or rejects (with a reason) a
    representative's change of legal name, tax ID or certifications."""
    require(user, Action.SUPPLIER_DECIDE, request.supplier.agency)
    request = SupplierChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.kind != SupplierChangeRequest.Kind.PROFILE:
        raise ValidationError({"kind": "A contact change is confirmed by the supplier."})
    if request.status != SupplierChangeRequest.Status.PENDING:
        raise ValidationError({"status": f"This request is already {request.status}."})
    supplier = Supplier.objects.select_for_update().get(pk=request.supplier_id)
    if approve:
        tax_id = request.after.get("tax_id")
        if (
            tax_id
            and Supplier.objects.filter(agency=supplier.agency, tax_id=tax_id)
            .exclude(pk=supplier.pk)
            .exists()
        ):
            raise ValidationError({"tax_id": "Another supplier is registered with this tax ID."})
        changes = _apply(supplier, dict(request.after), SUPPLIER_IDENTITY_FIELDS)
        _save_validated(supplier)
        _decide(request, user=user, status=SupplierChangeRequest.Status.APPROVED, reason=reason)
        audit.record("supplier.change_approve", supplier, changes=changes)
    else:
        if not reason.strip():
            raise ValidationError({"reason": "Say why the change is rejected."})
        _decide(request, user=user, status=SupplierChangeRequest.Status.REJECTED,
                reason=reason.strip())  # fmt: skip
        audit.record("supplier.change_reject", request, changes={"reason": [None, reason]})
    return request


@transaction.atomic
def supplier_set_status(
    *, user: Any, supplier: Supplier, status: str, reason: str = ""
) -> Supplier:
    require(user, Action.SUPPLIER_DECIDE, supplier.agency)
    if status not in Supplier.Status.values:
        raise ValidationError({"status": f"{status!r} is not a supplier status."})
    if status in {Supplier.Status.DEBARRED, Supplier.Status.SUSPENDED} and not reason.strip():
        raise ValidationError({"reason": "Say why the supplier is debarred or suspended."})
    approving = supplier.status == Supplier.Status.APPLICANT and status == Supplier.Status.ACTIVE
    changes = _apply(supplier, {"status": status}, {"status"})
    supplier.save()
    if reason.strip():
        changes["reason"] = [None, reason.strip()]
    audit.record("supplier.status", supplier, changes=changes)
    if approving and supplier.email and not supplier.staff.exists():
        # The registration's e-mail becomes the supplier's first representative login.
        _invite(
            agency=supplier.agency,
            email=supplier.email,
            name="",
            role=Role.SUPPLIER_REP,
            supplier=supplier,
            message=f"{supplier.agency.name} has approved the registration of {supplier}.",
            footer="You can now find open solicitations and respond to them in EdCoop.",
        )
    return supplier


# Roles ----------------------------------------------------------------------------------


@transaction.atomic
def role_assign(
    *,
    user: Any,
    agency: Agency,
    person: Any,
    role: str,
    institution: Institution | None = None,
    supplier: Supplier | None = None,
) -> RoleAssignment:
    """Give ``person`` a role in ``agency`` (agency admins only)."""
    if user is not None:
        require(user, Action.ROLE_ASSIGN, agency)
    return _role_grant(
        person=person, agency=agency, role=role, institution=institution, supplier=supplier
    )


def _role_grant(
    *,
    person: Any,
    agency: Agency,
    role: str,
    institution: Institution | None = None,
    supplier: Supplier | None = None,
) -> RoleAssignment:
    """The one write of a role, whoever asks (console, API, approval, invitation):
    validated (``RoleAssignment.clean`` refuses staff who would also represent a supplier,
    and the reverse) and audited."""
    ra = RoleAssignment(
        user=person, agency=agency, role=role, institution=institution, supplier=supplier
    )
    _save_validated(ra)
    audit.record_create("role.assign", ra)
    forget(person)
    return ra


# The agency's own facts, kept by its administrator on the settings page.
AGENCY_SETTINGS_FIELDS = (
    "name", "website", "email", "phone", "address", "tax_id", "remit_to",
    "payment_instructions", "payment_terms_days", "paper_size", "fiscal_year_start_month",
    "membership_terms", "accepting_applications",
)  # fmt: skip


def _fiscal_calendar_in_use(agency: Agency) -> str:
    """What already counts months by the agency's fiscal year ("" when nothing does): once
    a run, an invoice or a year of services exists, moving the year's first month would
    put recorded months into other fiscal years."""
    from edcoop.billing.models import BillingRun, Invoice
    from edcoop.services.models import ServiceRequest, ServiceYear, Subscription

    for label, model, lookup in (
        ("billing runs", BillingRun, "agency"), ("invoices", Invoice, "agency"),
        ("service years", ServiceYear, "service__agency"),
        ("service requests", ServiceRequest, "agency"), ("subscriptions", Subscription, "agency"),
    ):  # fmt: skip
        if model.objects.filter(**{lookup: agency}).exists():
            return label
    return ""


@transaction.atomic
def agency_update(
    *, user: Any, agency: Agency, logo: bytes | None = None, remove_logo: bool = False,
    **fields: Any,
) -> Agency:
    """Change the agency's own facts (agency admins). Issued invoices keep what they were
    sent with; the next ones use the new facts. ``logo`` is an uploaded image's bytes
    (checked and re-encoded by :func:`logos.clean_logo`); ``remove_logo`` drops the logo."""
    from . import logos

    require(user, Action.AGENCY_SETTINGS, agency)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    start = fields.get("fiscal_year_start_month")
    if start is not None and int(start) != agency.fiscal_year_start_month:
        in_use = _fiscal_calendar_in_use(agency)
        if in_use:
            raise ValidationError({"fiscal_year_start_month": (
                f"The fiscal year's first month cannot change: {agency} already has {in_use} "
                "counted by fiscal year, which would move into other years."
            )})  # fmt: skip
    new_logo = logos.clean_logo(logo) if logo is not None else None
    changes = _apply(agency, fields, AGENCY_SETTINGS_FIELDS)
    old_logo = bytes(agency.logo_png or b"")
    if new_logo is not None or remove_logo:
        agency.logo_png = new_logo or b""
        if (new_logo or b"") != old_logo:
            changes["logo"] = [logos.fingerprint(old_logo), logos.fingerprint(new_logo or b"")]
    _save_validated(agency)
    if changes:
        audit.record("agency.update", agency, agency_id=agency.pk, changes=changes)
    return agency


@transaction.atomic
def agency_create(**fields: Any) -> Agency:
    """A new agency on this installation (operators only: CLI, admin, demo)."""
    agency = Agency(**fields)
    _save_validated(agency)
    audit.record_create("agency.create", agency, agency_id=agency.pk)
    return agency


@transaction.atomic
def service_area_create(*, agency: Agency, name: str, counties: list[str]) -> ServiceArea:
    area = ServiceArea(agency=agency, name=name, counties=counties)
    _save_validated(area)
    audit.record_create("service_area.create", area)
    return area
