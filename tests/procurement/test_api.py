"""The solicitations API: sealing on every read, receipts, idempotency, tenancy."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from tests.api.conftest import BASE, Api, _api_for

from edcoop.core.models import AuditEvent
from edcoop.procurement import responses
from edcoop.procurement.models import Response

from .conftest import OPENING, build_bid, items, offer

pytestmark = pytest.mark.django_db


def _body(north, s, prices, **extra):
    its = items(s)
    body = {"supplier_id": north.supplier.pk,
            "lines": [{"item_id": its[n].pk, "unit_price": p} for n, p in prices.items()],
            "attestations": ["non_collusion"]}  # fmt: skip
    body.update(extra)
    return body


def test_supplier_submits_and_gets_a_receipt_once_per_key(north, bid):
    api = _api_for(north.users["supplier_rep"])
    body = _body(
        north,
        bid,
        {"2.01": "0.2875"},
        idempotency_key="retry-1",
        attachments=[
            {
                "filename": "ins.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(b"%PDF-1.7\n").decode(),
            }
        ],
    )
    first = api.post(f"/agencies/north/solicitations/{bid.pk}/responses", body)
    assert first.status_code == 201, first.content
    receipt = first.json()
    assert len(receipt["sha256"]) == 64 and receipt["version"] == 1
    again = api.post(f"/agencies/north/solicitations/{bid.pk}/responses", body)
    assert again.json() == receipt
    assert Response.objects.count() == 1
    own = api.get(f"/agencies/north/solicitations/{bid.pk}/responses/{receipt['response_id']}")
    assert own.status_code == 200
    assert own.json()["content"]["lines"][0]["unit_price"] == "0.2875"


def test_same_key_with_different_content_is_409(north, bid, clock):
    from datetime import timedelta

    api = _api_for(north.users["supplier_rep"])
    url = f"/agencies/north/solicitations/{bid.pk}/responses"
    first = api.post(url, _body(north, bid, {"2.01": "0.2875"}, idempotency_key="k-9"))
    assert first.status_code == 201
    clock.set(clock.now + timedelta(seconds=3))
    changed = api.post(url, _body(north, bid, {"2.01": "0.2700"}, idempotency_key="k-9"))
    assert changed.status_code == 409
    detail = changed.json()["detail"]
    assert "idempotency key" in detail and "different" in detail
    assert "0.27" not in detail
    assert Response.objects.count() == 1
    # The header carries the key as well; the same content still gets the first receipt.
    same = api.client.post(BASE + url, json.dumps(_body(north, bid, {"2.01": "0.2875"})),
                           content_type="application/json",
                           headers={**api._headers(), "Idempotency-Key": "k-9"})  # fmt: skip
    assert same.status_code == 201 and same.json() == first.json()
    assert Response.objects.count() == 1


def test_a_key_in_the_header_longer_than_its_column_is_refused_never_cut(north, bid, clock):
    # Two keys sharing their first 100 characters are two requests: cutting them to fit made
    # a genuine revision collide with the first (409). Past the column it is refused.
    from datetime import timedelta

    api = _api_for(north.users["supplier_rep"])
    url = BASE + f"/agencies/north/solicitations/{bid.pk}/responses"

    def send(price: str, key: str) -> Any:
        return api.client.post(url, json.dumps(_body(north, bid, {"2.01": price})),
                               content_type="application/json",
                               headers={**api._headers(), "Idempotency-Key": key})  # fmt: skip

    at_limit = send("0.2875", "k" * 100)
    assert at_limit.status_code == 201, at_limit.content
    clock.set(clock.now + timedelta(seconds=3))
    longer = send("0.2700", "k" * 100 + "-revision-2")
    assert longer.status_code == 400
    assert longer.json()["errors"] == {"idempotency_key": ["At most 100 characters of text "
                                                           "(111 sent)."]}  # fmt: skip
    assert Response.objects.count() == 1


def test_attachment_content_must_match_its_extension(north, bid):
    api = _api_for(north.users["supplier_rep"])
    fake = {"filename": "insurance.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(b"MZ\x90\x00 not a pdf").decode()}  # fmt: skip
    r = api.post(f"/agencies/north/solicitations/{bid.pk}/responses",
                 _body(north, bid, {"2.01": "1"}, attachments=[fake]))  # fmt: skip
    assert r.status_code == 400
    assert "insurance.pdf" in r.json()["detail"] and "not a PDF" in r.json()["detail"]
    assert not Response.objects.exists()


@pytest.mark.parametrize(("prices", "status", "needle"), [
    ({"2.01": "-1"}, 422, "cannot be negative"),
    ({"2.01": "abc"}, 422, "lines.0.unit_price"),
    ({"1.01": "5"}, 400, "1.02"),
])  # fmt: skip
def test_bad_prices_are_refused_naming_the_line(north, bid, prices, status, needle):
    api = _api_for(north.users["supplier_rep"])
    r = api.post(f"/agencies/north/solicitations/{bid.pk}/responses", _body(north, bid, prices))
    assert r.status_code == status and needle in r.json()["detail"]
    assert not Response.objects.exists()


def test_float_prices_are_422(north, bid):
    api = _api_for(north.users["supplier_rep"])
    body = _body(north, bid, {"2.01": "1"})
    body["lines"][0]["unit_price"] = 0.29
    assert api.post(f"/agencies/north/solicitations/{bid.pk}/responses", body).status_code == 422


@pytest.mark.parametrize("role", ["agency_admin", "procurement_officer", "evaluator", "auditor"])
def test_staff_see_envelopes_only_and_reading_is_refused_and_audited(north, bid, role):
    receipt = responses.response_submit(
        user=north.users["supplier_rep"],
        solicitation=bid,
        supplier=north.supplier,
        data=offer(bid, {"2.01": "0.2875"}),
    )
    api = _api_for(north.users[role])
    listing = api.get(f"/agencies/north/solicitations/{bid.pk}/responses")
    assert listing.status_code == 200
    assert listing.json()[0]["supplier"] == "North Paper Co"
    assert "0.2875" not in listing.content.decode()
    r = api.get(f"/agencies/north/solicitations/{bid.pk}/responses/{receipt.response_id}")
    assert r.status_code == 403 and "0.2875" not in r.content.decode()
    event = AuditEvent.objects.filter(action="response.sealed_read_refused").last()
    assert event.actor_id == north.users[role].pk and event.source == "api"
    for path in ("tabulation", "ocds"):
        body = api.get(f"/agencies/north/solicitations/{bid.pk}/{path}")
        assert "0.2875" not in body.content.decode()


def test_public_reads_and_tabulation_after_opening(north, bid, clock):
    responses.response_submit(
        user=north.users["supplier_rep"],
        solicitation=bid,
        supplier=north.supplier,
        data=offer(bid, {"2.01": "0.2875"}),
    )
    anon = Api()
    assert anon.get("/agencies/north/solicitations").json()[0]["number"] == "IFB-2026-01"
    assert anon.get(f"/agencies/north/solicitations/{bid.pk}").status_code == 200
    assert anon.get(f"/agencies/north/solicitations/{bid.pk}/tabulation").status_code == 404
    clock.set(OPENING)
    officer = _api_for(north.users["procurement_officer"])
    assert officer.post(f"/agencies/north/solicitations/{bid.pk}/open").status_code == 200
    tab = anon.get(f"/agencies/north/solicitations/{bid.pk}/tabulation").json()
    milk = next(r for r in tab["rows"] if r["item"] == "2.01")
    assert milk["bids"][0] == {
        "supplier": "North Paper Co",
        "unit_price": "0.2875",
        "extended": "95.74",
        "lowest": True,
        "max_quantity": None,
    }
    ocds = anon.get(f"/agencies/north/solicitations/{bid.pk}/ocds").json()
    assert ocds["bids"]["details"][0]["items"][0]["unitPrice"] == 0.2875


def test_drafts_and_other_agencies_are_404(north, nation, clock):
    s = build_bid(north, publish=False)
    assert Api().get(f"/agencies/north/solicitations/{s.pk}").status_code == 404
    other = _api_for(nation.users["agency_admin"])
    assert other.get(f"/agencies/north/solicitations/{s.pk}").status_code == 404
    assert other.post(f"/agencies/north/solicitations/{s.pk}/publish").status_code == 404


def test_officer_builds_and_publishes_through_the_api(north, clock):
    api = _api_for(north.users["procurement_officer"])
    r = api.post(
        "/agencies/north/solicitations",
        {
            "number": "RFQ-1",
            "title": "Trash liners",
            "kind": "rfq",
            "responses_due_at": "2026-03-20T18:00:00Z",
            "opening_at": "2026-03-20T19:00:00Z",
        },
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    lot = api.post(f"/agencies/north/solicitations/{sid}/lots", {"title": "Liners"}).json()
    item = api.post(
        f"/agencies/north/solicitations/{sid}/items",
        {
            "lot_id": lot["id"],
            "number": "1",
            "description": "40-45 gal liner",
            "unit": "case",
            "estimated_quantity": "250",
        },
    )
    assert item.status_code == 201 and item.json()["estimated_quantity"] == "250.00"
    assert api.post(f"/agencies/north/solicitations/{sid}/publish").json()["status"] == "published"
    buyer = _api_for(north.users["member_buyer"])
    assert buyer.post(f"/agencies/north/solicitations/{sid}/publish").status_code == 403


def test_member_commits_demand_through_the_api(north, clock):
    from datetime import timedelta

    from .conftest import NOW

    s = build_bid(north, publish=False)
    s.survey_deadline = NOW + timedelta(days=1)
    s.save()
    buyer = _api_for(north.users["member_buyer"])
    item = items(s)["1.01"]
    path = f"/agencies/north/solicitations/{s.pk}/demand/{north.institution.pk}"
    r = buyer.put(path, {"quantities": {str(item.pk): "75"}})
    assert r.status_code == 200, r.content
    assert r.json() == {str(item.pk): "75.00"}
    staff = _api_for(north.users["auditor"]).get(f"/agencies/north/solicitations/{s.pk}/demand")
    assert Decimal(staff.json()[0]["total"]) == Decimal("75")
    other = f"/agencies/north/solicitations/{s.pk}/demand/{north.institutions[1].pk}"
    assert buyer.put(other, {"quantities": {str(item.pk): "1"}}).status_code == 404


def test_withdraw_through_the_api(north, bid):
    """``POST .../responses/withdraw`` was shadowed by ``GET .../responses/{rid}`` (405)."""
    api = _api_for(north.users["supplier_rep"])
    url = f"/agencies/north/solicitations/{bid.pk}/responses"
    assert api.post(url, _body(north, bid, {"2.01": "0.2875"})).status_code == 201
    r = api.post(url + "/withdraw", {"supplier_id": north.supplier.pk})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "withdrawn"
    assert Response.objects.get().status == "withdrawn"
    again = api.post(url + "/withdraw", {"supplier_id": north.supplier.pk})
    assert again.status_code == 400 and "no submitted response" in again.json()["detail"]


def test_a_representative_submits_only_for_its_own_supplier(north, nation, bid):
    """The supplier named in the body is looked up in the caller's scope: its own
    representative gets the receipt; another supplier's representative, one of another
    agency, or a supplier id of another agency gets 404; staff may not bid (403)."""
    from .conftest import second_supplier

    other, other_rep = second_supplier(north)
    url = f"/agencies/north/solicitations/{bid.pk}/responses"
    mine = _body(north, bid, {"2.01": "0.2875"})
    rep, second = _api_for(north.users["supplier_rep"]), _api_for(other_rep)
    assert second.post(url, mine).status_code == 404
    assert _api_for(nation.users["supplier_rep"]).post(url, mine).status_code == 404
    assert rep.post(url, {**mine, "supplier_id": nation.supplier.pk}).status_code == 404
    assert _api_for(north.users["procurement_officer"]).post(url, mine).status_code == 403
    assert not Response.objects.exists()
    assert second.post(url, {**mine, "supplier_id": other.pk}).status_code == 201
    assert rep.post(url, mine).status_code == 201
    assert sorted(Response.objects.values_list("supplier_id", flat=True)) == sorted(
        [north.supplier.pk, other.pk]
    )
