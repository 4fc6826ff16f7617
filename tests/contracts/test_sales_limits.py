"""Attack on a sales report's size: each quantity and unit price fits its column, but their
product (a line's amount) or the quarter's total may not; the report was written anyway (a
500 on PostgreSQL, a number past its column on SQLite)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from tests.api.conftest import _api_for as api_for

from edcoop.contracts import sales
from edcoop.contracts.models import Contract, ContractItem, SalesReport

AFTER = date(2026, 11, 20)  # Q3 2026 has ended


@pytest.fixture
def report(north: Any, paper: Contract, ream: ContractItem) -> SalesReport:
    return sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                             quarter=3, rows=[_sale(north, "1000", "3.90")],
                             today=AFTER)  # fmt: skip


def _sale(tenant: Any, quantity: str, price: str) -> dict[str, str]:
    return {"member": str(tenant.institution.pk), "sku": "CP-8511", "quantity": quantity,
            "unit_price": price, "invoice_date": "2026-08-03"}


@pytest.mark.parametrize("rows", [
    # one sale worth 10^13: past what a report line (and the report) holds, 999,999,999,999.99
    [("9999999999", "1000")],
    # two sales each within bounds whose total is not
    [("1000000", "600000"), ("1000000", "600000")],
])  # fmt: skip
def test_sales_past_the_columns_are_refused_by_name(north: Any, paper: Contract,
                                                    ream: ContractItem, rows: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                          quarter=3, rows=[_sale(north, q, p) for q, p in rows],
                          today=AFTER)  # fmt: skip
    said = " ".join(m for ms in refused.value.message_dict.values() for m in ms)
    assert "too large" in said or "at most" in said
    assert not SalesReport.objects.exists()


def test_an_amendment_past_the_columns_is_refused_and_the_api_says_400(
    north: Any, report: SalesReport
) -> None:
    api = api_for(north.users["supplier_rep"])
    api.client.raise_request_exception = False
    sent = api.post(f"/agencies/north/sales-reports/{report.pk}/amendments", {
        "reason": "Typo", "sales": [_sale(north, "9999999999", "9999")]})  # fmt: skip
    assert sent.status_code == 400, sent.content
    assert SalesReport.objects.count() == 1

