"""An addendum may only keep or extend the response deadline (issue 8): a shorter one would
pull the opening forward on suppliers planning to the published date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from tests.api.conftest import _api_for
from tests.web.conftest import client_for

from edcoop.procurement import timing
from edcoop.procurement.models import Addendum, Solicitation

from .conftest import DUE, OPENING

pytestmark = pytest.mark.django_db


def _unchanged(bid):
    s = Solicitation.objects.get(pk=bid.pk)
    return s.responses_due_at == DUE and s.opening_at == OPENING and not Addendum.objects.exists()


def test_the_form_refuses_a_shorter_deadline_with_the_reason(north, bid):
    url = reverse("procurement:addendum_add", args=["north", bid.pk])
    local = timing.utc_to_local(north.agency, DUE - timedelta(days=2))
    r = client_for(north.users["procurement_officer"]).post(url, {
        "title": "Earlier", "body": "Responses are now due sooner.",
        "new_responses_due_at": f"{local:%Y-%m-%dT%H:%M}",
    })  # fmt: skip
    errors = r.context["form"].errors
    assert "only keep or extend the deadline" in errors["new_responses_due_at"][0]
    assert _unchanged(bid)


def test_the_api_refuses_a_shorter_deadline_with_the_reason(north, bid):
    api = _api_for(north.users["procurement_officer"])
    r = api.post(f"/agencies/north/solicitations/{bid.pk}/addenda", {
        "title": "Earlier", "body": "Sooner.",
        "new_responses_due_at": (DUE - timedelta(minutes=1)).isoformat(),
    })  # fmt: skip
    assert r.status_code == 400
    assert "only keep or extend the deadline" in r.json()["detail"]
    assert _unchanged(bid)


def test_the_same_deadline_is_kept(north, bid):
    api = _api_for(north.users["procurement_officer"])
    r = api.post(f"/agencies/north/solicitations/{bid.pk}/addenda", {
        "title": "Same", "body": "No change.", "new_responses_due_at": DUE.isoformat(),
    })  # fmt: skip
    assert r.status_code == 201, r.content
    s = Solicitation.objects.get(pk=bid.pk)
    assert s.responses_due_at == DUE and s.opening_at == OPENING
