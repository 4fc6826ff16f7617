"""Forms for the solicitation pages. Domain rules live in ``services``; these parse."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from edcoop.core.decimals import BoundedDecimalField, Bounds, column
from edcoop.core.inputs import NOTE, limit
from edcoop.members.forms import EdCoopForm
from edcoop.members.models import Institution

from . import timing
from .files import Upload
from .models import (
    ATTESTATIONS,
    Addendum,
    Award,
    DemandCommitment,
    Finding,
    LineItem,
    Lot,
    Protest,
    Question,
    Score,
    Solicitation,
    StatusChange,
)
from .responses import RESPONSE_TEXT, LineInput, ResponseInput

WEIGHT = Bounds(5, 2, Decimal("0.01"), Decimal("100"))
LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in the agency's zone; the form turns it into UTC."""

    widget = LOCAL

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        for fmt in list(self.input_formats or []):
            try:
                return datetime.strptime(str(value).strip(), fmt)  # noqa: DTZ007 (agency zone)
            except ValueError:
                continue
        raise ValidationError("Enter a date and time, e.g. 2026-03-15 14:00.")


class AgencyTimesForm(EdCoopForm):
    """Turns every ``LocalDateTimeField`` into an aware UTC moment in the agency's zone."""

    def __init__(self, *args: Any, agency: Any, **kwargs: Any) -> None:
        self.agency = agency
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            if isinstance(f, LocalDateTimeField):
                f.help_text = (f.help_text + " " if f.help_text else "") + (
                    f"Time in {agency.time_zone}."
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, f in self.fields.items():
            if isinstance(f, LocalDateTimeField) and data.get(name) is not None:
                try:
                    data[name] = timing.local_to_utc(self.agency, data[name], field=name)
                except ValidationError as e:
                    for msg in e.message_dict[name]:
                        self.add_error(name, msg)
        return data


class SolicitationForm(AgencyTimesForm):
    number = forms.CharField(max_length=40, help_text="e.g. IFB-2026-07")
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Type", choices=Solicitation.Kind.choices)
    category = forms.CharField(max_length=100, required=False)
    lead_agency = forms.CharField(
        max_length=200, required=False, help_text="Leave empty when your agency is the lead agent."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  max_length=limit(Solicitation, "description"))
    eligibility = forms.ChoiceField(choices=Solicitation.Eligibility.choices)
    eligible_kinds = forms.MultipleChoiceField(
        label="Eligible institution kinds", choices=Institution.Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text="None checked: every kind.",
    )  # fmt: skip
    open_to_all_eligible = forms.BooleanField(
        label="Open to every eligible member, not only those that committed quantities",
        required=False,
    )
    required_attestations = forms.MultipleChoiceField(
        choices=list(ATTESTATIONS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    survey_deadline = LocalDateTimeField(
        label="Demand survey closes", required=False, help_text="Leave empty for no demand survey."
    )
    questions_due_at = LocalDateTimeField(label="Questions due", required=False)
    responses_due_at = LocalDateTimeField(label="Responses due")
    opening_at = LocalDateTimeField(label="Public opening")


class LotForm(EdCoopForm):
    title = forms.CharField(max_length=200)
    award_basis = forms.ChoiceField(choices=Lot.AwardBasis.choices)


class CriterionForm(EdCoopForm):
    name = forms.CharField(max_length=200, help_text="e.g. Program design, References")
    weight = BoundedDecimalField(
        bounds=WEIGHT, label="Weight (percent)", help_text="All the weights add up to 100."
    )
    is_price = forms.BooleanField(
        required=False, label="This is the price criterion",
        help_text="Computed, not scored: lowest price / this price x weight.",
    )  # fmt: skip


class ItemForm(EdCoopForm):
    lot = forms.ModelChoiceField(queryset=Lot.objects.none(), empty_label="Choose a lot")
    number = forms.CharField(label="Item number", max_length=20, help_text="e.g. 1.01")
    description = forms.CharField(max_length=300)
    unit = forms.CharField(max_length=40, help_text="e.g. case, gallon, each")
    specifications = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                     max_length=limit(LineItem, "specifications"))
    # A text field, not type="number": "1,200" is kept as typed when refused, never blanked.
    estimated_quantity = BoundedDecimalField(
        bounds=column(LineItem, "estimated_quantity", minimum=Decimal("0")),
        required=False,
        help_text="With a demand survey, members' total.",
    )

    def __init__(self, *args: Any, solicitation: Solicitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = solicitation.lots.all()  # type: ignore[attr-defined]


class DocumentForm(EdCoopForm):
    title = forms.CharField(max_length=200)
    file = forms.FileField()


class DocumentEditForm(EdCoopForm):
    title = forms.CharField(max_length=200)
    file = forms.FileField(
        label="Replace the file", required=False, help_text="Leave empty to keep the current file."
    )


class AddendumForm(AgencyTimesForm):
    title = forms.CharField(max_length=200)
    body = forms.CharField(label="Text of the addendum", widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=limit(Addendum, "body"))
    new_responses_due_at = LocalDateTimeField(
        label="New response deadline", required=False, help_text="Only to extend the deadline."
    )
    file = forms.FileField(
        label="Document", required=False,
        help_text="Optional: a new or revised document issued with this addendum (PDF, Word, "
                  "Excel, OpenDocument, CSV, text or image; at most 10 MB).",
    )  # fmt: skip


class AnswerForm(EdCoopForm):
    public_text = forms.CharField(
        label="Question as published",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limit(Question, "public_text"),
        help_text="Remove anything that names the supplier.",
    )
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}),
                             max_length=limit(Question, "answer"))


class QuestionForm(EdCoopForm):
    text = forms.CharField(label="Your question", widget=forms.Textarea(attrs={"rows": 5}),
                           max_length=limit(Question, "text"),
                           help_text="Published with the answer to every supplier, without "
                                     "your company's name.")  # fmt: skip


class NoteForm(EdCoopForm):
    note = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=limit(StatusChange, "note"))


def _file(upload: Any) -> Upload:
    return Upload.from_file(upload)


class ResponseForm(EdCoopForm):
    """One price (and optional volume tiers and maximum quantity) per line, the supplier's
    spend discounts, texts, attestations, addenda."""

    spend_discounts = forms.CharField(
        label="Spend discounts", required=False,
        help_text="Optional: a percentage off your whole award once it reaches a total, as "
                  "minimum award total: percent, separated by semicolons "
                  "(50000: 2; 100000: 3.5).",
    )  # fmt: skip

    alternates = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=RESPONSE_TEXT,
        help_text="Alternate products you offer, with their prices.",
    )
    exceptions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=RESPONSE_TEXT,
        help_text="Any exception you take to the specifications.",
    )
    attestations = forms.MultipleChoiceField(
        choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )
    acknowledged_addenda = forms.TypedMultipleChoiceField(
        label="Addenda acknowledged",
        choices=[],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attachment = forms.FileField(required=False, help_text="PDF, Word, Excel, CSV, text or "
                                 "image; at most 10 MB.")  # fmt: skip
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, solicitation: Solicitation, initial_content: dict[str, Any]
                 | None = None, **kwargs: Any) -> None:  # fmt: skip
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("idempotency_key", uuid.uuid4().hex)
        content = initial_content or {}
        for key in ("alternates", "exceptions", "attestations", "acknowledged_addenda"):
            if key in content:
                initial[key] = content[key]
        if content.get("spend_discounts"):
            initial["spend_discounts"] = "; ".join(
                f"{d['min_total']}: {d['percent']}" for d in content["spend_discounts"]
            )
        super().__init__(*args, **kwargs)
        self.items = list(solicitation.items.select_related("lot"))
        prices = {line["item_id"]: line for line in content.get("lines", [])}
        self.price_fields = []
        for item in self.items:
            line = prices.get(item.pk, {})
            name, tier = f"price_{item.pk}", f"tiers_{item.pk}"
            self.fields[name] = forms.CharField(
                label=f"Unit price for {item.number} {item.description} (per {item.unit})",
                required=False, initial=line.get("unit_price", ""),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                help_text="Dollars, up to 4 decimals; empty: not bid.",
            )  # fmt: skip
            self.fields[tier] = forms.CharField(
                label=f"Volume tiers for {item.number}", required=False,
                initial="; ".join(f"{t['min_quantity']}: {t['unit_price']}"
                                  for t in line.get("tiers", [])),
                help_text="Optional: minimum quantity: unit price, separated by semicolons "
                          "(500: 30.95; 1000: 30.50).",
            )  # fmt: skip
            self.fields[f"max_{item.pk}"] = forms.CharField(
                label=f"Maximum quantity of {item.number} ({item.unit})", required=False,
                initial=line.get("max_quantity") or "",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                help_text="Optional: the most you can supply; empty: no limit.",
            )  # fmt: skip
            self.price_fields.append((item, self[name], self[tier], self[f"max_{item.pk}"]))
        codes = solicitation.required_attestations or []
        choices = [(c, ATTESTATIONS[c]) for c in codes]
        self.fields["attestations"].choices = choices  # type: ignore[attr-defined]
        self.fields["acknowledged_addenda"].choices = [  # type: ignore[attr-defined]
            (a.number, f"Addendum {a.number}: {a.title}") for a in solicitation.addenda.all()
        ]

    def response_input(self) -> ResponseInput:
        d = self.cleaned_data
        lines = []
        for item in self.items:
            price = (d.get(f"price_{item.pk}") or "").strip()
            tiers_raw = (d.get(f"tiers_{item.pk}") or "").strip()
            tiers: list[tuple[Any, Any]] = []
            for part in filter(None, (p.strip() for p in tiers_raw.split(";"))):
                minimum, _, tier_price = part.partition(":")
                if not tier_price:
                    raise ValidationError(
                        {
                            f"tiers_{item.pk}": f"{part!r}: write a tier as "
                            "minimum quantity: unit price."
                        }
                    )
                tiers.append((minimum.strip(), tier_price.strip()))
            if price or tiers:
                capacity = (d.get(f"max_{item.pk}") or "").strip() or None
                lines.append(LineInput(item.pk, price, tiers, capacity))
        discounts: list[tuple[Any, Any]] = []
        for part in filter(None, (p.strip() for p in (d.get("spend_discounts") or "").split(";"))):
            minimum, _, percent = part.partition(":")
            if not percent.strip():
                raise ValidationError({"spend_discounts": f"{part!r}: write a step as minimum "
                                                          "award total: percent."})  # fmt: skip
            discounts.append((minimum.strip(), percent.strip().rstrip("%").strip()))
        return ResponseInput(
            lines=lines,
            spend_discounts=discounts,
            alternates=d.get("alternates", ""),
            exceptions=d.get("exceptions", ""),
            attestations=list(d.get("attestations", [])),
            acknowledged_addenda=list(d.get("acknowledged_addenda", [])),
        )

    def uploads(self) -> list[Upload]:
        upload = self.cleaned_data.get("attachment")
        return [_file(upload)] if upload else []


class DemandForm(EdCoopForm):
    def __init__(self, *args: Any, solicitation: Solicitation, current: dict[int, Decimal],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.items = list(solicitation.items.select_related("lot"))
        for item in self.items:
            self.fields[f"qty_{item.pk}"] = BoundedDecimalField(
                bounds=column(DemandCommitment, "quantity", minimum=Decimal("0")),
                label=f"{item.number} {item.description} ({item.unit} per year)",
                required=False, initial=current.get(item.pk),
                help_text=item.specifications[:200] or None,
            )  # fmt: skip

    def quantities(self) -> dict[int, Decimal]:
        return {item.pk: self.cleaned_data.get(f"qty_{item.pk}") or Decimal("0")
                for item in self.items}  # fmt: skip


# Evaluation and award ------------------------------------------------------------------------


class FindingForm(EdCoopForm):
    value = forms.TypedChoiceField(
        label="Finding",
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        choices=[("yes", "Yes"), ("no", "No")],
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limit(Finding, "reason"),
        help_text="Required to override the proposed finding; a negative finding's reason "
        "goes into the notice of award.",
    )


class RecommendForm(EdCoopForm):
    """The recommendation; one choice per tie the engine reported (never pre-selected)."""

    method = forms.ChoiceField(label="Award method", widget=forms.RadioSelect)
    multiple_award = forms.BooleanField(
        required=False, label="Multiple award: also name a secondary supplier per item"
    )
    max_suppliers = forms.IntegerField(
        required=False, min_value=1, max_value=2000, label="At most this many suppliers",
        help_text="Optimal award only: leave empty for no limit.",
    )
    basis = forms.CharField(
        label="Basis of the recommendation",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limit(Award, "basis"),
        help_text="What the board reads: the award basis, the findings, the ties.",
    )
    tie_reason = forms.CharField(
        label="How the ties were resolved",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTE,
    )

    def __init__(
        self,
        *args: Any,
        methods: list[tuple[str, str]],
        ties: list[tuple[str, str, list[tuple[str, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = methods  # type: ignore[attr-defined]
        if len(methods) == 1:
            self.fields["method"].initial = methods[0][0]
        if methods[0][0] == "best_value":
            del self.fields["multiple_award"]
            del self.fields["max_suppliers"]
        self.tie_fields = []
        for n, (key, label, choices) in enumerate(ties):
            name = f"tie_{n}"
            self.fields[name] = forms.ChoiceField(
                label=f"Tie: {label}",
                choices=[("", "Choose the bidder"), *choices],
                help_text="Equal low bids: the board may pick any tied bidder.",
            )
            self.tie_fields.append((name, key))

    def tie_choices(self) -> dict[str, str]:
        return {key: self.cleaned_data[name] for name, key in self.tie_fields}


class ApproveForm(EdCoopForm):
    board_resolution = forms.CharField(label="Board resolution number", max_length=100)
    board_date = forms.DateField(label="Adopted on", widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(EdCoopForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=limit(Award, "cancelled_reason"))


class ProtestForm(EdCoopForm):
    grounds = forms.CharField(
        label="Grounds of the protest", widget=forms.Textarea(attrs={"rows": 6}),
        max_length=limit(Protest, "grounds"),
    )


class ProtestDecisionForm(EdCoopForm):
    outcome = forms.ChoiceField(widget=forms.RadioSelect, choices=[])
    decision = forms.CharField(
        label="Decision and reasons", widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limit(Protest, "decision"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .models import Protest

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = Protest.Outcome.choices  # type: ignore[attr-defined]


class CommitteeForm(EdCoopForm):
    member: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, label="Evaluator")

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = users  # type: ignore[attr-defined]


class AttestForm(EdCoopForm):
    attest = forms.BooleanField(label="I sign this attestation")


class ConflictForm(EdCoopForm):
    description = forms.CharField(
        label="I have a conflict", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
        help_text="Describe it for the procurement officer (the respondent and your interest). "
        "The responses close to you and the officer replaces you on the committee.",
    )  # fmt: skip


class RemoveEvaluatorForm(EdCoopForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000,
        help_text="Required once the evaluator has submitted scores; kept in the audit trail.",
    )  # fmt: skip


class ScoreForm(EdCoopForm):
    """Scores 0 to 10 of one response's judged criteria, with an optional comment each."""

    def __init__(self, *args: Any, criteria: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for c in criteria:
            self.fields[f"score_{c.pk}"] = forms.CharField(
                label=f"{c.name} ({c.weight.normalize():f}%)",
                required=False,
                max_length=10,
                help_text="0 to 10",
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=f"Comment on {c.name}",
                required=False,
                max_length=limit(Score, "comment"),
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.criteria = criteria

    def scores(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[f"score_{c.pk}"] for c in self.criteria}

    def comments(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[f"comment_{c.pk}"] for c in self.criteria}
