"""Phone numbers, checked and written one way (the ``phonenumbers`` library, Google's
libphonenumber metadata): a number of the agency's country is stored in that country's
national format, ``(585) 555-0140``; any other in international format, ``+44 20 7946
0958``. A number that cannot be dialled is refused, naming the field and what was typed.

Every agency is in a US state (``Agency.state``), so the home region is the US; a number
typed with ``+`` and a country code is read in that country.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models

HOME_REGION = "US"


def phone_normalize(value: str, *, region: str = HOME_REGION, label: str = "phone") -> str:
    """``value`` written the agency's way, or ValidationError saying why not ("" stays "")."""
    text = (value or "").strip()
    if not text:
        return ""
    example = "(585) 555-0140"
    why = (
        f"The {label} “{text[:40]}” is not a phone number: write it with its area code, "
        f"e.g. {example}, or with + and the country code."
    )
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(why, code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(why, code="invalid_phone")
    home = phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else (
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


class PhoneField(models.CharField):
    """A phone column: ``full_clean`` (which every service's save runs) stores the number
    written the one way, or refuses it with the field's name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def clean(self, value: Any, model_instance: Any) -> Any:
        # Only here (full_clean), not in to_python: queries and saves of a row stored before
        # the check must not fail.
        value = super().clean(value, model_instance)
        if not value:
            return value
        written = phone_normalize(value, label=str(self.verbose_name))
        if self.max_length is not None and len(written) > self.max_length:
            # The one way of writing it can be longer than what was typed ("ext" becomes
            # "ext. ", a country code gains spaces): never more than the column holds.
            raise ValidationError(
                f"The {self.verbose_name} “{value[:40]}” is {len(written)} characters once "
                f"written out ({written}); at most {self.max_length} are kept.",
                code="max_length",
            )
        return written
