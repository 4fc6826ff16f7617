"""The contract pages: catalogue and contract page with its checklist, ordering through the
form, the order's steps and PDF, a supplier's CSV report, patronage; and who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from tests.web.conftest import ALL_ROLES, client_for

from edcoop.contracts import services
from edcoop.contracts.models import Contract, PurchaseOrder, SalesReport

from .conftest import make_contract

TODAY = timezone.localdate()


@pytest.fixture
def current(north: Any) -> Contract:
    contract = make_contract(north, number="C-NOW", starts_on=TODAY - timedelta(days=200),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract,
                       sku="CP-8511", description="Copy paper, letter", unit="ream",
                       unit_price="4.10", list_price="6.49",
                       tiers=[("100", "3.90"), ("500", "3.75")])  # fmt: skip
    return contract


@pytest.mark.parametrize("role", ALL_ROLES)
def test_everyone_in_the_agency_opens_the_catalogue(north: Any, current: Contract,
                                                    role: str) -> None:  # fmt: skip
    client = client_for(north.users[role])
    page = client.get("/a/north/contracts/", {"q": "letter"})
    assert page.status_code == 200
    assert "CP-8511" in page.content.decode()
    assert client.get(f"/a/north/contracts/{current.pk}/").status_code == 200


def test_another_agency_finds_nothing(north: Any, nation: Any, current: Contract) -> None:
    client = client_for(nation.users["agency_admin"])
    assert client.get("/a/north/contracts/").status_code == 404
    assert client.get(f"/a/nation/contracts/{current.pk}/").status_code == 404


def test_a_buyer_finds_orders_and_receives_at_the_tier_price(north: Any, current: Contract) -> None:
    buyer = client_for(north.users["member_buyer"])
    me = north.institution.pk
    page = buyer.get("/a/north/contracts/", {"q": "copy paper", "eligible_for": me})
    assert "may buy today" in page.content.decode() and "C-NOW" in page.content.decode()
    page = buyer.get(f"/a/north/contracts/{current.pk}/").content.decode()
    assert "Compliance checklist for North District 1" in page
    assert "Is the award current?" in page
    bad = buyer.post(f"/a/north/contracts/{current.pk}/order/", {
        "institution": me, "sku_1": "CP-8511", "quantity_1": "0", "sku_2": "NOPE",
        "quantity_2": "1"})  # fmt: skip
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "The quantity must be more than zero." in text and "is not on contract" in text
    assert not PurchaseOrder.objects.exists()
    done = buyer.post(f"/a/north/contracts/{current.pk}/order/", {
        "institution": me, "sku_1": "CP-8511", "quantity_1": "250"})  # fmt: skip
    order = PurchaseOrder.objects.get()
    assert done.status_code == 302 and order.total == 975  # 250 x $3.90
    for step in ("approve", "send", "receive", "close"):
        assert buyer.post(f"/a/north/orders/{order.pk}/{step}/").status_code == 302
    order.refresh_from_db()
    assert order.status == "closed"
    pdf = buyer.get(f"/a/north/orders/{order.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # On the invoice's standard: letterhead, parties, money with $, tagged, page numbers.
    from tests.billing.test_invoice_document import pdf_objects, pdf_text

    from edcoop.contracts.pdf import order_html

    text = pdf_text(order_html(order))
    for part in (north.agency.name, f"Purchase order {order.number}", "Ordered by",
                 order.institution.name, "Supplier", "$3.90", "$975.00", "Page 1 of 1"):
        assert part.lower() in text.lower(), (part, text)
    objects = pdf_objects(pdf.content)
    assert b"/StructTreeRoot" in objects and b"/Lang" in objects
    assert b"/MediaBox [0 0 612 792]" in objects


def test_orders_are_seen_by_their_member_and_staff_only(north: Any, current: Contract) -> None:
    from edcoop.contracts import orders

    order = orders.order_create(
        user=north.users["member_buyer"],
        institution=north.institution,
        contract=current,
        lines=[orders.LineInput("1", sku="CP-8511")],
    )
    for role, status in [("member_finance", 200), ("business_office", 200), ("auditor", 200),
                         ("supplier_rep", 403), ("evaluator", 403)]:  # fmt: skip
        assert (
            client_for(north.users[role]).get(f"/a/north/orders/{order.pk}/").status_code == status
        ), role


def test_a_supplier_files_a_csv_report_and_sees_its_fee(north: Any, current: Contract) -> None:
    rep = client_for(north.users["supplier_rep"])
    quarter_end = TODAY.replace(day=1) - timedelta(days=1)
    while quarter_end.month % 3:
        quarter_end = quarter_end.replace(day=1) - timedelta(days=1)
    q = quarter_end.month // 3
    csv_text = (f"member,sku,quantity,unit_price,invoice_date\n"
                f"{north.institution.pk},CP-8511,100,3.90,{quarter_end.isoformat()}\n")  # fmt: skip
    bad = rep.post(
        f"/a/north/contracts/{current.pk}/sales-report/",
        {
            "year": quarter_end.year,
            "quarter": q,
            "file": SimpleUploadedFile("q.csv", csv_text.replace("CP-8511", "X").encode()),
        },
    )
    assert "line 2: sku: &#x27;X&#x27; is not on contract C-NOW" in bad.content.decode()
    ok = rep.post(f"/a/north/contracts/{current.pk}/sales-report/", {
        "year": quarter_end.year, "quarter": q,
        "file": SimpleUploadedFile("q.csv", csv_text.encode())})  # fmt: skip
    report = SalesReport.objects.get()
    assert ok.status_code == 302
    page = rep.get(f"/a/north/sales-reports/{report.pk}/").content.decode()
    assert "$390.00" in page and "$7.80" in page  # 2% admin fee
    assert "Reconciliation" not in page  # the supplier does not see EdCoop's orders
    office = client_for(north.users["business_office"]).get(f"/a/north/sales-reports/{report.pk}/")
    assert "reported, no EdCoop order" in office.content.decode()


def test_patronage_page_for_the_office_and_the_member(north: Any) -> None:
    office = client_for(north.users["business_office"])
    done = office.post("/a/north/patronage/", {"fiscal_year": "2026", "net_income": "-10.00",
                                               "distributable": "0"})  # fmt: skip
    assert done.status_code == 302
    assert "loss year" in office.get("/a/north/patronage/").content.decode()
    member = client_for(north.users["member_admin"]).get("/a/north/patronage/")
    assert member.status_code == 200 and "Your patronage history" in member.content.decode()
    assert client_for(north.users["member_buyer"]).get("/a/north/patronage/").status_code == 403


def test_savings_page_sums_by_member_with_the_method(north: Any, current: Contract) -> None:
    from edcoop.contracts import orders

    buyer = north.users["member_buyer"]
    for qty in ("100", "20"):
        order = orders.order_create(user=buyer, institution=north.institution, contract=current,
                                    lines=[orders.LineInput(qty, sku="CP-8511")])  # fmt: skip
        orders.order_approve(user=buyer, order=order)
        orders.order_send(user=buyer, order=order)
    page = client_for(buyer).get("/a/north/savings/").content.decode()
    # (6.49 - 3.90) x 100 + (6.49 - 4.10) x 20 = 259.00 + 47.80 against the list price
    assert "$306.80" in page and "the supplier&#x27;s list price" in page
    assert client_for(north.users["supplier_rep"]).get("/a/north/savings/").status_code == 403


def test_a_member_never_sees_another_members_order(north: Any, current: Contract) -> None:
    from edcoop.contracts import orders
    from edcoop.members import services as member_services

    other = north.institutions[1]
    admin = client_for(north.users["agency_admin"])
    assert admin.get("/a/north/orders/").status_code == 200
    member_services.role_assign(user=None, agency=north.agency, person=north.users["member_admin"],
                                role="member_buyer", institution=other)  # fmt: skip
    order = orders.order_create(
        user=north.users["member_admin"],
        institution=other,
        contract=current,
        lines=[orders.LineInput("1", sku="CP-8511")],
    )
    assert (
        client_for(north.users["member_buyer"]).get(f"/a/north/orders/{order.pk}/").status_code
        == 404
    )


def test_the_officer_adds_an_external_contract(north: Any) -> None:
    officer = client_for(north.users["procurement_officer"])
    body = {"number": "EXT-1", "title": "Toner", "supplier": north.supplier.pk,
            "category": "Printing", "lead_agency": "Region 4 ESC",
            "solicitation_reference": "RFP 24-01", "starts_on": "2026-07-01",
            "ends_on": "2026-06-30", "renewal_options": "2", "renewal_months": "12",
            "pricing": "items", "admin_fee_pct": "2.5", "scope": "national",
            "eligible_kinds": ["public_k12", "charter"]}  # fmt: skip
    bad = officer.post("/a/north/contracts/new/", body)
    assert bad.status_code == 200 and "The term ends before it starts." in bad.content.decode()
    bad = officer.post("/a/north/contracts/new/", {**body, "ends_on": "2027-06-30",
                                                   "admin_fee_pct": "101"})  # fmt: skip
    assert "at most 100" in bad.content.decode()
    assert not Contract.objects.filter(number="EXT-1").exists()
    done = officer.post("/a/north/contracts/new/", {**body, "ends_on": "2027-06-30"})
    assert done.status_code == 302
    made = Contract.objects.get(number="EXT-1")
    assert made.eligible_kinds == ["public_k12", "charter"] and made.lead_agency == "Region 4 ESC"
    assert client_for(north.users["member_admin"]).get("/a/north/contracts/new/").status_code == 403


def test_dashboard_tables_and_their_downloads(north: Any, current: Contract) -> None:
    from edcoop.contracts import orders

    buyer = north.users["member_buyer"]
    order = orders.order_create(user=buyer, institution=north.institution, contract=current,
                                lines=[orders.LineInput("100", sku="CP-8511")])  # fmt: skip
    orders.order_approve(user=buyer, order=order)
    orders.order_send(user=buyer, order=order)
    office = client_for(north.users["business_office"])
    page = office.get("/a/north/contracts/dashboard/").content.decode()
    assert "Contract utilisation" in page and "$390.00" in page
    csv = office.get("/a/north/contracts/dashboard/", {"table": "spend", "format": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Fiscal year,Category,Supplier,Spend"
    assert "North Paper Co,390.00" in text
    xlsx = office.get("/a/north/contracts/dashboard/", {"table": "use", "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    assert client_for(buyer).get("/a/north/contracts/dashboard/").status_code == 403


def test_a_short_delivery_is_received_on_the_page(north: Any, current: Contract) -> None:
    from edcoop.contracts import orders

    buyer = north.users["member_buyer"]
    order = orders.order_create(user=buyer, institution=north.institution, contract=current,
                                lines=[orders.LineInput("40", sku="CP-8511")])  # fmt: skip
    orders.order_approve(user=buyer, order=order)
    orders.order_send(user=buyer, order=order)
    client = client_for(buyer)
    line = order.lines.get()
    page = client.get(f"/a/north/orders/{order.pk}/").content.decode()
    assert f'name="received-{line.pk}"' in page and "Record the goods received" in page
    bad = client.post(f"/a/north/orders/{order.pk}/receive/", {f"received-{line.pk}": "41"},
                      follow=True).content.decode()  # fmt: skip
    assert "at most" in bad
    client.post(f"/a/north/orders/{order.pk}/receive/", {f"received-{line.pk}": "25"})
    order.refresh_from_db()
    assert order.status == "received" and order.lines.get().received_quantity == 25
    page = client.get(f"/a/north/orders/{order.pk}/").content.decode()
    assert "has not arrived yet" in page and "Record a later delivery" in page
    client.post(f"/a/north/orders/{order.pk}/receive/", {f"received-{line.pk}": "40"})
    assert order.lines.get().received_quantity == 40
    page = client.get(f"/a/north/orders/{order.pk}/").content.decode()
    assert "has not arrived yet" not in page
