"""The contract portfolio: entering contracts, status from dates, renewals, price lists,
and who may change them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from edcoop.contracts import services
from edcoop.contracts.models import Contract, ContractItem, add_months
from edcoop.core.models import AuditEvent

from .conftest import make_contract


def test_status_follows_the_dates_and_renewals(north: Any, paper: Contract) -> None:
    assert paper.status_on(date(2026, 6, 30)) == "upcoming"
    assert paper.status_on(date(2026, 7, 1)) == "active"
    assert paper.status_on(date(2027, 4, 1)) == "expiring"  # 90 days before June 30
    assert paper.status_on(date(2027, 3, 31)) == "active"
    assert paper.status_on(date(2027, 7, 1)) == "expired"
    services.renewal_exercise(user=north.users["procurement_officer"], contract=paper,
                              exercised_on=date(2027, 5, 15))  # fmt: skip
    paper.refresh_from_db()
    assert paper.current_end() == date(2028, 6, 30)
    assert paper.status_on(date(2027, 7, 1)) == "active"
    services.contract_terminate(user=north.users["procurement_officer"], contract=paper,
                                on=date(2027, 9, 1), reason="Supplier left the market")  # fmt: skip
    paper.refresh_from_db()
    assert paper.status_on(date(2027, 9, 1)) == "terminated"
    assert paper.status_on(date(2027, 8, 31)) == "active"


def test_renewals_stop_at_the_options_granted(north: Any) -> None:
    contract = make_contract(north, renewal_options=1)
    officer = north.users["procurement_officer"]
    services.renewal_exercise(user=officer, contract=contract, exercised_on=date(2027, 5, 1))
    with pytest.raises(ValidationError, match="already exercised"):
        services.renewal_exercise(user=officer, contract=contract, exercised_on=date(2028, 5, 1))


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 6, 30), 48) == date(2030, 6, 30)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_an_external_contract_names_its_lead_agency(north: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        make_contract(north, lead_agency="  ")
    assert "lead_agency" in exc.value.message_dict


@pytest.mark.parametrize("fee", ["-1", "100.5", "1E2", "2.00001", "abc"])
def test_admin_fee_is_a_percentage_within_bounds(north: Any, fee: str) -> None:
    with pytest.raises(ValidationError) as exc:
        make_contract(north, admin_fee_pct=fee)
    assert "admin_fee_pct" in exc.value.message_dict
    assert not Contract.objects.exists()


def test_the_number_is_unique_in_the_agency(north: Any, paper: Contract) -> None:
    with pytest.raises(ValidationError, match="already has this number"):
        make_contract(north)


def test_a_supplier_of_another_agency_is_refused(north: Any, nation: Any) -> None:
    with pytest.raises(ValidationError, match="another agency"):
        services.contract_create(user=north.users["procurement_officer"], agency=north.agency,
                                 supplier=nation.supplier, number="X", title="X", category="X",
                                 lead_agency="X", starts_on=date(2026, 1, 1),
                                 ends_on=date(2026, 12, 31))  # fmt: skip


@pytest.mark.parametrize("role", ["member_buyer", "member_admin", "supplier_rep", "auditor",
                                  "evaluator", "business_office"])  # fmt: skip
def test_only_the_procurement_staff_keep_the_portfolio(north: Any, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.contract_create(user=north.users[role], agency=north.agency,
                                 supplier=north.supplier, number="X", title="X", category="X",
                                 lead_agency="X", starts_on=date(2026, 1, 1),
                                 ends_on=date(2026, 12, 31))  # fmt: skip


def test_another_agencys_officer_cannot_touch_the_contract(nation: Any, paper: Contract) -> None:
    with pytest.raises(PermissionDenied):
        services.renewal_exercise(user=nation.users["procurement_officer"], contract=paper,
                                  exercised_on=date(2027, 1, 1))  # fmt: skip


def test_price_list_items_keep_their_tiers(north: Any, ream: ContractItem) -> None:
    assert [(str(t.min_quantity), str(t.unit_price)) for t in ream.tiers.all()] == [
        ("100.0000", "3.9000"), ("500.0000", "3.7500")]  # fmt: skip
    assert "Copy paper" in ream.search_document and "Paper Co" in ream.search_document
    events = AuditEvent.objects.filter(action="contract.item_save")
    assert events.count() == 1 and events.get().changes["tiers"][1][0] == ["100.0000", "3.9000"]


@pytest.mark.parametrize(("tiers", "field"), [
    ([("100", "4.50")], "tiers[1].unit_price"),  # dearer than the base price
    ([("0", "3.00")], "tiers[1].min_quantity"),
    ([("100", "-1")], "tiers[1].unit_price"),
    ([("100", "3.9"), ("100", "3.8")], "tiers"),
])  # fmt: skip
def test_bad_tiers_are_refused_and_nothing_changes(
    north: Any, paper: Contract, tiers: list[tuple[str, str]], field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.item_save(user=north.users["procurement_officer"], contract=paper, sku="A",
                           description="A", unit="ea", unit_price="4.10", tiers=tiers)  # fmt: skip
    assert field in exc.value.message_dict
    assert not ContractItem.objects.exists()
