"""Forms for the member, supplier and agency pages.

Forms parse what the browser sent (types, required fields); the rules of the domain (an NCES
ID's shape, a unique EIN, which status may follow which) live in ``services``, whose
``ValidationError`` the view puts back on the fields with :func:`add_service_errors`.
"""

from __future__ import annotations

import calendar
import json
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from edcoop.core.decimals import BoundedDecimalField, column
from edcoop.core.inputs import NOTE, CheckedInputsMixin, limit

from .models import (
    US_STATES,
    Agency,
    Institution,
    Membership,
    MembershipYear,
    ServiceArea,
    Supplier,
)

STATE_CHOICES = [("", "Choose a state"), *US_STATES]
KIND_CHOICES = [("", "Choose a kind"), *Institution.Kind.choices]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: on the field it names where the form
    has that field, otherwise at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = name if name in form.fields else None
            for message in messages:
                if target is None and name not in (NON_FIELD_ERRORS, "__all__"):
                    message = f"{name.replace('_', ' ').capitalize()}: {message}"
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class EdCoopForm(CheckedInputsMixin, forms.Form):
    """Base form. Render it with ``{% form_fields form %}`` (docs/ui.md), not ``{{ form }}``.
    Every field refuses NUL characters and dates outside 1900-2999 (``core.inputs``)."""

    required_css_class = "required"


MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ImportForm(EdCoopForm):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row; columns in the import guide. At most 5 MB.",
    )

    filename = ""

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        self.filename = str(upload.name)
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError("Choose a .csv file (in Excel: Save As, CSV UTF-8).")
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError("The file is larger than 5 MB; split it into several files.")
        try:
            return cast(str, upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise ValidationError(
                'The file is not UTF-8 text. In Excel, save it as "CSV UTF-8".'
            ) from None


class JoinForm(EdCoopForm):
    name = forms.CharField(label="Institution name", max_length=200)
    kind = forms.ChoiceField(label="Kind of institution", choices=KIND_CHOICES)
    state = forms.ChoiceField(choices=STATE_CHOICES)
    county = forms.CharField(max_length=100, required=False)
    city = forms.CharField(max_length=100, required=False)
    nces_id = forms.CharField(
        label="NCES ID", max_length=12, required=False,
        help_text="7 digits for a district, 12 for a school. Find it at nces.ed.gov/ccd.",
    )  # fmt: skip
    ipeds_id = forms.CharField(
        label="IPEDS unit ID", max_length=6, required=False, help_text="Colleges: 6 digits."
    )
    beds_code = forms.CharField(
        label="NY BEDS code", max_length=12, required=False,
        help_text="New York institutions: 12 digits.",
    )  # fmt: skip
    website = forms.URLField(required=False, assume_scheme="https")
    contact_name = forms.CharField(label="Your name", max_length=200)
    contact_title = forms.CharField(label="Your title", max_length=200, required=False)
    contact_email = forms.EmailField(
        label="Your e-mail", help_text="We send the decision and your login here."
    )
    contact_phone = forms.CharField(label="Your phone", max_length=40, required=False)
    notes = forms.CharField(
        label="Anything we should know", widget=forms.Textarea(attrs={"rows": 4}), required=False,
        max_length=limit(Membership, "notes"),
    )

    # WCAG 1.3.5: the browser may fill in the person's own details (autocomplete tokens).
    AUTOCOMPLETE = {
        "name": "organization", "state": "address-level1", "city": "address-level2",
        "website": "url", "contact_name": "name", "contact_title": "organization-title",
        "contact_email": "email", "contact_phone": "tel",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, token in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        self.fields["contact_email"].widget.input_type = "email"
        self.fields["contact_phone"].widget.input_type = "tel"


class SupplierRegisterForm(EdCoopForm):
    legal_name = forms.CharField(max_length=200)
    dba = forms.CharField(label="Doing business as (DBA)", max_length=200, required=False)
    tax_id = forms.CharField(
        label="Tax ID (EIN)", max_length=10, help_text="Nine digits: 12-3456789."
    )
    certifications = forms.MultipleChoiceField(
        choices=Supplier.Certification.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick every certification your business holds.",
    )
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False)
    email = forms.EmailField(label="E-mail")
    phone = forms.CharField(max_length=40, required=False)
    website = forms.URLField(required=False, assume_scheme="https")


class SupplierProfileForm(SupplierRegisterForm):
    """The profile. The tax ID is never shown in clear: a new one is typed, or left empty.
    For the supplier's own representative, a new legal name, tax ID or certifications are
    a request the agency decides, and a new e-mail one confirmed from that mailbox; staff
    see the e-mail but cannot change it."""

    new_tax_id = forms.CharField(
        label="New tax ID (EIN)", max_length=10, required=False,
        help_text="Only to change it; leave empty to keep the current one.",
    )  # fmt: skip

    def __init__(self, *args: Any, represents: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["tax_id"]
        if represents:
            for name in ("legal_name", "new_tax_id", "certifications"):
                self.fields[name].help_text = (
                    f"{self.fields[name].help_text} A change waits for the agency's approval."
                ).strip()
            self.fields[
                "email"
            ].help_text = "A change takes effect when you confirm it from the new mailbox."
        else:
            self.fields["email"].disabled = True
            self.fields["email"].required = False
            self.fields[
                "email"
            ].help_text = "The supplier's own contact: only its representatives change it."


class ApproveForm(EdCoopForm):
    component = forms.BooleanField(
        label="Component district", required=False,
        help_text="Component districts own the BOCES and share its administrative budget.",
    )  # fmt: skip
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.none(), required=False, empty_label="No service area"
    )

    def __init__(self, *args: Any, agency: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["service_area"])
        field.queryset = ServiceArea.objects.filter(agency=agency)


class ReasonForm(EdCoopForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE,
        help_text="Recorded in the audit trail.",
    )


class OptionalReasonForm(ReasonForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False


class ConfirmForm(EdCoopForm):
    """No fields: the button is the confirmation."""


class StatusForm(EdCoopForm):
    """Suspend, withdraw or reinstate, effective on a day (billing follows it by month)."""

    effective_on = forms.DateField(
        label="Effective on", required=False,
        help_text="YYYY-MM-DD. Suspend or withdraw: the last day of membership; billing stops "
        "after that month. Empty: today.",
    )  # fmt: skip


class DatesForm(EdCoopForm):
    """The days a member is billed from and to."""

    joined_on = forms.DateField(label="Member since", help_text="YYYY-MM-DD. Billing starts "
                                "with this month.")  # fmt: skip
    left_on = forms.DateField(
        label="Last day of membership", required=False,
        help_text="YYYY-MM-DD, for a suspended or withdrawn member: billing stops after this "
        "month. Empty for an active member.",
    )  # fmt: skip


class YearForm(EdCoopForm):
    fiscal_year = forms.IntegerField(
        label="Fiscal year", min_value=1990, max_value=2100,
        help_text="The year it ends: 2026 for July 2025 to June 2026.",
    )  # fmt: skip
    enrollment = forms.IntegerField(min_value=0, required=False)
    rwada = BoundedDecimalField(
        label="RWADA", bounds=column(MembershipYear, "rwada"), required=False
    )
    aid_ratio = BoundedDecimalField(
        label="Aid ratio", bounds=column(MembershipYear, "aid_ratio", maximum=Decimal(1)),
        required=False, help_text="Between 0 and 1, e.g. 0.6150.",
    )  # fmt: skip
    full_value = BoundedDecimalField(
        label="Full value ($)", bounds=column(MembershipYear, "full_value"), required=False
    )


class InstitutionForm(EdCoopForm):
    """The institution's record; members see only the fields they may change."""

    name = forms.CharField(label="Institution name", max_length=200)
    kind = forms.ChoiceField(label="Kind of institution", choices=KIND_CHOICES)
    state = forms.ChoiceField(choices=STATE_CHOICES)
    county = forms.CharField(max_length=100, required=False)
    city = forms.CharField(max_length=100, required=False)
    nces_id = forms.CharField(label="NCES ID", max_length=12, required=False)
    ipeds_id = forms.CharField(label="IPEDS unit ID", max_length=6, required=False)
    beds_code = forms.CharField(label="NY BEDS code", max_length=12, required=False)
    website = forms.URLField(required=False, assume_scheme="https")
    billing_address = forms.CharField(
        label="Billing address", required=False, max_length=limit(Institution, "billing_address"),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
        help_text="Where invoices go, one line per line: office, street, city, state, ZIP.",
    )  # fmt: skip
    account_number = forms.CharField(label="Account number", max_length=30, required=False)
    purchase_order = forms.CharField(
        label="Purchase order number", max_length=40, required=False,
        help_text="Your PO covering this fiscal year's services; printed on invoices.",
    )  # fmt: skip

    def __init__(self, *args: Any, only: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if only is not None:
            for name in list(self.fields):
                if name not in only:
                    del self.fields[name]


class AgencySettingsForm(EdCoopForm):
    """The agency's own facts, printed on its pages and documents."""

    name = forms.CharField(label="Agency name", max_length=200)
    email = forms.EmailField(label="Business office e-mail", required=False)
    phone = forms.CharField(max_length=40, required=False)
    website = forms.URLField(required=False, assume_scheme="https")
    address = forms.CharField(
        required=False, max_length=limit(Agency, "address"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the letterhead, one line per line.",
    )  # fmt: skip
    tax_id = forms.CharField(label="Tax ID (EIN)", max_length=20, required=False)
    remit_to = forms.CharField(
        label="Remit to", required=False, max_length=limit(Agency, "remit_to"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where members send payments (blank: the address).",
    )  # fmt: skip
    payment_instructions = forms.CharField(
        label="How to pay", required=False,
        max_length=limit(Agency, "payment_instructions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Payee, ACH details, what to write on the check.",
    )  # fmt: skip
    payment_terms_days = forms.IntegerField(
        label="Payment terms (days)", min_value=0, max_value=365,
        help_text="Invoices are due this many days after they are issued (0: on receipt).",
    )  # fmt: skip
    paper_size = forms.ChoiceField(choices=[("letter", "US Letter"), ("a4", "A4")])
    fiscal_year_start_month = forms.TypedChoiceField(
        label="Fiscal year begins in", coerce=int,
        choices=[(m, calendar.month_name[m]) for m in range(1, 13)],
        help_text="Fixed once billing begins (months already billed belong to their year).",
    )  # fmt: skip
    logo = forms.FileField(
        label="Logo", required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text="PNG or JPEG, at most 2 MB and 4000 pixels either way; printed at the top "
        "of invoices, statements and the other documents (shrunk to 600 x 200 pixels).",
    )  # fmt: skip
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    membership_terms = forms.CharField(
        label="What membership costs", required=False,
        max_length=limit(Agency, "membership_terms"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the home page, your agency's page and the application form "
        "(blank: they say nothing about cost).",
    )  # fmt: skip
    accepting_applications = forms.BooleanField(
        label="Accept membership applications", required=False
    )


class MemberFilterForm(forms.Form):
    """The filters above the members table (GET; every field optional)."""

    q = forms.CharField(label="Search", required=False,
                        help_text="Name, NCES, IPEDS or BEDS code")  # fmt: skip
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Membership.Status.choices], required=False
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Institution.Kind.choices], required=False)
    component = forms.ChoiceField(
        choices=[("", "Either"), ("yes", "Component"), ("no", "Not component")], required=False
    )
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.none(), required=False, empty_label="Any service area"
    )
    state = forms.ChoiceField(choices=[("", "Any state"), *US_STATES], required=False)

    def __init__(self, *args: Any, agency: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["service_area"])
        field.queryset = ServiceArea.objects.filter(agency=agency)


class SupplierFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, help_text="Legal name or DBA")
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Supplier.Status.choices], required=False
    )


class CheckpointForm(forms.Form):
    """An audit-trail checkpoint file (from the checkpoint e-mail) to hold the chain against."""

    checkpoint = forms.FileField(
        label="Checkpoint file", help_text="The .json file attached to a checkpoint e-mail."
    )

    def clean_checkpoint(self) -> dict[str, Any]:
        from edcoop.core import checkpoints

        upload = self.cleaned_data["checkpoint"]
        if upload.size > 10_000:
            raise ValidationError("This is not a checkpoint file: it is larger than 10 kB.")
        try:
            data = json.loads(upload.read().decode("utf-8"))
            checkpoints.parse(data, where="This file")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValidationError("This is not a checkpoint file: it is not JSON.") from None
        except checkpoints.CheckpointError as exc:
            raise ValidationError(str(exc)) from None
        return cast(dict[str, Any], data)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    actor = forms.CharField(label="Who (name contains)", max_length=200, required=False)
    record = forms.CharField(label="Record (contains)", max_length=200, required=False)
    since = forms.DateField(label="From (YYYY-MM-DD)", required=False)
    until = forms.DateField(label="To (YYYY-MM-DD)", required=False)

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        from edcoop.core.formatting import action_label

        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["action"])
        field.choices = [("", "Any action"), *((a, f"{action_label(a)} ({a})") for a in actions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end of the range is before its start.")
        return data
