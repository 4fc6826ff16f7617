"""Admin fee invoices after issue: payments (partial, full, over, twice), the invoice as a
tagged PDF, and amended sales reports with their fee adjustment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from tests.api.conftest import _api_for as api_for
from tests.billing.test_invoice_document import pdf_objects
from tests.web.conftest import client_for

from edcoop.contracts import fees, sales
from edcoop.contracts.models import AdminFeeInvoice, Contract, ContractItem, SalesReport
from edcoop.core.models import AuditEvent

AFTER = date(2026, 11, 20)  # Q3 2026 ended


def _rows(tenant: Any, *qty_price: tuple[str, str]) -> list[dict[str, str]]:
    return [{"member": str(tenant.institution.pk), "sku": "CP-8511", "quantity": q,
             "unit_price": p, "invoice_date": "2026-08-03"} for q, p in qty_price]  # fmt: skip


@pytest.fixture
def report(north: Any, paper: Contract, ream: ContractItem) -> SalesReport:
    """Hand-worked: 1,000 reams at $3.90 = $3,900.00 in sales; 2% fee = $78.00."""
    return sales.report_file(user=north.users["supplier_rep"], contract=paper, year=2026,
                             quarter=3, rows=_rows(north, ("1000", "3.90")),
                             today=AFTER)  # fmt: skip


def test_partial_payments_then_paid_in_full(north: Any, report: SalesReport) -> None:
    fee = report.fee_invoice
    office = north.users["business_office"]
    assert fee.amount == Decimal("78.00") and fee.paid_on is None
    fees.fee_payment_record(user=office, invoice=fee, amount="50.00",
                            received_on=AFTER, reference="CHK 101")  # fmt: skip
    fee.refresh_from_db()
    assert fee.paid_on is None and fees.open_amount(fee) == Decimal("28.00")
    with pytest.raises(ValidationError) as exc:
        fees.fee_payment_record(user=office, invoice=fee, amount="28.01",
                                received_on=AFTER, reference="CHK 102")  # fmt: skip
    assert "more than the $28.00 still due" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as exc:  # the same payment sent twice
        fees.fee_payment_record(user=office, invoice=fee, amount="28.00",
                                received_on=AFTER, reference="CHK 101")  # fmt: skip
    assert "already recorded" in exc.value.message_dict["reference"][0]
    fees.fee_payment_record(user=office, invoice=fee, amount="28.00",
                            received_on=date(2026, 11, 25), reference="CHK 102")  # fmt: skip
    fee.refresh_from_db()
    assert fee.paid_on == date(2026, 11, 25)
    with pytest.raises(ValidationError, match="paid in full"):
        fees.fee_payment_record(user=office, invoice=fee, amount="0.01", received_on=AFTER,
                                reference="CHK 103")  # fmt: skip
    events = AuditEvent.objects.filter(action="admin_fee_invoice.payment")
    assert events.count() == 2


@pytest.mark.parametrize(("amount", "day", "field"), [
    ("0", AFTER, "amount"), ("-5", AFTER, "amount"), ("1e20", AFTER, "amount"),
    ("NaN", AFTER, "amount"), ("1.234", AFTER, "amount"), ("x" * 40, AFTER, "amount"),
    ("10", date(1, 1, 1), "received_on"), ("10", "2026-13-45", "received_on"),
    ("10", date(2026, 11, 1), "received_on"),  # before the invoice was issued
])  # fmt: skip
def test_bad_payments_name_the_field(north: Any, report: SalesReport, amount: str, day: Any,
                                     field: str) -> None:  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        fees.fee_payment_record(user=north.users["business_office"], invoice=report.fee_invoice,
                                amount=amount, received_on=day, reference="R1")  # fmt: skip
    assert field in exc.value.message_dict
    assert not report.fee_invoice.payments.exists()


def test_a_future_payment_and_a_nul_reference_are_refused(north: Any, report: SalesReport) -> None:
    office = north.users["business_office"]
    with pytest.raises(ValidationError) as exc:  # a reference is required
        fees.fee_payment_record(user=office, invoice=report.fee_invoice, amount="1",
                                received_on=AFTER, reference="  ")  # fmt: skip
    assert "reference" in exc.value.message_dict
    with pytest.raises(ValidationError, match="future"):
        fees.fee_payment_record(
            user=office,
            invoice=report.fee_invoice,
            amount="1",
            received_on=timezone.localdate().replace(year=2100),
        )
    with pytest.raises(ValidationError) as exc:
        fees.fee_payment_record(user=office, invoice=report.fee_invoice, amount="1",
                                received_on=AFTER, reference="a\x00b")  # fmt: skip
    assert "reference" in exc.value.message_dict


@pytest.mark.parametrize(
    "role", ["supplier_rep", "procurement_officer", "auditor", "member_finance", "member_buyer"]
)
def test_only_the_business_office_records_payments(north: Any, report: SalesReport,
                                                   role: str) -> None:  # fmt: skip
    with pytest.raises(PermissionDenied):
        fees.fee_payment_record(user=north.users[role], invoice=report.fee_invoice,
                                amount="1", received_on=AFTER)  # fmt: skip


def test_another_agency_cannot_see_or_pay(north: Any, nation: Any, report: SalesReport) -> None:
    fee = report.fee_invoice
    with pytest.raises(PermissionDenied):
        fees.fee_payment_record(user=nation.users["business_office"], invoice=fee,
                                amount="1", received_on=AFTER)  # fmt: skip
    client = client_for(nation.users["business_office"])
    assert client.get(f"/a/north/fee-invoices/{fee.pk}/pdf/").status_code == 404
    api = api_for(nation.users["business_office"])
    made = api.post(f"/agencies/north/fee-invoices/{fee.pk}/payments",
                    {"amount": "1", "received_on": "2026-11-20", "reference": "X"})  # fmt: skip
    assert made.status_code == 404


def test_the_fee_invoice_pdf_is_tagged_on_the_agencys_paper(
    north: Any, report: SalesReport
) -> None:
    html = fees.fee_invoice_html(report.fee_invoice)
    assert "Admin fee invoice AF-2026-00001" in html and "$78.00" in html
    assert "size: letter" in html or "size: A4" in html
    for role in ("business_office", "supplier_rep"):
        got = client_for(north.users[role]).get(
            f"/a/north/fee-invoices/{report.fee_invoice.pk}/pdf/"
        )
        assert got.status_code == 200 and got.content.startswith(b"%PDF-"), role
        assert b"/StructTreeRoot" in pdf_objects(got.content)  # tagged (PDF/UA-1)
    assert client_for(north.users["member_buyer"]).get(
        f"/a/north/fee-invoices/{report.fee_invoice.pk}/pdf/"
    ).status_code in (403, 404)


def test_an_amendment_keeps_the_old_version_and_adjusts_the_fee(
    north: Any, report: SalesReport
) -> None:
    """Hand-worked: v1 reported $3,900.00 (fee $78.00). v2 corrects it to 1,200 reams at
    $3.90 = $4,680.00; fee $93.60, less $78.00 invoiced = adjustment $15.60. v3 corrects to
    500 reams = $1,950.00; fee $39.00, less $93.60 = a credit of -$54.60. The invoices sum to
    the fee on the latest version ($39.00)."""
    rep = north.users["supplier_rep"]
    with pytest.raises(ValidationError) as exc:
        sales.report_amend(user=rep, report=report, rows=[], reason="  ")
    assert "reason" in exc.value.message_dict
    v2 = sales.report_amend(user=rep, report=report, rows=_rows(north, ("1200", "3.90")),
                            reason="Missed a September invoice", today=AFTER)  # fmt: skip
    assert (v2.version, v2.amends_id, v2.total_sales) == (2, report.pk, Decimal("4680.00"))
    assert v2.fee_invoice.amount == Decimal("15.60")
    report.refresh_from_db()
    assert report.total_sales == Decimal("3900.00") and report.fee_invoice.amount == 78
    with pytest.raises(ValidationError, match="amend the latest"):  # double submit / stale
        sales.report_amend(user=rep, report=report, rows=[], reason="again", today=AFTER)
    v3 = sales.report_amend(user=rep, report=v2, rows=_rows(north, ("500", "3.90")),
                            reason="Returned goods", today=AFTER)  # fmt: skip
    assert v3.fee_invoice.amount == Decimal("-54.60")
    total = sum(AdminFeeInvoice.objects.filter(report__contract=report.contract)
                .values_list("amount", flat=True))  # fmt: skip
    assert total == Decimal("39.00")
    with pytest.raises(ValidationError, match="credits the supplier"):
        fees.fee_payment_record(user=north.users["business_office"], invoice=v3.fee_invoice,
                                amount="1", received_on=AFTER)  # fmt: skip
    assert [d.reported_quantity for d in sales.reconcile(v3)] == [Decimal(500)]
    assert list(sales.current_reports().values_list("pk", flat=True)) == [v3.pk]
    assert AuditEvent.objects.filter(action="sales_report.amend").count() == 2


def test_amendments_are_refused_to_others(north: Any, nation: Any, report: SalesReport) -> None:
    for who in (
        north.users["member_buyer"],
        north.users["procurement_officer"],
        nation.users["business_office"],
    ):
        with pytest.raises(PermissionDenied):
            sales.report_amend(user=who, report=report, rows=[], reason="x", today=AFTER)
    bad = _rows(north, ("10", "3.90"))
    bad[0]["invoice_date"] = "2026-12-01"
    with pytest.raises(ValidationError):
        sales.report_amend(user=north.users["supplier_rep"], report=report, rows=bad,
                           reason="x", today=AFTER)  # fmt: skip
    assert SalesReport.objects.count() == 1


def test_pages_and_api_for_payments_and_amendments(north: Any, report: SalesReport) -> None:
    office = client_for(north.users["business_office"])
    page = office.get(f"/a/north/sales-reports/{report.pk}/").content.decode()
    assert "Record a payment" in page and "Amend this report" in page
    office.post(
        f"/a/north/fee-invoices/{report.fee_invoice.pk}/payments/",
        {"amount": "78.00", "received_on": "2026-11-21", "reference": "ACH 9"},
    )
    report.fee_invoice.refresh_from_db()
    assert report.fee_invoice.paid_on == date(2026, 11, 21)
    supplier = client_for(north.users["supplier_rep"])
    page = supplier.get(f"/a/north/sales-reports/{report.pk}/").content.decode()
    assert "Record a payment" not in page and "paid in full" in page
    api = api_for(north.users["supplier_rep"])
    made = api.post(f"/agencies/north/sales-reports/{report.pk}/amendments", {
        "reason": "Late invoice", "sales": _rows(north, ("1100", "3.90"))})  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["version"], body["fee_invoice"]["amount"]) == (2, "7.80")  # 85.80 - 78.00
    again = api.post(f"/agencies/north/sales-reports/{report.pk}/amendments",
                     {"reason": "x", "sales": []})  # fmt: skip
    assert again.status_code == 400 and "report" in again.json()["errors"]
    fee_id = body["fee_invoice"]["id"]
    paid = api_for(north.users["business_office"]).post(
        f"/agencies/north/fee-invoices/{fee_id}/payments",
        {"amount": "9.00", "received_on": str(timezone.localdate()), "reference": "W1"},
    )
    assert paid.status_code == 400 and "amount" in paid.json()["errors"]
    old = supplier.get(f"/a/north/sales-reports/{report.pk}/").content.decode()
    assert "A later version corrects this report" in old


def test_the_same_request_key_records_one_payment(north: Any, report: SalesReport) -> None:
    fee, office = report.fee_invoice, north.users["business_office"]
    first = fees.fee_payment_record(user=office, invoice=fee, amount="50.00", received_on=AFTER,
                                    reference="CHK 7", request_key="k-1")  # fmt: skip
    again = fees.fee_payment_record(user=office, invoice=fee, amount="50.00", received_on=AFTER,
                                    reference="CHK 7", request_key="k-1")  # fmt: skip
    assert (first.repeated, again.repeated, again.pk) == (False, True, first.pk)
    assert fee.payments.count() == 1 and fees.open_amount(fee) == Decimal("28.00")
    assert AuditEvent.objects.filter(action="admin_fee_invoice.payment").count() == 1
    with pytest.raises(fees.KeyConflict) as exc:  # the key of another payment
        fees.fee_payment_record(user=office, invoice=fee, amount="28.00", received_on=AFTER,
                                reference="CHK 8", request_key="k-1")  # fmt: skip
    assert "already recorded a payment of $50.00" in exc.value.message_dict["request_key"][0]
    assert fee.payments.count() == 1


def _hidden_key(page: str) -> str:
    import re

    found = re.search(r'name="request_key" value="([0-9a-f]{32})"', page)
    assert found, "the payment form carries a one-time key"
    return found.group(1)


def test_the_payment_form_sent_twice_records_once(north: Any, report: SalesReport) -> None:
    office = client_for(north.users["business_office"])
    url = f"/a/north/sales-reports/{report.pk}/"
    key = _hidden_key(office.get(url).content.decode())
    form = {"amount": "30.00", "received_on": "2026-11-21", "reference": "ACH 1",
            "request_key": key}  # fmt: skip
    first = office.post(f"/a/north/fee-invoices/{report.fee_invoice.pk}/payments/", form,
                        follow=True).content.decode()  # fmt: skip
    second = office.post(f"/a/north/fee-invoices/{report.fee_invoice.pk}/payments/", form,
                         follow=True).content.decode()  # fmt: skip
    assert "Payment of $30.00 recorded on" in first and "sent twice" not in first
    assert "Payment of $30.00 recorded on" in second and "recorded once" in second
    assert report.fee_invoice.payments.count() == 1
    assert "$48.00 still due" in second
    assert _hidden_key(second) != key  # the page shown after holds a fresh form


def test_the_api_with_an_idempotency_key_records_once(north: Any, report: SalesReport) -> None:
    api = api_for(north.users["business_office"])
    path = f"/agencies/north/fee-invoices/{report.fee_invoice.pk}/payments"
    body = {"amount": "30.00", "received_on": "2026-11-21", "reference": "W 5",
            "request_key": "retry-1"}  # fmt: skip
    made, again = api.post(path, body), api.post(path, body)
    assert (made.status_code, again.status_code) == (201, 200), again.content
    assert made.json() == again.json() and again.json()["paid"] == "30.00"
    other = api.post(path, {**body, "amount": "31.00"})
    assert other.status_code == 409
    assert "already recorded a payment of $30.00" in other.json()["detail"]
    # the header does the same
    headers = {"Authorization": f"Bearer {api.secret}", "Idempotency-Key": "retry-2"}
    body = {"amount": "10.00", "received_on": "2026-11-21", "reference": "W 6"}
    sent = [api.client.post("/api/v1" + path, body, content_type="application/json",
                            headers=headers) for _ in range(2)]  # fmt: skip
    assert [r.status_code for r in sent] == [201, 200]
    assert report.fee_invoice.payments.count() == 2
    assert fees.paid(report.fee_invoice) == Decimal("40.00")
