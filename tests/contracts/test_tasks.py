"""Contracts on the role homes (issue 11, item 6): each role is sent only to what it may do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from tests.web.conftest import client_for

from edcoop.contracts import orders, services
from edcoop.contracts.models import Contract
from edcoop.core.tasks import member_tasks_for, supplier_tasks_for, tasks_for

from .conftest import make_contract

TODAY = timezone.localdate()


def ending_soon(north: Any) -> Contract:
    """Began 200 days ago (two or more quarters' sales reports past due), ends in 60 days."""
    contract = make_contract(north, number="C-SOON", starts_on=TODAY - timedelta(days=200),
                             ends_on=TODAY + timedelta(days=60), renewal_options=0)  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper, letter", unit="ream",
                       unit_price="4.10", list_price="6.49")  # fmt: skip
    return contract


def titles(tasks: list[Any]) -> list[str]:
    return [t.title for t in tasks]


def test_officer_renews_and_chases_reports_others_are_not_sent(north: Any, nation: Any) -> None:
    contract = ending_soon(north)
    officer = tasks_for(north.users["procurement_officer"], north.agency)
    renew = [t for t in officer if t.title.startswith("Renew or rebid C-SOON")]
    assert renew and renew[0].url == f"/a/north/contracts/{contract.pk}/"
    chase = [t for t in officer if t.title.startswith("Chase ")]
    assert chase and "late sales report" in chase[0].title and chase[0].count >= 2
    # The business office chases reports (it invoices the fees) but does not renew contracts.
    office = titles(tasks_for(north.users["business_office"], north.agency))
    assert any(t.startswith("Chase ") for t in office)
    assert not any(t.startswith("Renew") for t in office)
    for role in ("evaluator", "auditor"):
        assert not [t for t in tasks_for(north.users[role], north.agency) if t.area == "Contracts"]
    assert not [t for t in tasks_for(nation.users["procurement_officer"], nation.agency)
                if t.area == "Contracts"]  # fmt: skip
    page = client_for(north.users["procurement_officer"]).get("/a/north/").content.decode()
    assert "Renew or rebid C-SOON" in page


def test_finance_approves_orders_above_the_threshold_the_buyer_does_not(north: Any) -> None:
    contract = ending_soon(north)
    order = orders.order_create(
        user=north.users["member_buyer"], institution=north.institution, contract=contract,
        lines=[orders.LineInput("2000", sku="CP-8511")],
    )  # fmt: skip
    small = orders.order_create(
        user=north.users["member_buyer"], institution=north.institution, contract=contract,
        lines=[orders.LineInput("10", sku="CP-8511")],
    )  # fmt: skip
    finance = member_tasks_for(north.users["member_finance"], north.agency, north.institution)
    wanted = f"Approve purchase order {order.number} ($8,200.00)"
    assert wanted in titles(finance)
    assert not any(small.number in t for t in titles(finance))  # the buyer releases it
    buyer = member_tasks_for(north.users["member_buyer"], north.agency, north.institution)
    assert not any(t.startswith("Approve purchase order") for t in titles(buyer))
    orders.order_approve(user=north.users["member_finance"], order=order)
    again = member_tasks_for(north.users["member_finance"], north.agency, north.institution)
    assert wanted not in titles(again)


def test_supplier_is_asked_for_its_own_missing_reports(north: Any) -> None:
    contract = ending_soon(north)
    rep = supplier_tasks_for(north.users["supplier_rep"], north.agency, north.supplier)
    files = [t for t in rep if t.title.startswith("File the ")]
    assert files and all(t.url == f"/a/north/contracts/{contract.pk}/sales-report/"
                         for t in files)  # fmt: skip
    assert any("was due" in t.detail for t in files)
    stranger = supplier_tasks_for(north.users["member_buyer"], north.agency, north.supplier)
    assert not [t for t in stranger if t.area == "Contracts"]


def test_officer_is_asked_to_decide_a_supplier_price_list_until_it_is_decided(
    north: Any, nation: Any
) -> None:
    from edcoop.contracts import pricelists

    contract = ending_soon(north)
    version = pricelists.upload_version(
        user=north.users["supplier_rep"], contract=contract, effective_on=TODAY,
        data="sku,description,unit,unit_price,category,list_price,tiers\n"
             "CP-8511,Copy paper,ream,4.05,Paper,,\n",
    )  # fmt: skip
    wanted = f"Approve or reject price list v{version.number} for C-SOON"
    officer = [t for t in tasks_for(north.users["procurement_officer"], north.agency)
               if t.title == wanted]  # fmt: skip
    assert officer and officer[0].url == f"/a/north/contracts/{contract.pk}/price-lists/1/"
    assert "1 item" in officer[0].detail
    # Only those who decide price lists are sent; the other agency never sees it.
    for role in ("business_office", "auditor", "evaluator"):
        assert wanted not in titles(tasks_for(north.users[role], north.agency))
    assert wanted not in titles(tasks_for(nation.users["procurement_officer"], nation.agency))
    pricelists.version_reject(user=north.users["procurement_officer"], version=version,
                              reason="Prices above the award")  # fmt: skip
    assert wanted not in titles(tasks_for(north.users["procurement_officer"], north.agency))
