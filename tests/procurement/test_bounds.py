"""Bounds at the door: a bid price or tier the column cannot hold, or that makes no sense,
is refused naming its field, on the page and the API, and nothing is received."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.api.conftest import _api_for
from tests.web.conftest import client_for

from edcoop.procurement.models import Response

from .conftest import items

pytestmark = pytest.mark.django_db

ATTACKS = [
    ("12345678901.0000", "too large"),  # overflowed BidLine.unit_price at the opening
    ("1E+30", "exponent"),
    ("1" * 40, "too large"),
    ("-0", "negative zero"),
    ("\u0661\u0662", "not a number"),  # Arabic-Indic digits
    ("1_000", "not a number"),
]


@pytest.mark.parametrize(("price", "reason"), ATTACKS)
def test_the_api_refuses_a_bad_price_naming_the_field(north, bid, price, reason):
    its = items(bid)
    body = {"supplier_id": north.supplier.pk, "attestations": ["non_collusion"],
            "lines": [{"item_id": its["2.01"].pk, "unit_price": price}]}  # fmt: skip
    r = _api_for(north.users["supplier_rep"]).post(
        f"/agencies/north/solicitations/{bid.pk}/responses", body
    )
    assert r.status_code == 422, r.content
    assert "lines.0.unit_price" in r.json()["detail"] and reason in r.json()["detail"]
    assert not Response.objects.exists()


@pytest.mark.parametrize(("price", "reason"), ATTACKS)
def test_the_api_refuses_a_bad_tier_naming_the_field(north, bid, price, reason):
    its = items(bid)
    body = {"supplier_id": north.supplier.pk, "attestations": ["non_collusion"],
            "lines": [{"item_id": its["2.01"].pk, "unit_price": "0.29",
                       "tiers": [{"min_quantity": price, "unit_price": "0.28"}]}]}  # fmt: skip
    r = _api_for(north.users["supplier_rep"]).post(
        f"/agencies/north/solicitations/{bid.pk}/responses", body
    )
    assert r.status_code == 422, r.content
    assert "lines.0.tiers.0.min_quantity" in r.json()["detail"]
    assert not Response.objects.exists()


def _post(north, bid, fields, action="submit"):
    url = reverse("procurement:respond", args=["north", north.supplier.pk, bid.pk])
    data = {"attestations": ["non_collusion"], "action": action, **fields}
    return client_for(north.users["supplier_rep"]).post(url, data)


@pytest.mark.parametrize("action", ["submit", "draft"])
@pytest.mark.parametrize(("price", "reason"), ATTACKS)
def test_the_form_refuses_a_bad_price_naming_the_line(north, bid, price, reason, action):
    its = items(bid)
    r = _post(north, bid, {f"price_{its['2.01'].pk}": price}, action)
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert list(errors) == [f"price_{its['2.01'].pk}"], errors
    assert "Item 2.01" in errors[f"price_{its['2.01'].pk}"][0]
    assert reason in errors[f"price_{its['2.01'].pk}"][0]
    assert not Response.objects.exists()


def test_every_bad_price_and_tier_of_a_form_is_named_in_one_round(north, bid):
    its = items(bid)
    r = _post(north, bid, {
        f"price_{its['1.01'].pk}": "1E+30", f"price_{its['1.02'].pk}": "-0",
        f"price_{its['2.01'].pk}": "0.29", f"tiers_{its['2.01'].pk}": "1_000: 0.28; 0: 0.27",
    })  # fmt: skip
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert set(errors) == {f"price_{its['1.01'].pk}", f"price_{its['1.02'].pk}",
                           f"tiers_{its['2.01'].pk}"}  # fmt: skip
    assert len(errors[f"tiers_{its['2.01'].pk}"]) == 2  # both tiers, each with its reason
    assert not Response.objects.exists()


def test_the_largest_price_the_column_holds_is_received(north, bid):
    its = items(bid)
    r = _post(north, bid, {f"price_{its['2.01'].pk}": "9,999,999,999.9999"})
    assert r.status_code == 302
    assert Response.objects.filter(status="submitted").count() == 1


@pytest.mark.parametrize("junk", ["\u00b2", "99999999999999999999999", "abc", "-1", "999"])
def test_junk_in_remove_is_refused_not_a_500(north, bid, junk):
    its = items(bid)
    r = _post(north, bid, {f"price_{its['2.01'].pk}": "0.29", "remove": [junk]}, "draft")
    assert r.status_code == 400
    assert "not in your draft" in str(r.context["form"].non_field_errors())
    assert not Response.objects.exists()
