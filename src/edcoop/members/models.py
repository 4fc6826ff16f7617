"""Agencies, the institutions that are their members, suppliers, and who may act for whom."""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from edcoop.core.inputs import ADDRESS, NOTE, long_text
from edcoop.core.phones import PhoneField

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"), ("PR", "Puerto Rico"),
    ("GU", "Guam"), ("VI", "U.S. Virgin Islands"), ("AS", "American Samoa"),
    ("MP", "Northern Mariana Islands"),
]  # fmt: skip


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone, e.g. America/New_York.")


class Agency(models.Model):
    class Kind(models.TextChoices):
        REGIONAL = "regional", "Regional educational service agency"
        NATIONAL = "national", "National purchasing cooperative"

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=2, choices=US_STATES)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    accepting_applications = models.BooleanField(default=True)
    # The agency's own facts, printed on its pages and documents (never one sentence for all).
    address = long_text(ADDRESS, blank=True, help_text="Street address, one line per line.")
    phone = PhoneField(blank=True)
    tax_id = models.CharField(
        "tax ID (EIN)", max_length=20, blank=True, help_text="Printed on invoices when set."
    )
    remit_to = long_text(
        ADDRESS, "remit to", blank=True,
        help_text="Where members send payments, one line per line (blank: the address).",
    )  # fmt: skip
    payment_instructions = long_text(
        NOTE, blank=True, help_text="How to pay: payee, ACH details, what to write on the check."
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (days)", default=30,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text="Invoices are due this many days after they are issued.",
    )  # fmt: skip
    paper_size = models.CharField(
        max_length=10, choices=[("letter", "US Letter"), ("a4", "A4")], default="letter"
    )
    logo_png = models.BinaryField(
        blank=True, default=b"", editable=False,
        help_text="The letterhead's logo, re-encoded as PNG (members.logos.clean_logo).",
    )  # fmt: skip
    membership_terms = long_text(
        NOTE, blank=True,
        help_text="What membership costs and commits a member to, as the home page and the "
        "application form state it (blank: the pages say nothing about cost).",
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


# What an issued document prints of its agency: the letterhead and how to pay it.
LETTERHEAD_FIELDS = (
    "name", "address", "phone", "email", "website", "tax_id", "remit_to",
    "payment_instructions", "paper_size", "logo_png",
)  # fmt: skip


def letterhead_digest(values: dict[str, Any]) -> str:
    """What tells two letterheads apart: a hash of every printed fact (the logo's pixels by
    their own hash). Also what the migrations that froze existing documents computed."""
    texts = {f: str(values.get(f) or "") for f in LETTERHEAD_FIELDS if f != "logo_png"}
    texts["logo_png"] = hashlib.sha256(bytes(values.get("logo_png") or b"")).hexdigest()
    canonical = json.dumps(texts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def freeze_letterheads(apps: Any, model: str, issued: Q) -> None:
    """Data migrations: give every issued row of ``model`` ("app.Model", filtered by
    ``issued``) without a letterhead its agency's letterhead as it stands (the best record
    left of what was printed when it was issued)."""
    agencies = apps.get_model("members", "Agency")
    versions = apps.get_model("members", "LetterheadVersion")
    documents = apps.get_model(*model.split("."))
    todo = documents.objects.filter(issued, letterhead__isnull=True)
    for agency in agencies.objects.filter(pk__in=todo.values("agency_id")):
        values = {f: getattr(agency, f) for f in LETTERHEAD_FIELDS}
        values["logo_png"] = bytes(values["logo_png"] or b"")
        version, _ = versions.objects.get_or_create(
            agency=agency, digest=letterhead_digest(values), defaults=values
        )
        todo.filter(agency=agency).update(letterhead=version)


class LetterheadVersion(models.Model):
    """The agency's letterhead as one issued document printed it: name, address, contacts,
    tax ID, remit-to, how to pay, paper and logo, copied from the agency's settings when the
    document was issued. Rows are never changed (nor removed while a document names one; a
    database trigger refuses both); documents issued under the same settings share a row
    (``digest`` of the content). Drafts print the agency's current settings
    (:meth:`current`, unsaved); issuing saves them (:meth:`issue`)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="letterheads")
    digest = models.CharField(max_length=64, editable=False)
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    tax_id = models.CharField(max_length=20, blank=True)
    remit_to = models.TextField(blank=True)
    payment_instructions = models.TextField(blank=True)
    paper_size = models.CharField(max_length=10, default="letter")
    logo_png = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "digest"], name="letterhead_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} letterhead {self.digest[:8]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("A letterhead version never changes; issue with a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError("A letterhead version is kept with the documents that print it.")

    @classmethod
    def current(cls, agency: Agency) -> LetterheadVersion:
        """The agency's letterhead as its saved settings stand (not saved itself): read from
        the database, so an agency object loaded before the settings changed never prints
        the old facts."""
        facts = Agency.objects.filter(pk=agency.pk).values(*LETTERHEAD_FIELDS).get()
        version = cls(agency=agency, **facts)
        version.logo_png = bytes(version.logo_png or b"")
        version.digest = version.content_digest()
        return version

    @classmethod
    def issue(cls, agency: Agency) -> LetterheadVersion:
        """The saved version of the agency's letterhead as it stands now, for a document
        being issued (the row documents issued under the same settings already share)."""
        version = cls.current(agency)
        fields = {f: getattr(version, f) for f in LETTERHEAD_FIELDS}
        found, _ = cls.objects.get_or_create(agency=agency, digest=version.digest,
                                             defaults=fields)  # fmt: skip
        return found

    def content_digest(self) -> str:
        return letterhead_digest({f: getattr(self, f) for f in LETTERHEAD_FIELDS})

    # What the letterhead template prints --------------------------------------------------

    @property
    def address_lines(self) -> list[str]:
        return _text_lines(self.address)

    @property
    def remit_to_lines(self) -> list[str]:
        """Where to send payment: the agency's name over its remit-to (else its address)."""
        return [self.name, *_text_lines(self.remit_to or self.address)]

    @property
    def logo_src(self) -> str:
        from .logos import data_uri

        png = bytes(self.logo_png or b"")
        return data_uri(png) if png else ""


def _text_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ServiceArea(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="service_areas")
    name = models.CharField(max_length=200)
    counties = models.JSONField(default=list, blank=True, help_text="County names.")

    class Meta:
        ordering = ["agency", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="service_area_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Institution(models.Model):
    """A school district, college or other public body, as one agency knows it."""

    class Kind(models.TextChoices):
        PUBLIC_K12 = "public_k12", "Public K-12 district"
        CHARTER = "charter", "Charter school"
        PRIVATE_K12 = "private_k12", "Private K-12 school"
        ESA = "esa", "ESA / BOCES"
        COMMUNITY_COLLEGE = "community_college", "Community college"
        PUBLIC_UNIVERSITY = "public_university", "Public university"
        PRIVATE_UNIVERSITY = "private_university", "Private college or university"
        MUNICIPALITY = "municipality", "Municipality"
        OTHER_PUBLIC = "other_public", "Other public entity"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="institutions")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    state = models.CharField(max_length=2, choices=US_STATES)
    county = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    nces_id = models.CharField(
        "NCES ID",
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{7}(\d{5})?$", "NCES IDs are 7 (district) or 12 digits.")],
    )
    ipeds_id = models.CharField(
        "IPEDS unit ID",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "IPEDS unit IDs are 6 digits.")],
    )
    beds_code = models.CharField(
        "NY BEDS code",
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{12}$", "NY BEDS codes are 12 digits.")],
    )
    website = models.URLField(blank=True)
    # Billing facts the agency keeps for this member (printed on invoices, snapshot on issue).
    billing_address = long_text(
        ADDRESS, blank=True,
        help_text="Where invoices go: business office, street, city, state, ZIP.",
    )  # fmt: skip
    account_number = models.CharField(max_length=30, blank=True)
    purchase_order = models.CharField(
        "purchase order number", max_length=40, blank=True,
        help_text="The district's PO covering this fiscal year's services.",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "nces_id"], condition=~Q(nces_id=""), name="institution_nces"
            ),
            models.UniqueConstraint(
                fields=["agency", "ipeds_id"], condition=~Q(ipeds_id=""), name="institution_ipeds"
            ),
            models.UniqueConstraint(
                fields=["agency", "beds_code"], condition=~Q(beds_code=""), name="institution_beds"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The fields that describe an institution, in the order forms and the CSV import use.
INSTITUTION_FIELDS = (
    "name", "kind", "state", "county", "city", "nces_id", "ipeds_id", "beds_code", "website",
)  # fmt: skip
IDENTIFIER_FIELDS = ("nces_id", "ipeds_id", "beds_code")
# What invoices print for the member (billing/documents.py); edited, not imported.
BILLING_FIELDS = ("billing_address", "account_number", "purchase_order")


def match_institution(agency: Agency, fields: dict[str, str]) -> Institution | None:
    """The agency's record for the same institution: by NCES, IPEDS or BEDS identifier,
    else by name and state. One rule for applications and imports alike."""
    qs = Institution.objects.filter(agency=agency)
    for key in IDENTIFIER_FIELDS:
        if fields.get(key):
            found = qs.filter(**{key: fields[key]}).first()
            if found is not None:
                return found
    return qs.filter(name__iexact=fields["name"], state=fields["state"]).first()


class Membership(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DECLINED = "declined", "Declined"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    institution = models.OneToOneField(
        Institution, on_delete=models.PROTECT, related_name="membership"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)
    component = models.BooleanField(
        default=False, help_text="Component districts own the BOCES and share its admin budget."
    )
    service_area = models.ForeignKey(
        ServiceArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(
        null=True, blank=True,
        help_text="Last day of membership when it was suspended or withdrawn (billing stops "
        "after that month).",
    )  # fmt: skip
    applied_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_title = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = PhoneField(blank=True)
    notes = long_text(NOTE, blank=True)

    class Meta:
        ordering = ["institution__name"]
        indexes = [models.Index(fields=["agency", "status"], name="membership_agency_status")]

    def __str__(self) -> str:
        return f"{self.institution} in {self.agency}"

    def member_between(self, first: date, last: date) -> bool:
        """Was this a member on some day from ``first`` to ``last`` (billing by month)?"""
        if self.status not in (self.Status.ACTIVE, self.Status.SUSPENDED, self.Status.WITHDRAWN):
            return False
        return (self.joined_on is None or self.joined_on <= last) and (
            self.left_on is None or self.left_on >= first
        )

    def clean(self) -> None:
        if self.institution_id and self.agency_id and self.institution.agency_id != self.agency_id:
            raise ValidationError({"institution": "The institution belongs to another agency."})
        area = self.service_area if self.service_area_id else None
        if area is not None and area.agency_id != self.agency_id:
            raise ValidationError({"service_area": "The service area belongs to another agency."})


class MembershipYear(models.Model):
    """A member's figures for one fiscal year (named by the year it ends: FY2026)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="years")
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    enrollment = models.PositiveIntegerField(null=True, blank=True)
    rwada = models.DecimalField(
        "RWADA", max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    aid_ratio = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )  # fmt: skip
    full_value = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip

    class Meta:
        ordering = ["membership", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "fiscal_year"], name="membership_year_unique"
            ),
            models.CheckConstraint(
                condition=Q(aid_ratio__isnull=True) | Q(aid_ratio__gte=0, aid_ratio__lte=1),
                name="membership_year_aid_ratio_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.institution} FY{self.fiscal_year}"

    @property
    def agency_id(self) -> int:
        return self.membership.agency_id


class Supplier(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        DEBARRED = "debarred", "Debarred"
        INACTIVE = "inactive", "Inactive"

    class Certification(models.TextChoices):
        MWBE = "mwbe", "MWBE"
        MBE = "mbe", "Minority-owned (MBE)"
        WBE = "wbe", "Women-owned (WBE)"
        SDVOB = "sdvob", "Service-disabled veteran-owned"
        SMALL = "small", "Small business"
        LOCAL = "local", "Local business"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="suppliers")
    legal_name = models.CharField(max_length=200)
    dba = models.CharField("doing business as", max_length=200, blank=True)
    tax_id = models.CharField(
        "tax ID (EIN)",
        max_length=10,
        validators=[RegexValidator(r"^\d{2}-\d{7}$", "An EIN looks like 12-3456789.")],
    )
    certifications = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)
    state = models.CharField(max_length=2, choices=US_STATES, blank=True)
    email = models.EmailField(blank=True)
    phone = PhoneField(blank=True)
    website = models.URLField(blank=True)

    # Set by ``services.supplier_update``: what it turned into requests, to tell the user.
    notices: list[str]

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "tax_id"], name="supplier_unique_tax_id")
        ]

    def __str__(self) -> str:
        # Never the tax ID: str() ends up in logs and the audit trail.
        return self.dba or self.legal_name

    def __repr__(self) -> str:
        return f"<Supplier {self.pk}: {self.legal_name}>"

    @property
    def tax_id_masked(self) -> str:
        return f"**-***{self.tax_id[-4:]}" if self.tax_id else ""

    def clean(self) -> None:
        valid = set(self.Certification.values)
        bad = [c for c in self.certifications or [] if c not in valid]
        if bad:
            raise ValidationError(
                {"certifications": f"Unknown certification(s): {', '.join(map(str, bad))}."}
            )


class Role(models.TextChoices):
    AGENCY_ADMIN = "agency_admin", "Agency administrator"
    PROCUREMENT_OFFICER = "procurement_officer", "Procurement officer"
    BUSINESS_OFFICE = "business_office", "Business office"
    EVALUATOR = "evaluator", "Evaluator"
    AUDITOR = "auditor", "Auditor"
    MEMBER_ADMIN = "member_admin", "Member administrator"
    MEMBER_BUYER = "member_buyer", "Member buyer"
    MEMBER_FINANCE = "member_finance", "Member finance"
    SUPPLIER_REP = "supplier_rep", "Supplier representative"


# Tuples, not sets: their order reaches the migration of the CHECK constraint below.
AGENCY_ROLES = (
    Role.AGENCY_ADMIN,
    Role.PROCUREMENT_OFFICER,
    Role.BUSINESS_OFFICE,
    Role.EVALUATOR,
    Role.AUDITOR,
)
MEMBER_ROLES = (Role.MEMBER_ADMIN, Role.MEMBER_BUYER, Role.MEMBER_FINANCE)
SUPPLIER_ROLES = (Role.SUPPLIER_REP,)


class RoleAssignment(models.Model):
    """A user's role in one agency, narrowed to one institution or one supplier where the
    role requires it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=Role.choices)
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="staff"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, null=True, blank=True, related_name="staff"
    )

    class Meta:
        constraints = [
            # Three partial constraints, since SQLite cannot treat NULLs as equal.
            models.UniqueConstraint(
                fields=["user", "agency", "role"],
                condition=Q(institution__isnull=True, supplier__isnull=True),
                name="role_assignment_unique_agency",
            ),
            models.UniqueConstraint(
                fields=["user", "agency", "role", "institution"],
                condition=Q(institution__isnull=False),
                name="role_assignment_unique_institution",
            ),
            models.UniqueConstraint(
                fields=["user", "agency", "role", "supplier"],
                condition=Q(supplier__isnull=False),
                name="role_assignment_unique_supplier",
            ),
            models.CheckConstraint(
                name="role_assignment_scope",
                condition=(
                    Q(
                        role__in=[r.value for r in AGENCY_ROLES],
                        institution__isnull=True,
                        supplier__isnull=True,
                    )
                    | Q(
                        role__in=[r.value for r in MEMBER_ROLES],
                        institution__isnull=False,
                        supplier__isnull=True,
                    )
                    | Q(
                        role__in=[r.value for r in SUPPLIER_ROLES],
                        institution__isnull=True,
                        supplier__isnull=False,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        scope = self.institution or self.supplier or self.agency
        return f"{self.user} as {self.get_role_display()} for {scope}"

    def clean(self) -> None:
        if self.role in MEMBER_ROLES and not self.institution_id:
            raise ValidationError({"institution": "Member roles need an institution."})
        if self.role in SUPPLIER_ROLES and not self.supplier_id:
            raise ValidationError({"supplier": "The supplier role needs a supplier."})
        if self.role in AGENCY_ROLES and (self.institution_id or self.supplier_id):
            raise ValidationError({"role": "Agency roles apply to the whole agency."})
        institution = self.institution if self.institution_id else None
        supplier = self.supplier if self.supplier_id else None
        if institution is not None and institution.agency_id != self.agency_id:
            raise ValidationError({"institution": "The institution belongs to another agency."})
        if supplier is not None and supplier.agency_id != self.agency_id:
            raise ValidationError({"supplier": "The supplier belongs to another agency."})
        if self.user_id and self.agency_id and not self.pk:
            from edcoop.core.permissions import role_conflict

            conflict = role_conflict(self.user, self.agency, self.role)
            if conflict:
                raise ValidationError({"role": conflict})


class SupplierChangeRequest(models.Model):
    """A supplier's own request to change who it is on record.

    Legal name, tax ID and certifications decide who was awarded what, so a representative's
    change waits for the agency's decision (``PROFILE``). The contact e-mail is where logins
    and notices go, so it changes only when a representative confirms the new address from
    that mailbox (``CONTACT``). Decided requests stay as the supplier's history."""

    class Kind(models.TextChoices):
        PROFILE = "profile", "Legal name, tax ID or certifications"
        CONTACT = "contact", "Contact e-mail"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CONFIRMED = "confirmed", "Confirmed"
        REPLACED = "replaced", "Replaced by a later request"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # {field: new value}; the old values are in the audit trail and ``before``.
    after = models.JSONField(default=dict)
    before = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = long_text(NOTE, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} change for {self.supplier} ({self.status})"

    @property
    def agency_id(self) -> int:
        return self.supplier.agency_id

    def shown(self, side: str = "after") -> dict[str, str]:
        """The values as people may see them: the tax ID masked, certifications listed."""
        values = self.after if side == "after" else self.before
        out = {}
        # In the form's order: PostgreSQL's jsonb keeps its own key order.
        order = list(self.LABELS)
        for name, value in sorted(values.items(), key=lambda kv: order.index(kv[0])):
            if name == "tax_id":
                value = f"**-***{str(value)[-4:]}" if value else ""
            elif isinstance(value, list):
                labels = dict(Supplier.Certification.choices)
                value = ", ".join(str(labels.get(v, v)) for v in value) or "none"
            out[name] = str(value)
        return out

    LABELS = {"legal_name": "Legal name", "tax_id": "Tax ID", "certifications": "Certifications",
              "email": "Contact e-mail"}  # fmt: skip

    @property
    def described(self) -> str:
        return "; ".join(f"{self.LABELS.get(n, n)}: {v}" for n, v in self.shown().items())
