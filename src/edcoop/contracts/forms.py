"""Forms of the contract pages: thin, every number through core.decimals."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms

from edcoop.core.decimals import MONEY, UNIT_PRICE, BoundedDecimalField, Bounds
from edcoop.members.forms import EdCoopForm

ORDER_LINES = 8
PERCENT = Bounds(7, 4, Decimal(0), Decimal(100))


class SearchForm(EdCoopForm):
    q = forms.CharField(label="Keyword", max_length=200, required=False,
                        help_text="Item, SKU, contract or supplier words.")  # fmt: skip

    def __init__(self, *args: Any, categories: list[str], suppliers: list[tuple[int, str]],
                 institutions: list[tuple[int, str]], **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["category"] = forms.ChoiceField(
            required=False, choices=[("", "Any category"), *((c, c) for c in categories)]
        )
        self.fields["supplier"] = forms.TypedChoiceField(
            required=False, coerce=int, empty_value=None, choices=[("", "Any supplier"), *suppliers]
        )
        self.fields["eligible_for"] = forms.TypedChoiceField(
            label="Eligible for",
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", "Show every contract"), *institutions],
        )


FUNDING_CHOICES = [("local", "Local (state and local funds)"), ("federal", "Federal award")]
KIND_CHOICES = [("commodity", "Commodities (goods)"), ("public_work", "Public work"),
                ("service", "Services")]  # fmt: skip


class OrderForm(EdCoopForm):
    request_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    funding = forms.ChoiceField(
        choices=FUNDING_CHOICES, initial="local", label="Paid from", required=False,
        help_text="Federal funds bring 2 CFR 200's thresholds.")  # fmt: skip
    kind = forms.ChoiceField(
        choices=[("", "As the contract says"), *KIND_CHOICES], required=False,
        label="What is bought", help_text="Checked against the rule for this kind.")  # fmt: skip
    notes = forms.CharField(max_length=500, required=False, widget=forms.Textarea(
        attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args: Any, institutions: list[tuple[int, str]], discount: bool,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["institution"] = forms.TypedChoiceField(choices=institutions, coerce=int,
                                                            label="Ordering for")  # fmt: skip
        self.order_fields(["institution", "funding", "kind"])
        for n in range(1, ORDER_LINES + 1):
            label = "Category" if discount else "Item (SKU)"
            self.fields[f"sku_{n}"] = forms.CharField(label=f"Line {n}: {label}", max_length=60,
                                                      required=False)  # fmt: skip
            if discount:
                self.fields[f"description_{n}"] = forms.CharField(
                    label=f"Line {n}: description", max_length=300, required=False
                )
                self.fields[f"list_price_{n}"] = BoundedDecimalField(
                    label=f"Line {n}: supplier's list price", bounds=UNIT_PRICE, required=False
                )
            self.fields[f"quantity_{n}"] = forms.CharField(
                label=f"Line {n}: quantity", max_length=24, required=False
            )


class ReasonForm(EdCoopForm):
    reason = forms.CharField(max_length=300)


class ReportForm(EdCoopForm):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int)
    file = forms.FileField(
        required=False,
        help_text="CSV or XLSX with the columns member, sku, "
        "quantity, unit_price, invoice_date. No file: no sales this quarter.",
    )


class AmendForm(EdCoopForm):
    file = forms.FileField(
        required=False,
        help_text="Every row of the quarter as it should read (CSV or XLSX, the same columns). "
        "No file: there were no sales after all.",
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Why the report is corrected.")  # fmt: skip


class FeePaymentForm(EdCoopForm):
    amount = BoundedDecimalField(bounds=MONEY, label="Amount received")
    received_on = forms.DateField(label="Date received", help_text="YYYY-MM-DD")
    reference = forms.CharField(max_length=100,
                                help_text="The supplier's check or transfer number.")  # fmt: skip
    # One key per form shown: sent twice (a double click, a resubmitted page), the payment is
    # recorded once.
    request_key = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class PatronageForm(EdCoopForm):
    fiscal_year = forms.IntegerField(min_value=2000, max_value=2100, label="Fiscal year")
    net_income = BoundedDecimalField(bounds=MONEY.with_range(minimum=None), label="Net income")
    distributable = BoundedDecimalField(bounds=MONEY, label="Distributable share")


class PriceListForm(EdCoopForm):
    file = forms.FileField(
        help_text="CSV or XLSX (first sheet) with the columns sku, description, unit, unit_price "
        "and optionally category, list_price, tiers (100:3.90;500:3.75)."
    )


class PriceVersionForm(EdCoopForm):
    effective_on = forms.DateField(label="Takes effect on", help_text="YYYY-MM-DD, today or "
                                   "later.")  # fmt: skip
    file = forms.FileField(
        help_text="CSV or XLSX (first sheet) with the columns sku, description, unit, "
        "unit_price and optionally category, list_price, tiers (100:3.90;500:3.75)."
    )


class ContractForm(EdCoopForm):
    """A contract awarded by another lead agency, entered into the portfolio."""

    number = forms.CharField(max_length=40)
    title = forms.CharField(max_length=200)
    category = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=KIND_CHOICES, initial="commodity", required=False,
                             help_text="Public "
                             "works have their own thresholds and may not be piggybacked in "
                             "New York.")  # fmt: skip
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(
        attrs={"rows": 3}))  # fmt: skip
    lead_agency = forms.CharField(max_length=200, help_text="The public agency that "
                                  "solicited and awarded it.")  # fmt: skip
    solicitation_reference = forms.CharField(max_length=100, required=False)
    solicitation_method = forms.CharField(
        max_length=100, required=False, help_text="e.g. IFB (sealed bid), RFP (best value)."
    )
    solicited_on = forms.DateField(required=False, help_text="YYYY-MM-DD")
    awarded_on = forms.DateField(required=False, help_text="YYYY-MM-DD")
    starts_on = forms.DateField(help_text="YYYY-MM-DD")
    ends_on = forms.DateField(help_text="End of the initial term, YYYY-MM-DD.")
    renewal_options = forms.IntegerField(min_value=0, max_value=10, initial=0)
    renewal_months = forms.IntegerField(min_value=1, max_value=60, initial=12)
    pricing = forms.ChoiceField(
        choices=[
            ("items", "Price list of items"),
            ("discount", "Discount off the catalogue by category"),
        ]
    )
    admin_fee_pct = BoundedDecimalField(bounds=PERCENT, label="Admin fee (%)", initial="0")
    scope = forms.ChoiceField(
        choices=[
            ("service_area", "Members in the service area"),
            ("national", "Members anywhere (national)"),
        ]
    )
    eligible_kinds = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: every kind."
    )
    participants_only = forms.BooleanField(required=False, label="GML §119-o bid: only the "
                                           "members that took part")  # fmt: skip
    requires_adoption = forms.BooleanField(required=False)
    federal_terms = forms.BooleanField(required=False, label="Carries the 2 CFR 200 terms")

    def __init__(self, *args: Any, suppliers: list[tuple[int, str]], **kwargs: Any) -> None:
        from edcoop.members.models import Institution

        super().__init__(*args, **kwargs)
        self.fields["supplier"] = forms.TypedChoiceField(choices=suppliers, coerce=int)
        self.fields["eligible_kinds"] = forms.MultipleChoiceField(
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=Institution.Kind.choices,
            help_text="None ticked: every kind.",
        )
        self.order_fields(["number", "title", "supplier"])

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or "commodity"  # left out: the usual kind
