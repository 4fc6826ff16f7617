"""Purchase orders: contract price and tier from the quantity, clear refusals, approval by
the member's finance officer above the threshold, and the order's states."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from edcoop.contracts import orders, services
from edcoop.contracts.models import BaselinePrice, Contract, ContractItem, PurchaseOrder
from edcoop.contracts.orders import LineInput
from edcoop.core.models import AuditEvent
from edcoop.members.models import Membership

from .conftest import make_contract

TODAY = timezone.localdate()


@pytest.fixture
def current(north: Any) -> Contract:
    """Copy paper in force today, with the tiered ream."""
    contract = make_contract(north, number="C-NOW", starts_on=TODAY - timedelta(days=30),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(
        user=north.users["procurement_officer"], contract=contract, sku="CP-8511",
        description="Copy paper, letter", unit="ream", unit_price="4.10", list_price="6.49",
        tiers=[("100", "3.90"), ("500", "3.75")],
    )  # fmt: skip
    return contract


def _order(tenant: Any, contract: Contract, *lines: LineInput, role: str = "member_buyer",
           **kw: Any) -> PurchaseOrder:  # fmt: skip
    return orders.order_create(user=tenant.users[role], institution=tenant.institution,
                               contract=contract, lines=list(lines), **kw)  # fmt: skip


@pytest.mark.parametrize(("qty", "price", "amount"), [
    ("1", "4.1000", "4.10"), ("99", "4.1000", "405.90"), ("100", "3.9000", "390.00"),
    ("499.5", "3.9000", "1948.05"), ("500", "3.7500", "1875.00"), ("1200", "3.7500", "4500.00"),
])  # fmt: skip
def test_the_quantity_earns_its_tier(north: Any, current: Contract, qty: str, price: str,
                                     amount: str) -> None:  # fmt: skip
    order = _order(north, current, LineInput(quantity=qty, sku="CP-8511"))
    line = order.lines.get()
    assert (str(line.unit_price), str(line.amount), str(order.total)) == (price, amount, amount)
    assert line.baseline_method == "list_price" and line.baseline_price == Decimal("6.49")


def test_a_matching_typed_price_is_accepted_and_a_different_one_refused(
    north: Any, current: Contract
) -> None:
    _order(north, current, LineInput(quantity="100", sku="CP-8511", unit_price="3.90"))
    with pytest.raises(ValidationError) as exc:
        _order(north, current, LineInput(quantity="100", sku="CP-8511", unit_price="4.10"))
    assert "differs from the contract price 3.9" in exc.value.message_dict["lines[1].unit_price"][0]


def test_every_bad_line_is_named_and_nothing_is_written(north: Any, current: Contract) -> None:
    with pytest.raises(ValidationError) as exc:
        _order(north, current, LineInput(quantity="5", sku="CP-8511"),
               LineInput(quantity="0", sku="CP-8511"), LineInput(quantity="-3", sku="CP-8511"),
               LineInput(quantity="2", sku="TONER-1"), LineInput(quantity="1e3", sku="CP-8511"),
               LineInput(quantity="99999999999", sku="CP-8511"))  # fmt: skip
    errors = exc.value.message_dict
    assert errors["lines[2].quantity"] == ["The quantity must be more than zero."]
    assert errors["lines[3].quantity"] == ["The quantity must be more than zero."]
    assert errors["lines[4].sku"] == ["'TONER-1' is not on contract C-NOW."]
    assert "exponent" in errors["lines[5].quantity"][0]
    assert "too large" in errors["lines[6].quantity"][0]
    assert "lines[1].quantity" not in errors
    assert not PurchaseOrder.objects.exists()


def test_an_expired_contract_is_refused(north: Any, current: Contract) -> None:
    Contract.objects.filter(pk=current.pk).update(ends_on=TODAY - timedelta(days=1))
    current.refresh_from_db()
    with pytest.raises(ValidationError, match="The contract expired on"):
        _order(north, current, LineInput(quantity="1", sku="CP-8511"))


def test_an_ineligible_member_is_refused(north: Any, current: Contract) -> None:
    Membership.objects.filter(institution=north.institution).update(status="suspended")
    with pytest.raises(ValidationError, match="membership is not active"):
        _order(north, current, LineInput(quantity="1", sku="CP-8511"))


def test_adoption_comes_first_when_the_contract_requires_it(north: Any, current: Contract) -> None:
    services.contract_update(user=north.users["procurement_officer"], contract=current,
                             requires_adoption=True)  # fmt: skip
    current.refresh_from_db()
    with pytest.raises(ValidationError, match="must adopt"):
        _order(north, current, LineInput(quantity="1", sku="CP-8511"))
    with pytest.raises(PermissionDenied):
        services.contract_adopt(user=north.users["member_buyer"], contract=current,
                                institution=north.institution)  # fmt: skip
    services.contract_adopt(user=north.users["member_admin"], contract=current,
                            institution=north.institution)  # fmt: skip
    assert _order(north, current, LineInput(quantity="1", sku="CP-8511")).total == Decimal("4.10")


def test_the_member_baseline_wins_over_benchmark_and_list(north: Any, current: Contract) -> None:
    item = ContractItem.objects.get(contract=current)
    BaselinePrice.objects.create(agency=north.agency, item=item, unit_price="5.50",
                                 observed_on=TODAY)  # fmt: skip
    line = _order(north, current, LineInput(quantity="1", sku="CP-8511")).lines.get()
    assert (line.baseline_method, line.baseline_price) == ("benchmark", Decimal("5.5"))
    BaselinePrice.objects.create(agency=north.agency, item=item, institution=north.institution,
                                 unit_price="5.10", observed_on=TODAY)  # fmt: skip
    line = _order(north, current, LineInput(quantity="1", sku="CP-8511")).lines.get()
    assert line.baseline_method == "member_last_price"


def test_a_discount_contract_prices_off_the_list(north: Any) -> None:
    contract = make_contract(north, number="C-DISC", pricing="discount",
                             starts_on=TODAY - timedelta(days=1),
                             ends_on=TODAY + timedelta(days=300))  # fmt: skip
    services.discount_save(user=north.users["procurement_officer"], contract=contract,
                           category="Science", discount_pct="22.5")  # fmt: skip
    order = _order(
        north,
        contract,
        LineInput(quantity="3", category="science", description="Beaker set", list_price="19.99"),
    )
    line = order.lines.get()
    assert (line.unit_price, line.amount) == (Decimal("15.4923"), Decimal("46.48"))
    with pytest.raises(ValidationError, match="not a category"):
        _order(north, contract, LineInput(quantity="1", category="Furniture",
                                          description="Desk", list_price="100"))  # fmt: skip


def test_states_and_approval_threshold(north: Any, current: Contract) -> None:
    small = _order(north, current, LineInput(quantity="10", sku="CP-8511"))
    orders.order_approve(user=north.users["member_buyer"], order=small)
    big = _order(north, current, LineInput(quantity="2000", sku="CP-8511"))  # $7,500.00
    with pytest.raises(PermissionDenied, match="finance officer"):
        orders.order_approve(user=north.users["member_buyer"], order=big)
    orders.order_approve(user=north.users["member_finance"], order=big)
    with pytest.raises(ValidationError, match="approved"):
        orders.order_approve(user=north.users["member_finance"], order=big)  # double submit
    orders.order_send(user=north.users["member_buyer"], order=big)
    line = big.lines.get()
    with pytest.raises(ValidationError) as exc:
        orders.order_receive(user=north.users["member_buyer"], order=big,
                             received={line.pk: "2001"})  # fmt: skip
    assert "at most" in exc.value.message_dict["lines[1].received"][0]
    orders.order_receive(user=north.users["member_buyer"], order=big, received={line.pk: "1990"})
    orders.order_close(user=north.users["member_buyer"], order=big)
    big.refresh_from_db()
    assert big.status == "closed" and big.lines.get().received_quantity == Decimal("1990")
    with pytest.raises(ValidationError):
        orders.order_cancel(user=north.users["member_buyer"], order=big, reason="late")
    actions = list(
        AuditEvent.objects.filter(object_id=str(big.pk), object_type="contracts.purchaseorder")
        .values_list("action", flat=True)
        .order_by("seq")
    )
    assert actions == ["order.create", "order.approved", "order.sent", "order.received",
                       "order.closed"]  # fmt: skip
    assert big.number == f"PO-{TODAY.year}-00002"


def test_outsiders_cannot_order_or_move_orders(north: Any, nation: Any, current: Contract) -> None:
    line = LineInput(quantity="1", sku="CP-8511")
    for user in (nation.users["member_buyer"], north.users["supplier_rep"],
                 north.users["member_finance"], north.users["auditor"]):  # fmt: skip
        with pytest.raises(PermissionDenied):
            orders.order_create(user=user, institution=north.institution, contract=current,
                                lines=[line])  # fmt: skip
    with pytest.raises(PermissionDenied):  # the other district's buyer
        orders.order_create(user=north.users["member_buyer"], institution=north.institutions[1],
                            contract=current, lines=[line])  # fmt: skip
    order = _order(north, current, line)
    with pytest.raises(PermissionDenied):
        orders.order_approve(user=nation.users["member_finance"], order=order)
    with pytest.raises(PermissionDenied):
        orders.order_cancel(user=north.users["supplier_rep"], order=order, reason="x")


def test_a_double_submit_makes_one_order(north: Any, current: Contract) -> None:
    first = _order(north, current, LineInput(quantity="10", sku="CP-8511"), request_key="k-1")
    again = _order(north, current, LineInput(quantity="10", sku="CP-8511"), request_key="k-1")
    assert again.pk == first.pk and PurchaseOrder.objects.count() == 1
    other = make_contract(north, number="C-OTHER", starts_on=TODAY - timedelta(days=1),
                          ends_on=TODAY + timedelta(days=30))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=other, sku="X",
                       description="X", unit="ea", unit_price="1")  # fmt: skip
    with pytest.raises(ValidationError, match="another order"):
        _order(north, other, LineInput(quantity="1", sku="X"), request_key="k-1")


def test_a_typed_list_price_claims_a_capped_saving(north: Any) -> None:
    """Hand-worked: 22.5% off Science, cap $100.00 a line (the default).
    10 kits typed at $49.99: unit 38.7423, saving 10 x 49.99 - 10 x 38.7423 = 499.90 - 387.42
    = $112.48, counted as $100.00. Typed at $999.99 (inflated): still $100.00. A kit at $20:
    200.00 - 155.00 = $45.00, under the cap, counted in full. A catalogue item recorded on the
    contract (SKU, list price) counts in full against that list price."""
    from edcoop.contracts import queries, savings

    contract = make_contract(north, number="C-DISC2", pricing="discount",
                             starts_on=TODAY - timedelta(days=1),
                             ends_on=TODAY + timedelta(days=300))  # fmt: skip
    services.discount_save(user=north.users["procurement_officer"], contract=contract,
                           category="Science", discount_pct="22.5")  # fmt: skip
    kit = _order(north, contract, LineInput(quantity="10", category="Science",
                                            description="Kit", list_price="49.99")).lines.get()
    assert (kit.baseline_method, kit.saving_cap) == ("typed_list_price", Decimal("100.00"))
    assert kit.saving() == Decimal("100.00")
    inflated = _order(north, contract, LineInput(quantity="10", category="Science",
                                                 description="Kit", list_price="999.99"))
    assert inflated.lines.get().saving() == Decimal("100.00")
    small = _order(north, contract, LineInput(quantity="10", category="Science",
                                              description="Small kit", list_price="20"))
    assert small.lines.get().saving() == Decimal("45.00")
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="SCI-1", description="Microscope", unit="each",
                       unit_price="100.00", list_price="150.00")  # fmt: skip
    scope = _order(north, contract, LineInput(quantity="3", sku="SCI-1")).lines.get()
    assert (scope.baseline_method, scope.saving()) == ("list_price", Decimal("150.00"))
    services.settings_save(user=north.users["procurement_officer"], agency=north.agency,
                           typed_saving_cap="0")  # fmt: skip
    none = _order(north, contract, LineInput(quantity="10", category="Science",
                                             description="Kit", list_price="49.99"))
    assert none.lines.get().saving() == Decimal("0.00")
    for order in (kit.order, inflated, small, scope.order, none):
        orders.order_approve(user=north.users["member_finance"], order=order)
        orders.order_send(user=north.users["member_buyer"], order=order)
    lines = queries.savings_lines(north.users["procurement_officer"], north.agency)
    assert sum(savings.summed(lines, "member").values()) == Decimal("395.00")
    page = orders_page(north, kit.order)
    assert "the list price the buyer typed" in page and "at most $100.00 counted" in page


def orders_page(tenant: Any, order: PurchaseOrder) -> str:
    from tests.web.conftest import client_for

    client = client_for(tenant.users["member_buyer"])
    return str(client.get(f"/a/{tenant.agency.slug}/orders/{order.pk}/").content.decode())
