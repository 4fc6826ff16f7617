"""A copy-paper contract in agency ``north`` with a tiered item, used across these tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from edcoop.contracts import services
from edcoop.contracts.models import Contract, ContractItem


def make_contract(tenant: Any, **overrides: Any) -> Contract:
    fields: dict[str, Any] = {
        "number": "C-2026-001", "title": "Copy paper", "category": "Paper",
        "lead_agency": "Lakes Region BOCES", "solicitation_reference": "IFB 2026-04",
        "solicitation_method": "IFB (sealed bid)", "solicited_on": date(2026, 3, 2),
        "awarded_on": date(2026, 5, 1), "starts_on": date(2026, 7, 1),
        "ends_on": date(2027, 6, 30), "renewal_options": 4, "admin_fee_pct": "2.00",
        "scope": "national",
    }  # fmt: skip
    fields.update(overrides)
    return services.contract_create(
        user=tenant.users["procurement_officer"], agency=tenant.agency,
        supplier=tenant.supplier, **fields,
    )  # fmt: skip


@pytest.fixture
def paper(north: Any) -> Contract:
    return make_contract(north)


@pytest.fixture
def ream(north: Any, paper: Contract) -> ContractItem:
    """Letter paper: $4.10 a ream; $3.90 from 100 reams; $3.75 from 500."""
    return services.item_save(
        user=north.users["procurement_officer"], contract=paper, sku="CP-8511",
        description="Copy paper, letter, 20 lb, 92 bright", unit="ream", category="Paper",
        unit_price="4.10", list_price="6.49", tiers=[("100", "3.90"), ("500", "3.75")],
    )  # fmt: skip
