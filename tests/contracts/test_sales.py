"""Quarterly sales reports: all-or-nothing rows, zero-sales reports, the admin fee invoice,
reconciliation against EdCoop's orders, and late or missing reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from edcoop.contracts import orders, sales, services
from edcoop.contracts.models import AdminFeeInvoice, Contract, ContractItem, SalesReport
from edcoop.contracts.orders import LineInput
from edcoop.core import tabular
from edcoop.members import services as member_services

AFTER = date(2026, 11, 20)  # Q3 2026 (Jul-Sep) ended; its report is due Nov 14


def _file(tenant: Any, contract: Contract, rows: Any, role: str = "supplier_rep",
          **kw: Any) -> SalesReport:  # fmt: skip
    kw.setdefault("today", AFTER)
    return sales.report_file(user=tenant.users[role], contract=contract, year=2026, quarter=3,
                             rows=rows, **kw)  # fmt: skip


def _csv(*lines: str) -> list[tabular.Row]:
    return sales.read_file("member,sku,quantity,unit_price,invoice_date\n" + "\n".join(lines))


def test_a_report_with_sales_invoices_the_admin_fee(north: Any, paper: Contract,
                                                     ream: ContractItem) -> None:  # fmt: skip
    district = north.institution
    report = _file(
        north,
        paper,
        _csv(
            f"{district.pk},CP-8511,100,3.90,2026-08-03",
            f"{district.name},CP-8511,33,4.10,2026-09-30",
        ),
    )
    assert report.total_sales == Decimal("525.30") and report.line_count == 2
    fee = report.fee_invoice
    assert (fee.fee_pct, fee.amount, fee.number) == (Decimal("2.0000"), Decimal("10.51"),
                                                     "AF-2026-00001")  # fmt: skip
    assert fee.due_on == AFTER + timedelta(days=30)


def test_a_zero_sales_report_is_filed_and_owes_nothing(north: Any, paper: Contract) -> None:
    report = _file(north, paper, [])
    assert report.total_sales == 0 and report.fee_invoice.amount == Decimal("0.00")


def test_bad_rows_are_listed_by_line_and_nothing_is_filed(north: Any, paper: Contract,
                                                          ream: ContractItem) -> None:  # fmt: skip
    d = north.institution.pk
    with pytest.raises(ValidationError) as exc:
        _file(
            north,
            paper,
            _csv(
                f"{d},CP-8511,10,3.90,2026-08-03",
                "Nowhere CSD,CP-8511,1,4.10,2026-08-03",
                f"{d},TONER,1,4.10,2026-08-03",
                f"{d},CP-8511,1,4.10,08/03/2026",
                f"{d},CP-8511,1,4.10,2026-10-01",
                f"{d},CP-8511,-1,4.10,2026-08-03",
                f"{d},CP-8511,1,1e3,2026-08-03",
            ),
            first_line=2,
        )
    errors = exc.value.message_dict["rows"]
    assert errors[0] == "line 3: member: 'Nowhere CSD' is not a member of the agency"
    assert errors[1] == "line 4: sku: 'TONER' is not on contract C-2026-001"
    assert "line 5: invoice_date: '08/03/2026' is not a date" in errors[2]
    assert errors[3] == "line 6: invoice_date: 2026-10-01 is outside 2026 Q3"
    assert errors[4].startswith("line 7: quantity:")
    assert "exponent" in errors[5]
    assert len(errors) == 6
    assert not SalesReport.objects.exists() and not AdminFeeInvoice.objects.exists()


def test_missing_columns_and_non_utf8_are_refused() -> None:
    with pytest.raises(ValidationError, match="missing column"):
        sales.read_file("member,sku\n1,2\n")
    with pytest.raises(ValidationError, match="UTF-8"):
        sales.read_file(b"\xff\xfe member")


def test_a_filed_report_does_not_change_and_an_open_quarter_cannot_be_filed(
    north: Any, paper: Contract
) -> None:
    _file(north, paper, [])
    with pytest.raises(ValidationError, match="already filed"):
        _file(north, paper, [])
    with pytest.raises(ValidationError, match="has not ended"):
        _file(north, paper, [], today=date(2026, 9, 30))


def test_only_the_contracts_supplier_or_the_business_office_files(
    north: Any, nation: Any, paper: Contract
) -> None:
    other = member_services.supplier_register(agency=north.agency, legal_name="Other",
                                              tax_id="44-1234567")  # fmt: skip
    Contract.objects.filter(pk=paper.pk).update(supplier=other)
    paper.refresh_from_db()
    for who in (north.users["supplier_rep"], nation.users["supplier_rep"],
                north.users["member_buyer"], north.users["procurement_officer"]):  # fmt: skip
        with pytest.raises(PermissionDenied):
            sales.report_file(user=who, contract=paper, year=2026, quarter=3, rows=[],
                              today=AFTER)  # fmt: skip
    assert _file(north, paper, [], role="business_office").line_count == 0


def test_reconciliation_lists_each_difference() -> None:
    k1, k2, k3 = (1, "A"), (1, "B"), (2, "A")
    D = Decimal
    got = sales.differences(
        reported=[(k1, D(10), D("39.00")), (k2, D(5), D("5.00")), (k1, D(5), D("19.50"))],
        ordered=[(k1, D(15), D("58.50")), (k2, D(4), D("4.00")), (k3, D(1), D("3.90"))],
    )
    assert [(d.institution_id, d.sku, d.kind) for d in got] == [
        (1, "B", "quantities or amounts differ"),
        (2, "A", "ordered in EdCoop, not reported"),
    ]


def test_reconciliation_against_real_orders(north: Any) -> None:
    from .conftest import make_contract

    contract = make_contract(north, number="C-REC", starts_on=date(2026, 7, 1))
    services.item_save(user=north.users["procurement_officer"], contract=contract, sku="CP",
                       description="Paper", unit="ream", unit_price="4.00")  # fmt: skip
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=contract, lines=[LineInput("10", sku="CP")],
                                ordered_on=date(2026, 8, 1))  # fmt: skip
    from edcoop.contracts.models import PurchaseOrder

    PurchaseOrder.objects.filter(pk=order.pk).update(status="sent")
    report = _file(north, contract, _csv(f"{north.institution.pk},CP,12,4.00,2026-08-05"))
    (diff,) = sales.reconcile(report)
    assert (diff.reported_quantity, diff.ordered_quantity) == (Decimal(12), Decimal(10))


def test_late_and_missing_reports_are_flagged(north: Any, paper: Contract) -> None:
    # Q3 2026 due Nov 14; filed Nov 20: late. Q4 not yet due on Nov 20.
    _file(north, paper, [])
    (q3,) = sales.expected_reports(north.agency, AFTER)
    assert (q3.year, q3.quarter, q3.due, q3.state) == (2026, 3, date(2026, 11, 14), "late")
    later = sales.expected_reports(north.agency, date(2027, 2, 20))
    assert [(e.quarter, e.state) for e in later] == [(3, "late"), (4, "missing")]
