"""An approved purchase order is issued: its lines are what was ordered (item, description,
quantity, unit price, tier, amount, baseline) and never change, go away or gain company; the
order itself is never deleted (cancelling it is the change that exists) nor moved to another
member, contract or funding. Each refused through the model (naming the order),
``QuerySet.update``/``delete``, ``bulk_create`` and raw SQL; receiving goods still works.
Run on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from tests.api.conftest import _api_for as api_for

from edcoop.contracts import orders
from edcoop.contracts.models import (
    FROZEN_LINE_FIELDS,
    ISSUED_ORDER_FIELDS,
    LINE_FIELDS_THAT_MOVE,
    Contract,
    ContractItem,
    PurchaseOrder,
    PurchaseOrderLine,
)

from .conftest import make_contract


def _order(north: Any, paper: Contract, *, approve: bool = True) -> PurchaseOrder:
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=paper, lines=[orders.LineInput("150", sku="CP-8511"),
                                                       orders.LineInput("3", sku="CP-8511")])
    if approve:
        orders.order_approve(user=north.users["member_buyer"], order=order)
    return PurchaseOrder.objects.get(pk=order.pk)


def _refused_by_database(write: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


LINE_CHANGES = [
    {"quantity": Decimal("1")}, {"unit_price": Decimal("0.01")}, {"amount": Decimal("1.00")},
    {"description": "Something else"}, {"tier_min": None}, {"item": None},
    {"category": "Toner"}, {"list_price": Decimal("9")}, {"baseline_price": None},
    {"baseline_method": "none"}, {"saving_cap": Decimal("5")},
]  # fmt: skip


def test_every_line_column_is_frozen_or_named_as_moving_on() -> None:
    """A column added to the line later is decided on, not left open by default."""
    columns = {f.attname for f in PurchaseOrderLine._meta.concrete_fields}
    assert columns == set(FROZEN_LINE_FIELDS) | set(LINE_FIELDS_THAT_MOVE)


@pytest.mark.parametrize("change", LINE_CHANGES, ids=lambda c: next(iter(c)))
def test_an_approved_orders_lines_refuse_change(
    north: Any, paper: Contract, ream: ContractItem, change: dict[str, Any]
) -> None:
    order = _order(north, paper)
    line = order.lines.order_by("pk").first()
    assert line is not None and line.tier_min == Decimal("100") and line.item_id
    kept = {f: getattr(line, f) for f in FROZEN_LINE_FIELDS}
    for name, value in change.items():
        setattr(line, name, value)
    with pytest.raises(ValidationError, match=f"Purchase order {order.number} is approved"):
        line.save()
    _refused_by_database(lambda: PurchaseOrderLine.objects.filter(pk=line.pk).update(**change))
    _refused_by_database(lambda: PurchaseOrderLine.objects.filter(order=order).update(**change))
    line.refresh_from_db()
    assert {f: getattr(line, f) for f in FROZEN_LINE_FIELDS} == kept


def test_an_approved_orders_lines_refuse_raw_sql(north: Any, paper: Contract,
                                                 ream: ContractItem) -> None:  # fmt: skip
    order = _order(north, paper)
    line = order.lines.order_by("pk").first()
    assert line is not None
    draft = _order(north, paper, approve=False)
    for sql, args in [
        ("UPDATE contracts_purchaseorderline SET quantity = 1, amount = 3.90 WHERE id = %s",
         [line.pk]),
        ("UPDATE contracts_purchaseorderline SET item_id = NULL WHERE id = %s", [line.pk]),
        ("UPDATE contracts_purchaseorderline SET order_id = %s WHERE id = %s",
         [draft.pk, line.pk]),
        ("DELETE FROM contracts_purchaseorderline WHERE order_id = %s", [order.pk]),
        ("INSERT INTO contracts_purchaseorderline (order_id, description, category, quantity, "
         "unit_price, amount, baseline_method, received_quantity) "
         "VALUES (%s, 'Extra', '', 1, 1, 1, '', 0)", [order.pk]),
        ("DELETE FROM contracts_purchaseorder WHERE id = %s", [order.pk]),
        ("UPDATE contracts_purchaseorder SET institution_id = %s WHERE id = %s",
         [north.institutions[1].pk, order.pk]),
        ("UPDATE contracts_purchaseorder SET funding = 'federal' WHERE id = %s", [order.pk]),
    ]:  # fmt: skip
        def write(sql: str = sql, args: list[Any] = args) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)

        _refused_by_database(write)
    # A line moved from a draft onto the approved order is a new line on it.
    moving = draft.lines.order_by("pk").first()
    assert moving is not None
    _refused_by_database(lambda: PurchaseOrderLine.objects.filter(pk=moving.pk).update(
        order_id=order.pk))  # fmt: skip
    moving.order_id = order.pk
    with pytest.raises(ValidationError, match=f"Purchase order {order.number}"):
        moving.save()
    assert order.lines.count() == 2 and PurchaseOrder.objects.filter(pk=order.pk).exists()


def test_an_approved_order_refuses_lines_going_or_coming(north: Any, paper: Contract,
                                                         ream: ContractItem) -> None:  # fmt: skip
    order = _order(north, paper)
    line = order.lines.order_by("pk").first()
    assert line is not None
    with pytest.raises(ValidationError, match=f"Purchase order {order.number} is approved"):
        line.delete()
    _refused_by_database(lambda: PurchaseOrderLine.objects.filter(pk=line.pk).delete())
    extra = PurchaseOrderLine(order=order, description="Extra", quantity=Decimal("1"),
                              unit_price=Decimal("1"), amount=Decimal("1.00"))  # fmt: skip
    with pytest.raises(ValidationError, match="cannot gain lines"):
        extra.save()
    _refused_by_database(lambda: PurchaseOrderLine.objects.bulk_create([extra]))
    assert order.lines.count() == 2


def test_an_approved_order_refuses_deletion_and_moving(north: Any, paper: Contract,
                                                       ream: ContractItem) -> None:  # fmt: skip
    order = _order(north, paper)
    with pytest.raises(ValidationError, match=f"Purchase order {order.number} is approved.*"
                                              "cancel it instead"):  # fmt: skip
        order.delete()
    _refused_by_database(lambda: PurchaseOrder.objects.filter(pk=order.pk).delete())
    # Past the lines (as an owner could remove them), the order's own row still refuses.
    other = make_contract(north, number="C-OTHER")
    for change in ({"institution": north.institutions[1]}, {"contract": other},
                   {"funding": "federal"}, {"kind": "service"}):  # fmt: skip
        _refused_by_database(lambda c=change: PurchaseOrder.objects.filter(
            pk=order.pk).update(**c))  # fmt: skip
    order.funding = "federal"
    with pytest.raises(ValidationError, match=f"Purchase order {order.number} was approved"):
        order.save()
    # The same order cancelled: still never deleted.
    cancelled = orders.order_cancel(user=north.users["member_buyer"],
                                    order=PurchaseOrder.objects.get(pk=order.pk), reason="dup")
    with pytest.raises(ValidationError, match="cancel"):
        cancelled.delete()
    _refused_by_database(lambda: PurchaseOrder.objects.filter(pk=order.pk).delete())
    assert set(ISSUED_ORDER_FIELDS) >= {"institution_id", "contract_id", "funding", "kind"}


def test_a_draft_changes_freely_and_can_be_deleted(north: Any, paper: Contract,
                                                   ream: ContractItem) -> None:  # fmt: skip
    draft = _order(north, paper, approve=False)
    line = draft.lines.order_by("pk").first()
    assert line is not None
    line.description = "Copy paper, legal"
    line.save()
    PurchaseOrderLine.objects.filter(pk=line.pk).update(quantity=Decimal("2"))
    PurchaseOrderLine.objects.create(order=draft, description="Extra", quantity=Decimal("1"),
                                     unit_price=Decimal("1"), amount=Decimal("1.00"))  # fmt: skip
    PurchaseOrder.objects.filter(pk=draft.pk).update(funding="federal")
    line.delete()
    draft.delete()
    assert not PurchaseOrder.objects.filter(pk=draft.pk).exists()
    assert not PurchaseOrderLine.objects.filter(order_id=draft.pk).exists()


def test_receiving_goods_still_works(north: Any, paper: Contract, ream: ContractItem) -> None:
    buyer = north.users["member_buyer"]
    order = _order(north, paper)
    orders.order_send(user=buyer, order=order)
    first, second = order.lines.order_by("pk")
    orders.order_receive(user=buyer, order=order, received={first.pk: "100", second.pk: "3"})
    assert PurchaseOrder.objects.get(pk=order.pk).status == "received"
    orders.order_receive(user=buyer, order=order, received={first.pk: "150"})
    orders.order_close(user=buyer, order=PurchaseOrder.objects.get(pk=order.pk))
    got = dict(order.lines.values_list("pk", "received_quantity"))
    assert got == {first.pk: Decimal("150"), second.pk: Decimal("3")}
    # Only the goods received move: the model saves a line whose other columns stand.
    first.refresh_from_db()
    first.received_quantity = Decimal("150")
    first.save()


def test_the_api_shows_what_an_approved_order_was_issued_with(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    api = api_for(north.users["member_buyer"])
    draft = _order(north, paper, approve=False)
    shown = api.get(f"/agencies/north/orders/{draft.pk}").json()
    assert (shown["bill_to"], shown["vendor"], shown["contract_text"]) == (None, None, None)
    approved = api.post(f"/agencies/north/orders/{draft.pk}/approve").json()
    kept = PurchaseOrder.objects.get(pk=draft.pk)
    assert approved["bill_to"] == kept.bill_to and approved["bill_to"].startswith(
        north.institution.name)  # fmt: skip
    assert approved["vendor"] == kept.vendor and approved["vendor"]
    assert approved["contract_text"] == kept.contract_text
    assert approved["contract_text"].startswith("C-2026-001 Copy paper")
    schema = api.get("/openapi.json").json()["components"]["schemas"]["OrderOut"]
    for name in ("bill_to", "vendor", "contract_text"):
        assert name in schema["required"] and "as issued" in schema["properties"][name][
            "description"]  # fmt: skip
