"""Demo members: two agencies sharing one installation, built through the product's own services.

``build_lakes`` and ``build_nation`` are the first parts of the story ``edcoop.demo`` tells;
the other apps' builders follow them there.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from decimal import Decimal
from importlib import resources

from django.contrib.auth import get_user_model

from edcoop.core import audit
from edcoop.core.demo import Login, give

from . import logos, services
from .importers import import_institutions
from .models import Agency, Institution, Membership, Role, RoleAssignment, Supplier

# Fictional districts of a NY-style BOCES: (name, county, enrollment, area).
LAKES_DISTRICTS = [
    ("Alder Creek CSD", "Ontario", 2140, "North"),
    ("Birch Hollow CSD", "Ontario", 1185, "North"),
    ("Canandaigua Heights CSD", "Ontario", 3620, "North"),
    ("Cedar Falls CSD", "Wayne", 940, "North"),
    ("Clearwater Valley CSD", "Wayne", 1710, "North"),
    ("Deer Run CSD", "Wayne", 655, "North"),
    ("East Seneca CSD", "Seneca", 1390, "North"),
    ("Fox Ridge CSD", "Seneca", 820, "North"),
    ("Glen Harbor CSD", "Yates", 1045, "North"),
    ("Hemlock Lake CSD", "Livingston", 2475, "North"),
    ("Iron Bridge CSD", "Livingston", 1530, "South"),
    ("Juniper Hill CSD", "Steuben", 760, "South"),
    ("Keuka Shores CSD", "Yates", 1225, "South"),
    ("Laurel Point CSD", "Steuben", 2890, "South"),
    ("Maple Glen CSD", "Steuben", 1960, "South"),
    ("North Branch CSD", "Schuyler", 585, "South"),
    ("Oak Orchard CSD", "Schuyler", 1120, "South"),
    ("Pine Valley CSD", "Chemung", 4310, "South"),
    ("Quarry Hill CSD", "Chemung", 2655, "South"),
    ("Round Lake CSD", "Chemung", 1880, "South"),
]

# A national cooperative's members: several kinds, several states.
NATION_MEMBERS = [
    ("Prairie Winds Unified School District 312", Institution.Kind.PUBLIC_K12, "KS", "", ""),
    ("Red River Independent School District", Institution.Kind.PUBLIC_K12, "TX", "", ""),
    ("Cascade Foothills School District", Institution.Kind.PUBLIC_K12, "WA", "", ""),
    ("Lakeshore Community College", Institution.Kind.COMMUNITY_COLLEGE, "MI", "", "900101"),
    ("Great Plains State University", Institution.Kind.PUBLIC_UNIVERSITY, "NE", "", "900102"),
    ("St. Brendan College", Institution.Kind.PRIVATE_UNIVERSITY, "MA", "", "900103"),
    ("Harbor Academy Charter School", Institution.Kind.CHARTER, "FL", "", ""),
    ("City of Millbrook", Institution.Kind.MUNICIPALITY, "OH", "", ""),
    ("Summit Ridge Preparatory School", Institution.Kind.PRIVATE_K12, "CO", "", ""),
]

SUPPLIERS = {
    "lakes": [
        ("Empire Paper & Supply, Inc.", "Empire Paper", "16-4820117", ["small"], "active"),
        ("Finger Lakes Dairy Cooperative", "", "16-0912245", ["local"], "active"),
        ("Northeast Custodial Products LLC", "NECP", "22-3318760", ["mwbe", "wbe"], "active"),
        ("Tri-County Bus Parts Corp.", "", "16-7751032", [], "applicant"),
        ("Acme Surplus Brokers", "", "13-5550199", [], "debarred"),
    ],
    "nation": [
        ("Continental Office Solutions", "", "41-2290018", [], "active"),
        ("Campus Technology Partners, Inc.", "CTP", "27-1180455", ["small", "sdvob"], "active"),
        ("Heartland Furniture Company", "", "47-0663129", ["mbe"], "applicant"),
    ],
}


def _activate(
    membership: Membership, *, component: bool, area: object | None, joined: date
) -> None:
    # Historical members: activated as of the date they joined, not today.
    before = audit.snapshot(
        membership,
        ["status", "component", "service_area", "joined_on", "applied_at", "decided_at"],
    )
    membership.status = Membership.Status.ACTIVE
    membership.component = component
    membership.service_area = area  # type: ignore[assignment]
    membership.joined_on = joined
    membership.applied_at = membership.decided_at = datetime.combine(
        joined, time(9), tzinfo=membership.agency.zone
    )
    membership.save()
    audit.record(
        "membership.create",
        membership,
        changes=audit.diff(before, audit.snapshot(membership, list(before))),
    )


def _suppliers(agency: Agency) -> list[Supplier]:
    out = []
    for legal, dba, ein, certs, status in SUPPLIERS[agency.slug]:
        supplier = services.supplier_register(
            agency=agency,
            legal_name=legal,
            dba=dba,
            tax_id=ein,
            certifications=certs,
            state=agency.state,
            email=f"bids@{legal.split()[0].lower()}.example.com",
        )
        if status != "applicant":
            supplier.status = status
            supplier.save()
            audit.record("supplier.status", supplier, changes={"status": ["applicant", status]})
        out.append(supplier)
    return out


def demo_logo() -> bytes:
    """A made-up mark for the demo's BOCES (waves over a lake), drawn here: no image file."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (480, 160), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 152, 152), fill=(31, 59, 92))
    for top in (62, 88, 114):
        draw.arc((28, top - 24, 88, top + 12), 200, 340, fill=(255, 255, 255), width=7)
        draw.arc((72, top - 24, 132, top + 12), 200, 340, fill=(255, 255, 255), width=7)
    draw.rectangle((176, 52, 470, 64), fill=(31, 59, 92))
    draw.rectangle((176, 84, 400, 96), fill=(95, 140, 180))
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build_lakes(logins: list[Login]) -> Agency:
    agency = services.agency_create(
        slug="lakes",
        name="Lakes Region BOCES",
        kind=Agency.Kind.REGIONAL,
        state="NY",
        time_zone="America/New_York",
        fiscal_year_start_month=7,
        website="https://lakes-boces.example.org",
        email="businessoffice@lakes-boces.example.org",
        address="131 Drumlin Road\nCanandaigua, NY 14424",
        phone="(585) 555-0140",
        tax_id="16-6000000",
        remit_to="Business Office\nPO Box 4400\nCanandaigua, NY 14424",
        payment_instructions="Checks payable to Lakes Region BOCES. ACH: Lakes Community Bank, "
        "routing 021000000, account 000123456 (send the remittance advice to "
        "businessoffice@lakes-boces.example.org).",
        payment_terms_days=30,
        paper_size="letter",
        membership_terms="Component districts share the BOCES administrative budget by "
        "resident weighted average daily attendance (RWADA) and pay for the services they "
        "take; a non-component district buys services by cross-contract.",
    )
    agency.logo_png = logos.clean_logo(demo_logo())  # as if uploaded on the settings page
    agency.save(update_fields=["logo_png"])
    areas = {
        "North": services.service_area_create(
            agency=agency,
            name="North",
            counties=["Ontario", "Wayne", "Seneca", "Yates", "Livingston"],
        ),
        "South": services.service_area_create(
            agency=agency, name="South", counties=["Steuben", "Schuyler", "Chemung"]
        ),
    }
    rng = random.Random(2026)  # noqa: S311  (fixed seed: the same demo every time)
    members = []
    for i, (name, county, enrollment, area) in enumerate(LAKES_DISTRICTS):
        m = services.membership_apply(
            agency=agency,
            application=services.Application(
                name=name,
                kind=Institution.Kind.PUBLIC_K12,
                state="NY",
                county=county,
                beds_code=f"71{i + 1:02d}01040000",
                contact_name="Business Official",
                contact_email="",
            ),
        )
        _activate(m, component=True, area=areas[area], joined=date(1968 + i, 7, 1))
        members.append((m, enrollment))
    admin = _staff(logins, agency, "lakes")
    for n, (m, _enrollment) in enumerate(members, start=1):
        inst = m.institution
        services.institution_update(
            user=admin, institution=inst,
            billing_address=f"Business Office\n{100 + 7 * n} Main Street\n"
            f"{inst.name.removesuffix(' CSD')}, NY 14{400 + n:03d}",
            account_number=f"LR-{n:04d}", purchase_order=f"PO 4{310 + n}",
        )  # fmt: skip
    for m, enrollment in members:
        # Each district keeps its character from year to year: attendance weighting and
        # property wealth drawn once, then enrollment eases and values rise a little.
        weighting = Decimal(str(round(rng.uniform(1.06, 1.16), 4)))
        value_per_rwada = Decimal(rng.randrange(330_000, 1_100_000, 1_000))
        for fy in (2025, 2026, 2027):
            years = fy - 2026
            enrol = int(enrollment * (1 - Decimal("0.012") * years))
            # RWADA weights attendance (secondary 1.25, special education more) on ~94%
            # attendance; a BOCES district's RWADA runs near 1.1 x enrollment.
            rwada = (enrol * weighting).quantize(Decimal("0.01"))
            per_rwada = value_per_rwada * (1 + Decimal("0.03") * years)
            ratio = max(
                Decimal("0.3600"),
                min(Decimal("0.9000"), 1 - Decimal("0.51") * per_rwada / 702_400),
            ).quantize(Decimal("0.0001"))
            services.membership_year_set(
                user=admin, membership=m, fiscal_year=fy, enrollment=enrol, rwada=rwada,
                aid_ratio=ratio, full_value=(per_rwada * rwada).quantize(Decimal("1.00")),
            )  # fmt: skip
    # A non-component district buying by cross-contract, and two applications to decide.
    outside = services.membership_apply(
        agency=agency,
        application=services.Application(
            name="Twin Rivers City School District",
            kind=Institution.Kind.PUBLIC_K12,
            state="NY",
            county="Monroe",
            beds_code="719901010000",
        ),
    )
    _activate(outside, component=False, area=None, joined=date(2019, 7, 1))
    services.membership_apply(
        agency=agency,
        application=services.Application(
            name="Seneca Falls Academy Charter School",
            kind=Institution.Kind.CHARTER,
            state="NY",
            county="Seneca",
            contact_name="Dana Whitfield",
            contact_title="School Business Administrator",
            contact_email="dwhitfield@sfacs.example.org",
            notes="Interested in the Central Business Office and cooperative bids.",
        ),
    )
    services.membership_apply(
        agency=agency,
        application=services.Application(
            name="Finger Lakes Community College Foundation",
            kind=Institution.Kind.OTHER_PUBLIC,
            state="NY",
            county="Ontario",
            contact_name="Lee Ortiz",
            contact_email="lortiz@flccf.example.org",
        ),
    )
    suppliers = _suppliers(agency)
    alder = members[0][0].institution
    give(
        logins,
        agency,
        "superintendent@alder.example.org",
        "Morgan Hale",
        Role.MEMBER_ADMIN,
        institution=alder,
    )
    give(
        logins,
        agency,
        "buyer@alder.example.org",
        "Jamie Ruiz",
        Role.MEMBER_BUYER,
        institution=alder,
    )
    give(
        logins,
        agency,
        "finance@alder.example.org",
        "Pat Okafor",
        Role.MEMBER_FINANCE,
        institution=alder,
    )
    give(
        logins,
        agency,
        "rep@empirepaper.example.com",
        "Chris Novak",
        Role.SUPPLIER_REP,
        supplier=suppliers[0],
    )
    # A supplier's own change of who it is waits for the agency (the supplier's page shows
    # it pending, for the procurement officer to approve or reject).
    rep = RoleAssignment.objects.get(agency=agency, supplier=suppliers[0]).user
    services.supplier_update(
        user=rep,
        supplier=suppliers[0],
        certifications=sorted({*suppliers[0].certifications, Supplier.Certification.LOCAL}),
    )
    return agency


def _staff(logins: list[Login], agency: Agency, slug: str):
    people = [
        ("admin", "Avery Collins", Role.AGENCY_ADMIN),
        ("purchasing", "Rowan Patel", Role.PROCUREMENT_OFFICER),
        ("business", "Taylor Brooks", Role.BUSINESS_OFFICE),
        ("evaluator", "Jordan Kim", Role.EVALUATOR),
        ("auditor", "Casey Morgan", Role.AUDITOR),
    ]
    for local, name, role in people:
        give(logins, agency, f"{local}@{slug}.example.org", name, role)
    return get_user_model().objects.get(username=f"admin@{slug}.example.org")


def build_nation(logins: list[Login]) -> Agency:
    agency = services.agency_create(
        slug="nation",
        name="National Education Purchasing Cooperative",
        kind=Agency.Kind.NATIONAL,
        state="MN",
        time_zone="America/Chicago",
        fiscal_year_start_month=7,
        website="https://nepc.example.org",
        email="ar@nepc.example.org",
        address="400 Commerce Drive, Suite 210\nSaint Paul, MN 55101",
        phone="(651) 555-0190",
        payment_terms_days=45,
        membership_terms="Membership is free for public agencies; suppliers pay the "
        "cooperative an administrative fee on what members buy.",
    )
    for i, (name, kind, state, nces, ipeds) in enumerate(NATION_MEMBERS):
        m = services.membership_apply(
            agency=agency,
            application=services.Application(
                name=name, kind=kind, state=state, nces_id=nces, ipeds_id=ipeds
            ),
        )
        _activate(m, component=False, area=None, joined=date(2015 + i % 9, 1 + i, 15))
    # The NY BOCES themselves join the national cooperative: the shipped import sample.
    sample = resources.files("edcoop").joinpath("samples/ny_boces.csv").read_bytes()
    import_institutions(user=None, agency=agency, data=sample)
    services.membership_apply(
        agency=agency,
        application=services.Application(
            name="Mesa Verde Technical College",
            kind=Institution.Kind.COMMUNITY_COLLEGE,
            state="AZ",
            contact_name="Sam Reyes",
            contact_title="Director of Purchasing",
            contact_email="sreyes@mvtc.example.edu",
        ),
    )
    suppliers = _suppliers(agency)
    gpsu = Institution.objects.get(agency=agency, ipeds_id="900102")
    give(logins, agency, "admin@nation.example.org", "Robin Ellis", Role.AGENCY_ADMIN)
    give(logins, agency, "purchasing@nation.example.org", "Drew Sato", Role.PROCUREMENT_OFFICER)
    give(
        logins, agency, "buyer@gpsu.example.edu", "Alex Romero", Role.MEMBER_BUYER, institution=gpsu
    )
    give(
        logins,
        agency,
        "rep@ctp.example.com",
        "Sydney Clarke",
        Role.SUPPLIER_REP,
        supplier=suppliers[1],
    )
    # CTP's rep asked for notices to go to a new address: the change waits for the link
    # mailed there to be confirmed (and the old address was told).
    services.supplier_update(user=RoleAssignment.objects.get(agency=agency,
                                                             supplier=suppliers[1]).user,
                             supplier=suppliers[1], email="contracts@ctp.example.com")  # fmt: skip
    return agency
