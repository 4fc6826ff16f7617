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


class MoneySum(models.Sum):
    """A sum of amounts, read back to the cent: SQLite adds decimal columns as floats and
    returns the sum unrounded (e.g. 142066.020000000)."""

    def __init__(self, expression: str, **extra: Any) -> None:
        super().__init__(
            expression, output_field=models.DecimalField(max_digits=20, decimal_places=2), **extra
        )

    def convert_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else Decimal(value).quantize(Decimal("0.01"))


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
    inputs = models.JSONField(
        default=dict, blank=True,
        help_text="What the draft was computed from (usage, subscriptions, terms, members), "
        "so that posting can refuse a draft whose inputs changed since.",
    )  # fmt: skip

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
    # Copied from the agency and the member when issued: a sent invoice never changes when
    # an address, a PO or the terms change later.
    bill_to = models.TextField(blank=True)
    account_number = models.CharField(max_length=30, blank=True)
    purchase_order = models.CharField(max_length=40, blank=True)
    terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    remit_to = models.TextField(blank=True)
    payment_instructions = models.TextField(blank=True)
    letterhead = models.ForeignKey(
        "members.LetterheadVersion", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="The agency's letterhead as issued (none: a draft).",
    )  # fmt: skip

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
        TRUE_UP = "true_up", "Year-end true-up to actual use"
        DEFICIT = "deficit", "Deficit assessment"

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
    """A numbered correction: a credit memo reduces what a member owes, a debit memo adds to
    it. Manual memos correct lines of one issued invoice; the year-end true-up issues credit
    memos for refunds (surplus, over-billed use), applied to open invoices or carried to the
    next year as the member chose."""

    class Kind(models.TextChoices):
        CREDIT = "credit", "Credit memo"
        DEBIT = "debit", "Debit memo"

    class Source(models.TextChoices):
        MANUAL = "manual", "Correction"
        TRUE_UP = "true_up", "Year-end true-up"

    class Disposition(models.TextChoices):
        APPLY = "apply", "Apply to open invoices"
        CARRY = "carry", "Carry to next year's invoices"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="credit_memos")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CREDIT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    disposition = models.CharField(max_length=10, choices=Disposition.choices,
                                   default=Disposition.APPLY)  # fmt: skip
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_memos",
                                null=True, blank=True)  # fmt: skip
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, null=True, blank=True,
                            related_name="memos")  # fmt: skip
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
            models.UniqueConstraint(fields=["agency", "kind", "fiscal_year", "number"],
                                    name="credit_memo_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_memo_positive"),
            models.CheckConstraint(condition=Q(kind="credit") | Q(invoice__isnull=False),
                                   name="debit_memo_has_invoice"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("An issued memo cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable("An issued memo cannot be deleted; issue another memo.")

    @property
    def display_number(self) -> str:
        prefix = "CM" if self.kind == self.Kind.CREDIT else "DM"
        return f"{prefix}{self.fiscal_year}-{self.number:05d}"

    @property
    def signed_amount(self) -> Decimal:
        """What the memo does to the member's balance: credits negative, debits positive."""
        return -self.amount if self.kind == self.Kind.CREDIT else self.amount


class CreditMemoLine(models.Model):
    """One service's part of a memo; manual memos name the invoice line they correct."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        TRUE_UP = "true_up", "Year-end true-up to actual use"
        REFUND = "refund", "Surplus refund"

    memo = models.ForeignKey(CreditMemo, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="memo_lines")  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        ordering = ["memo", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="memo_line_positive"),
        ]

    def __str__(self) -> str:
        return self.description

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("Lines of an issued memo cannot be changed.")
        super().save(*args, **kwargs)


class Payment(models.Model):
    """Money received from a member. Never edited: a mistake is reversed (``PaymentReversal``)
    and recorded again; where it went is in ``CreditApplication`` rows."""

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
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.reference or self.pk} from {self.institution}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("A recorded payment cannot be changed; reverse it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable("A recorded payment cannot be deleted; reverse it instead.")


class PaymentChoice(models.Model):
    """An invoice the payer named for a payment, in the order named (a check for invoices 1,
    3 and 5): the payment goes to these first, then to the oldest open invoices. Only ever
    added, with the payment."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="choices")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["payment", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="payment_choice_once"),
            models.UniqueConstraint(fields=["payment", "rank"], name="payment_choice_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.payment} for {self.invoice}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("The invoices a payment was for cannot be changed.")
        super().save(*args, **kwargs)


class PaymentReversal(models.Model):
    """A payment undone (returned check, wrong member): its applications no longer count."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reversed_on = models.DateField()
    reason = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")  # fmt: skip

    def __str__(self) -> str:
        return f"Reversal of {self.payment}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("A reversal cannot be changed.")
        super().save(*args, **kwargs)


class CreditApplication(models.Model):
    """Part of a payment or a credit memo applied to an invoice. Rows are only added; those
    of a reversed payment stop counting."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="applications")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="applications")  # fmt: skip
    memo = models.ForeignKey(CreditMemo, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="applications")  # fmt: skip
    amount = models.DecimalField(**MONEY)
    applied_on = models.DateField()

    class Meta:
        ordering = ["applied_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_positive"),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(memo__isnull=True))
                | (Q(payment__isnull=True) & Q(memo__isnull=False)),
                name="application_one_source",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["institution", "invoice"], name="application_member")]

    def __str__(self) -> str:
        return f"{self.amount} to {self.invoice}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise Immutable("An application cannot be changed.")
        super().save(*args, **kwargs)


class RefundChoice(models.Model):
    """What a member wants done with its year-end refunds."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    disposition = models.CharField(max_length=10, choices=CreditMemo.Disposition.choices)
    chosen_at = models.DateTimeField()
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "fiscal_year"],
                                    name="refund_choice_unique"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.institution} FY{self.fiscal_year}: {self.disposition}"


class YearClose(models.Model):
    """A fiscal year closed by its true-up; reopened only by the agency administrator."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    closed = models.BooleanField(default=True)
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")  # fmt: skip
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")  # fmt: skip
    reopen_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "fiscal_year"], name="year_close_unique"),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {'closed' if self.closed else 'reopened'}"


class AidRatio(models.Model):
    """A member's BOCES aid ratio for one aid year (the year the aid is paid: purchases of
    FY2026 are aided in FY2027), with the data years the State computed it from."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    aid_year = models.PositiveSmallIntegerField(help_text="The fiscal year the aid is paid in.")
    ratio = models.DecimalField(
        max_digits=5, decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )  # fmt: skip
    data_years = models.CharField(
        max_length=100, help_text="The wealth and attendance data it comes from, e.g. "
        "\"2023 full value / 2023-24 RWADA\".",
    )  # fmt: skip
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["aid_year", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "aid_year"], name="aid_ratio_unique"),
            models.CheckConstraint(condition=Q(ratio__gte=0, ratio__lte=1),
                                   name="aid_ratio_range"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.institution} aid year {self.aid_year}: {self.ratio}"


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
    unconfirmed = models.TextField(
        blank=True,
        help_text="What of this rule is not confirmed against its source; pages and exports "
        "mark figures that depend on it as estimates.",
    )  # fmt: skip
    administrative_estimate = models.BooleanField(
        default=True, help_text="Administrative aid's formula is an estimate to confirm."
    )
    facilities_estimate = models.BooleanField(
        default=True, help_text="Facilities (rent and capital) aid's formula is an estimate."
    )

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
