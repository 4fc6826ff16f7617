"""What the door refuses besides bad numbers (those are ``core.decimals``): NUL characters,
moments outside any sensible range, and text longer than its column.

One set of rules for forms (:class:`CheckedInputsMixin`, which every ``EdCoopForm`` has)
and for the API (the ``In`` schema base class), so a NUL byte or a year-0001 deadline is a
field error everywhere instead of a database error (PostgreSQL refuses NUL in text) or an
overflow when the moment is moved between time zones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models

# A deadline, a payment date or a decision outside these years is a typo; the bounds also
# keep every moment convertible between time zones (year 1 and 9999 overflow).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999

NUL_MESSAGE = "contains a NUL character (\\u0000), which is not text"


def has_nul(value: Any) -> bool:
    """A NUL anywhere in a string, a list or a mapping (keys too), or a file's name."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, UploadedFile):
        return "\x00" in (value.name or "")
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_nul(v) for v in value)
    return False


def moment_problem(value: Any) -> str | None:
    """Why a date or datetime is refused, or None."""
    if isinstance(value, date | datetime) and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
    return None


# Free text by what it holds, so the same kind of text has the same limit everywhere.
ADDRESS = 500  # an address, a remit-to
NOTE = 2_000  # a reason, a note, a finding, a short statement
STATEMENT = 5_000  # a description, specifications, a question, a comment
LONG = 10_000  # an answer, a study, a decision
DOCUMENT = 20_000  # a solicitation's description, an addendum, a protest's grounds


def long_text(limit: int, verbose_name: str | None = None,
              **kwargs: Any) -> models.TextField[Any, Any]:  # fmt: skip
    """A free-text column with a declared limit, kept on every path: a form built on it gets
    ``maxlength`` and "At most N characters." in its hint, ``full_clean`` (every service's
    save) refuses longer text naming the field, and an API body bound to it (``In.columns``)
    declares ``maxLength`` and refuses longer text with a 422. Never cut."""
    kwargs.update(max_length=limit, validators=[MaxLengthValidator(limit)])
    return models.TextField(verbose_name, **kwargs)


def column_length(models_: tuple[type[models.Model], ...], name: str) -> int | None:
    """The max_length of the first of ``models_`` with a text column called ``name``."""
    for model in models_:
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: S112 (FieldDoesNotExist: try the next model)
            continue
        length = getattr(field, "max_length", None)
        if isinstance(field, models.CharField | models.TextField) and length:
            return int(length)
    return None


def limit(model: type[models.Model], name: str) -> int:
    """The declared length limit of ``model``'s text column ``name`` (for a form's field)."""
    length = column_length((model,), name)
    if length is None:
        raise LookupError(f"{model.__name__}.{name} declares no length limit")
    return length


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _refuse_nul(value: Any) -> None:
    if has_nul(value):
        raise ValidationError(_capital(NUL_MESSAGE), code="null_characters_not_allowed")


def _refuse_far_moment(value: Any) -> None:
    problem = moment_problem(value)
    if problem:
        raise ValidationError(_capital("The date " + problem), code="out_of_range")


def _say_the_length_limit(field: forms.Field) -> None:
    """A long text's limit is said before the person types (the maxlength attribute alone
    stops the typing without a word): "At most 2,000 characters." joins the field's hint."""
    limit = getattr(field, "max_length", None)
    if not limit or not isinstance(field.widget, forms.Textarea):
        return
    said = f"At most {limit:,} characters."
    hint = str(field.help_text or "")
    if said not in hint:
        field.help_text = f"{hint} {said}".strip()


class CheckedInputsMixin:
    """A form whose every field refuses NUL characters (file names included) and whose
    date and time fields refuse years outside EARLIEST_YEAR..LATEST_YEAR."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Each form instance has its own deep copies of the fields, so this is local.
            if not any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators):
                field.validators = [*field.validators, _refuse_nul]
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(_refuse_far_moment)
            _say_the_length_limit(field)
