from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from edcoop.core.decimals import MONEY, BoundedDecimalField, Bounds
from edcoop.members.forms import EdCoopForm

from .compliance import KINDS
from .models import ComplianceRule, PublicDocument, SavingsStudy

PERCENT = Bounds(5, 2, maximum=Decimal(100))

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


class PiggybackForm(EdCoopForm):
    name = forms.CharField(max_length=200)
    effective_from = forms.DateField(required=False, label="In force from",
                                     help_text="Empty: not known (not checked).",
                                     widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    effective_to = forms.DateField(
        required=False, label="In force to (last day)",
        help_text="The sunset. When the Legislature extends it, the new last day; empty: no end.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    source = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                             help_text="The law, and the act that extended it.")  # fmt: skip
    source_url = forms.URLField(required=False, max_length=300, assume_scheme="https")


class StudyForm(EdCoopForm):
    title = forms.CharField(max_length=200)
    service_name = forms.CharField(max_length=200, label="Service",
                                   help_text="e.g. Central Business Office")  # fmt: skip
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  max_length=10000)  # fmt: skip
    fiscal_year = forms.IntegerField(
        min_value=1990, max_value=2100,
        help_text="Whose RWADA, enrollment and aid ratios to use.",
    )  # fmt: skip
    basis = forms.ChoiceField(choices=SavingsStudy.Basis.choices, label="Split the shared cost by")
    shared_cost = BoundedDecimalField(bounds=MONEY, label="Shared service's annual cost")
    aidable = forms.BooleanField(required=False, label="The shared service earns BOCES aid")
    sensitivity_pct = BoundedDecimalField(
        bounds=PERCENT, label="Sensitivity range (percent)",
        help_text="Costs are moved by plus or minus this much to show a range.",
    )  # fmt: skip


_DISTRICT_COLUMNS = [
    ("fte", "FTE", Bounds(6, 2)), ("salary", "Salary per FTE", MONEY),
    ("benefits_pct", "Benefits, % of salary", PERCENT), ("software", "Software", MONEY),
    ("audit_findings", "Audit findings cost", MONEY), ("other", "Other", MONEY),
]  # fmt: skip


class StudyDistrictsForm(EdCoopForm):
    """One row per member district: whether it is in the study, and its in-house cost."""

    def __init__(self, *args: Any, districts: list[Any], custom: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.districts = districts
        self.columns = list(_DISTRICT_COLUMNS)
        if custom:
            self.columns.append(("custom_share", "Share", Bounds(14, 4)))
        for inst in districts:
            self.fields[f"d{inst.pk}-include"] = forms.BooleanField(
                required=False, label=f"Include {inst.name}"
            )
            for name, label, bounds in self.columns:
                self.fields[f"d{inst.pk}-{name}"] = BoundedDecimalField(
                    bounds=bounds, required=False, label=f"{inst.name}: {label}",
                    help_text="",
                )  # fmt: skip

    def rows(self) -> dict[int, dict[str, Any]]:
        out = {}
        for inst in self.districts:
            if self.cleaned_data.get(f"d{inst.pk}-include"):
                out[inst.pk] = {
                    name: self.cleaned_data.get(f"d{inst.pk}-{name}") or (
                        None if name == "custom_share" else Decimal(0))
                    for name, _, _ in self.columns
                }  # fmt: skip
        return out

    def table(self) -> list[dict[str, Any]]:
        """Rows for the template: each district's include box and its inputs."""
        return [
            {"institution": inst, "include": self[f"d{inst.pk}-include"],
             "inputs": [self[f"d{inst.pk}-{name}"] for name, _, _ in self.columns]}
            for inst in self.districts
        ]  # fmt: skip


class PublicDocumentForm(EdCoopForm):
    kind = forms.ChoiceField(choices=PublicDocument.Kind.choices, label="What it is")
    fiscal_year = forms.IntegerField(min_value=1990, max_value=2100, required=False,
                                     help_text="The fiscal year it covers, e.g. 2026.")  # fmt: skip
    title = forms.CharField(max_length=200, help_text="e.g. FY2027 adopted budget")
    file = forms.FileField(help_text="PDF, Word, Excel, OpenDocument, CSV or text; at most 10 MB.")


class WithdrawForm(EdCoopForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text="Shown in the audit trail, not on the public page.",
    )  # fmt: skip


class AuditExportForm(EdCoopForm):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="The first day (YYYY-MM-DD), agency time.")  # fmt: skip
    until = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="The last day, included.")  # fmt: skip
    format = forms.ChoiceField(
        choices=[("xlsx", "Excel workbook (events and verification)"),
                 ("zip", "ZIP: events.csv, verification.json and the checkpoint file")],
        initial="xlsx",
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The last day comes on or after the first day.")
        return data


class FlagReviewForm(EdCoopForm):
    flag = forms.CharField(max_length=64, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("explained", "Explained (no breach)"),
                                          ("corrected", "Corrected"),
                                          ("referred", "Referred")])  # fmt: skip
    note = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
