"""Demo contracts and purchasing, built through the product's own services.

- Lakes Region BOCES: the copy-paper contract of a GML §119-o cooperative bid (its
  participating districts only), every document on file; Alder Creek's buyer has received
  one order at the 100-ream tier and has a larger one waiting for the finance officer; the
  custodial contract made from the final award of LK-2026-03; a milk contract each
  district's board must adopt before ordering (none has yet).
- The national cooperative: a technology contract open to members anywhere, its supplier's
  quarterly sales reports (one quarter missing), their admin fee invoices (the first paid in
  two parts, the second in part), the first report amended with its fee adjustment, and last
  fiscal year's patronage to members.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from edcoop.members.models import Agency, Institution, Supplier
from edcoop.procurement.files import Upload
from edcoop.services.fiscal import fiscal_year_of

from . import fees, orders, patronage, pricelists, sales, services
from .models import BaselinePrice, Contract, ContractItem, add_months, quarter_end

# A one-page PDF (the documents' content is not the point; their presence is).
_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")  # fmt: skip


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def build(lakes: Agency, nation: Agency) -> None:
    today = timezone.localdate()
    _lakes(lakes, today)
    _nation(nation, today)


PAPER = [
    ("CP-8511", "Copy paper, letter 8.5x11, 20 lb, 92 bright", "ream", "4.10", "6.49",
     [("100", "3.90"), ("500", "3.75")]),
    ("CP-8514", "Copy paper, legal 8.5x14, 20 lb, 92 bright", "ream", "5.35", "8.29",
     [("100", "5.10")]),
    ("CP-1117", "Copy paper, tabloid 11x17, 20 lb", "ream", "9.80", "14.99", []),
    ("CP-8511R", "Copy paper, letter, 30% recycled", "ream", "4.45", "7.19",
     [("100", "4.25"), ("500", "4.10")]),
    ("CS-2040", "Cardstock, letter, 65 lb, white", "pack of 250", "8.95", "12.49", []),
]  # fmt: skip


def _lakes(agency: Agency, today: date) -> None:
    officer = _user("purchasing@lakes.example.org")
    empire = Supplier.objects.get(agency=agency, dba="Empire Paper")
    start = date(today.year if today.month >= 7 else today.year - 1, 7, 1)
    paper = services.contract_create(
        user=officer, agency=agency, supplier=empire, number="LK-C-2026-01",
        title="Copy paper and cardstock", category="Paper",
        description="Cooperative bid under GML §119-o for the participating districts: "
        "delivered to each building's loading dock within five business days.",
        lead_agency=agency.name, solicitation_reference="LK-2026-01 (IFB)",
        solicitation_method="IFB (sealed bid)", solicited_on=add_months(start, -5),
        awarded_on=add_months(start, -2), starts_on=start,
        ends_on=add_months(start, 12) - timedelta(days=1), renewal_options=4,
        admin_fee_pct="0", scope="service_area", eligible_kinds=["public_k12"],
        participants_only=True, federal_terms=True,
    )  # fmt: skip
    districts = list(Institution.objects.filter(agency=agency, kind="public_k12")
                     .exclude(name__in=["Round Lake CSD", "Quarry Hill CSD"]))  # fmt: skip
    services.eligibility_set(user=officer, contract=paper, participants=districts)
    for sku, text, unit, price, listed, tiers in PAPER:
        services.item_save(user=officer, contract=paper, sku=sku, description=text, unit=unit,
                           unit_price=price, list_price=listed, category="Paper",
                           tiers=tiers)  # fmt: skip
    for kind, title in [("solicitation", "IFB LK-2026-01 specifications"),
                        ("tabulation", "Bid tabulation"), ("award", "Board award resolution"),
                        ("agreement", "Signed agreement with Empire Paper")]:  # fmt: skip
        services.document_add(user=officer, contract=paper, kind=kind, title=title,
                               upload=Upload(f"{kind}.pdf", "application/pdf", _PDF))  # fmt: skip
    ream = ContractItem.objects.get(contract=paper, sku="CP-8511")
    BaselinePrice.objects.create(agency=agency, item=ream, unit_price=Decimal("5.25"),
                                 observed_on=add_months(start, -3),
                                 source="Regional office-supply price survey")  # fmt: skip
    alder = Institution.objects.get(agency=agency, name="Alder Creek CSD")
    buyer, finance = _user("buyer@alder.example.org"), _user("finance@alder.example.org")
    first = orders.order_create(
        user=buyer, institution=alder, contract=paper, ordered_on=today - timedelta(days=20),
        lines=[orders.LineInput("250", sku="CP-8511"), orders.LineInput("40", sku="CP-8514")],
        notes="Deliver to the middle school.")  # fmt: skip
    orders.order_approve(user=buyer, order=first)
    orders.order_send(user=buyer, order=first)
    orders.order_receive(user=buyer, order=first)
    big = orders.order_create(user=buyer, institution=alder, contract=paper,
                              lines=[orders.LineInput("1500", sku="CP-8511"),
                                     orders.LineInput("300", sku="CP-8511R")],
                              notes="Summer stock-up for all buildings.")  # fmt: skip
    del big, finance  # waits for the finance officer: the demo's next step
    _price_list_update(paper, today)
    _from_award(agency, officer, start)
    _milk(agency, officer, start)


def _milk(agency: Agency, officer: Any, start: date) -> None:
    """A contract each district's board adopts before ordering: no district has yet."""
    dairy = Supplier.objects.get(agency=agency, legal_name="Finger Lakes Dairy Cooperative")
    milk = services.contract_create(
        user=officer, agency=agency, supplier=dairy, number="LK-C-2026-02",
        title="Milk and dairy products", category="Food service",
        description="Delivered to each school kitchen twice a week. Each district's board "
        "adopts the contract by resolution before its first order.",
        lead_agency=agency.name, solicitation_reference="LK-2026-02 (IFB)",
        solicitation_method="IFB (sealed bid)", solicited_on=add_months(start, -4),
        awarded_on=add_months(start, -2), starts_on=start,
        ends_on=add_months(start, 12) - timedelta(days=1), renewal_options=2,
        admin_fee_pct="0", scope="service_area", eligible_kinds=["public_k12"],
        requires_adoption=True,
    )  # fmt: skip
    for sku, text, unit, price in [("MLK-1P", "Milk, 1% white, half pint", "half pint", "0.2810"),
                                   ("MLK-CH", "Milk, fat-free chocolate, half pint",
                                    "half pint", "0.3050")]:  # fmt: skip
        services.item_save(user=officer, contract=milk, sku=sku, description=text, unit=unit,
                           unit_price=price, category="Dairy")  # fmt: skip


def _price_list_update(paper: Contract, today: date) -> None:
    """Empire's rep uploads next month's list: the officer's home asks for a decision, and
    the diff shows a cut, an increase still under the award, and a new item."""
    rows = ["sku,description,unit,unit_price,category,list_price,tiers"]
    for sku, text, unit, price, listed, tiers in PAPER:
        price = {"CP-8511": "3.98", "CS-2040": "9.10"}.get(sku, price)
        text = f'"{text}"' if "," in text else text
        rows.append(f"{sku},{text},{unit},{price},Paper,{listed},"
                    + ";".join(f"{q}:{p}" for q, p in tiers))  # fmt: skip
    rows.append('CS-2065,"Cardstock, letter, 65 lb, ivory",pack of 250,9.25,Paper,12.99,')
    pricelists.upload_version(
        user=_user("rep@empirepaper.example.com"), contract=paper,
        data="\n".join(rows) + "\n", effective_on=today + timedelta(days=30),
        file_name="empire-paper-prices.csv",
    )  # fmt: skip


def _from_award(agency: Agency, officer: Any, start: date) -> None:
    from edcoop.procurement.awarding import final_award_lines
    from edcoop.procurement.models import Solicitation

    bid = Solicitation.objects.filter(agency=agency, number="LK-2026-03").first()
    lines = final_award_lines(bid) if bid is not None else []
    if not lines:
        return
    contract = services.contract_from_award(
        user=officer, solicitation=bid, supplier=lines[0].supplier, number="LK-C-2026-03",
        starts_on=add_months(start, -6), ends_on=add_months(start, 6) - timedelta(days=1),
        renewal_options=2, admin_fee_pct="0", federal_terms=True)  # fmt: skip
    # Alder Creek orders trash liners under it: the bid's OCDS release shows what members
    # bought under the award (its contract's implementation), as totals.
    alder = Institution.objects.get(agency=agency, name="Alder Creek CSD")
    buyer = _user("buyer@alder.example.org")
    on = min(timezone.localdate(), contract.ends_on) - timedelta(days=14)
    liners = orders.order_create(user=buyer, institution=alder, contract=contract,
                                 ordered_on=on, lines=[orders.LineInput("12", sku="1.01")],
                                 notes="Trash liners for the high school.")  # fmt: skip
    orders.order_approve(user=buyer, order=liners)
    orders.order_send(user=buyer, order=liners)


TECH = [
    ("CTP-CB-11", "Student Chromebook, 11.6 in, 4 GB, 3-yr warranty", "each", "229.00",
     "279.00", [("50", "219.00"), ("250", "209.00")]),
    ("CTP-DOC-01", "USB-C docking station", "each", "119.00", "159.00", [("25", "109.00")]),
    ("CTP-HS-05", "Classroom headset with microphone", "each", "14.50", "22.00",
     [("100", "12.75")]),
    ("CTP-PJ-40", "Interactive display, 65 in, 4K", "each", "2790.00", "3499.00",
     [("10", "2650.00")]),
]  # fmt: skip


def _nation(agency: Agency, today: date) -> None:
    admin = _user("admin@nation.example.org")
    rep = _user("rep@ctp.example.com")
    ctp = Supplier.objects.get(agency=agency, dba="CTP")
    # Began five quarters before the current one.
    current_q = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    start = add_months(current_q, -15)
    tech = services.contract_create(
        user=admin, agency=agency, supplier=ctp, number="NEPC-2025-014",
        title="Classroom technology and accessories", category="Technology",
        description="Nationally advertised RFP; open to every member institution, K-12 through "
        "higher education. No membership fee and no minimum purchase.",
        lead_agency="Great Plains State University (lead public agency)",
        solicitation_reference="RFP GPSU-25-014", solicitation_method="RFP (best value)",
        solicited_on=add_months(start, -4), awarded_on=add_months(start, -1), starts_on=start,
        ends_on=add_months(start, 36) - timedelta(days=1), renewal_options=2,
        admin_fee_pct="2.00", scope="national", federal_terms=True,
    )  # fmt: skip
    for sku, text, unit, price, listed, tiers in TECH:
        services.item_save(user=admin, contract=tech, sku=sku, description=text, unit=unit,
                           unit_price=price, list_price=listed, category="Technology",
                           tiers=tiers)  # fmt: skip
    for kind in ("solicitation", "tabulation", "award", "agreement"):
        services.document_add(
            user=admin,
            contract=tech,
            kind=kind,
            title=f"RFP GPSU-25-014 {kind}",
            upload=Upload(f"{kind}.pdf", "application/pdf", _PDF),
        )
    buyers = list(Institution.objects.filter(agency=agency, membership__status="active")
                  .order_by("name")[:6])  # fmt: skip
    gpsu = Institution.objects.get(agency=agency, ipeds_id="900102")
    order = orders.order_create(user=_user("buyer@gpsu.example.edu"), institution=gpsu,
                                contract=tech, lines=[orders.LineInput("60", sku="CTP-CB-11")],
                                ordered_on=today - timedelta(days=10))  # fmt: skip
    orders.order_approve(user=admin, order=order)
    # Quarterly reports from the first quarter through the last one due; one left missing.
    q = start
    n = 0
    filed = []
    while True:
        year, quarter = q.year, (q.month - 1) // 3 + 1
        if sales.due_on(agency, year, quarter) >= today:
            break
        n += 1
        if n != 3:  # the third quarter's report never came: shown as missing
            rows = [{"member": str(inst.pk), "sku": TECH[(i + n) % len(TECH)][0],
                     "quantity": str(5 + (i * 7 + n * 3) % 40),
                     "unit_price": TECH[(i + n) % len(TECH)][3],
                     "invoice_date": (q + timedelta(days=10 + 9 * i)).isoformat()}
                    for i, inst in enumerate(buyers) if (i + n) % 3]  # fmt: skip
            filed.append(sales.report_file(
                user=rep, contract=tech, year=year, quarter=quarter, rows=rows,
                today=min(today, quarter_end(year, quarter)
                          + timedelta(days=30 + n % 2 * 20))))  # fmt: skip
        q = add_months(q, 3)
    office = admin  # the agency administrator holds the business office's actions
    if filed:
        # The first quarter's fee is paid in two parts; its report is then corrected (a
        # late-found invoice), issuing an adjustment beside the original.
        first = filed[0]
        fee = first.fee_invoice
        half = (fee.amount / 2).quantize(Decimal("0.01"))
        paid_on = min(today, fee.issued_on + timedelta(days=20))
        fees.fee_payment_record(user=office, invoice=fee, amount=half, received_on=paid_on,
                                reference="CHK 4410")  # fmt: skip
        fees.fee_payment_record(user=office, invoice=fee, amount=fee.amount - half,
                                received_on=paid_on, reference="CHK 4427")  # fmt: skip
        rows = [{"member": str(line.institution_id), "sku": line.sku,
                 "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                 "invoice_date": line.invoice_date.isoformat()} for line in first.lines.all()]
        rows.append({**rows[0], "quantity": "12"})
        sales.report_amend(user=rep, report=first, rows=rows,
                           reason="A September invoice was left out of the first filing.",
                           today=min(today, fee.issued_on + timedelta(days=25)))  # fmt: skip
    if len(filed) > 1:
        fee = filed[1].fee_invoice
        fees.fee_payment_record(user=office, invoice=fee, amount=(fee.amount / 3).quantize(
            Decimal("0.01")), received_on=min(today, fee.issued_on + timedelta(days=15)),
            reference="ACH 20771")  # fmt: skip
    last_fy = fiscal_year_of(today, agency.fiscal_year_start_month) - 1
    if patronage.purchases_in(agency, last_fy):
        patronage.patronage_distribute(
            user=admin,
            agency=agency,
            fiscal_year=last_fy,
            net_income="48250.00",
            distributable="30000.00",
        )
