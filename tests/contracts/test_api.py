"""The contracts API: catalogue, contract with checklist, orders and their steps, sales
reports; refusals as 400/422 naming the field; other agencies get 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests.api.conftest import _api_for as api_for

from edcoop.contracts import services
from edcoop.contracts.models import Contract, PurchaseOrder, SalesReport

from .conftest import make_contract

TODAY = timezone.localdate()


@pytest.fixture
def current(north: Any) -> Contract:
    contract = make_contract(north, number="C-NOW", starts_on=TODAY - timedelta(days=200),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper, letter", unit="ream",
                       unit_price="4.10", tiers=[("100", "3.90")])  # fmt: skip
    return contract


def test_catalogue_and_contract(north: Any, current: Contract) -> None:
    api = api_for(north.users["member_buyer"])
    found = api.get("/agencies/north/contracts", q="letter",
                    eligible_for=north.institution.pk).json()  # fmt: skip
    assert [i["sku"] for i in found["items"]] == ["CP-8511"]
    assert found["items"][0]["tiers"] == [{"min_quantity": "100.0000", "unit_price": "3.9000"}]
    one = api.get(f"/agencies/north/contracts/{current.pk}",
                  institution_id=north.institution.pk).json()  # fmt: skip
    assert one["status"] == "active" and one["checklist"][-1]["answer"] == "yes"
    assert (
        api.get(
            f"/agencies/north/contracts/{current.pk}", institution_id=north.institutions[1].pk
        ).status_code
        == 404
    )  # not mine


def test_order_through_the_api(north: Any, current: Contract) -> None:
    api = api_for(north.users["member_buyer"])
    body = {"institution_id": north.institution.pk, "contract_id": current.pk,
            "lines": [{"sku": "CP-8511", "quantity": "150"}]}  # fmt: skip
    made = api.post("/agencies/north/orders", body)
    assert made.status_code == 201, made.content
    order = made.json()
    assert (order["total"], order["lines"][0]["unit_price"]) == ("585.00", "3.9000")
    assert api.post(f"/agencies/north/orders/{order['id']}/approve").json()["status"] == "approved"
    again = api.post(f"/agencies/north/orders/{order['id']}/approve")
    assert again.status_code == 400 and "status" in again.json()["errors"]


@pytest.mark.parametrize(("line", "field", "status"), [
    ({"sku": "CP-8511", "quantity": "0"}, "lines[1].quantity", 400),
    ({"sku": "CP-8511", "quantity": "-5"}, "lines.0.quantity", 422),
    ({"sku": "CP-8511", "quantity": 5.5}, "lines.0.quantity", 422),
    ({"sku": "CP-8511", "quantity": "1e9"}, "lines.0.quantity", 422),
    ({"sku": "NOPE", "quantity": "1"}, "lines[1].sku", 400),
    ({"sku": "CP-8511", "quantity": "1", "unit_price": "3.90"}, "lines[1].unit_price", 400),
])  # fmt: skip
def test_refusals_name_the_line(north: Any, current: Contract, line: dict[str, Any],
                                field: str, status: int) -> None:  # fmt: skip
    api = api_for(north.users["member_buyer"])
    got = api.post(
        "/agencies/north/orders",
        {"institution_id": north.institution.pk, "contract_id": current.pk, "lines": [line]},
    )
    assert got.status_code == status, got.content
    assert field in str(got.json()["errors"]), got.json()
    assert not PurchaseOrder.objects.exists()


def test_another_agency_gets_404(north: Any, nation: Any, current: Contract) -> None:
    api = api_for(nation.users["agency_admin"])
    assert api.get(f"/agencies/north/contracts/{current.pk}").status_code == 404
    assert api.get(f"/agencies/nation/contracts/{current.pk}").status_code == 404
    buyer = api_for(nation.users["member_buyer"])
    got = buyer.post(
        "/agencies/nation/orders",
        {
            "institution_id": nation.institution.pk,
            "contract_id": current.pk,
            "lines": [{"sku": "CP-8511", "quantity": "1"}],
        },
    )
    assert got.status_code == 404


def test_sales_report_through_the_api(north: Any, current: Contract) -> None:
    api = api_for(north.users["supplier_rep"])
    quarter_end = TODAY.replace(day=1) - timedelta(days=1)
    while quarter_end.month % 3:
        quarter_end = quarter_end.replace(day=1) - timedelta(days=1)
    body = {"year": quarter_end.year, "quarter": quarter_end.month // 3, "sales": [
        {"member": str(north.institution.pk), "sku": "CP-8511", "quantity": "10",
         "unit_price": "4.10", "invoice_date": quarter_end.isoformat()}]}  # fmt: skip
    bad = api.post(
        f"/agencies/north/contracts/{current.pk}/sales-reports",
        {**body, "sales": [{**body["sales"][0], "invoice_date": "2026-13-01"}]},
    )
    assert bad.status_code == 400 and "line 1: invoice_date" in bad.json()["errors"]["rows"][0]
    got = api.post(f"/agencies/north/contracts/{current.pk}/sales-reports", body)
    assert got.status_code == 201, got.content
    out = got.json()
    assert out["fee_invoice"]["amount"] == "0.82" and out["differences"] is None
    staff = (
        api_for(north.users["business_office"])
        .get(f"/agencies/north/sales-reports/{out['id']}")
        .json()
    )
    assert staff["differences"][0]["kind"] == "reported, no EdCoop order"
    assert SalesReport.objects.count() == 1


def test_the_same_request_key_returns_the_same_order(north: Any, current: Contract) -> None:
    api = api_for(north.users["member_buyer"])
    body = {"institution_id": north.institution.pk, "contract_id": current.pk,
            "lines": [{"sku": "CP-8511", "quantity": "3"}], "request_key": "po-77"}  # fmt: skip
    first, again = api.post("/agencies/north/orders", body), api.post("/agencies/north/orders",
                                                                      body)  # fmt: skip
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and PurchaseOrder.objects.count() == 1


def test_partial_receipt_through_the_api(north: Any, current: Contract) -> None:
    """A short delivery: 150 ordered, 100 came; the order is received with the shortfall,
    a later delivery brings the total to 150; totals never go down, never above ordered."""
    api = api_for(north.users["member_buyer"])
    order = api.post("/agencies/north/orders", {
        "institution_id": north.institution.pk, "contract_id": current.pk,
        "lines": [{"sku": "CP-8511", "quantity": "150"}]}).json()  # fmt: skip
    base = f"/agencies/north/orders/{order['id']}"
    api.post(base + "/approve")
    api.post(base + "/send")
    line = order["lines"][0]["id"]
    over = api.post(base + "/receive", {"received": [{"line_id": line, "quantity": "151"}]})
    assert over.status_code == 400 and "lines[1].received" in over.json()["errors"]
    other = api.post(base + "/receive", {"received": [{"line_id": line + 999, "quantity": "1"}]})
    assert other.status_code == 400 and "received" in other.json()["errors"]
    got = api.post(base + "/receive", {"received": [{"line_id": line, "quantity": "100"}]})
    assert got.status_code == 200, got.content
    assert (got.json()["status"], got.json()["lines"][0]["received_quantity"]) == (
        "received", "100.0000")  # fmt: skip
    down = api.post(base + "/receive", {"received": [{"line_id": line, "quantity": "90"}]})
    assert down.status_code == 400 and "already recorded" in str(down.json()["errors"])
    rest = api.post(base + "/receive", {"received": [{"line_id": line, "quantity": "150"}]})
    assert rest.json()["lines"][0]["received_quantity"] == "150.0000"
    outsider = api_for(north.users["supplier_rep"])
    assert outsider.post(base + "/receive").status_code in (403, 404)
