"""Bodies too large for their route are a 413 with a message, before anything reads them;
the API's bid responses take the documented 10 MB attachments in base64."""

from __future__ import annotations

import base64
import html
import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from tests.api.conftest import BASE
from tests.procurement.conftest import items

from edcoop.members.models import Institution
from edcoop.procurement.models import Response

MB = 1024 * 1024


def test_a_json_body_over_2_5_mb_is_413_json(north, anon, state):
    before = state()
    body = {"name": "Big CSD", "kind": "public_k12", "state": "NY", "notes": "x" * (3 * MB)}
    r = anon.post("/agencies/north/applications", body)
    assert r.status_code == 413
    assert r.json()["detail"].startswith("The request is 3 MB; this address takes at most 2.5 MB.")
    assert state() == before


def test_a_form_over_2_5_mb_is_a_413_page(north):
    before = Institution.objects.count()
    r = Client().post(reverse("members:join", args=["north"]), "name=Big&notes=" + "x" * 3 * MB,
                      content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert r.status_code == 413
    assert "this address takes at most 2.5 MB" in html.unescape(r.content.decode())
    assert Institution.objects.count() == before


def test_a_bad_content_length_is_400(north):
    r = Client().generic("POST", "/api/v1/agencies/north/applications", b"{}",
                         content_type="application/json", CONTENT_LENGTH="lots")  # fmt: skip
    assert r.status_code == 400
    assert r.json()["detail"] == "The Content-Length is not a number."


def test_the_api_takes_a_10_mb_attachment_with_a_bid_response(north, bid, api_for):
    its = items(bid)
    pdf = b"%PDF-1.7\n" + b"0" * (10 * MB - 9)
    body = {"supplier_id": north.supplier.pk, "attestations": ["non_collusion"],
            "lines": [{"item_id": its["2.01"].pk, "unit_price": "0.2875"}],
            "attachments": [{"filename": "catalog.pdf", "content_type": "application/pdf",
                             "content_base64": base64.b64encode(pdf).decode()}]}  # fmt: skip
    payload = json.dumps(body)
    assert len(payload) > 13 * MB
    api = api_for(north.users["supplier_rep"])
    r = api.client.post(f"{BASE}/agencies/north/solicitations/{bid.pk}/responses", payload,
                        content_type="application/json", headers=api._headers())  # fmt: skip
    assert r.status_code == 201, r.content[:300]
    response = Response.objects.get(pk=r.json()["response_id"])
    assert response.is_current


def test_even_that_route_has_a_ceiling(north, bid, api_for):
    api = api_for(north.users["supplier_rep"])
    big = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    r = api.client.post(f"{BASE}/agencies/north/solicitations/{bid.pk}/responses", big,
                        content_type="application/json", headers=api._headers())  # fmt: skip
    assert r.status_code == 413
    assert "at most 32 MB" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/agencies/north/institutions", "/a/north/members/"])
def test_other_routes_keep_the_small_limit_for_every_method(north, path):
    c = Client()
    c.force_login(north.users["agency_admin"])
    r = c.generic("PATCH", path, b"x" * (3 * MB), content_type="application/json")
    assert r.status_code == 413
