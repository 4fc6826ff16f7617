"""The contract portfolio, members' purchase orders under it, suppliers' quarterly sales
reports with the admin fee invoiced on them, and the year-end patronage distribution."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from edcoop.core.inputs import NOTE, STATEMENT, long_text
from edcoop.members.models import Agency, Institution, ServiceArea, Supplier


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (Feb 29 -> Feb 28)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = date(year, month0 + 1, 1)
    following = date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1)
    return first.replace(day=min(day.day, (following - first).days))


_PCT_RANGE = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class ContractSettings(models.Model):
    """One agency's facts for contracts and purchasing (defaults are the issue's)."""

    agency = models.OneToOneField(
        Agency, on_delete=models.CASCADE, related_name="contract_settings"
    )
    expiring_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MaxValueValidator(730)],
        help_text="A contract ending within this many days shows as expiring.",
    )
    report_due_days = models.PositiveSmallIntegerField(
        default=45,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days after a quarter ends that suppliers' sales reports are due.",
    )
    approval_threshold = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("5000.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Purchase orders above this total need the member's finance approval.",
    )
    patronage_cash_share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        default=Decimal("20"),
        validators=_PCT_RANGE,
        help_text="Percent of each member's patronage paid in cash; the rest is equity.",
    )
    patronage_minimum_check = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("25.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Cash shares under this amount are withheld (credited as equity).",
    )
    typed_saving_cap = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text="The most saving one order line may claim against a list price the buyer "
        "typed (a discount contract's catalogue item the agency has not recorded); 0 claims "
        "none. Record the item on the contract, or a benchmark price, to count it in full.",
    )

    class Meta:
        verbose_name_plural = "contract settings"

    def __str__(self) -> str:
        return f"Contract settings of {self.agency}"

    @classmethod
    def of(cls, agency: Agency) -> ContractSettings:
        found = cls.objects.filter(agency=agency).first()
        return found if found is not None else cls(agency=agency)


class Contract(models.Model):
    class Source(models.TextChoices):
        AWARD = "award", "Awarded through EdCoop"
        EXTERNAL = "external", "Awarded by another lead agency"

    class Scope(models.TextChoices):
        SERVICE_AREA = "service_area", "Members in the agency's service area"
        NATIONAL = "national", "Members anywhere (national)"

    class Pricing(models.TextChoices):
        ITEMS = "items", "Price list of items"
        DISCOUNT = "discount", "Discount off the supplier's catalogue by category"

    class Kind(models.TextChoices):
        # The procurement rules differ by kind (GML §103: $20,000 for purchases, $35,000 for
        # public works; piggybacking is barred for public works in NY).
        COMMODITY = "commodity", "Commodities (goods)"
        PUBLIC_WORK = "public_work", "Public work"
        SERVICE = "service", "Services"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="contracts")
    category = models.CharField(max_length=100)
    description = long_text(STATEMENT, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.COMMODITY)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EXTERNAL)
    solicitation = models.ForeignKey(
        "procurement.Solicitation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    lead_agency = models.CharField(max_length=200, blank=True)
    solicitation_reference = models.CharField(max_length=100, blank=True)
    solicitation_method = models.CharField(
        max_length=100, blank=True, help_text="e.g. IFB (sealed bid), RFP (best value)."
    )
    solicited_on = models.DateField(null=True, blank=True)
    awarded_on = models.DateField(null=True, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="End of the initial term.")
    renewal_options = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(10)]
    )
    renewal_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    terminated_on = models.DateField(null=True, blank=True)
    termination_reason = models.CharField(max_length=300, blank=True)
    pricing = models.CharField(max_length=10, choices=Pricing.choices, default=Pricing.ITEMS)
    admin_fee_pct = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal(0), validators=_PCT_RANGE
    )
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.SERVICE_AREA)
    eligible_kinds = models.JSONField(default=list, blank=True)
    service_areas = models.ManyToManyField(ServiceArea, blank=True, related_name="contracts")
    participants_only = models.BooleanField(
        default=False,
        help_text="A GML §119-o cooperative bid: only the members that took part may use it.",
    )
    participants = models.ManyToManyField(
        Institution, blank=True, related_name="participating_contracts"
    )
    requires_adoption = models.BooleanField(
        default=False, help_text="Members adopt (join) the contract before buying under it."
    )
    federal_terms = models.BooleanField(
        default=False, help_text="The agreement carries the 2 CFR 200 Appendix II clauses."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="contract_number"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="contract_term_order"
            ),
            models.CheckConstraint(
                condition=Q(admin_fee_pct__gte=0, admin_fee_pct__lte=100),
                name="contract_admin_fee_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def current_end(self) -> date:
        """The term's end with every exercised renewal."""
        exercised = self.renewals.count() if self.pk else 0
        return add_months(self.ends_on, self.renewal_months * exercised)

    def status_on(self, day: date, expiring_days: int = 90) -> str:
        return status_for(self.starts_on, self.current_end(), self.terminated_on, day,
                          expiring_days)  # fmt: skip


def status_for(starts_on: date, end: date, terminated_on: date | None, day: date,
               expiring_days: int = 90) -> str:  # fmt: skip
    """A contract's status on ``day`` from its dates (``end``: the term with renewals)."""
    if terminated_on is not None and terminated_on <= day:
        return "terminated"
    if day < starts_on:
        return "upcoming"
    if day > end:
        return "expired"
    if (end - day).days <= expiring_days:
        return "expiring"
    return "active"


STATUS_LABELS = {
    "active": "Active",
    "expiring": "Expiring",
    "expired": "Expired",
    "terminated": "Terminated",
    "upcoming": "Not yet in force",
}


class Renewal(models.Model):
    """One renewal option exercised, with its date; each extends the term by renewal_months."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="renewals")
    number = models.PositiveSmallIntegerField()
    exercised_on = models.DateField()

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="renewal_number")
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} renewal {self.number}"


class ContractItem(models.Model):
    """A line of the contract's price list: the contract price and optional volume tiers."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=60)
    description = models.CharField(max_length=300)
    unit = models.CharField(max_length=40)
    category = models.CharField(max_length=100, blank=True)
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    list_price = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="The supplier's published list price (a savings baseline).",
    )
    solicitation_item = models.ForeignKey(
        "procurement.LineItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_items",
    )
    awarded_price = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        editable=False,
        help_text="The unit price the item was awarded at (an item made from an EdCoop award): "
        "the ceiling of every price-list version, which never changes it.",
    )
    # What keyword search reads: description, SKU, category and the supplier's name.
    search_document = models.TextField(blank=True, editable=False)
    withdrawn_on = models.DateField(
        null=True,
        blank=True,
        help_text="Not on the price list in force since this day (a new version left it "
        "out): kept for the orders, sales reports, award and savings that name it, hidden "
        "from the catalogue and new orders.",
    )

    class Meta:
        ordering = ["contract", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sku"], name="contract_item_sku"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="contract_item_price"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.description}"


# The items members see and order: those on the price list in force (not withdrawn).
IN_FORCE = Q(withdrawn_on__isnull=True)


class Tier(models.Model):
    """From ``min_quantity`` units on one order, the unit price is ``unit_price``."""

    item = models.ForeignKey(ContractItem, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["item", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["item", "min_quantity"], name="tier_unique_min")
        ]

    def __str__(self) -> str:
        return f"{self.item.sku} from {self.min_quantity}"


class PriceListVersion(models.Model):
    """An uploaded price list: pending until the agency approves it (or rejects it with a
    reason); approved versions take effect on ``effective_on`` and never change. The items in
    force (``ContractItem``) are the latest approved version whose date has come."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file_name = models.CharField(max_length=200, blank=True)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the uploaded file.")
    row_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = long_text(NOTE, blank=True, help_text="Why it was rejected.")
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When its items became the contract's items."
    )

    class Meta:
        ordering = ["contract", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="price_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} price list v{self.number}"


class PriceListRow(models.Model):
    """One item of a version, as uploaded (checked); tiers as ``100:3.90;500:3.75``."""

    version = models.ForeignKey(PriceListVersion, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    sku = models.CharField(max_length=60)
    description = models.CharField(max_length=300)
    unit = models.CharField(max_length=40)
    category = models.CharField(max_length=100, blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    list_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    tiers = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["version", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["version", "sku"], name="price_row_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.sku}"


class PriceListUpload(models.Model):
    """A price-list file too large to check while the uploader waits, kept until its
    background job has read it (then emptied: the version keeps the rows and the file's
    SHA-256). ``effective_on`` None: the agency's own import, in force the day it came."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="uploads")
    file_name = models.CharField(max_length=200, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField(default=0)
    uploaded_on = models.DateField(help_text="The day it came: the effective date is checked "
                                   "against it.")  # fmt: skip
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.ForeignKey(
        PriceListVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.contract.number} upload {self.file_name}"


class CategoryDiscount(models.Model):
    """A percentage off the supplier's catalogue price for one category."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="discounts")
    category = models.CharField(max_length=100)
    discount_pct = models.DecimalField(max_digits=7, decimal_places=4, validators=_PCT_RANGE)

    class Meta:
        ordering = ["contract", "category"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "category"], name="discount_category")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.discount_pct}% off"


class ContractDocument(models.Model):
    class Kind(models.TextChoices):
        SOLICITATION = "solicitation", "Solicitation"
        TABULATION = "tabulation", "Bid tabulation"
        AWARD = "award", "Award"
        AGREEMENT = "agreement", "Signed agreement"
        OTHER = "other", "Other"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["contract", "kind", "added_at"]

    def __str__(self) -> str:
        return self.title


class Adoption(models.Model):
    """A member joined a contract that requires it (board resolution, rider)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="adoptions")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="adoptions")
    adopted_on = models.DateField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "institution"], name="adoption_unique")
        ]

    def __str__(self) -> str:
        return f"{self.institution} adopted {self.contract.number}"


class BaselinePrice(models.Model):
    """What a purchase would have cost without the contract: the member's last price paid
    outside it (``institution`` set) or a benchmark price the agency records."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="baseline_prices")
    item = models.ForeignKey(ContractItem, on_delete=models.CASCADE, related_name="baselines")
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="baseline_prices"
    )
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    observed_on = models.DateField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["item", "-observed_on"]

    def __str__(self) -> str:
        return f"{self.item.sku} at {self.unit_price}"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SENT = "sent", "Sent to supplier"
        RECEIVED = "received", "Received"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class Funding(models.TextChoices):
        # Federal funds add 2 CFR 200's thresholds to the state's (governance.compliance).
        LOCAL = "local", "Local (state and local funds)"
        FEDERAL = "federal", "Federal award"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="purchase_orders")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="purchase_orders")
    number = models.CharField(max_length=30)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    ordered_on = models.DateField()
    funding = models.CharField(max_length=10, choices=Funding.choices, default=Funding.LOCAL)
    kind = models.CharField(
        max_length=12,
        choices=Contract.Kind.choices,
        default=Contract.Kind.COMMODITY,
        help_text="What is bought; the contract's kind unless the buyer says otherwise.",
    )
    notes = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    request_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="The form's or API caller's key: the same order sent twice is made once.",
    )
    letterhead = models.ForeignKey(
        "members.LetterheadVersion", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="The agency's letterhead as approved (none: a draft).",
    )  # fmt: skip
    # Copied when the order is approved (issued), like an invoice's bill-to: an approved order
    # prints the member, the supplier and the contract as they stood then, so renaming or
    # moving any of them later never rewrites an order already sent (empty: a draft, which
    # prints their current facts; see ``orders.printed``).
    bill_to = models.TextField(
        blank=True, help_text="The member that ordered, as approved: name over its address."
    )
    vendor = models.TextField(
        blank=True, help_text="The supplier, as approved: legal name, d/b/a, e-mail, phone."
    )
    contract_text = models.TextField(
        blank=True, help_text="The contract, as approved: number, title, lead agency."
    )

    class Meta:
        ordering = ["-ordered_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="purchase_order_number"),
            models.UniqueConstraint(
                fields=["institution", "request_key"],
                condition=~Q(request_key=""),
                name="purchase_order_request_key",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="purchase_order_total"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Approved is issued: what the order was issued with never changes (its status and
        # delivery stamps move on). The database refuses the same (contracts.guards).
        if self.pk:
            stored = (PurchaseOrder.objects.filter(pk=self.pk).exclude(status=self.Status.DRAFT)
                      .values(*ISSUED_ORDER_FIELDS).first())  # fmt: skip
            changed = [f for f in ISSUED_ORDER_FIELDS
                       if stored is not None and stored[f] != getattr(self, f)]  # fmt: skip
            if stored is not None and changed:
                raise ValidationError(
                    f"Purchase order {stored['number']} was approved: it keeps what it was "
                    f"issued with ({', '.join(changed)}); cancel it and issue a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        # An issued order is never removed: cancelling it is the change that exists (the
        # database refuses the DELETE too, for QuerySet.delete and raw SQL).
        issued_order_refuses(self.pk, "be deleted; cancel it instead")
        return super().delete(*args, **kwargs)


# What an approved order was issued with: to whom and under what (agency, member, contract,
# funding, kind), its number, date, total and every printed copy. Its status, stamps, notes
# (a cancellation's reason) and who made or approved it are not: those move on.
ISSUED_ORDER_FIELDS = ("agency_id", "institution_id", "contract_id", "funding", "kind",
                       "number", "ordered_on", "total", "bill_to", "vendor", "contract_text",
                       "letterhead_id")  # fmt: skip


def issued_order_refuses(order_id: int | None, what: str) -> None:
    """Refuse, naming the order, when the order ``order_id`` is past draft (issued)."""
    if order_id is None:
        return
    row = (PurchaseOrder.objects.filter(pk=order_id).exclude(status=PurchaseOrder.Status.DRAFT)
           .values("number", "status").first())  # fmt: skip
    if row:
        raise ValidationError(f"Purchase order {row['number']} is {row['status']}: an issued "
                              f"order cannot {what}.")  # fmt: skip


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(
        ContractItem, on_delete=models.PROTECT, null=True, blank=True, related_name="order_lines"
    )
    # A catalogue-discount line names its category and the supplier's list price instead.
    description = models.CharField(max_length=300)
    category = models.CharField(max_length=100, blank=True)
    list_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    quantity = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    tier_min = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The tier the quantity earned (none: base price).",
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    baseline_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    baseline_method = models.CharField(max_length=30, blank=True)
    # A typed (unverified) list price claims at most this much saving on the line.
    saving_cap = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    received_quantity = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal(0))

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="po_line_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.description}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The lines are what an approved order was issued with: none added, none changed
        # once it is past draft; only the goods received are recorded on them. The database
        # refuses the same (contracts.guards).
        if self.pk is None or kwargs.get("force_insert"):
            issued_order_refuses(self.order_id, "gain lines")
        else:
            stored = (PurchaseOrderLine.objects.filter(pk=self.pk)
                      .values(*FROZEN_LINE_FIELDS).first())  # fmt: skip
            if stored is not None:
                changed = [f for f in FROZEN_LINE_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    issued_order_refuses(stored["order_id"],
                                         f"have its lines changed ({', '.join(changed)})")
                if stored["order_id"] != self.order_id:
                    issued_order_refuses(self.order_id, "gain lines")
            else:
                issued_order_refuses(self.order_id, "gain lines")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        issued_order_refuses(self.order_id, "lose lines")
        return super().delete(*args, **kwargs)

    def saving(self) -> Decimal | None:
        """Against the line's baseline (capped for a typed list price); None: no baseline."""
        from . import savings

        return savings.line_saving(savings.Line(
            "", "", 0, self.baseline_method, self.quantity, self.unit_price,
            self.baseline_price, self.saving_cap))  # fmt: skip


# What an approved order's line was issued with: every column but the goods received
# (``orders.order_receive`` records those on a sent or received order).
FROZEN_LINE_FIELDS = ("id", "order_id", "item_id", "description", "category", "list_price",
                      "quantity", "unit_price", "tier_min", "amount", "baseline_price",
                      "baseline_method", "saving_cap")  # fmt: skip
LINE_FIELDS_THAT_MOVE = ("received_quantity",)


class SalesReport(models.Model):
    """A supplier's report of its sales under one contract in one calendar quarter."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sales_reports")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="sales_reports")
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total_sales = models.DecimalField(max_digits=14, decimal_places=2)
    line_count = models.PositiveIntegerField(default=0)
    # An amendment is a new version correcting the one it names; the old one never changes.
    version = models.PositiveSmallIntegerField(default=1)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was amended.")

    class Meta:
        ordering = ["-year", "-quarter", "contract", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "year", "quarter", "version"], name="sales_report_version"
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.contract.number} {self.year} Q{self.quarter}"
        return label if self.version == 1 else f"{label} (amended, v{self.version})"

    @property
    def period_end(self) -> date:
        return quarter_end(self.year, self.quarter)


def quarter_end(year: int, quarter: int) -> date:
    return add_months(date(year, 3 * quarter, 1), 1) - timedelta(days=1)


class SalesReportLine(models.Model):
    report = models.ForeignKey(SalesReport, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField()
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        ContractItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sku = models.CharField(max_length=60)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    invoice_date = models.DateField()

    class Meta:
        ordering = ["report", "line"]

    def __str__(self) -> str:
        return f"{self.report} line {self.line}"


class AdminFeeInvoice(models.Model):
    """Issued to the supplier on a filed sales report; immutable once issued."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="admin_fee_invoices")
    report = models.OneToOneField(SalesReport, on_delete=models.PROTECT, related_name="fee_invoice")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="fee_invoices")
    number = models.CharField(max_length=30)
    sales = models.DecimalField(max_digits=14, decimal_places=2)
    fee_pct = models.DecimalField(max_digits=7, decimal_places=4)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    issued_on = models.DateField()
    due_on = models.DateField()
    paid_on = models.DateField(null=True, blank=True)
    letterhead = models.ForeignKey(
        "members.LetterheadVersion", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="The agency's letterhead as issued.",
    )  # fmt: skip
    # Copied from the supplier when issued (its legal name over its e-mail): a sent invoice
    # never changes when the supplier is renamed or changes its e-mail later.
    bill_to = models.TextField(blank=True, help_text="Who the invoice was issued to, as issued.")

    class Meta:
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="admin_fee_invoice_number"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def bill_to_lines(self) -> list[str]:
        """The bill-to as issued (the supplier's current one only for a row that has none)."""
        text = self.bill_to or supplier_bill_to(self.supplier)
        return [line.strip() for line in text.splitlines() if line.strip()]


def supplier_bill_to(supplier: Supplier) -> str:
    """What an admin fee invoice bills: the supplier's legal name over its e-mail."""
    return "\n".join(p for p in (supplier.legal_name, supplier.email) if p)


class AdminFeePayment(models.Model):
    """A supplier's payment of (part of) an admin fee invoice."""

    invoice = models.ForeignKey(AdminFeeInvoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    received_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    request_key = models.CharField(
        max_length=100,
        blank=True,
        help_text="The form's one-time key or the API caller's idempotency key: the same "
        "payment sent twice is recorded once.",
    )
    # Not stored: True on the payment a repeated request (its request_key) gets back.
    repeated = False

    class Meta:
        ordering = ["invoice", "received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="admin_fee_payment_amount"),
            models.UniqueConstraint(
                fields=["invoice", "reference"], condition=~Q(reference=""),
                name="admin_fee_payment_reference",
            ),
            models.UniqueConstraint(
                fields=["invoice", "request_key"], condition=~Q(request_key=""),
                name="admin_fee_payment_request_key",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.invoice.number} payment {self.amount}"


class PatronageYear(models.Model):
    """The year-end decision: net income, the share distributed, and the split rules used."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="patronage_years")
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    net_income = models.DecimalField(max_digits=14, decimal_places=2)
    distributable = models.DecimalField(max_digits=14, decimal_places=2)
    cash_share_pct = models.DecimalField(max_digits=7, decimal_places=4)
    minimum_check = models.DecimalField(max_digits=14, decimal_places=2)
    decided_at = models.DateTimeField()
    # What each member's share was in proportion to, in words, as decided (patronage.py).
    basis = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["agency", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "fiscal_year"], name="patronage_year"),
        ]

    def __str__(self) -> str:
        return f"Patronage FY{self.fiscal_year}"


class PatronageAllocation(models.Model):
    year = models.ForeignKey(PatronageYear, on_delete=models.CASCADE, related_name="allocations")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="patronage")
    purchases = models.DecimalField(max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    cash = models.DecimalField(max_digits=14, decimal_places=2)
    equity = models.DecimalField(max_digits=14, decimal_places=2)
    cash_withheld = models.BooleanField(default=False)

    class Meta:
        ordering = ["year", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "institution"], name="patronage_member"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} FY{self.year.fiscal_year}"
