"""Forms keep what the person typed and say their limits first (issue 11, item 5): a refused
quantity is shown again exactly as typed (a text field, not type="number", which a browser
empties when it holds "1,2x0"), and a long text field states its limit in its hint."""

from __future__ import annotations

from django.urls import reverse
from tests.web.conftest import client_for

from edcoop.procurement.models import LineItem

from .conftest import build_bid


def test_a_refused_quantity_comes_back_as_typed_with_the_reason(north, clock):
    draft = build_bid(north, publish=False)
    lot = draft.lots.first()
    c = client_for(north.users["procurement_officer"])
    url = reverse("procurement:item_add", args=["north", draft.pk])
    before = LineItem.objects.count()
    answer = c.post(url, {"lot": lot.pk, "number": "9.01", "description": "Toner",
                          "unit": "box", "estimated_quantity": "1,2x0"})  # fmt: skip
    body = answer.content.decode()
    assert answer.status_code == 200 and LineItem.objects.count() == before
    assert 'value="1,2x0"' in body and 'type="number"' not in body
    assert 'inputmode="decimal"' in body
    # People's numbers are accepted as people write them.
    c.post(url, {"lot": lot.pk, "number": "9.02", "description": "Toner", "unit": "box",
                 "estimated_quantity": "1,200"})  # fmt: skip
    assert str(LineItem.objects.get(number="9.02").estimated_quantity) == "1200.00"


def test_a_long_text_field_says_its_limit_before_typing(north, clock):
    draft = build_bid(north, publish=False)
    c = client_for(north.users["procurement_officer"])
    body = c.get(reverse("procurement:item_add", args=["north", draft.pk])).content.decode()
    assert 'maxlength="300"' in body  # the description's column
    page = client_for(north.users["agency_admin"]).get("/a/north/settings/").content.decode()
    assert "Payee, ACH details, what to write on the check. At most 2,000 characters." in page
    assert 'maxlength="2000"' in page
