# ruff: noqa: E501  (the catalog table reads best one service per line)
"""Demo billing for the Lakes Region BOCES, built through the real service functions.

FY2026 (July 2025 - June 2026) is a whole year, closed: twelve months posted, payments (one
over the balance, one reversed), a credit memo on a courier line, a debit memo, a district
that withdrew in March, records management stopped in January, actual costs entered (a
deficit assessed on the network pool, one absorbed, a surplus on speech therapy), the
true-up posted with refunds as credit memos (applied, or carried as two districts chose),
the year closed, and the BOCES-aid estimate on it. FY2027 is open through November 2026:
July to October posted, November's usage recorded and its draft run computed, the school
psychologist pool billing its summer months by last year's shares and the curriculum pool
deferring them, a district that paid ahead holding unapplied credit.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model

from edcoop.members import services as member_services
from edcoop.members.models import Agency, Institution, Membership
from edcoop.services import services as svc
from edcoop.services.fiscal import fiscal_year_periods
from edcoop.services.importers import import_usage
from edcoop.services.models import ServiceRequest, ServiceYear

from . import ledger, statements
from .aid import aid_ratio_set
from .closing import agency_today
from .models import Invoice, InvoiceLine, MoneySum
from .runs import billing_run_compute, billing_run_post
from .yearend import memo_net, true_up_post

FIRST_FY, FY = 2026, 2027
# code, name, group, category, unit, method, rate, basis/flat, fee %, aidable, pool budget, GL function
CATALOG = [
    ("001.000", "Administrative budget", "001", "Administration", "share", "pool_by_share", "0", "rwada", "0", True, "2400000", "A1981"),
    ("002.000", "Capital budget", "002", "Capital", "share", "pool_by_share", "0", "rwada", "0", True, "650000", "A1981"),
    ("101.100", "Career and technical education (half day)", "100", "Career education", "student-month", "rate", "1125.0000", "", "0", True, "0", "A2280"),
    ("101.200", "New Visions health careers", "100", "Career education", "student-month", "rate", "980.0000", "", "0", True, "0", "A2280"),
    ("201.100", "Special education 8:1:1 classroom", "200", "Special education", "student-month", "rate", "6150.0000", "", "0", True, "0", "A2250"),
    ("201.200", "Special education 12:1:1 classroom", "200", "Special education", "student-month", "rate", "4475.0000", "", "0", True, "0", "A2250"),
    ("203.100", "Autism program", "200", "Special education", "student-month", "rate", "7340.0000", "", "0", True, "0", "A2250"),
    ("301.100", "Speech therapy", "300", "Itinerant services", "hour", "rate", "78.5000", "", "0", True, "0", "A2250"),
    ("302.100", "Occupational therapy", "300", "Itinerant services", "hour", "rate", "84.0000", "", "0", True, "0", "A2250"),
    ("303.100", "Teacher of the deaf and hard of hearing", "300", "Itinerant services", "hour", "rate", "92.0000", "", "0", True, "0", "A2250"),
    ("304.100", "School psychologist (shared)", "300", "Itinerant services", "day", "pool_by_usage", "0", "", "0", True, "410000", "A2820"),
    ("401.100", "Summer school (regional)", "400A", "Summer school", "student", "rate", "310.0000", "", "0", True, "0", "A2110"),
    ("402.100", "Arts in Education", "400B", "Instruction", "performance", "rate", "650.0000", "", "15", True, "0", "A2110"),
    ("403.100", "Alternative high school", "400B", "Instruction", "student-month", "rate", "2210.0000", "", "0", True, "0", "A2110"),
    ("501.100", "Regional Information Center: network and internet", "500A", "Technology", "device", "pool_by_usage", "0", "", "0", True, "1850000", "A2630"),
    ("501.200", "Student management system", "500A", "Technology", "student", "pool_by_share", "0", "enrollment", "0", True, "720000", "A2630"),
    ("501.300", "Cybersecurity operations center", "500A", "Technology", "district", "pool_by_share", "0", "equal", "0", True, "540000", "A2630"),
    ("501.400", "Data privacy and security", "500A", "Technology", "district", "flat", "0", "16895.00", "0", True, "0", "A2630"),
    ("502.100", "Instructional technology integration", "500A", "Technology", "day", "rate", "540.0000", "", "0", True, "0", "A2630"),
    ("511.100", "Professional development workshops", "500B", "Staff development", "seat", "committed_seats", "145.0000", "", "0", True, "0", "A2070"),
    ("512.100", "Mentor teacher internship", "500B", "Staff development", "teacher", "flat", "0", "2400.00", "0", True, "0", "A2070"),
    ("521.100", "School library system", "500C", "Instructional support", "share", "pool_by_share", "0", "enrollment", "0", True, "380000", "A2610"),
    ("522.100", "Curriculum and assessment", "500C", "Instructional support", "day", "pool_by_usage", "0", "", "0", True, "295000", "A2010"),
    ("601.010", "Central business office", "600", "Business services", "hour", "rate", "68.0000", "", "0", True, "0", "A1310"),
    ("601.020", "Payroll services", "600", "Business services", "paycheck", "rate", "6.7500", "", "0", True, "0", "A1310"),
    ("608.100", "Cooperative bidding", "600", "Purchasing", "district", "pool_by_share", "0", "full_value", "0", True, "185000", "A1345"),
    ("609.100", "Printing services", "600", "Operations", "1,000 impressions", "rate", "42.0000", "", "10", True, "0", "A1670"),
    ("610.100", "Courier (interoffice mail)", "600", "Operations", "stop", "rate", "18.5000", "", "0", True, "0", "A1670"),
    ("611.100", "Medicaid billing", "600", "Business services", "claim", "rate", "3.2500", "", "0", False, "0", "A1310"),
    ("612.100", "Records management", "600", "Operations", "box", "rate", "7.2000", "", "0", True, "0", "A1460"),
]  # fmt: skip
POSITIONS = [("Coordinator", D("96500.00"), D("1")), ("Specialist", D("61250.00"), D("2")),
             ("Clerk", D("28400.00"), D("1"))]  # fmt: skip
# Year-end actual cost of the FY2026 pools as a share of their budgets, and of the rate and
# flat services as a share of what they billed (below 1: a surplus refunded).
POOL_ACTUAL = {"501.100": D("1902000.00"), "522.100": D("301500.00"), "304.100": D("396000.00")}
RATE_ACTUAL_FACTOR = {"301.100": D("0.93"), "101.100": D("1.02")}


def _usage_csv(agency: Agency, period: date, rows: list[tuple[Institution, str, D]]) -> bytes:
    lines = ["external_ref,member,service,period,quantity"]
    for inst, code, quantity in rows:
        lines.append(f"demo-{period:%Y%m}-{inst.pk}-{code},{inst.beds_code},{code},"
                     f"{period:%Y-%m},{quantity}")  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def _subscribe(rng: random.Random, agency: Agency, members: list[Institution], services: dict,
               fiscal_year: int) -> list[tuple[Institution, str, D]]:  # fmt: skip
    optional = [c for c, s in services.items() if c not in ("001.000", "002.000") and s.active]
    out = []
    for i, inst in enumerate(members):
        picks = {*rng.sample(optional, 9), "501.400", "608.100"}
        if i == 0:
            picks |= {"610.100", "304.100", "522.100"}
        for code in sorted(picks):
            service = services[code]
            quantity = D(rng.choice([2, 4, 6, 10, 20, 40])) if service.unit not in (
                "district", "share") else D(1)  # fmt: skip
            svc.request_file(user=None, institution=inst, service=service,
                             fiscal_year=fiscal_year, kind=ServiceRequest.Kind.PRELIMINARY,
                             quantity=quantity)  # fmt: skip
            final = svc.request_file(user=None, institution=inst, service=service,
                                     fiscal_year=fiscal_year, kind=ServiceRequest.Kind.FINAL,
                                     quantity=quantity)  # fmt: skip
            svc.request_decide(user=None, request=final, approve=True)
            out.append((inst, code, quantity))
    return out


def _bill_month(agency: Agency, rng: random.Random, period: date, services: dict,
                subscriptions: list[tuple[Institution, str, D]], left: dict[int, date],
                post: bool = True) -> None:  # fmt: skip
    rows = []
    for inst, code, quantity in subscriptions:
        service = services[code]
        if service.charge_method in ("pool_by_share", "flat"):
            continue
        if inst.pk in left and period > left[inst.pk]:
            continue
        if service.available_until and period > service.available_until:
            continue
        if period.month in (7, 8) and service.category not in ("Business services",
                                                                "Technology"):  # fmt: skip
            continue  # summer: schools are out
        used = (quantity / 10 * D(rng.randint(7, 13)) / 10).quantize(D("0.01"))
        if used:
            rows.append((inst, code, used))
    import_usage(user=None, agency=agency, data=_usage_csv(agency, period, rows))
    if not post:
        return
    run = billing_run_compute(user=None, agency=agency, period=period)
    issued = min((period + timedelta(days=32)).replace(day=3), agency_today(agency))
    billing_run_post(user=None, run=run, issued_on=issued)


def _pay(agency: Agency, periods: list[date], skip: set[str]) -> None:
    for invoice in Invoice.objects.filter(agency=agency, period__in=periods,
                                          run__kind="monthly").select_related("institution"):  # fmt: skip
        if invoice.institution.name.split()[0] in skip:
            continue
        received = (invoice.issued_on or periods[0]) + timedelta(days=24)
        if received > agency_today(agency):
            continue
        ledger.payment_record(user=None, institution=invoice.institution, amount=invoice.total,
                              received_on=received, invoice=invoice,
                              reference=f"ACH {invoice.display_number}")  # fmt: skip


def _line(invoice: Invoice | None, code: str) -> InvoiceLine | None:
    if invoice is None:
        return None
    return invoice.lines.filter(service__code=code, kind="service").first()


def build_billing(agency: Agency) -> None:
    rng = random.Random(2027)  # noqa: S311  (fixed seed: the same demo every time)
    admin = get_user_model().objects.get(username=f"admin@{agency.slug}.example.org")
    services = {}
    for (
        code,
        name,
        group,
        category,
        unit,
        method,
        rate,
        extra,
        fee,
        aidable,
        _budget,
        gl,
    ) in CATALOG:
        fields = dict(
            code=code, name=name, coser_group=group, category=category, unit=unit,
            charge_method=method, unit_rate=D(rate), admin_fee_pct=D(fee), aidable=aidable,
            all_components=group in ("001", "002"), gl_account=f"{gl}.490",
        )  # fmt: skip
        if method == "pool_by_share":
            fields["share_basis"] = extra
        if method == "flat":
            fields["flat_amount"] = D(extra)
        if code == "501.100":
            fields["deficit_policy"] = "assess"
        if code == "522.100":
            fields["deficit_policy"] = "absorb"
        services[code] = svc.service_create(user=None, agency=agency, **fields)
    members = list(
        Institution.objects.filter(
            agency=agency, membership__status=Membership.Status.ACTIVE
        ).order_by("name")
    )
    for inst in members:
        for fy in (FIRST_FY, FY):
            if not inst.membership.years.filter(fiscal_year=fy).exists():
                # The non-component district buys by cross-contract: its figures are on file.
                member_services.membership_year_set(
                    user=admin, membership=inst.membership, fiscal_year=fy, enrollment=5100,
                    rwada=D("5610.00"), aid_ratio=D("0.7200"), full_value=D("2900000000.00"),
                )  # fmt: skip
    # Aid ratios per aid year, with the data years the State computes them from.
    for inst in members:
        for aid_year in (FIRST_FY + 1, FY + 1):
            figures = inst.membership.years.filter(fiscal_year=min(aid_year, FY)).first()
            if figures is not None and figures.aid_ratio is not None:
                aid_ratio_set(user=None, agency=agency, institution_id=inst.pk,
                              aid_year=aid_year, ratio=figures.aid_ratio,
                              data_years=f"{aid_year - 3} full value / {aid_year - 3}-"
                              f"{(aid_year - 2) % 100:02d} RWADA",
                              source="demo figures")  # fmt: skip

    # FY2026: the whole year ------------------------------------------------------------
    fy26 = _subscribe(rng, agency, members, services, FIRST_FY)
    _budgets(services, fy26, FIRST_FY)
    periods = fiscal_year_periods(FIRST_FY, agency.fiscal_year_start_month)
    deer = next(i for i in members if i.name.startswith("Deer Run"))
    left: dict[int, date] = {}
    for period in periods:
        if period == date(2026, 2, 1):
            # Records management closes at the end of January.
            services["612.100"] = svc.service_deactivate(user=None, service=services["612.100"],
                                                         last_day=date(2026, 1, 31))  # fmt: skip
        if period == date(2026, 4, 1):
            # Deer Run CSD withdraws at the end of March (effective on its last day).
            member_services.membership_set_status(
                user=admin, membership=deer.membership, status=Membership.Status.WITHDRAWN,
                effective_on=date(2026, 3, 31),
            )  # fmt: skip
            left[deer.pk] = date(2026, 3, 31)
        _bill_month(agency, rng, period, services, fy26, left)
    _pay(agency, periods, skip={"Birch"})
    alder, hemlock, cedar = members[0], members[9], members[3]
    sept = Invoice.objects.filter(agency=agency, institution=alder, period=date(2025, 9, 1)).first()
    courier = _line(sept, "610.100")
    if courier is not None:
        ledger.memo_issue(user=None, line=courier, amount=min(D("37.00"), courier.amount),
                          reason="Courier stops billed twice in week 2")  # fmt: skip
    printing = InvoiceLine.objects.filter(invoice__agency=agency, invoice__fiscal_year=FIRST_FY,
                                          service__code="609.100", kind="service").first()  # fmt: skip
    if printing is not None:
        ledger.memo_issue(user=None, line=printing, amount=D("45.00"), kind="debit",
                          reason="Rush finishing for graduation programs not billed")  # fmt: skip
    # A payment over the balance, and a returned check reversed.
    ledger.payment_record(user=None, institution=hemlock, amount=D("25000.00"),
                          received_on=date(2026, 6, 20), reference="CHK 40917")  # fmt: skip
    bounced = ledger.payment_record(user=None, institution=cedar, amount=D("1200.00"),
                                    received_on=date(2026, 6, 24), reference="CHK 2231")  # fmt: skip
    ledger.payment_reverse(user=None, payment=bounced, reason="Returned check (NSF)",
                           reversed_on=date(2026, 7, 2))  # fmt: skip
    # Actual costs: pools as audited, rate and flat services against what they billed.
    billed = _billed_by_service(agency, FIRST_FY)
    for (_, code), amount in memo_net(agency, FIRST_FY).items():
        billed[code] = billed.get(code, D(0)) - amount
    for code, service in services.items():
        year = ServiceYear.objects.filter(service=service, fiscal_year=FIRST_FY).first()
        if year is None or not billed.get(code):
            continue
        if code in POOL_ACTUAL:
            actual = POOL_ACTUAL[code]
        elif service.charge_method in ("pool_by_share",):
            actual = (year.budget * D("0.985")).quantize(D("0.01"))
        else:
            actual = (billed[code] * RATE_ACTUAL_FACTOR.get(code, D("1"))).quantize(D("0.01"))
        svc.service_year_set(user=None, service=service, fiscal_year=FIRST_FY,
                             budget=year.budget, actual_cost=actual)  # fmt: skip
    for inst in (alder, members[2]):
        ledger.refund_choose(user=None, institution=inst, fiscal_year=FIRST_FY,
                             disposition="carry")  # fmt: skip

    # FY2027: July to November 2026 -------------------------------------------------------
    active = [m for m in members if m.pk != deer.pk]
    fy27 = _subscribe(rng, agency, active, services, FY)
    _budgets(services, fy27, FY)
    svc.service_update(user=None, service=services["304.100"], empty_month="last_year")
    periods27 = [date(2026, m, 1) for m in (7, 8, 9, 10)]
    for period in periods27:
        _bill_month(agency, rng, period, services, fy27, {})
    # The FY2026 true-up, posted in the fall once the audit's actual costs are in.
    true_up_post(user=None, agency=agency, fiscal_year=FIRST_FY)
    # November's usage is in; the business office bills it at the end of the month.
    _bill_month(agency, rng, date(2026, 11, 1), services, fy27, {}, post=False)
    _pay(agency, periods27[:2], skip={"Birch"})
    # A district pays ahead: what it owes and $10,000 more, held as unapplied credit.
    quarry = next(i for i in members if i.name.startswith("Quarry"))
    owed = statements.statement(quarry, agency_today(agency)).balance
    ledger.payment_record(user=None, institution=quarry, amount=owed + D("10000.00"),
                          received_on=agency_today(agency), reference="ACH prepay FY2027")  # fmt: skip
    # One additional-service request mid-year, waiting for the business office.
    svc.request_file(user=None, institution=members[0], service=services["609.100"],
                     fiscal_year=FY, kind=ServiceRequest.Kind.ADDITIONAL, quantity=D(30),
                     note="Graduation programs")  # fmt: skip
    oct_alder = Invoice.objects.filter(agency=agency, institution=alder,
                                       period=date(2026, 10, 1)).first()  # fmt: skip
    line = _line(oct_alder, "610.100") or (oct_alder.lines.first() if oct_alder else None)
    if line is not None:
        ledger.memo_issue(user=None, line=line, amount=min(D("18.50"), line.amount),
                          reason="One stop billed on a snow day")  # fmt: skip
    # The business office has computed November's draft run (last, on every input above); it
    # posts it at the end of the month, from the run's page.
    billing_run_compute(user=None, agency=agency, period=date(2026, 11, 1))


def _budgets(services: dict, subs: list[tuple[Institution, str, D]], fiscal_year: int) -> None:
    """Every service's budget for the year with its staff (the aid's salary cap): pools as
    in the catalog, rate and flat services at their subscriptions' estimate."""
    estimate: dict[str, D] = {}
    for _inst, code, quantity in subs:
        s = services[code]
        if s.charge_method in ("rate", "committed_seats"):
            estimate[code] = estimate.get(code, D(0)) + quantity * s.unit_rate
        elif s.charge_method == "flat":
            estimate[code] = estimate.get(code, D(0)) + s.flat_amount
    for row in CATALOG:
        code, budget = row[0], D(row[10])
        service = services[code]
        if not service.active and fiscal_year == FY:
            continue
        amount = budget if budget else estimate.get(code, D(0)).quantize(D("0.01"))
        if not amount:
            continue
        svc.service_year_set(user=None, service=service, fiscal_year=fiscal_year, budget=amount,
                             positions=POSITIONS)  # fmt: skip


def _billed_by_service(agency: Agency, fiscal_year: int) -> dict[str, D]:
    return dict(InvoiceLine.objects.filter(invoice__agency=agency,
                                           invoice__fiscal_year=fiscal_year,
                                           invoice__status="issued").values(
        "service__code").annotate(t=MoneySum("amount")).values_list("service__code", "t"))  # fmt: skip
