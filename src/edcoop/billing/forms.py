from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from edcoop.members.forms import EdCoopForm
from edcoop.services.fiscal import parse_period


class RunForm(EdCoopForm):
    period = forms.CharField(
        label="Month to bill", max_length=7, help_text="Year and month, e.g. 2026-11."
    )

    def clean_period(self) -> object:
        try:
            return parse_period(self.cleaned_data["period"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["period"]) from None


class ConfirmForm(EdCoopForm):
    pass


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"Invoice {obj.display_number} ({obj.period:%B %Y})"


class PaymentForm(EdCoopForm):
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, help_text="In dollars, e.g. 1250.00."
    )
    received_on = forms.DateField(label="Received on", help_text="YYYY-MM-DD, e.g. 2026-11-20.")
    reference = forms.CharField(max_length=100, required=False, help_text="Check or ACH number.")
    invoice = InvoiceChoiceField(
        queryset=None, required=False, empty_label="Oldest open invoices first",
        help_text="The invoice this payment is for; leave it to pay the oldest open invoices.",
    )  # fmt: skip

    def __init__(self, data: Any, *, invoices: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["invoice"].queryset = invoices  # type: ignore[attr-defined]


class CreditMemoForm(EdCoopForm):
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, help_text="How much less the member owes, in dollars."
    )
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the credit memo and kept in the audit trail.",
    )  # fmt: skip
