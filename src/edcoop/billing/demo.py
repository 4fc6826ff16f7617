# ruff: noqa: E501  (the catalog table reads best one service per line)
"""Demo billing year for the Lakes Region BOCES: FY2027 (July 2026 - June 2027), with July to
October 2026 posted, November's usage recorded, payments, a credit memo and a statement."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model

from edcoop.members import services as member_services
from edcoop.members.models import Agency, Institution, Membership
from edcoop.services import services as svc
from edcoop.services.models import ServiceRequest

from . import services as billing_services
from .runs import billing_run_compute, billing_run_post

FY = 2027
# code, name, group, category, unit, method, rate, basis/flat, fee %, aidable, budget
CATALOG = [
    ("001.000", "Administrative budget", "001", "Administration", "share", "pool_by_share", "0", "rwada", "0", False, "2400000"),
    ("002.000", "Capital budget", "002", "Capital", "share", "pool_by_share", "0", "rwada", "0", False, "650000"),
    ("101.100", "Career and technical education (half day)", "100", "Career education", "student-month", "rate", "1125.0000", "", "0", True, "0"),
    ("101.200", "New Visions health careers", "100", "Career education", "student-month", "rate", "980.0000", "", "0", True, "0"),
    ("201.100", "Special education 8:1:1 classroom", "200", "Special education", "student-month", "rate", "6150.0000", "", "0", True, "0"),
    ("201.200", "Special education 12:1:1 classroom", "200", "Special education", "student-month", "rate", "4475.0000", "", "0", True, "0"),
    ("203.100", "Autism program", "200", "Special education", "student-month", "rate", "7340.0000", "", "0", True, "0"),
    ("301.100", "Speech therapy", "300", "Itinerant services", "hour", "rate", "78.5000", "", "0", True, "0"),
    ("302.100", "Occupational therapy", "300", "Itinerant services", "hour", "rate", "84.0000", "", "0", True, "0"),
    ("303.100", "Teacher of the deaf and hard of hearing", "300", "Itinerant services", "hour", "rate", "92.0000", "", "0", True, "0"),
    ("304.100", "School psychologist (shared)", "300", "Itinerant services", "day", "pool_by_usage", "0", "", "0", True, "410000"),
    ("401.100", "Summer school (regional)", "400A", "Summer school", "student", "rate", "310.0000", "", "0", True, "0"),
    ("402.100", "Arts in Education", "400B", "Instruction", "performance", "rate", "650.0000", "", "15", True, "0"),
    ("403.100", "Alternative high school", "400B", "Instruction", "student-month", "rate", "2210.0000", "", "0", True, "0"),
    ("501.100", "Regional Information Center: network and internet", "500A", "Technology", "device", "pool_by_usage", "0", "", "0", True, "1850000"),
    ("501.200", "Student management system", "500A", "Technology", "student", "pool_by_share", "0", "enrollment", "0", True, "720000"),
    ("501.300", "Cybersecurity operations center", "500A", "Technology", "district", "pool_by_share", "0", "equal", "0", True, "540000"),
    ("501.400", "Data privacy and security", "500A", "Technology", "district", "flat", "0", "16895.00", "0", True, "0"),
    ("502.100", "Instructional technology integration", "500A", "Technology", "day", "rate", "540.0000", "", "0", True, "0"),
    ("511.100", "Professional development workshops", "500B", "Staff development", "seat", "committed_seats", "145.0000", "", "0", True, "0"),
    ("512.100", "Mentor teacher internship", "500B", "Staff development", "teacher", "flat", "0", "2400.00", "0", True, "0"),
    ("521.100", "School library system", "500C", "Instructional support", "share", "pool_by_share", "0", "enrollment", "0", True, "380000"),
    ("522.100", "Curriculum and assessment", "500C", "Instructional support", "day", "pool_by_usage", "0", "", "0", True, "295000"),
    ("601.010", "Central business office", "600", "Business services", "hour", "rate", "68.0000", "", "0", True, "0"),
    ("601.020", "Payroll services", "600", "Business services", "paycheck", "rate", "6.7500", "", "0", True, "0"),
    ("608.100", "Cooperative bidding", "600", "Purchasing", "district", "pool_by_share", "0", "full_value", "0", True, "185000"),
    ("609.100", "Printing services", "600", "Operations", "1,000 impressions", "rate", "42.0000", "", "10", True, "0"),
    ("610.100", "Courier (interoffice mail)", "600", "Operations", "stop", "rate", "18.5000", "", "0", True, "0"),
    ("611.100", "Medicaid billing", "600", "Business services", "claim", "rate", "3.2500", "", "0", True, "0"),
    ("612.100", "Records management", "600", "Operations", "box", "rate", "7.2000", "", "0", True, "0"),
]  # fmt: skip


def build_billing(agency: Agency) -> None:
    rng = random.Random(2027)  # noqa: S311  (fixed seed: the same demo every time)
    services = {}
    for code, name, group, category, unit, method, rate, extra, fee, aidable, budget in CATALOG:
        fields = dict(
            code=code, name=name, coser_group=group, category=category, unit=unit,
            charge_method=method, unit_rate=D(rate), admin_fee_pct=D(fee), aidable=aidable,
            all_components=group in ("001", "002"),
        )  # fmt: skip
        if method == "pool_by_share":
            fields["share_basis"] = extra
        if method == "flat":
            fields["flat_amount"] = D(extra)
        service = svc.service_create(user=None, agency=agency, **fields)
        services[code] = service
        if D(budget):
            positions = [("Coordinator", D("96500.00"), D("1")), ("Specialist", D("61250.00"),
                          D("2")), ("Clerk", D("28400.00"), D("1"))]  # fmt: skip
            svc.service_year_set(user=None, service=service, fiscal_year=FY, budget=D(budget),
                                 positions=positions)  # fmt: skip
    members = list(
        Institution.objects.filter(
            agency=agency, membership__status=Membership.Status.ACTIVE
        ).order_by("name")
    )
    optional = [c for c in services if c not in ("001.000", "002.000")]
    admin = get_user_model().objects.get(username=f"admin@{agency.slug}.example.org")
    for inst in members:
        membership = inst.membership
        if not membership.years.filter(fiscal_year=FY).exists():
            # The non-component district buys by cross-contract: its figures are on file too.
            member_services.membership_year_set(
                user=admin, membership=membership, fiscal_year=FY, enrollment=5100,
                rwada=D("5610.00"), aid_ratio=D("0.7200"), full_value=D("2900000000.00"),
            )  # fmt: skip
    subscriptions: list[tuple[Institution, str, D]] = []
    for inst in members:
        picks = [*rng.sample(optional, 9), "501.400", "608.100"]
        for code in sorted(set(picks)):
            service = services[code]
            quantity = D(rng.choice([2, 4, 6, 10, 20, 40])) if service.unit not in (
                "district", "share") else D(1)  # fmt: skip
            svc.request_file(user=None, institution=inst, service=service, fiscal_year=FY,
                             kind=ServiceRequest.Kind.PRELIMINARY, quantity=quantity)  # fmt: skip
            final = svc.request_file(user=None, institution=inst, service=service,
                                     fiscal_year=FY, kind=ServiceRequest.Kind.FINAL,
                                     quantity=quantity)  # fmt: skip
            svc.request_decide(user=None, request=final, approve=True)
            subscriptions.append((inst, code, quantity))
    # One additional-service request mid-year, waiting for the business office.
    svc.request_file(user=None, institution=members[0], service=services["609.100"],
                     fiscal_year=FY, kind=ServiceRequest.Kind.ADDITIONAL, quantity=D(30),
                     note="Graduation programs")  # fmt: skip
    months = [date(2026, m, 1) for m in (7, 8, 9, 10, 11)]
    for period in months:
        for inst, code, quantity in subscriptions:
            service = services[code]
            if service.charge_method in ("pool_by_share", "flat"):
                continue
            if period.month in (7, 8) and service.category not in ("Business services",
                                                                    "Technology"):  # fmt: skip
                continue  # summer: schools are out
            used = (quantity / 10 * D(rng.randint(7, 13)) / 10).quantize(D("0.01"))
            if used:
                svc.usage_record(user=None, institution=inst, service=service, period=period,
                                 quantity=used, external_ref=f"demo-{period:%Y%m}-{inst.pk}-{code}")  # fmt: skip
    for period in months[:4]:
        run = billing_run_compute(user=None, agency=agency, period=period)
        next_month = (period + timedelta(days=32)).replace(day=3)
        billing_run_post(user=None, run=run, issued_on=next_month)
    # Payments: most districts pay the July and August bills; one pays late; a credit memo.
    from .models import Invoice

    for invoice in Invoice.objects.filter(agency=agency, period__lte=date(2026, 8, 1)):
        if invoice.institution.name.startswith("Birch"):
            continue
        billing_services.payment_record(
            user=None, institution=invoice.institution, amount=invoice.total,
            received_on=(invoice.issued_on or date(2026, 9, 1)) + timedelta(days=24),
            reference=f"ACH {invoice.display_number}", invoice=invoice,
        )  # fmt: skip
    alder_sept = Invoice.objects.filter(
        agency=agency, institution=members[0], period=date(2026, 9, 1)
    ).first()
    if alder_sept is not None:
        billing_services.credit_memo_issue(user=None, invoice=alder_sept, amount=D("156.00"),
                                           reason="Courier stops billed twice in week 2")  # fmt: skip
