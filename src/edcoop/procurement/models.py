"""Cooperative solicitations: demand surveys, lots and line items, addenda, public Q&A,
suppliers' sealed responses and the opened bid tabulation.

A response's contents (prices, texts, attachments) are stored only as Fernet ciphertext
(``sealing.py``) until the public opening; only then are its prices written in clear to
``BidLine``. Nothing here decrypts: the one way in is ``sealing.unseal_for``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from edcoop.core.inputs import DOCUMENT, LONG, NOTE, STATEMENT, long_text
from edcoop.members.models import Agency, Institution, Supplier

AWARD_BASIS = 4_000  # what the board reads (the API said so first)

# Certifications a solicitation may require of every response.
ATTESTATIONS = {
    "non_collusion": "Non-collusive bidding certification (GML §103-d)",
    "debarment": "Debarment and suspension certification (2 CFR 180)",
    "insurance": "Certificate of insurance",
    "iran_divestment": "Iran divestment certification (GML §103-g)",
    "sexual_harassment": "Sexual harassment policy certification (NY State Finance Law §139-l)",
}


class Solicitation(models.Model):
    class Kind(models.TextChoices):
        IFB = "ifb", "Invitation for bids (sealed bid)"
        RFP = "rfp", "Request for proposals (best value)"
        RFQ = "rfq", "Request for quotes"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"
        OPENED = "opened", "Opened"
        UNDER_EVALUATION = "under_evaluation", "Under evaluation"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    class Eligibility(models.TextChoices):
        SERVICE_AREA = "service_area", "The agency's members (service area)"
        NATIONAL = "national", "Eligible institutions nationwide"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="solicitations")
    number = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IFB)
    category = models.CharField(max_length=100, blank=True)
    lead_agency = models.CharField(
        max_length=200, blank=True, help_text="The lead agent that receives and opens responses."
    )
    description = long_text(DOCUMENT, blank=True)
    eligibility = models.CharField(
        max_length=20, choices=Eligibility.choices, default=Eligibility.SERVICE_AREA
    )
    eligible_kinds = models.JSONField(default=list, blank=True)
    open_to_all_eligible = models.BooleanField(
        default=False,
        help_text="Every eligible member may use the contract, not only those that committed "
        "quantities in the demand survey (national cooperative practice).",
    )
    required_attestations = models.JSONField(default=list, blank=True)
    survey_deadline = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    questions_due_at = models.DateTimeField(null=True, blank=True)
    responses_due_at = models.DateTimeField(null=True, blank=True)
    opening_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    opened_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-responses_due_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="solicitation_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_sealed(self) -> bool:
        """Responses stay sealed until the opening has happened."""
        return self.opened_at is None


class StatusChange(models.Model):
    """Who moved a solicitation from one status to the next, and when."""

    solicitation = models.ForeignKey(
        Solicitation, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    by_label = models.CharField(max_length=200)
    note = long_text(NOTE, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class Lot(models.Model):
    class AwardBasis(models.TextChoices):
        PER_ITEM = "per_item", "Per item"
        PER_LOT = "per_lot", "Per lot"
        ALL_OR_NONE = "all_or_none", "All or none"

    solicitation = models.ForeignKey(Solicitation, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    award_basis = models.CharField(
        max_length=20, choices=AwardBasis.choices, default=AwardBasis.PER_ITEM
    )

    class Meta:
        ordering = ["solicitation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["solicitation", "number"], name="lot_number")
        ]

    def __str__(self) -> str:
        return f"Lot {self.number}: {self.title}"

    @property
    def needs_every_line(self) -> bool:
        return self.award_basis in {self.AwardBasis.PER_LOT, self.AwardBasis.ALL_OR_NONE}


class LineItem(models.Model):
    solicitation = models.ForeignKey(Solicitation, on_delete=models.CASCADE, related_name="items")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    number = models.CharField(max_length=20)
    description = models.CharField(max_length=300)
    unit = models.CharField(max_length=40)
    specifications = long_text(STATEMENT, blank=True)
    estimated_quantity = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip

    class Meta:
        ordering = ["lot__number", "number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["solicitation", "number"], name="line_item_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


class Criterion(models.Model):
    """An RFP's evaluation criterion and its weight (percent; the weights sum to 100)."""

    solicitation = models.ForeignKey(
        Solicitation, on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(max_length=200)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    is_price = models.BooleanField(
        default=False, help_text="Scored by formula (lowest price / this price x weight), "
        "not by the evaluators.",
    )  # fmt: skip

    class Meta:
        ordering = ["solicitation", "-weight", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight}%)"


class Document(models.Model):
    """A solicitation document (specifications, forms), public once published. After
    publication documents are frozen; new ones come only with an addendum."""

    solicitation = models.ForeignKey(
        Solicitation, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    added_at = models.DateTimeField()
    addendum = models.ForeignKey(
        "Addendum", on_delete=models.PROTECT, null=True, blank=True, related_name="documents",
        help_text="The addendum that issued this document after publication.",
    )  # fmt: skip

    class Meta:
        ordering = ["solicitation", "added_at", "pk"]

    def __str__(self) -> str:
        return self.title


class Addendum(models.Model):
    solicitation = models.ForeignKey(Solicitation, on_delete=models.CASCADE, related_name="addenda")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    body = long_text(DOCUMENT)
    issued_at = models.DateTimeField()
    new_responses_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["solicitation", "number"]
        verbose_name_plural = "addenda"
        constraints = [
            models.UniqueConstraint(fields=["solicitation", "number"], name="addendum_number")
        ]

    def __str__(self) -> str:
        return f"Addendum {self.number}: {self.title}"


class Question(models.Model):
    """A supplier asks privately; the agency publishes the answer to all, anonymised."""

    solicitation = models.ForeignKey(
        Solicitation, on_delete=models.CASCADE, related_name="questions"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="questions")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = long_text(STATEMENT)
    asked_at = models.DateTimeField()
    public_text = long_text(STATEMENT, blank=True,
                            help_text="The question as published (anonymised).")
    answer = long_text(LONG, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["solicitation", "asked_at", "pk"]

    def __str__(self) -> str:
        return f"Question on {self.solicitation.number}"


class DemandCommitment(models.Model):
    """A member's estimated annual quantity of one item (intent to participate)."""

    item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="commitments")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="demand_commitments"
    )
    quantity = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    committed_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["item", "institution"], name="commitment_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="commitment_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.institution}: {self.quantity} of {self.item.number}"


class Response(models.Model):
    """One sealed envelope: a draft, a submission (the latest counts), or a withdrawal."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SUPERSEDED = "superseded", "Replaced by a later submission"
        WITHDRAWN = "withdrawn", "Withdrawn"

    solicitation = models.ForeignKey(
        Solicitation, on_delete=models.PROTECT, related_name="responses"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=20, choices=Status.choices)
    is_current = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=100, blank=True)
    sealed = models.BinaryField(help_text="Fernet ciphertext of the response's content.")
    content_sha256 = models.CharField(
        max_length=64, help_text="The receipt hash (see receipt_version)."
    )
    receipt_version = models.PositiveSmallIntegerField(
        default=1,
        help_text="1: SHA-256 of the canonical content (receipts issued before secrets); "
        "2: HMAC-SHA256 of it keyed with the response's sealed secret.",
    )
    received_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Who the supplier was when it sent this envelope. Tabulations, receipts, OCDS and
    # exports show these, so that a later change of name never rewrites a published record.
    supplier_legal_name = models.CharField(max_length=200, blank=True)
    supplier_dba = models.CharField(max_length=200, blank=True)
    # Filled at the opening, never before:
    responsive = models.BooleanField(null=True)
    nonresponsive_reasons = models.JSONField(default=list, blank=True)
    opened_content = models.JSONField(null=True, blank=True)
    spend_discounts = models.JSONField(
        default=list, blank=True,
        help_text="From the opening: [{min_total, percent}] off the supplier's whole award "
        "once it reaches min_total (the highest step reached applies).",
    )  # fmt: skip

    class Meta:
        ordering = ["solicitation", "supplier__legal_name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["solicitation", "supplier"], condition=Q(is_current=True),
                name="response_one_current",
            ),
            models.UniqueConstraint(
                fields=["solicitation", "supplier"], condition=Q(status="draft"),
                name="response_one_draft",
            ),
            models.UniqueConstraint(
                fields=["supplier", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="response_idempotency_key",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.supplier_name} response to {self.solicitation.number} (v{self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and not self.supplier_legal_name:
            # From the row, not a possibly stale object in hand.
            self.supplier_legal_name, self.supplier_dba = Supplier.objects.values_list(
                "legal_name", "dba"
            ).get(pk=self.supplier_id)
        super().save(*args, **kwargs)

    @property
    def supplier_name(self) -> str:
        """The supplier's name as shown (its DBA, else its legal name) when it sent this."""
        return self.supplier_dba or self.supplier_legal_name or str(self.supplier)

    @property
    def never_opened(self) -> str:
        """Why this envelope is never opened, or "" for one the opening reads. Withdrawn and
        replaced responses are returned unopened, as sealed-bid practice has it."""
        return {
            self.Status.WITHDRAWN: "Withdrawn, not opened",
            self.Status.SUPERSEDED: "Replaced by a later submission, not opened",
            self.Status.DRAFT: "Draft, never submitted",
        }.get(self.status, "")  # type: ignore[call-overload]

    @property
    def agency_id(self) -> int:
        return self.solicitation.agency_id


class ResponseAttachment(models.Model):
    """A sealed file. Its name, type, size and SHA-256 are sealed too (``sealed_meta``, also
    listed in the response's sealed content): nothing about it is in clear before the
    opening but that it exists (and, from the ciphertext's length, roughly how big it is)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="attachments")
    sealed_meta = models.BinaryField(
        help_text="Fernet ciphertext of the file's name, content type, size and SHA-256."
    )
    sealed = models.BinaryField(help_text="Fernet ciphertext of the file.")

    class Meta:
        ordering = ["response", "pk"]

    def __str__(self) -> str:
        return f"Sealed attachment {self.pk} of response {self.response_id}"


class BidLine(models.Model):
    """A price from an opened response, in clear: written at the opening, never before."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="bid_lines")
    item = models.ForeignKey(LineItem, on_delete=models.PROTECT, related_name="bid_lines")
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    tiers = models.JSONField(default=list, blank=True)
    max_quantity = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True,
        help_text="The most of this item the supplier will supply; empty: no limit.",
    )  # fmt: skip

    class Meta:
        ordering = ["item", "unit_price", "pk"]
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="bid_line_unique")]

    def __str__(self) -> str:
        return f"{self.item.number} at {self.unit_price}"


# Evaluation and award (docs/evaluation.md) ---------------------------------------------------


class ProcurementSettings(models.Model):
    """An agency's evaluation and award facts."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE,
                                  related_name="procurement_settings")  # fmt: skip
    protest_days = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(90)],
        help_text="Stand-still days after the notice of award during which a respondent "
        "may protest through its portal.",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"Procurement settings of {self.agency}"


class Finding(models.Model):
    """Whether a response is responsive (meets the solicitation's requirements) or its
    supplier responsible (able and eligible to perform). The product proposes what its
    checks found; the officer confirms or overrides, with a reason. Until decided, the
    proposal counts, so an unconfirmed defect never lets a bid rank as the low bid."""

    class Kind(models.TextChoices):
        RESPONSIVE = "responsive", "Responsiveness"
        RESPONSIBLE = "responsible", "Responsibility"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    proposed = models.BooleanField(help_text="What the product's own checks found.")
    proposed_reasons = models.JSONField(default=list, blank=True)
    decided = models.BooleanField(null=True, blank=True)
    reason = long_text(NOTE, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["response", "kind"]
        constraints = [models.UniqueConstraint(fields=["response", "kind"], name="finding_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.response}"

    @property
    def agency_id(self) -> int:
        return self.response.solicitation.agency_id

    @property
    def value(self) -> bool:
        return self.proposed if self.decided is None else self.decided

    @property
    def overridden(self) -> bool:
        return self.decided is not None and self.decided != self.proposed

    @property
    def label(self) -> str:
        if self.kind == self.Kind.RESPONSIVE:
            return "responsive" if self.value else "non-responsive"
        return "responsible" if self.value else "not responsible"


class Evaluator(models.Model):
    """A member of an RFP's evaluation committee. Sees no response before signing the
    conflict-of-interest attestation, and no other evaluator's scores before submitting."""

    solicitation = models.ForeignKey(
        Solicitation, on_delete=models.CASCADE, related_name="evaluators"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="evaluations")  # fmt: skip
    added_at = models.DateTimeField()
    coi_attested_at = models.DateTimeField(null=True, blank=True)
    coi_statement = long_text(STATEMENT, blank=True)
    # "I have a conflict": the evaluator loses access to the responses and their scores stop
    # counting; the officer sees the description and replaces them.
    conflict_declared_at = models.DateTimeField(null=True, blank=True)
    conflict_description = long_text(STATEMENT, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["solicitation", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["solicitation", "user"], name="evaluator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.solicitation.number}"

    @property
    def agency_id(self) -> int:
        return self.solicitation.agency_id


class Score(models.Model):
    """One evaluator's score of one criterion of one response (0 to 10)."""

    evaluator = models.ForeignKey(Evaluator, on_delete=models.CASCADE, related_name="scores")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    score = models.DecimalField(
        max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))],
    )  # fmt: skip
    comment = long_text(STATEMENT, blank=True)

    class Meta:
        ordering = ["evaluator", "response", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["evaluator", "response", "criterion"],
                                    name="score_unique"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=10),
                                   name="score_range"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.score}"


class Award(models.Model):
    """An award decision on a solicitation: recommended by the officer with its basis,
    approved by the board's resolution, noticed to every respondent, then final once the
    stand-still period passes with no protest pending. A final award's lines are what
    contracts are made from (``evaluation.final_award_lines``)."""

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", "Recommended"
        APPROVED = "approved", "Approved by the board"
        NOTICED = "noticed", "Notice of award sent (stand-still)"
        FINAL = "final", "Final"
        CANCELLED = "cancelled", "Cancelled"

    class Method(models.TextChoices):
        LOWEST_PRICE = "lowest_price", "Lowest responsible bidder"
        OPTIMAL = "optimal", "Optimal award (volume pricing)"
        BEST_VALUE = "best_value", "Best value (committee scores)"

    solicitation = models.ForeignKey(Solicitation, on_delete=models.PROTECT,
                                     related_name="awards")  # fmt: skip
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.RECOMMENDED)  # fmt: skip
    basis = long_text(AWARD_BASIS,
                      help_text="The recommendation and its basis, as the board reads it.")
    multiple_award = models.BooleanField(default=False)
    total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    baseline_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    ties = models.JSONField(
        default=list, blank=True, help_text="Equal low bids and how the officer resolved each."
    )
    result = models.JSONField(default=dict, blank=True, help_text="The engine's result.")
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recommended_at = models.DateTimeField()
    board_resolution = models.CharField(max_length=100, blank=True)
    board_date = models.DateField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    noticed_at = models.DateTimeField(null=True, blank=True)
    standstill_ends_at = models.DateTimeField(null=True, blank=True)
    final_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = long_text(NOTE, blank=True)

    class Meta:
        ordering = ["solicitation", "-recommended_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["solicitation"], condition=~Q(status="cancelled"),
                                    name="award_one_live"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Award of {self.solicitation.number} ({self.get_status_display()})"

    @property
    def agency_id(self) -> int:
        return self.solicitation.agency_id

    @property
    def saving(self) -> Decimal | None:
        """What this award saves against the lowest-price award (negative: what a rule cost)."""
        if self.baseline_total is None or self.total is None:
            return None
        return self.baseline_total - self.total


class AwardLine(models.Model):
    """One item awarded to one supplier: primary, or secondary under a multiple award."""

    class Rank(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(LineItem, on_delete=models.PROTECT, related_name="award_lines")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="award_lines")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="award_lines")
    rank = models.CharField(max_length=10, choices=Rank.choices, default=Rank.PRIMARY)
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["award", "rank", "item__lot__number", "item__number", "pk"]

    def __str__(self) -> str:
        return f"{self.item.number} to {self.supplier_name} ({self.rank})"

    @property
    def supplier_name(self) -> str:
        """The name the supplier responded under (a later rename does not rewrite it)."""
        return self.response.supplier_name


class Protest(models.Model):
    """A respondent's protest of a noticed award, filed through its portal during the
    stand-still period, and the agency's decision on it."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", "Award upheld (protest denied)"
        CHANGED = "changed", "Award changed (protest sustained; a new recommendation follows)"
        CANCELLED = "cancelled", "Award cancelled"

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="protests")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="protests")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")  # fmt: skip
    filed_at = models.DateTimeField()
    grounds = long_text(DOCUMENT)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decision = long_text(LONG, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["award", "filed_at", "pk"]

    def __str__(self) -> str:
        return f"Protest by {self.supplier} of {self.award}"

    @property
    def agency_id(self) -> int:
        return self.award.solicitation.agency_id
