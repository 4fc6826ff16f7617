"""Billing runs, invoices, credit memos, payments and the aid rule table.

Issued documents never change: an issued invoice (and its lines) and a posted run refuse
``save()``/``delete()`` here, and the database refuses UPDATE on them too (triggers in
``billing.guards``). Corrections are new documents: credit memos point at the invoice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from edcoop.members.models import Agency, Institution
from edcoop.services.models import MONEY, QUANTITY, RATE, Service


class Immutable(ValidationError):
    pass


class BillingRun(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        POSTED = "posted", "Posted"

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly billing"
        TRUE_UP = "true_up", "Year-end true-up"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="billing_runs")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MONTHLY)
    period = models.DateField(help_text="The month billed, as its first day.")
    fiscal_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")  # fmt: skip
    total = models.DecimalField(**MONEY, default=Decimal(0))
    invoice_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    usage_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "kind", "period"], name="billing_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%B %Y}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and BillingRun.objects.filter(pk=self.pk, status=self.Status.POSTED).exists():
            raise Immutable("A posted billing run cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if BillingRun.objects.filter(pk=self.pk, status=self.Status.POSTED).exists():
            raise Immutable("A posted billing run cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def posted(self) -> bool:
        return self.status == self.Status.POSTED


class DocumentCounter(models.Model):
    """The last number used in a gapless series (invoices or credit memos, per fiscal year)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=10)
    fiscal_year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "series", "fiscal_year"], name="document_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} FY{self.fiscal_year}: {self.last}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="invoices")
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="invoices")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="invoices")  # fmt: skip
    period = models.DateField()
    fiscal_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    number = models.PositiveIntegerField(null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    total = models.DecimalField(**MONEY, default=Decimal(0))

    class Meta:
        ordering = ["-period", "number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "fiscal_year", "number"],
                                    condition=Q(number__isnull=False),
                                    name="invoice_unique_number"),
            models.UniqueConstraint(fields=["run", "institution"], name="invoice_one_per_member"),
            models.CheckConstraint(condition=Q(status="draft") | Q(number__isnull=False),
                                   name="invoice_issued_has_number"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["agency", "institution", "period"],
                                name="invoice_member_period")]  # fmt: skip

    def __str__(self) -> str:
        return f"Invoice {self.display_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and Invoice.objects.filter(pk=self.pk, status=self.Status.ISSUED).exists():
            raise Immutable("An issued invoice cannot be changed; issue a credit memo.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if Invoice.objects.filter(pk=self.pk, status=self.Status.ISSUED).exists():
            raise Immutable("An issued invoice cannot be deleted; issue a credit memo.")
        return super().delete(*args, **kwargs)

    @property
    def display_number(self) -> str:
        if self.number is None:
            return "(draft)"
        return f"{self.fiscal_year}-{self.number:05d}"

    @property
    def issued(self) -> bool:
        return self.status == self.Status.ISSUED


class InvoiceLine(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", "Service"
        ADMIN_FEE = "admin_fee", "Administrative fee"
        TRUE_UP = "true_up", "Year-end true-up"
        REFUND = "refund", "Surplus refund"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SERVICE)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(**QUANTITY, default=Decimal(0))
    basis = models.CharField(max_length=100, blank=True)
    share = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    rate = models.DecimalField(**RATE, null=True, blank=True)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "pk"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args: Any, **kwargs: Any) -> None:
        if Invoice.objects.filter(pk=self.invoice_id, status=Invoice.Status.ISSUED).exists():
            raise Immutable("Lines of an issued invoice cannot be changed.")
        super().save(*args, **kwargs)


class CreditMemo(models.Model):
    """A correction of an issued invoice: reduces what the member owes on it."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="credit_memos")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_memos")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    issued_on = models.DateField()
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip

    class Meta:
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "fiscal_year", "number"],
                                    name="credit_memo_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_memo_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Credit memo {self.display_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("An issued credit memo cannot be changed.")
        super().save(*args, **kwargs)

    @property
    def display_number(self) -> str:
        return f"CM{self.fiscal_year}-{self.number:05d}"


class Payment(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="payments")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="payments")  # fmt: skip
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="payments",
                                help_text="Blank: pays the oldest open invoices.")  # fmt: skip
    received_on = models.DateField()
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    reference = models.CharField(max_length=100, blank=True, help_text="Check or ACH number.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")  # fmt: skip

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.reference or self.pk} from {self.institution}"


class AidRule(models.Model):
    """BOCES aid terms in force from a date, per jurisdiction (rules are data, not code)."""

    jurisdiction = models.CharField(max_length=10, default="NY")
    effective_from = models.DateField()
    salary_cap = models.DecimalField(
        **MONEY, help_text="Salary per employee above which BOCES cost is not aidable."
    )
    aid_ratio_floor = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"),
                                          validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    aid_ratio_ceiling = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("1"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )  # fmt: skip
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["jurisdiction", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "effective_from"], name="aid_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} aid rule from {self.effective_from}"

    @classmethod
    def in_force(cls, jurisdiction: str, on: date) -> AidRule | None:
        return (
            cls.objects.filter(jurisdiction=jurisdiction, effective_from__lte=on)
            .order_by("-effective_from")
            .first()
        )
