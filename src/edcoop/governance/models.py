"""Governance: the procurement rule table (compliance rules as data)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from edcoop.core.inputs import LONG, NOTE, long_text
from edcoop.members.models import Agency

from .compliance import FUNDING, KINDS, Method

RULE_SOURCE = 4_000  # a rule's citation and notes (the form said so first)

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class ComplianceRule(models.Model):
    """One threshold rule: jurisdiction, funding, kinds, amount range, dates, method, source.

    Rows without an agency are the shipped defaults (``governance.defaults``); an agency's
    row with the same ``key`` replaces the default for that agency (``active=False`` turns
    it off), and an agency may add rules of its own.
    """

    class MethodChoice(models.TextChoices):
        MICRO_PURCHASE = Method.MICRO_PURCHASE.code, Method.MICRO_PURCHASE.label
        QUOTES = Method.QUOTES.code, Method.QUOTES.label
        SEALED_BIDS = Method.SEALED_BIDS.code, Method.SEALED_BIDS.label

    class Funding(models.TextChoices):
        LOCAL = "local", "Any funds (state and local law, board policy)"
        FEDERAL = "federal", "Federal funds only (2 CFR 200)"

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="compliance_rules"
    )
    key = models.SlugField(max_length=60, help_text="Same key as a default: replaces it.")
    name = models.CharField(max_length=200)
    jurisdiction = models.CharField(
        max_length=2, help_text="A state's two-letter code, or US for federal rules."
    )
    funding = models.CharField(max_length=10, choices=Funding.choices)
    kinds = models.JSONField(default=list, blank=True, help_text="Empty: every kind.")
    method = models.CharField(max_length=20, choices=MethodChoice.choices)
    lower = models.DecimalField(**MONEY, null=True, blank=True,
                                validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    lower_inclusive = models.BooleanField(default=False)
    upper = models.DecimalField(**MONEY, null=True, blank=True,
                                validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    source = long_text(RULE_SOURCE)
    source_url = models.URLField(blank=True, max_length=300)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction", "funding", "key"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="compliance_rule_key"),
            models.UniqueConstraint(fields=["key"], condition=Q(agency__isnull=True),
                                    name="compliance_default_key"),
            models.CheckConstraint(
                condition=Q(lower__isnull=True) | Q(upper__isnull=True)
                | Q(lower__lte=models.F("upper")),
                name="compliance_range_ordered"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problems: dict[str, str] = {}
        bad = [k for k in self.kinds or [] if k not in KINDS]
        if bad:
            problems["kinds"] = f"Unknown kind(s): {', '.join(bad)}; use {', '.join(KINDS)}."
        if self.funding not in FUNDING:
            problems["funding"] = "Choose local or federal."
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            problems["upper"] = "The upper limit cannot be below the lower one."
        if self.effective_to is not None and self.effective_to < self.effective_from:
            problems["effective_to"] = "The rule cannot end before it starts."
        if self.jurisdiction and not (self.jurisdiction.isascii() and self.jurisdiction.isupper()
                                      and len(self.jurisdiction) == 2):  # fmt: skip
            problems["jurisdiction"] = "Two capital letters: a state's code, or US."
        if problems:
            raise ValidationError(problems)


class PiggybackAuthority(models.Model):
    """A state's authority for its members to buy under another government's contract
    (piggybacking; New York: GML §103(16)), with the period it is in force and its source.

    Rows without an agency are the shipped defaults (``governance.defaults``); an agency's
    row for the same jurisdiction replaces the default for that agency (when the Legislature
    extends the authority, the agency records the new end, or no end, and the law's source).
    The monitor flags a piggybacked purchase ordered outside the period.
    """

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    jurisdiction = models.CharField(max_length=2, help_text="A state's two-letter code.")
    name = models.CharField(max_length=200)
    effective_from = models.DateField(
        null=True, blank=True, help_text="First day in force; empty: not known (not checked)."
    )
    effective_to = models.DateField(
        null=True, blank=True, help_text="Last day in force (the sunset); empty: no end."
    )
    source = long_text(RULE_SOURCE)
    source_url = models.URLField(blank=True, max_length=300)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction"]
        verbose_name_plural = "piggybacking authorities"
        constraints = [
            models.UniqueConstraint(fields=["agency", "jurisdiction"], name="piggyback_once"),
            models.UniqueConstraint(fields=["jurisdiction"], condition=Q(agency__isnull=True),
                                    name="piggyback_default_once"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    def in_force(self, on: Any) -> bool:
        if self.effective_from is not None and on < self.effective_from:
            return False
        return self.effective_to is None or on <= self.effective_to

    def clean(self) -> None:
        problems: dict[str, str] = {}
        if (self.effective_from is not None and self.effective_to is not None
                and self.effective_to < self.effective_from):  # fmt: skip
            problems["effective_to"] = "The authority cannot end before it starts."
        if self.jurisdiction and not (self.jurisdiction.isascii() and self.jurisdiction.isupper()
                                      and self.jurisdiction.isalpha()
                                      and len(self.jurisdiction) == 2):  # fmt: skip
            problems["jurisdiction"] = "Two capital letters: a state's code."
        if not (self.source or "").strip():
            problems["source"] = "Cite the law (and the act that extended it, if it did)."
        if problems:
            raise ValidationError(problems)


class SavingsStudy(models.Model):
    """ "What if we share it?": districts' in-house cost of a service against its shared cost,
    before and after aid (engine: ``governance.savings``). Published studies are public and
    never change; a revision is a copy."""

    class Basis(models.TextChoices):
        RWADA = "rwada", "Share of RWADA"
        ENROLLMENT = "enrollment", "Share of enrollment"
        EQUAL = "equal", "Equal shares"
        CUSTOM = "custom", "Shares the agency sets"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="savings_studies")
    title = models.CharField(max_length=200)
    service_name = models.CharField(max_length=200, help_text="e.g. Central Business Office")
    description = long_text(LONG, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(
        help_text="The year whose RWADA, enrollment and aid ratios the study uses."
    )
    basis = models.CharField(max_length=20, choices=Basis.choices, default=Basis.RWADA)
    shared_cost = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal(0))],
                                      help_text="The shared service's annual cost.")  # fmt: skip
    aidable = models.BooleanField(default=True, help_text="The shared service earns BOCES aid.")
    sensitivity_pct = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(10))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fiscal_year", "title", "pk"]
        verbose_name_plural = "savings studies"

    def __str__(self) -> str:
        return self.title

    @property
    def published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class StudyDistrict(models.Model):
    """One district's in-house cost of the service, as the agency entered it."""

    study = models.ForeignKey(SavingsStudy, on_delete=models.CASCADE, related_name="districts")
    institution = models.ForeignKey("members.Institution", on_delete=models.PROTECT,
                                    related_name="+")  # fmt: skip
    fte = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0),
                              validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    salary = models.DecimalField(**MONEY, default=Decimal(0),
                                 validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    benefits_pct = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0),
                                       validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    software = models.DecimalField(**MONEY, default=Decimal(0),
                                   validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    audit_findings = models.DecimalField(**MONEY, default=Decimal(0),
                                         validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    other = models.DecimalField(**MONEY, default=Decimal(0),
                                validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    custom_share = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    # The member's figures the study was published with (its basis's weight and aid ratio),
    # so a published study never changes when a member's year is corrected; empty on drafts.
    published_weight = models.DecimalField(max_digits=16, decimal_places=4, null=True,
                                           blank=True, editable=False)  # fmt: skip
    published_aid_ratio = models.DecimalField(max_digits=5, decimal_places=4, null=True,
                                              blank=True, editable=False)  # fmt: skip

    class Meta:
        ordering = ["study", "institution__name"]
        constraints = [models.UniqueConstraint(fields=["study", "institution"],
                                               name="study_district_unique")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.institution} in {self.study}"

    @property
    def agency_id(self) -> int:
        return self.study.agency_id


def validate_ocid_prefix(value: str) -> None:
    import re

    if not re.fullmatch(r"ocds-[a-z0-9]{6}(-[a-z0-9]+)*", value, flags=re.ASCII):
        raise ValidationError(
            "An ocid prefix is 'ocds-' and six letters or digits (the one the OCDS Data "
            "Support Team registered for you), e.g. ocds-a1b2c3."
        )


class PublicationSettings(models.Model):
    """How an agency publishes its contracting data (OCDS): its registered ocid prefix, the
    licence and the publication policy the package points to."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="+")
    ocid_prefix = models.CharField(
        max_length=40, blank=True, validators=[validate_ocid_prefix],
        help_text="Registered with the OCDS Data Support Team.",
    )  # fmt: skip
    license_url = models.URLField(blank=True, max_length=300)
    publication_policy_url = models.URLField(blank=True, max_length=300)

    class Meta:
        verbose_name_plural = "publication settings"

    def __str__(self) -> str:
        return f"OCDS publication of {self.agency}"

    @property
    def prefix(self) -> str:
        """The registered prefix, or until one is set a stable stand-in for this agency."""
        return self.ocid_prefix or f"ocds-edcoop-{self.agency.slug}"


class PublicDocument(models.Model):
    """A document the agency posts for the public: its adopted budget, the independent
    auditor's annual report, a State Comptroller audit, board minutes. Posted documents are
    not edited; one posted by mistake is withdrawn from view with a reason (kept, audited)."""

    class Kind(models.TextChoices):
        ADOPTED_BUDGET = "adopted_budget", "Adopted budget"
        ANNUAL_AUDIT = "annual_audit", "Annual independent audit"
        COMPTROLLER_AUDIT = "comptroller_audit", "State Comptroller audit"
        BOARD_MINUTES = "board_minutes", "Board minutes"
        OTHER = "other", "Other public record"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="public_documents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True,
                                  related_name="+")  # fmt: skip
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = long_text(NOTE, blank=True)

    class Meta:
        ordering = ["kind", "-fiscal_year", "-posted_at", "pk"]

    def __str__(self) -> str:
        return self.title


class FlagReview(models.Model):
    """An agency's review of one compliance flag. The flag is found by ``flag_key`` (a hash
    of its evidence, ``monitor.Flag.key``): computed again with the same evidence it stays
    resolved; with changed evidence it is a new flag to review."""

    class Decision(models.TextChoices):
        EXPLAINED = "explained", "Explained (no breach)"
        CORRECTED = "corrected", "Corrected"
        REFERRED = "referred", "Referred (to the board, counsel or the auditor)"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="flag_reviews")
    flag_key = models.CharField(max_length=64)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    institution = models.ForeignKey(
        "members.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_on = models.DateField(null=True, blank=True)
    decision = models.CharField(max_length=12, choices=Decision.choices)
    note = long_text(NOTE)
    reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "flag_key"], name="flag_review_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.subject}"
