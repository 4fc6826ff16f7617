"""Forms for the service pages: requests, their decisions, and monthly usage.

Forms parse what the browser sent; the rules (active member, subscription, capacity, posted
months, quantities of zero or more) live in ``services.services``, whose ``ValidationError``
the view puts back on the fields with ``add_service_errors``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from edcoop.core.decimals import QUANTITY as QUANTITY_BOUNDS
from edcoop.core.decimals import BoundedDecimalField
from edcoop.members.forms import EdCoopForm
from edcoop.members.models import Institution

from .fiscal import parse_month_typed
from .models import Service, ServiceRequest


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name} (per {obj.unit})"


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class RequestForm(EdCoopForm):
    institution = InstitutionChoiceField(queryset=Institution.objects.none(), label="Member",
                                         empty_label="Choose a member")  # fmt: skip
    service = ServiceChoiceField(queryset=Service.objects.none(), empty_label="Choose a service")
    fiscal_year = forms.TypedChoiceField(coerce=int, label="Fiscal year")
    kind = forms.ChoiceField(
        label="Kind of request", choices=[("", "Choose a kind"), *ServiceRequest.Kind.choices],
        help_text="Preliminary requests are due Feb 1 and final requests May 1 before the "
        "fiscal year; a service added during the year is an additional request.",
    )  # fmt: skip
    quantity = BoundedDecimalField(
        label="Estimated quantity", bounds=QUANTITY_BOUNDS,
        help_text="Units of the service you expect to use in the year (the service's unit).",
    )  # fmt: skip
    note = forms.CharField(max_length=300, required=False)

    def __init__(
        self,
        data: Any,
        *,
        institutions: QuerySet[Institution],
        services: QuerySet[Service],
        fiscal_years: list[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["fiscal_year"].choices = [  # type: ignore[attr-defined]
            (fy, f"FY{fy} ({fy - 1}-{fy % 100:02d})") for fy in fiscal_years
        ]
        if institutions.count() == 1:
            self.fields["institution"].initial = institutions.first()


class ApproveForm(EdCoopForm):
    quantity = BoundedDecimalField(
        label="Approved quantity", bounds=QUANTITY_BOUNDS, required=False,
        help_text="Leave blank to approve the quantity requested.",
    )  # fmt: skip


class UsageForm(EdCoopForm):
    institution = InstitutionChoiceField(queryset=Institution.objects.none(), label="Member",
                                         empty_label="Choose a member")  # fmt: skip
    service = ServiceChoiceField(queryset=Service.objects.none(), empty_label="Choose a service")
    period = forms.CharField(label="Month", max_length=20,
                             help_text="Year and month, e.g. 2026-11 or Nov 2026.")
    quantity = BoundedDecimalField(bounds=QUANTITY_BOUNDS, help_text="Units used in the month.")
    external_ref = forms.CharField(
        label="External reference", max_length=100, required=False,
        help_text="Optional: the record's number in the system it comes from.",
    )  # fmt: skip
    note = forms.CharField(max_length=300, required=False)
    confirm_duplicate = forms.BooleanField(
        label="Record it even if the same usage is already recorded", required=False,
        help_text="The same member, service, month and quantity already on file is usually "
        "the same usage entered twice; tick this only if it is not.",
    )  # fmt: skip

    def __init__(
        self, data: Any, *, institutions: QuerySet[Institution], services: QuerySet[Service],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(data, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]

    def clean_period(self) -> object:
        try:
            return parse_month_typed(self.cleaned_data["period"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["period"]) from None


class SubscriptionDatesForm(EdCoopForm):
    starts_on = forms.DateField(
        label="Starts on", required=False,
        help_text="YYYY-MM-DD within the fiscal year; billing starts with this month. Empty: "
        "the year's first day.",
    )  # fmt: skip
    ends_on = forms.DateField(
        label="Ends on", required=False,
        help_text="YYYY-MM-DD within the fiscal year; billing stops after this month. Empty: "
        "the year's last day.",
    )  # fmt: skip
