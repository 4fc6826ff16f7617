"""The agency's service catalog, fiscal-year requests, subscriptions and monthly usage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from edcoop.core.inputs import STATEMENT, long_text
from edcoop.members.models import Agency, Institution

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
RATE: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}
QUANTITY: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}


class CoSerGroup(models.TextChoices):
    """NYSED "BOCES Major CoSer Groups"."""

    ADMINISTRATION = "001", "001 Administration"
    CAPITAL = "002", "002 Capital"
    CAREER = "100", "100 Career Education"
    SPECIAL_ED = "200", "200 Special Education"
    ITINERANT = "300", "300 Itinerant Services"
    SUMMER = "400A", "400A Summer School"
    OTHER_INSTRUCTION = "400B", "400B Other General Instruction"
    TECHNOLOGY = "500A", "500A Technology"
    STAFF_DEVELOPMENT = "500B", "500B Staff Development"
    INSTRUCTIONAL_SUPPORT = "500C", "500C Other Instructional Support"
    OTHER = "600", "600 Other Services"


class ChargeMethod(models.TextChoices):
    RATE = "rate", "Quantity x unit rate"
    POOL_BY_USAGE = "pool_by_usage", "Cost pool split by usage"
    POOL_BY_SHARE = "pool_by_share", "Cost pool split by a yearly basis figure"
    FLAT = "flat", "Flat charge per participating member"
    COMMITTED_SEATS = "committed_seats", "Committed seats, trued up to use"


class ShareBasis(models.TextChoices):
    RWADA = "rwada", "RWADA"
    ENROLLMENT = "enrollment", "Enrollment"
    FULL_VALUE = "full_value", "Full value of taxable property"
    EQUAL = "equal", "Equal shares"


class DeficitPolicy(models.TextChoices):
    ASSESS = "assess", "Assess the deficit to the members that used the service"
    ABSORB = "absorb", "Absorb the deficit (the agency bears it)"


class EmptyMonth(models.TextChoices):
    DEFER = "defer", "Bill nothing; the year-end true-up settles it"
    LAST_YEAR = "last_year", "Bill the month by last year's usage shares"


class Service(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services")
    code = models.CharField(
        max_length=20,
        validators=[
            RegexValidator(r"^\d{3}(\.\d{1,3})?[A-Z]?$", "A CoSer code looks like 601.010.")
        ],
    )
    name = models.CharField(max_length=200)
    coser_group = models.CharField("CoSer group", max_length=4, choices=CoSerGroup.choices)
    category = models.CharField(max_length=100, blank=True)
    description = long_text(STATEMENT, blank=True)
    unit = models.CharField("unit of measure", max_length=50, default="unit")
    aidable = models.BooleanField(default=True)
    capacity = models.DecimalField(
        **QUANTITY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))],
        help_text="Most units the service can deliver in a fiscal year (blank: no limit).",
    )  # fmt: skip
    charge_method = models.CharField(max_length=20, choices=ChargeMethod.choices)
    unit_rate = models.DecimalField(
        **RATE, default=Decimal(0), validators=[MinValueValidator(Decimal(0))]
    )
    share_basis = models.CharField(
        max_length=20, choices=ShareBasis.choices, default=ShareBasis.RWADA
    )
    flat_amount = models.DecimalField(
        **MONEY, default=Decimal(0), validators=[MinValueValidator(Decimal(0))],
        help_text="Yearly charge per participating member (flat method).",
    )  # fmt: skip
    admin_fee_pct = models.DecimalField(
        "administrative fee (%)", max_digits=5, decimal_places=2, default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )  # fmt: skip
    all_components = models.BooleanField(
        default=False,
        help_text="Every active component district participates (administrative and capital).",
    )
    active = models.BooleanField(default=True, help_text="Offered in the catalog for new requests.")
    available_from = models.DateField(
        null=True, blank=True, help_text="First day the service is delivered (blank: always)."
    )
    available_until = models.DateField(
        null=True, blank=True,
        help_text="Last day the service is delivered; months after it are not billed.",
    )  # fmt: skip
    deficit_policy = models.CharField(
        max_length=10, choices=DeficitPolicy.choices, default=DeficitPolicy.ASSESS,
        help_text="At year end, a cost above what was charged is assessed or absorbed; a "
        "surplus is always refunded.",
    )  # fmt: skip
    empty_month = models.CharField(
        "month without usage", max_length=10, choices=EmptyMonth.choices,
        default=EmptyMonth.DEFER,
        help_text="Cost pools split by usage: what a month with no usage bills.",
    )  # fmt: skip
    gl_account = models.CharField(
        "GL account", max_length=40, blank=True,
        help_text="The account a member district books this service to, e.g. A2110.490.",
    )  # fmt: skip

    class Meta:
        ordering = ["agency", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="service_unique_code"),
            models.CheckConstraint(condition=Q(unit_rate__gte=0), name="service_rate_positive"),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True) | Q(available_until__isnull=True)
                | Q(available_until__gte=F("available_from")),
                name="service_available_order",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if (
            self.available_from
            and self.available_until
            and (self.available_until < self.available_from)
        ):
            raise ValidationError({"available_until": "The last day comes before the first."})

    def available(self, first: date, last: date) -> bool:
        """Is the service delivered on some day from ``first`` to ``last``?"""
        return (self.available_from is None or self.available_from <= last) and (
            self.available_until is None or self.available_until >= first
        )


class ServiceYear(models.Model):
    """A service's budget for one fiscal year: the cost pool (pool methods), the actual cost
    once the year closes, and the staff salaries behind it (for BOCES aid)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="years")
    fiscal_year = models.PositiveSmallIntegerField()
    budget = models.DecimalField(**MONEY, default=Decimal(0),
                                 validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    actual_cost = models.DecimalField(**MONEY, null=True, blank=True,
                                      validators=[MinValueValidator(Decimal(0))])  # fmt: skip
    salaries = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Salaries of the service's staff in the budget."
    )
    salary_over_cap = models.DecimalField(
        **MONEY, default=Decimal(0),
        help_text="The part of those salaries above the per-employee aid cap (not aidable).",
    )  # fmt: skip

    class Meta:
        ordering = ["service", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["service", "fiscal_year"], name="service_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} FY{self.fiscal_year}"

    @property
    def agency_id(self) -> int:
        return self.service.agency_id


class ServicePosition(models.Model):
    """A staff position paid from a service's budget (its salary decides approved cost)."""

    service_year = models.ForeignKey(ServiceYear, on_delete=models.CASCADE,
                                     related_name="positions")  # fmt: skip
    title = models.CharField(max_length=200)
    salary = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal(0))])
    fte = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal(1))

    def __str__(self) -> str:
        return self.title


class ServiceRequest(models.Model):
    class Kind(models.TextChoices):
        PRELIMINARY = "preliminary", "Preliminary"
        FINAL = "final", "Final"
        ADDITIONAL = "additional", "Additional service (mid-year)"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="service_requests")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="service_requests")  # fmt: skip
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="requests")
    fiscal_year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal(0))])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    due_on = models.DateField(null=True, blank=True)
    late = models.BooleanField(default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")  # fmt: skip
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-submitted_at", "pk"]
        indexes = [models.Index(fields=["agency", "fiscal_year", "status"],
                                name="service_request_year")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request: {self.institution} for {self.service.code}"


class Subscription(models.Model):
    """A member's approved participation in a service for one fiscal year."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="subscriptions")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="subscriptions")  # fmt: skip
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="subscriptions")
    fiscal_year = models.PositiveSmallIntegerField()
    quantity = models.DecimalField(
        "estimated or committed quantity", **QUANTITY, default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )  # fmt: skip
    request = models.ForeignKey(ServiceRequest, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")  # fmt: skip
    approved_at = models.DateTimeField(null=True, blank=True)
    starts_on = models.DateField(
        null=True, blank=True, help_text="First day of the subscription (blank: the year's)."
    )
    ends_on = models.DateField(
        null=True, blank=True, help_text="Last day of the subscription (blank: the year's)."
    )

    class Meta:
        ordering = ["institution__name", "service__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "service", "fiscal_year"], name="subscription_unique"
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="subscription_dates_order",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["agency", "fiscal_year"], name="subscription_year")]

    def __str__(self) -> str:
        return f"{self.institution} in {self.service.code} FY{self.fiscal_year}"


class UsageRecord(models.Model):
    """Units of a service a member used in one month."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="usage")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="usage")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="usage")
    period = models.DateField(help_text="The month, as its first day.")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal(0))])
    external_ref = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-period", "institution__name", "service__code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "external_ref"],
                                    condition=~Q(external_ref=""), name="usage_unique_ref"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="usage_quantity_positive"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["agency", "period"], name="usage_agency_period")]

    def __str__(self) -> str:
        return f"{self.institution} {self.service.code} {self.period:%Y-%m}: {self.quantity}"
