"""A member's purchasing dashboard: spend over time by month or quarter, by category and
contract, savings, open orders and contracts, with CSV/XLSX; each member sees its own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.utils import timezone
from tests.web.conftest import client_for

from edcoop.contracts import orders, queries, services
from edcoop.contracts.models import Contract
from edcoop.contracts.orders import LineInput

from .conftest import make_contract

TODAY = timezone.localdate()


@pytest.fixture
def bought(north: Any) -> Contract:
    """Hand-worked: 5,000 reams at the 500+ tier $3.75 = $18,750.00 (list $6.49: saves
    5,000 x 2.74 = $13,700.00), sent; one draft order of 10 reams ($41.00); both are open orders."""
    contract = make_contract(north, number="C-NOW", starts_on=TODAY - timedelta(days=200),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper", unit="ream", category="Paper",
                       unit_price="4.10", list_price="6.49",
                       tiers=[("100", "3.90"), ("500", "3.75")])  # fmt: skip
    buyer = north.users["member_buyer"]
    big = orders.order_create(user=buyer, institution=north.institution, contract=contract,
                              lines=[LineInput("5000", sku="CP-8511")])  # fmt: skip
    orders.order_approve(user=north.users["member_finance"], order=big)
    orders.order_send(user=buyer, order=big)
    orders.order_create(user=buyer, institution=north.institution, contract=contract,
                        lines=[LineInput("10", sku="CP-8511")])  # fmt: skip
    return contract


def test_the_members_figures_by_hand(north: Any, bought: Contract) -> None:
    mine = queries.member_purchasing(north.institution, "month")
    label = f"{TODAY.year}-{TODAY.month:02d}"
    assert (mine.spend, mine.saving, mine.open_orders) == (
        Decimal("18750.00"), Decimal("13700.00"), 2)  # sent (goods awaited) and the draft
    assert mine.by_period == [(label, Decimal("18750.00"))]
    assert mine.tables["spend"][1] == [[label, "Paper", "C-NOW", Decimal("18750.00")]]
    quarter = queries.member_purchasing(north.institution, "quarter").by_period[0][0]
    assert quarter == f"{TODAY.year} Q{(TODAY.month - 1) // 3 + 1}"
    other = queries.member_purchasing(north.institutions[1])
    assert (other.spend, other.open_orders, other.tables["spend"][1]) == (0, 0, [])


def test_the_page_chart_and_exports(north: Any, bought: Contract) -> None:
    client = client_for(north.users["member_buyer"])
    page = client.get("/a/north/contracts/purchasing/", {"period": "month"}).content.decode()
    assert "$18,750.00" in page and "$13,700.00" in page and "<svg" in page
    assert "E+" not in page and "None" not in page
    # The download links keep the member and the period the page shows.
    member = north.institution.pk
    assert f"?institution={member}&amp;period=month&amp;table=spend&amp;format=csv" in page
    # What membership costs is the agency's own fact, never a sentence written for everyone.
    assert "Membership costs nothing" not in page
    csv = client.get("/a/north/contracts/purchasing/",
                     {"table": "spend", "format": "csv"}).content.decode()  # fmt: skip
    assert "18750.00" in csv and "E+" not in csv
    xlsx = client.get("/a/north/contracts/purchasing/", {"table": "orders", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 3  # header, the sent order and the draft


def test_each_member_sees_its_own_and_staff_any(north: Any, nation: Any,
                                                bought: Contract) -> None:  # fmt: skip
    other = north.institutions[1]
    buyer = client_for(north.users["member_buyer"])
    assert buyer.get("/a/north/contracts/purchasing/",
                     {"institution": other.pk}).status_code == 404  # fmt: skip
    assert buyer.get("/a/north/contracts/purchasing/",
                     {"institution": "x" * 100}).status_code == 404  # fmt: skip
    staff = client_for(north.users["business_office"])
    page = staff.get("/a/north/contracts/purchasing/", {"institution": other.pk})
    assert page.status_code == 200 and other.name in page.content.decode()
    for role in ("supplier_rep", "evaluator"):
        assert client_for(north.users[role]).get(
            "/a/north/contracts/purchasing/").status_code == 403, role
    assert client_for(nation.users["agency_admin"]).get(
        "/a/north/contracts/purchasing/").status_code == 404
    finance = client_for(north.users["member_finance"]).get(
        "/a/north/contracts/purchasing/", {"period": "1e20"})
    assert finance.status_code == 200 and "$18,750.00" in finance.content.decode()
