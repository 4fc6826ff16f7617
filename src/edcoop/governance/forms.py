from __future__ import annotations

from typing import Any

from django import forms

from edcoop.core.decimals import MONEY, BoundedDecimalField
from edcoop.members.forms import EdCoopForm

from .compliance import KINDS
from .models import ComplianceRule

KIND_CHOICES = [(k, k.replace("_", " ").capitalize()) for k in KINDS]
FUNDING_CHOICES = [("local", "State or local funds"), ("federal", "Federal funds (2 CFR 200)")]


class CheckForm(EdCoopForm):
    jurisdiction = forms.CharField(
        max_length=2, help_text="The state whose law binds the buyer, e.g. NY."
    )
    funding = forms.ChoiceField(choices=FUNDING_CHOICES)
    kind = forms.ChoiceField(label="Kind of purchase", choices=KIND_CHOICES)
    amount = BoundedDecimalField(
        bounds=MONEY, label="Expected amount",
        help_text="The reasonably expected 12-month aggregate for the same item, in dollars.",
    )  # fmt: skip
    on = forms.DateField(
        label="Date", required=False, help_text="YYYY-MM-DD; empty means today.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip


class RuleForm(EdCoopForm):
    key = forms.SlugField(
        max_length=60, required=False,
        help_text="A short unique name for a new rule, e.g. board-policy-quotes.",
    )  # fmt: skip
    name = forms.CharField(max_length=200)
    jurisdiction = forms.CharField(max_length=2, help_text="A state's code, or US (federal).")
    funding = forms.ChoiceField(choices=ComplianceRule.Funding.choices)
    kinds = forms.MultipleChoiceField(
        choices=KIND_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every kind.",
    )  # fmt: skip
    method = forms.ChoiceField(choices=ComplianceRule.MethodChoice.choices)
    lower = BoundedDecimalField(bounds=MONEY, required=False, label="Over (dollars)",
                                help_text="Empty: from zero.")  # fmt: skip
    lower_inclusive = forms.BooleanField(required=False, label="Including that amount")
    upper = BoundedDecimalField(bounds=MONEY, required=False, label="Up to (dollars)",
                                help_text="Empty: no ceiling.")  # fmt: skip
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(required=False, label="Effective to (last day)",
                                   widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    source = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    source_url = forms.URLField(required=False, max_length=300, assume_scheme="https")
    active = forms.BooleanField(required=False, initial=True,
                                help_text="Untick to stop applying this rule.")  # fmt: skip

    @classmethod
    def initial_from(cls, row: ComplianceRule | None) -> dict[str, Any]:
        if row is None:
            return {"active": True}
        return {name: getattr(row, name) for name in cls.base_fields if name != "key"}
