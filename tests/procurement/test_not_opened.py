"""Withdrawn and replaced responses are never decrypted, after the opening too: listed as
"withdrawn, not opened" / "replaced" without prices on every page, the API and OCDS."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.api.conftest import _api_for
from tests.web.conftest import client_for

from edcoop.core.models import AuditEvent
from edcoop.procurement import opening, responses, sealing
from edcoop.procurement.models import Response

from .conftest import OPENING, offer, second_supplier

pytestmark = pytest.mark.django_db

REPLACED, WITHDRAWN, COUNTED = "11.1111", "22.2222", "33.3333"


@pytest.fixture
def opened(north, bid, clock, monkeypatch):
    rep = north.users["supplier_rep"]
    for price in (REPLACED, COUNTED):
        responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                  data=offer(bid, {"2.01": price}))  # fmt: skip
    other, other_rep = second_supplier(north)
    responses.response_submit(user=other_rep, solicitation=bid, supplier=other,
                              data=offer(bid, {"2.01": WITHDRAWN}))  # fmt: skip
    responses.response_withdraw(user=other_rep, solicitation=bid, supplier=other)
    clock.set(OPENING)
    unopened = set(Response.objects.exclude(status="submitted").values_list("pk", flat=True))
    real = sealing._unseal

    def watched(token):
        assert not any(bytes(r.sealed) == bytes(token)
                       for r in Response.objects.filter(pk__in=unopened)), "decrypted!"  # fmt: skip
        return real(token)

    # Nothing on the agency's side may decrypt a withdrawn or replaced envelope.
    monkeypatch.setattr(sealing, "_unseal", watched)
    opening.solicitation_open(user=None, solicitation=bid)
    out: dict = {r.status: r for r in Response.objects.all()}
    out["_unseal"] = real
    return out


def test_the_api_lists_them_unopened(north, bid, opened):
    for role in ("auditor", "procurement_officer", "evaluator"):
        api = _api_for(north.users[role])
        labels = {"withdrawn": "Withdrawn, not opened",
                  "superseded": "Replaced by a later submission, not opened"}  # fmt: skip
        for status, label in labels.items():
            r = api.get(f"/agencies/north/solicitations/{bid.pk}/responses/{opened[status].pk}")
            assert r.status_code == 200, r.content
            assert r.json()["content"] is None and r.json()["not_opened"] == label
            assert REPLACED not in r.content.decode() and WITHDRAWN not in r.content.decode()
        counted = api.get(f"/agencies/north/solicitations/{bid.pk}/responses/"
                          f"{opened['submitted'].pk}")  # fmt: skip
        assert counted.json()["content"]["lines"][0]["unit_price"] == COUNTED


def test_the_console_page_refuses_and_records_the_attempt(north, bid, opened):
    c = client_for(north.users["auditor"])
    url = reverse("procurement:response", args=["north", bid.pk, opened["withdrawn"].pk])
    r = c.get(url)
    assert r.status_code == 403 and WITHDRAWN not in r.content.decode()
    assert AuditEvent.objects.filter(action="response.sealed_read_refused").exists()
    detail = c.get(reverse("procurement:detail", args=["north", bid.pk])).content.decode()
    assert "Withdrawn, not opened" in detail
    assert "Replaced by a later submission, not opened" in detail


def test_tabulation_and_ocds_list_them_without_prices(north, bid, opened, client):
    page = client.get(reverse("procurement:tabulation", args=["north", bid.pk])).content.decode()
    assert "withdrawn, not opened" in page and "replaced by a later submission" in page
    assert COUNTED[:5] in page and WITHDRAWN[:5] not in page and REPLACED[:5] not in page
    csv = client.get(reverse("procurement:tabulation", args=["north", bid.pk]) + "?format=csv")
    text = csv.content.decode()
    assert "Withdrawn, not opened" in text and "Replaced by a later submission" in text
    assert WITHDRAWN[:5] not in text and REPLACED[:5] not in text
    api = _api_for(north.users["auditor"])
    tab = api.get(f"/agencies/north/solicitations/{bid.pk}/tabulation").json()
    assert {n["status"] for n in tab["not_opened"]} == {
        "Withdrawn, not opened", "Replaced by a later submission, not opened"}  # fmt: skip
    ocds = api.get(f"/agencies/north/solicitations/{bid.pk}/ocds")
    assert ocds.status_code == 200
    assert '"withdrawn"' in ocds.content.decode() and "22.2222" not in ocds.content.decode()


def test_the_supplier_still_reads_its_own(north, bid, opened, monkeypatch):
    monkeypatch.setattr(sealing, "_unseal", opened["_unseal"])  # its own envelope
    api = _api_for(north.users["supplier_rep"])
    r = api.get(f"/agencies/north/solicitations/{bid.pk}/responses/{opened['superseded'].pk}")
    assert r.json()["content"]["lines"][0]["unit_price"] == REPLACED
