"""Phone numbers (issue 11, item 5): checked with the phonenumbers library and stored one
way -- the agency's country in national format, others in international format -- on the
join form, the supplier's profile (page and API) and the agency settings; a number that
cannot be dialled is refused naming the field and what was typed, nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from tests.web.test_join_and_decide import GOOD

from edcoop.core.phones import phone_normalize
from edcoop.members.models import Membership


@pytest.mark.parametrize(("typed", "stored"), [
    ("315-555-0100", "(315) 555-0100"),
    ("3155550100", "(315) 555-0100"),
    ("+1 315 555 0100", "(315) 555-0100"),
    ("(315) 555-0100 x12", "(315) 555-0100 ext. 12"),
    ("+44 20 7946 0958", "+44 20 7946 0958"),
    ("  ", ""),
])  # fmt: skip
def test_numbers_are_written_the_agencys_way(typed: str, stored: str) -> None:
    assert phone_normalize(typed) == stored


@pytest.mark.parametrize("typed", ["1", "555", "555-1234", "call me", "12345678901234567890",
                                   "+999 123", "(000) 000-0000"])  # fmt: skip
def test_numbers_nobody_can_dial_are_refused_saying_what_was_typed(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        phone_normalize(typed, label="phone")
    message = caught.value.messages[0]
    assert typed in message and "area code" in message


def test_join_form_refuses_a_bad_phone_by_name_and_keeps_what_was_typed(north, client) -> None:
    answer = client.post("/a/north/join/", {**GOOD, "contact_phone": "555-12"})
    body = answer.content.decode()
    assert answer.status_code == 200 and not Membership.objects.filter(
        institution__name=GOOD["name"]).exists()  # fmt: skip
    assert "is not a phone number" in body and "555-12" in body
    assert 'value="555-12"' in body  # the field shows what the person typed


def test_join_form_stores_the_number_in_national_format(north, client) -> None:
    client.post("/a/north/join/", {**GOOD, "contact_phone": "315.555.0100"})
    membership = Membership.objects.get(institution__name=GOOD["name"])
    assert membership.contact_phone == "(315) 555-0100"


def test_api_refuses_a_bad_supplier_phone_naming_the_field(north: Any, api_for: Any) -> None:
    rep = api_for(north.users["supplier_rep"])
    url = f"/agencies/north/suppliers/{north.supplier.pk}"
    answer = rep.patch(url, {"phone": "12"})
    assert answer.status_code in (400, 422), answer.content
    assert "phone" in answer.content.decode()
    north.supplier.refresh_from_db()
    assert north.supplier.phone != "12"
    assert rep.patch(url, {"phone": "518 555 0123"}).json()["phone"] == "(518) 555-0123"
