"""Attack with digits that are not ASCII: "\u00b2".isdigit() is True, yet int("\u00b2")
fails; forms that read numbers with isdigit() answered a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.procurement.conftest import approve, build_bid, clock  # noqa: F401 (fixture)
from tests.procurement.test_evaluation import opened

from edcoop.contracts import orders, services
from edcoop.contracts.orders import LineInput

from .conftest import make_contract

TODAY = timezone.localdate()


def test_superscript_digits_in_form_keys_are_not_a_500(north: Any) -> None:
    """'²'.isdigit() is True but int('²') fails: the receipts form's line keys and the
    adoption form's member were read with isdigit()."""
    contract = make_contract(north, number="C-NOW", starts_on=TODAY - timedelta(days=30),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper", unit="ream",
                       unit_price="4.10")  # fmt: skip
    buyer = north.users["member_buyer"]
    order = orders.order_create(user=buyer, institution=north.institution, contract=contract,
                                lines=[LineInput(quantity="10", sku="CP-8511")])  # fmt: skip
    orders.order_approve(user=buyer, order=order)
    orders.order_send(user=buyer, order=order)
    page = Client(raise_request_exception=False)
    page.force_login(buyer)
    sent = page.post(f"/a/north/orders/{order.pk}/receive/", {"received-\u00b2": "1"})
    assert sent.status_code in (302, 400, 404), sent.status_code
    order.refresh_from_db()
    assert order.status == "sent"
    admin = Client(raise_request_exception=False)
    admin.force_login(north.users["member_admin"])
    adopted = admin.post(f"/a/north/contracts/{contract.pk}/adopt/", {"institution": "\u00b2"})
    assert adopted.status_code in (302, 400, 404), adopted.status_code
    assert not contract.adoptions.exists()



def test_a_superscript_supplier_limit_on_the_award_form(north: Any, clock: Any) -> None:  # noqa: F811
    approve(north, north.supplier)
    bid = build_bid(north)
    prices = {"1.01": "30.00", "1.02": "55.00", "2.01": "0.2900"}
    opened(north, bid, clock, [(north.supplier, north.users["supplier_rep"], prices, False)])
    officer = Client(raise_request_exception=False)
    officer.force_login(north.users["procurement_officer"])
    url = reverse("procurement:award_recommend", args=["north", bid.pk])
    sent = officer.post(url, {"method": "optimal", "max_suppliers": "\u00b2", "basis": "x"})
    assert sent.status_code in (200, 302), sent.status_code
