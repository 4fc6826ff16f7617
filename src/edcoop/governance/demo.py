"""Demo governance for Lakes Region BOCES: its own quote ladder beside the shipped rules, a
published Central Business Office savings study over eight of its component districts (and
its revision over ten, still a draft), and
what the auditor and the compliance monitor find: a refused attempt to read a sealed bid, a
district's orders split under a contract nobody bid, a public work piggybacked on a county's
contract, and a verification of the audit trail
(the annual reports read the year's billing as it stands)."""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from edcoop.members.models import Agency, Institution, Membership
from edcoop.procurement.files import Upload

from . import services


def build(agency: Agency) -> None:
    User = get_user_model()
    admin = User.objects.get(username="admin@lakes.example.org")
    office = User.objects.get(username="business@lakes.example.org")
    services.rule_save(
        user=admin, agency=agency, key="lakes-policy-6700-written-quotes",
        name="Lakes Region BOCES policy 6700: three written quotes from $5,000 to $20,000",
        jurisdiction="NY", funding="local", kinds=["commodity", "service"], method="quotes",
        lower=Decimal("5000"), lower_inclusive=True, upper=Decimal("20000"),
        effective_from="2024-07-01",
        source="Board procurement policy 6700 under GML §104-b (adopted at the July 2024 "
               "reorganisation meeting): three written quotes from $5,000 up to the bidding "
               "threshold; verbal quotes below.",
    )  # fmt: skip
    # The BOCES keeps its own record of New York's piggybacking authority: counsel's reading
    # of the sunset noted beside the statute (the end stays June 30, 2026, not extended).
    # Spelled out, not copied from the shipped row: a test's database may have been emptied
    # of the rows the migrations load.
    services.piggyback_save(
        user=admin, agency=agency, jurisdiction="NY",
        name="New York GML §103(16): purchases under another government's contract",
        effective_to=date(2026, 6, 30),
        source="GML §103(16) lets a member use another government's contract let to the lowest "
               "responsible bidder or on best value; the authority ends June 30, 2026 unless "
               "extended. Lakes Region BOCES counsel: no extension enacted yet; members buy "
               "under another government's contract only after a bid of their own or through a "
               "GML §119-o cooperative bid.",
    )  # fmt: skip
    districts = list(
        Institution.objects.filter(
            agency=agency, kind=Institution.Kind.PUBLIC_K12,
            membership__status=Membership.Status.ACTIVE, membership__component=True,
        ).order_by("name")[:8]
    )  # fmt: skip
    study = services.study_create(
        user=office, agency=agency, title="A shared Central Business Office for eight districts",
        service_name="Central Business Office (payroll, accounts payable, purchasing, "
                     "treasurer, state reports)",
        description="Asked by the superintendents' council in September 2026: what would each "
                    "district spend running its business office in house, against a share of "
                    "one office run by the BOCES? In-house figures are each district's own "
                    "FY2027 budget lines; the shared office's cost is the BOCES estimate.",
        fiscal_year=2027, basis="rwada", shared_cost=Decimal("1480000.00"), aidable=True,
        sensitivity_pct=Decimal("10"),
    )  # fmt: skip
    rng = random.Random(2027)  # noqa: S311 - demo figures, not secrets
    rows = {}
    for inst in districts:
        rows[inst.pk] = _in_house(rng)
    services.study_set_districts(user=office, study=study, rows=rows)
    services.study_publish(user=office, study=study)
    # The council asked for the same study with two more districts: a revision, still a draft.
    revision = services.study_copy(
        user=office, study=study, title="A shared Central Business Office for ten districts"
    )
    more = Institution.objects.filter(
        agency=agency, kind=Institution.Kind.PUBLIC_K12,
        membership__status=Membership.Status.ACTIVE, membership__component=True,
    ).exclude(pk__in=rows).order_by("name")[:2]  # fmt: skip
    services.study_set_districts(user=office, study=revision,
                                 rows={**rows, **{inst.pk: _in_house(rng) for inst in more}})
    budget = (
        "Lakes Region BOCES: FY2027 budget adopted by the component boards at the annual "
        "meeting, April 2026.\nAdministrative budget  $2,412,000.00\nCapital budget  "
        "$1,180,000.00\nProgram budget  $41,870,500.00\n"
    )
    services.public_document_post(
        user=office, agency=agency, kind="adopted_budget", fiscal_year=2027,
        title="FY2027 adopted budget (administrative, capital, program)",
        upload=Upload("lakes-fy2027-adopted-budget.txt", "text/plain", budget.encode()),
    )  # fmt: skip
    report = (
        "Independent auditor's report on the financial statements of Lakes Region BOCES "
        "for the year ended June 30, 2026 (Education Law §2116-a(3)). Unmodified opinion; "
        "no material weaknesses.\n"
    )
    services.public_document_post(
        user=office, agency=agency, kind="annual_audit", fiscal_year=2026,
        title="FY2026 annual independent audit",
        upload=Upload("lakes-fy2026-audit-report.txt", "text/plain", report.encode()),
    )  # fmt: skip
    _monitor_story(agency)


def _in_house(rng: random.Random) -> dict[str, Decimal]:
    """A district's in-house business office costs (demo figures)."""
    return {
        "fte": Decimal(rng.choice(["2.0", "2.5", "3.0", "3.5", "4.0", "5.0"])),
        "salary": Decimal(rng.randrange(54_000, 71_000, 500)),
        "benefits_pct": Decimal(rng.choice(["38.5", "41.0", "44.2", "47.0"])),
        "software": Decimal(rng.randrange(9_000, 38_000, 250)),
        "audit_findings": Decimal(rng.choice([0, 0, 4_500, 12_000])),
        "other": Decimal(rng.randrange(1_000, 9_000, 100)),
    }


def _monitor_story(agency: Agency) -> None:
    """What the compliance monitor and the auditor see in the demo."""
    from edcoop.contracts import orders
    from edcoop.contracts import services as contracts
    from edcoop.core.job_kinds import AUDIT_VERIFY
    from edcoop.core.jobs import job_start
    from edcoop.members.models import Supplier
    from edcoop.procurement import sealing
    from edcoop.procurement.models import Response

    User = get_user_model()
    officer = User.objects.get(username="purchasing@lakes.example.org")
    # The evaluator tries to read a sealed response: refused, and the refusal is recorded.
    sealed = (Response.objects.filter(solicitation__agency=agency, is_current=True,
                                      solicitation__opened_at__isnull=True)
              .select_related("solicitation__agency", "supplier").first())  # fmt: skip
    if sealed is not None:
        with contextlib.suppress(sealing.Sealed):
            sealing.unseal_for(User.objects.get(username="evaluator@lakes.example.org"), sealed)
    # A district buys classroom furniture twice under a piggybacked contract with no
    # competitive solicitation on record: together over the GML §103 bidding threshold.
    today = timezone.localdate()
    supplier = Supplier.objects.filter(agency=agency, legal_name__startswith="Northeast").first()
    if supplier is None:
        return
    contract = contracts.contract_create(
        user=officer, agency=agency, supplier=supplier, number="LK-PB-2027-01",
        title="Classroom furniture (piggyback, no bid on file)", category="Furniture",
        lead_agency="Seneca Valley School District", starts_on=today - timedelta(days=120),
        ends_on=today + timedelta(days=240), scope="service_area",
    )  # fmt: skip
    contracts.item_save(user=officer, contract=contract, sku="DESK-TCH",
                        description="Teacher desk, 60 x 30, laminate", unit="each",
                        unit_price="612.00")  # fmt: skip
    buyer = User.objects.get(username="buyer@alder.example.org")
    finance = User.objects.get(username="finance@alder.example.org")
    alder = Institution.objects.get(staff__user=buyer, agency=agency)
    for quantity, days_ago in (("20", 75), ("16", 30)):
        order = orders.order_create(
            user=buyer, institution=alder, contract=contract,
            lines=[orders.LineInput(quantity=quantity, sku="DESK-TCH")],
            ordered_on=today - timedelta(days=days_ago),
        )  # fmt: skip
        orders.order_approve(user=finance, order=order)
    # The same district has a roof repaired under a county's public-works contract: a
    # piggybacked public work, which New York does not allow (GML §103(16)).
    roofing = contracts.contract_create(
        user=officer, agency=agency, supplier=supplier, number="LK-PB-2027-02",
        title="Roof repair (county public-works contract)", category="Facilities",
        kind="public_work", lead_agency="Ontario County", starts_on=today - timedelta(days=120),
        ends_on=today + timedelta(days=240), scope="service_area",
    )  # fmt: skip
    contracts.item_save(user=officer, contract=roofing, sku="ROOF-PATCH",
                        description="Membrane roof patch, per 100 sq ft", unit="square",
                        unit_price="840.00")  # fmt: skip
    order = orders.order_create(
        user=buyer, institution=alder, contract=roofing,
        lines=[orders.LineInput(quantity="6", sku="ROOF-PATCH")],
        ordered_on=today - timedelta(days=20),
    )  # fmt: skip
    orders.order_approve(user=finance, order=order)
    # The officer reviews the split furniture orders: referred to the board (resolved).
    from . import monitor

    split = next((f for f in monitor.flags_for(agency) if f.kind == "split"), None)
    if split is not None:
        services.flag_review(user=officer, agency=agency, flag_key=split.key,
                             decision="referred", note="Referred to the board's audit "
                             "committee: the two furniture orders were one project and should "
                             "have been bid; the district will bid the rest of the year's "
                             "furniture.")  # fmt: skip
    # The auditor verifies the audit trail, so the audit export names a verification.
    auditor = User.objects.get(username="auditor@lakes.example.org")
    job_start(kind=AUDIT_VERIFY, user=auditor, agency_id=agency.pk,
              params={"back_url": f"/a/{agency.slug}/audit/"},
              title="Verification of the audit trail")  # fmt: skip
