"""Orders are priced by the approved price list in effect on the order's date, and items a
new list leaves off are withdrawn, not deleted: hidden from the catalogue and new orders,
kept on the orders, reports and savings that name them.

Hand-worked timeline (T = today; the contract runs from T-100 to T+265):

- by hand: CP-8511 $4.10, from 100 reams $3.90
- v1 from T-60: CP-8511 $4.00, from 100 $3.80; CP-LGL (legal paper) $5.00
- v2 from T-30: CP-8511 $4.20, from 100 $3.95, from 500 $3.70; CP-TNR (toner) $60 (no legal)
- v3 from T+30: CP-8511 $4.50 (approved, not yet in force)
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from tests.web.conftest import client_for

from edcoop.contracts import orders, pricelists, queries, sales, services
from edcoop.contracts.models import (
    Contract,
    ContractItem,
    PriceListVersion,
    PurchaseOrder,
    quarter_end,
)
from edcoop.contracts.orders import LineInput
from edcoop.core.formatting import day

from .conftest import make_contract

T = timezone.localdate()
HEADER = "sku,description,unit,unit_price,category,list_price,tiers\n"
V1 = ("CP-8511,Copy paper letter,ream,4.00,Paper,6.49,100:3.80\n"
      "CP-LGL,Copy paper legal,ream,5.00,Paper,7.99,\n")  # fmt: skip
V2 = ("CP-8511,Copy paper letter,ream,4.20,Paper,6.49,100:3.95;500:3.70\n"
      "CP-TNR,Toner cartridge,each,60.00,Toner,79.00,\n")  # fmt: skip
V3 = "CP-8511,Copy paper letter,ream,4.50,Paper,6.99,\n"


def _version(tenant: Any, contract: Contract, body: str, on: date,
             approve_on: date) -> PriceListVersion:  # fmt: skip
    """Uploaded and approved as of ``approve_on`` (so a past date can be put in force)."""
    v = pricelists.upload_version(user=tenant.users["supplier_rep"], contract=contract,
                                  data=HEADER + body, effective_on=on,
                                  today=min(on, approve_on))  # fmt: skip
    return pricelists.version_approve(user=tenant.users["procurement_officer"], version=v,
                                      today=approve_on)  # fmt: skip


@pytest.fixture
def timeline(north: Any) -> Contract:
    contract = make_contract(north, number="C-DATES", starts_on=T - timedelta(days=100),
                             ends_on=T + timedelta(days=265))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper letter", unit="ream",
                       unit_price="4.10", tiers=[("100", "3.90")])  # fmt: skip
    _version(north, contract, V1, T - timedelta(days=60), T - timedelta(days=60))
    _version(north, contract, V2, T - timedelta(days=30), T - timedelta(days=30))
    _version(north, contract, V3, T + timedelta(days=30), T)
    return contract


def _order(tenant: Any, contract: Contract, on: date, *lines: tuple[str, str]) -> PurchaseOrder:
    return orders.order_create(user=tenant.users["member_buyer"], institution=tenant.institution,
                               contract=contract, ordered_on=on,
                               lines=[LineInput(q, sku=s) for s, q in lines])  # fmt: skip


def _prices(order: PurchaseOrder) -> list[tuple[str, str, str]]:
    return [(line.item.sku, f"{line.unit_price:.2f}", f"{line.amount:.2f}")
            for line in order.lines.select_related("item").order_by("pk")]  # fmt: skip


def test_the_day_before_a_version_is_priced_by_the_one_before(north: Any,
                                                               timeline: Contract) -> None:
    order = _order(north, timeline, T - timedelta(days=31), ("CP-8511", "1"),
                   ("CP-8511", "100"), ("CP-LGL", "2"))  # fmt: skip
    # v1: $4.00 base; 100 reams earn v1's $3.80 tier (v2's $3.95 and today's are not used)
    assert _prices(order) == [("CP-8511", "4.00", "4.00"), ("CP-8511", "3.80", "380.00"),
                              ("CP-LGL", "5.00", "10.00")]  # fmt: skip
    assert order.total == Decimal("394.00")
    line = order.lines.get(item__sku="CP-LGL")
    assert (line.baseline_price, line.baseline_method) == (Decimal("7.9900"), "list_price")


def test_on_the_day_a_version_takes_effect_it_prices_the_order(north: Any,
                                                              timeline: Contract) -> None:
    order = _order(north, timeline, T - timedelta(days=30), ("CP-8511", "99"),
                   ("CP-8511", "100"), ("CP-8511", "500"))  # fmt: skip
    assert _prices(order) == [("CP-8511", "4.20", "415.80"), ("CP-8511", "3.95", "395.00"),
                              ("CP-8511", "3.70", "1850.00")]  # fmt: skip
    with pytest.raises(ValidationError) as exc:  # legal paper left v2 that day
        _order(north, timeline, T - timedelta(days=30), ("CP-LGL", "1"))
    assert "'CP-LGL' was withdrawn from contract C-DATES's price list" in str(exc.value)


def test_a_future_dated_order_uses_the_future_version_without_bringing_it_in(
    north: Any, timeline: Contract
) -> None:
    eve = _order(north, timeline, T + timedelta(days=29), ("CP-8511", "1"))
    assert _prices(eve) == [("CP-8511", "4.20", "4.20")]
    day = _order(north, timeline, T + timedelta(days=30), ("CP-8511", "1"))
    assert _prices(day) == [("CP-8511", "4.50", "4.50")]
    # today's list is still v2, for everyone else
    assert ContractItem.objects.get(contract=timeline, sku="CP-8511").unit_price == Decimal(
        "4.2000")  # fmt: skip
    assert timeline.versions.get(number=3).applied_at is None
    today = _order(north, timeline, T, ("CP-8511", "1"))
    assert _prices(today) == [("CP-8511", "4.20", "4.20")]
    # the line links to the contract's one item of that SKU, whatever the date
    assert day.lines.get().item_id == today.lines.get().item_id


def test_dates_without_an_approved_list_or_outside_the_term_are_refused(
    north: Any, timeline: Contract
) -> None:
    before = T - timedelta(days=61)  # in the term, before v1: the hand prices are gone
    with pytest.raises(ValidationError) as exc:
        _order(north, timeline, before, ("CP-8511", "1"))
    assert exc.value.message_dict["ordered_on"] == [
        f"No approved price list of contract C-DATES was in effect on {day(before)}; the "
        f"first took effect on {day(before + timedelta(days=1))}."]  # fmt: skip
    with pytest.raises(ValidationError, match="The contract starts on"):
        _order(north, timeline, T - timedelta(days=101), ("CP-8511", "1"))
    with pytest.raises(ValidationError, match="The contract expired on"):
        _order(north, timeline, T + timedelta(days=266), ("CP-8511", "1"))
    assert not PurchaseOrder.objects.exists()


def test_a_list_never_replaced_prices_past_orders_from_its_items(north: Any) -> None:
    contract = make_contract(north, number="C-HAND", starts_on=T - timedelta(days=100),
                             ends_on=T + timedelta(days=265))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="P-1", description="Pens", unit="box", unit_price="2.00")  # fmt: skip
    order = _order(north, contract, T - timedelta(days=90), ("P-1", "3"))
    assert _prices(order) == [("P-1", "2.00", "6.00")]


def test_an_item_left_off_is_withdrawn_and_kept_where_it_is_named(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    buyer = north.users["member_buyer"]
    old = orders.order_create(user=buyer, institution=north.institution, contract=paper,
                              lines=[LineInput("100", sku="CP-8511")])  # fmt: skip
    spare = services.item_save(user=north.users["procurement_officer"], contract=paper,
                               sku="CP-SPARE", description="Never ordered", unit="each",
                               unit_price="1")  # fmt: skip
    _version(north, paper, "CP-9000,Toner,each,60,Toner,,\n", T, T)
    ream.refresh_from_db()
    spare.refresh_from_db()
    # withdrawn, not deleted: the old order's line keeps its item, price and saving
    assert ream.withdrawn_on == T and spare.withdrawn_on == T
    line = old.lines.get()
    assert line.item_id == ream.pk and line.unit_price == Decimal("3.9000")
    assert line.saving() == Decimal("259.00")  # (6.49 - 3.90) x 100
    # hidden from the catalogue and the contract's list, refused on new orders
    found = queries.catalogue(user=buyer, agency=north.agency, keyword="letter")
    assert [i.sku for i in found.items] == []
    found = queries.catalogue(user=buyer, agency=north.agency, keyword="toner")
    assert [i.sku for i in found.items] == ["CP-9000"]
    with pytest.raises(ValidationError, match="'CP-8511' was withdrawn from contract"):
        orders.order_create(user=buyer, institution=north.institution, contract=paper,
                            lines=[LineInput("1", sku="CP-8511")])  # fmt: skip
    client = client_for(buyer)
    page = client.get(f"/a/north/contracts/{paper.pk}/").content.decode()
    assert "CP-9000" in page and "CP-8511" not in page and "2 items withdrawn" in page
    assert "CP-8511" not in client.get(f"/a/north/contracts/{paper.pk}/order/").content.decode()
    assert "Copy paper, letter" in client.get(f"/a/north/orders/{old.pk}/").content.decode()
    from edcoop.contracts.pdf import order_html

    assert "Copy paper, letter" in order_html(old)
    # the supplier's quarterly report still names it, and reconciles against the order
    orders.order_approve(user=buyer, order=old)
    orders.order_send(user=buyer, order=old)
    quarter = (T.month - 1) // 3 + 1
    after = quarter_end(T.year, quarter) + timedelta(days=1)
    report = sales.report_file(user=north.users["supplier_rep"], contract=paper, year=T.year,
                               quarter=quarter, today=after, rows=[
        {"member": str(north.institution.pk), "sku": "CP-8511", "quantity": "100",
         "unit_price": "3.90", "invoice_date": T.isoformat()}])  # fmt: skip
    assert report.lines.get().item_id == ream.pk
    assert sales.reconcile(report) == []
    # a later list naming it again brings the same item back into force
    _version(north, paper, "CP-8511,Copy paper,ream,4.05,Paper,,\n", T + timedelta(days=1),
             T + timedelta(days=1))  # fmt: skip
    ream.refresh_from_db()
    assert ream.withdrawn_on is None and ream.unit_price == Decimal("4.0500")
