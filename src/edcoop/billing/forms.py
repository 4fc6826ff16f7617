from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from edcoop.core.decimals import MONEY, BoundedDecimalField
from edcoop.members.forms import EdCoopForm
from edcoop.services.fiscal import parse_period
from edcoop.services.models import DeficitPolicy, EmptyMonth

from .models import CreditMemo

POSITIVE_MONEY = MONEY.with_range(minimum=MONEY.quantum)


class RunForm(EdCoopForm):
    period = forms.CharField(
        label="Month to bill", max_length=7, help_text="Year and month, e.g. 2026-11."
    )

    def clean_period(self) -> object:
        try:
            return parse_period(self.cleaned_data["period"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["period"]) from None


class InvoiceFilterForm(forms.Form):
    """Filters above the invoice list (GET)."""

    state = forms.ChoiceField(
        label="Show", required=False,
        choices=[("", "All invoices"), ("open", "Open (balance due)"),
                 ("overdue", "Overdue"), ("paid", "Paid in full")],
    )  # fmt: skip
    member = forms.CharField(label="Member name contains", max_length=100, required=False)


class ConfirmForm(EdCoopForm):
    pass


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"Invoice {obj.display_number} ({obj.period:%B %Y})"


class PaymentForm(EdCoopForm):
    amount = BoundedDecimalField(bounds=POSITIVE_MONEY, help_text="In dollars, e.g. 1250.00.")
    received_on = forms.DateField(label="Received on", help_text="YYYY-MM-DD, e.g. 2026-11-20.")
    reference = forms.CharField(max_length=100, required=False, help_text="Check or ACH number.")
    invoice = InvoiceChoiceField(
        queryset=None, required=False, empty_label="Oldest open invoices first",
        help_text="The invoice this payment is for; leave it to pay the oldest open invoices. "
        "Anything beyond what is owed stays as unapplied credit.",
    )  # fmt: skip

    def __init__(self, data: Any, *, invoices: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["invoice"].queryset = invoices  # type: ignore[attr-defined]


class ReverseForm(EdCoopForm):
    reason = forms.CharField(
        max_length=300, help_text="E.g. returned check, recorded for the wrong member."
    )


class MemoForm(EdCoopForm):
    kind = forms.ChoiceField(
        choices=CreditMemo.Kind.choices, initial=CreditMemo.Kind.CREDIT, widget=forms.RadioSelect,
        help_text="A credit memo lowers what the member owes on this line; a debit memo raises "
        "it.",
    )  # fmt: skip
    amount = BoundedDecimalField(bounds=POSITIVE_MONEY, help_text="In dollars, e.g. 156.00.")
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the memo and kept in the audit trail.",
    )  # fmt: skip


class RefundChoiceForm(EdCoopForm):
    disposition = forms.ChoiceField(
        label="Year-end refunds", choices=CreditMemo.Disposition.choices,
        widget=forms.RadioSelect,
    )  # fmt: skip


class ReopenForm(EdCoopForm):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the closed year must change; kept in the audit trail.",
    )  # fmt: skip


class ServiceTermsForm(EdCoopForm):
    actual_cost = BoundedDecimalField(
        bounds=MONEY, required=False,
        help_text="The year's actual cost of the service, once known (blank: not yet).",
    )  # fmt: skip
    deficit_policy = forms.ChoiceField(label="A deficit at year end",
                                       choices=DeficitPolicy.choices)  # fmt: skip
    empty_month = forms.ChoiceField(
        label="A month without usage (cost pools split by usage)", choices=EmptyMonth.choices
    )
    gl_account = forms.CharField(
        label="GL account", max_length=40, required=False,
        help_text="The account member districts book it to, e.g. A2110.490.",
    )  # fmt: skip


class ReceiptsForm(EdCoopForm):
    file = forms.FileField(
        label="Cash receipts (CSV)",
        help_text="Columns: date, member, amount, reference. All rows are applied or none.",
    )


class ServiceStopForm(EdCoopForm):
    last_day = forms.DateField(
        label="Last day delivered",
        help_text="YYYY-MM-DD. Its month is the last billed; no new requests after it.",
    )
