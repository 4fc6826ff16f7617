from __future__ import annotations

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
