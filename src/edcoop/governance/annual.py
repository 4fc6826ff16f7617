"""Annual reports: for the agency and for each member, what the fiscal year held.

Every figure is read from the ledgers that own it, never recomputed here:

- charges per service: ``billing.aid.net_charges`` (issued invoice lines of the year, credit
  memo lines netted, debit memo lines added), the same figures the aid claim files;
- aid: ``billing.aid.aid_estimate`` for the year's purchases (paid the year after);
- payments and credits received in the year, and the position at year end:
  ``billing.statements`` (``payments_by_member``, ``credits_by_member``, ``statement``,
  ``receivables``), as of the last day of the year less as of the day before it began;
- usage and subscriptions: the services app's records for the year's months; utilisation
  (agency report) sets each service's members, units and charges against the year before
  and against its recorded capacity;
- admin fees (agency report): the admin fee invoices the contracts app issued on suppliers'
  sales reports and the payments recorded against them (``AdminFeeInvoice``,
  ``AdminFeePayment``), per contract: owed at the start, invoiced, paid, owed at the end;
- procurement: solicitations published in the year, their responses (counted, never read)
  and, for a member, the quantities it committed in demand surveys;
- savings: the agency's published savings studies for the year (``selectors.study_result``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from edcoop.billing import aid as billing_aid
from edcoop.billing import statements
from edcoop.billing.models import CreditMemo, Invoice, MoneySum
from edcoop.core import formatting
from edcoop.members.models import Agency, Institution
from edcoop.services.fiscal import fiscal_year_periods, fiscal_year_start
from edcoop.services.models import Service, Subscription, UsageRecord

from . import monitor

ZERO = Decimal(0)


@dataclass
class ServiceLine:
    """One service in the year: what was subscribed, used and charged, and its aid."""

    code: str
    name: str
    unit: str
    subscribed: Decimal = ZERO
    used: Decimal = ZERO
    charges: Decimal = ZERO
    aid: Decimal = ZERO
    members: int = 0  # agency report: members charged for it

    @property
    def net(self) -> Decimal:
        return self.charges - self.aid


@dataclass
class UtilisationLine:
    """One service's use in the year against the year before and its capacity."""

    code: str
    name: str
    unit: str
    members: int = 0  # members taking part: subscribed, used or charged in the year
    members_before: int = 0  # the same in the year before
    used: Decimal = ZERO
    used_before: Decimal = ZERO
    capacity: Decimal | None = None  # most units a year (the service's record; None: no limit)
    charges: Decimal = ZERO
    charges_before: Decimal = ZERO

    @property
    def of_capacity(self) -> Decimal | None:
        """The share of the capacity used (a fraction), where a capacity is recorded."""
        if not self.capacity:
            return None
        return self.used / self.capacity


@dataclass
class FeeLine:
    """One contract's admin fees: owed at the start of the year, invoiced to the supplier in
    the year (adjustments net: an amended sales report's credit is negative), payments
    received in the year, and owed at the end (negative: a credit owed to the supplier)."""

    number: str
    title: str
    supplier: str
    invoices: int = 0  # issued in the year
    owed_before: Decimal = ZERO
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def owed(self) -> Decimal:
        return self.owed_before + self.invoiced - self.paid


@dataclass
class MemberLine:
    """One member's year in money (agency report rows; a member report's summary)."""

    institution_id: int
    name: str
    charges: Decimal = ZERO
    invoiced: Decimal = ZERO
    credits: Decimal = ZERO  # credit memos of the year's invoices
    debits: Decimal = ZERO
    paid: Decimal = ZERO  # payments received during the year
    credited: Decimal = ZERO  # credit memos issued during the year
    aid: Decimal = ZERO
    aid_ratio: Decimal | None = None

    @property
    def net(self) -> Decimal:
        """The member's cost after the aid its purchases earn."""
        return self.charges - self.aid


@dataclass
class SolicitationLine:
    number: str
    title: str
    kind: str
    status: str
    published: date | None
    due: datetime | None
    opened: datetime | None
    responses: int | None  # None: a member's report before the opening (sealed)
    committed_items: int = 0  # member report: items it committed quantities to
    award: str = ""


@dataclass
class ContractLine:
    """Purchases under one contract in the year (orders sent, received or closed)."""

    number: str
    title: str
    supplier: str
    orders: int = 0
    total: Decimal = ZERO
    savings: Decimal = ZERO  # against each line's recorded baseline price
    unpriced: int = 0  # lines with no baseline: no saving claimed


@dataclass
class SavingsLine:
    study: str
    in_house: Decimal
    shared: Decimal
    aid: Decimal
    saving_before_aid: Decimal
    saving_after_aid: Decimal


@dataclass
class AnnualReport:
    agency: Agency
    fiscal_year: int
    start: date
    end: date
    institution: Institution | None
    services: list[ServiceLine]
    members: list[MemberLine]
    solicitations: list[SolicitationLine]
    savings: list[SavingsLine]
    contracts: list[ContractLine]
    patronage: Decimal | None
    flags: list[Any]  # raised in the year (on its date), each with its review if any
    aid_estimated: bool
    aid_year: int
    balance: Decimal  # member: what it owes at year end (negative: in credit); agency: net
    receivable_open: Decimal = ZERO
    unapplied: Decimal = ZERO
    resolved: list[Any] = field(default_factory=list)  # FlagReviews recorded in the year
    utilisation: list[UtilisationLine] = field(default_factory=list)  # agency report only
    utilisation_members: tuple[int, int] = (0, 0)  # distinct members: this year, the year before
    fees: list[FeeLine] = field(default_factory=list)  # agency report only

    @property
    def title(self) -> str:
        who = self.institution.name if self.institution else self.agency.name
        return f"{who}: annual report, FY{self.fiscal_year}"

    @property
    def filename(self) -> str:
        who = f"-{self.institution.beds_code or self.institution.pk}" if self.institution else ""
        return f"{self.agency.slug}-annual-report-fy{self.fiscal_year}{who}"

    def total(self, name: str) -> Decimal:
        return sum((getattr(m, name) for m in self.members), ZERO)

    @property
    def totals(self) -> dict[str, Decimal]:
        names = ("charges", "invoiced", "credits", "debits", "paid", "credited", "aid", "net")
        return {n: self.total(n) for n in names}


def year_bounds(agency: Agency, fiscal_year: int) -> tuple[date, date]:
    start = fiscal_year_start(fiscal_year, agency.fiscal_year_start_month)
    after = fiscal_year_start(fiscal_year + 1, agency.fiscal_year_start_month)
    return start, after - timedelta(days=1)


def _in_year(
    agency: Agency, fiscal_year: int, since: date, until: date
) -> tuple[datetime, datetime]:
    zone = agency.zone
    return (datetime.combine(since, time.min, zone),
            datetime.combine(until + timedelta(days=1), time.min, zone))  # fmt: skip


def _services(
    agency: Agency, fiscal_year: int, charges: dict[tuple[int, int], Decimal],
    aid: billing_aid.AidEstimate, institution: Institution | None,
) -> list[ServiceLine]:  # fmt: skip
    who = Q(institution=institution) if institution else Q()
    subscribed = dict(
        Subscription.objects.filter(who, agency=agency, fiscal_year=fiscal_year)
        .values("service_id").annotate(t=Sum("quantity")).values_list("service_id", "t")
    )  # fmt: skip
    periods = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)
    used = dict(
        UsageRecord.objects.filter(who, agency=agency, period__in=periods)
        .values("service_id").annotate(t=Sum("quantity")).values_list("service_id", "t")
    )  # fmt: skip
    by_service: dict[int, Decimal] = defaultdict(Decimal)
    members: dict[int, int] = defaultdict(int)
    for (inst, service_id), amount in charges.items():
        if institution is None or inst == institution.pk:
            by_service[service_id] += amount
            if amount:
                members[service_id] += 1
    aid_by_code: dict[str, Decimal] = defaultdict(Decimal)
    for m in aid.members:
        if institution is None or m.institution_id == institution.pk:
            for service_aid in m.services:
                aid_by_code[service_aid.code] += service_aid.aid
    ids = set(subscribed) | set(used) | set(by_service)
    rows = []
    for s in Service.objects.filter(pk__in=ids).order_by("code"):
        rows.append(ServiceLine(
            code=s.code, name=s.name, unit=s.unit, subscribed=subscribed.get(s.pk) or ZERO,
            used=used.get(s.pk) or ZERO, charges=by_service.get(s.pk, ZERO),
            aid=aid_by_code.get(s.code, ZERO), members=members.get(s.pk, 0),
        ))  # fmt: skip
    return rows


def _participants(
    agency: Agency, fiscal_year: int, charges: dict[tuple[int, int], Decimal]
) -> tuple[dict[int, set[int]], dict[int, Decimal]]:
    """Per service, the members taking part in the year (a subscription, usage or a charge),
    and the units used."""
    who: dict[int, set[int]] = defaultdict(set)
    for service_id, inst in Subscription.objects.filter(
        agency=agency, fiscal_year=fiscal_year, quantity__gt=0
    ).values_list("service_id", "institution_id"):
        who[service_id].add(inst)
    periods = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)
    used: dict[int, Decimal] = defaultdict(Decimal)
    for service_id, inst, quantity in (
        UsageRecord.objects.filter(agency=agency, period__in=periods)
        .values("service_id", "institution_id").annotate(t=Sum("quantity"))
        .values_list("service_id", "institution_id", "t")
    ):  # fmt: skip
        used[service_id] += quantity
        if quantity:
            who[service_id].add(inst)
    for (inst, service_id), amount in charges.items():
        if amount:
            who[service_id].add(inst)
    return who, used


def _utilisation(
    agency: Agency, fiscal_year: int, charges: dict[tuple[int, int], Decimal]
) -> tuple[list[UtilisationLine], tuple[int, int]]:
    """Each service's members, units and charges in the year against the year before and
    its capacity; with the distinct members taking part in any service, each year."""
    before_charges = billing_aid.net_charges(agency, fiscal_year - 1)
    who, used = _participants(agency, fiscal_year, charges)
    who_before, used_before = _participants(agency, fiscal_year - 1, before_charges)
    by_service: dict[int, Decimal] = defaultdict(Decimal)
    for (_, service_id), amount in charges.items():
        by_service[service_id] += amount
    by_service_before: dict[int, Decimal] = defaultdict(Decimal)
    for (_, service_id), amount in before_charges.items():
        by_service_before[service_id] += amount
    ids = set(who) | set(who_before) | set(by_service) | set(by_service_before)
    rows = [
        UtilisationLine(
            code=s.code, name=s.name, unit=s.unit, members=len(who.get(s.pk, ())),
            members_before=len(who_before.get(s.pk, ())), used=used.get(s.pk, ZERO),
            used_before=used_before.get(s.pk, ZERO), capacity=s.capacity,
            charges=by_service.get(s.pk, ZERO), charges_before=by_service_before.get(s.pk, ZERO),
        )
        for s in Service.objects.filter(agency=agency, pk__in=ids).order_by("code")
    ]  # fmt: skip
    distinct = (len(set[int]().union(*who.values())),
                len(set[int]().union(*who_before.values())))
    return rows, distinct


def _fees(agency: Agency, start: date, end: date) -> list[FeeLine]:
    """Per contract, the admin fees owed at the start of the year, invoiced and paid in it
    (the contracts app's fee invoices and payments, as recorded: nothing recomputed)."""
    from edcoop.contracts.models import AdminFeeInvoice, AdminFeePayment

    out: dict[int, FeeLine] = {}
    invoices = AdminFeeInvoice.objects.filter(agency=agency, issued_on__lte=end)
    for pk, number, title, supplier, issued_on, amount in invoices.values_list(
        "report__contract_id", "report__contract__number", "report__contract__title",
        "supplier__legal_name", "issued_on", "amount",
    ).order_by("issued_on", "pk"):  # fmt: skip
        line = out.setdefault(pk, FeeLine(number, title, supplier))
        if issued_on < start:
            line.owed_before += amount
        else:
            line.invoiced += amount
            line.invoices += 1
    for pk, received_on, amount in AdminFeePayment.objects.filter(
        invoice__agency=agency, received_on__lte=end
    ).values_list("invoice__report__contract_id", "received_on", "amount"):  # fmt: skip
        line = out[pk]  # a payment is on an invoice issued on or before it
        if received_on < start:
            line.owed_before -= amount
        else:
            line.paid += amount
    return sorted((f for f in out.values() if f.owed_before or f.invoices or f.paid or f.owed),
                  key=lambda f: f.number)  # fmt: skip


def _members(
    agency: Agency, fiscal_year: int, start: date, end: date,
    charges: dict[tuple[int, int], Decimal], aid: billing_aid.AidEstimate,
    institution: Institution | None,
) -> list[MemberLine]:  # fmt: skip
    lines: dict[int, MemberLine] = {}

    def line(inst: int) -> MemberLine:
        if inst not in lines:
            lines[inst] = MemberLine(inst, "")
        return lines[inst]

    for (inst, _), amount in charges.items():
        line(inst).charges += amount
    invoices = Invoice.objects.filter(agency=agency, fiscal_year=fiscal_year,
                                      status=Invoice.Status.ISSUED)  # fmt: skip
    for inst, total in (invoices.values("institution_id").annotate(t=MoneySum("total"))
                        .values_list("institution_id", "t")):  # fmt: skip
        line(inst).invoiced += total
    memos = CreditMemo.objects.filter(agency=agency, fiscal_year=fiscal_year)
    for inst, kind, total in (memos.values("institution_id", "kind").annotate(t=MoneySum("amount"))
                              .values_list("institution_id", "kind", "t")):  # fmt: skip
        if kind == CreditMemo.Kind.CREDIT:
            line(inst).credits += total
        else:
            line(inst).debits += total
    before = start - timedelta(days=1)
    paid_end = statements.payments_by_member(agency, end)
    paid_before = statements.payments_by_member(agency, before)
    credited_end = statements.credits_by_member(agency, end)
    credited_before = statements.credits_by_member(agency, before)
    for inst in set(paid_end) | set(paid_before):
        delta = paid_end.get(inst, ZERO) - paid_before.get(inst, ZERO)
        if delta:
            line(inst).paid += delta
    for inst in set(credited_end) | set(credited_before):
        delta = credited_end.get(inst, ZERO) - credited_before.get(inst, ZERO)
        if delta:
            line(inst).credited += delta
    for m in aid.members:
        row = line(m.institution_id)
        row.aid, row.aid_ratio = m.aid, m.aid_ratio
    if institution is not None:
        lines = {institution.pk: lines.get(institution.pk) or MemberLine(institution.pk, "")}
    names = dict(Institution.objects.filter(pk__in=list(lines)).values_list("pk", "name"))
    for pk, row in lines.items():
        row.name = names.get(pk, "")
    return sorted(lines.values(), key=lambda r: (r.name, r.institution_id))


def _solicitations(
    agency: Agency, fiscal_year: int, start: date, end: date, institution: Institution | None
) -> list[SolicitationLine]:
    from edcoop.procurement.models import Response, Solicitation

    since, until = _in_year(agency, fiscal_year, start, end)
    qs = (Solicitation.objects.filter(agency=agency, published_at__gte=since,
                                      published_at__lt=until)
          .annotate(n=Count("responses", filter=Q(responses__is_current=True)
                              & ~Q(responses__status=Response.Status.DRAFT)))
          .order_by("published_at", "number"))  # fmt: skip
    committed: dict[int, int] = {}
    if institution is not None:
        from edcoop.procurement.models import DemandCommitment

        committed = dict(
            DemandCommitment.objects.filter(institution=institution, quantity__gt=0,
                                            item__solicitation__agency=agency)
            .values("item__solicitation_id").annotate(n=Count("pk"))
            .values_list("item__solicitation_id", "n")
        )  # fmt: skip
    from edcoop.procurement.models import Award

    awards = {a.solicitation_id: a for a in Award.objects.filter(solicitation__in=qs)
              .exclude(status=Award.Status.CANCELLED)}  # fmt: skip
    rows = []
    # A member's report is read by the member's own people, not the agency's staff: only
    # what the public sees (no count of sealed responses, no award before its notice).
    member = institution is not None
    for s in qs:
        award = awards.get(s.pk)
        label = ""
        if award is not None and not (member and award.noticed_at is None):
            label = award.get_status_display()
            if award.total is not None:
                label += f", {formatting.money(award.total)}"
        rows.append(SolicitationLine(
            number=s.number, title=s.title, kind=s.get_kind_display(),
            status=s.get_status_display(),
            published=s.published_at.astimezone(agency.zone).date() if s.published_at else None,
            due=s.responses_due_at, opened=s.opened_at,
            responses=None if member and s.opened_at is None else s.n,
            committed_items=committed.get(s.pk, 0), award=label,
        ))  # fmt: skip
    return rows


def _contract_purchases(
    agency: Agency, start: date, end: date, institution: Institution | None
) -> list[ContractLine]:
    """Orders placed in the year under the agency's contracts, and what they saved against
    the baseline each line recorded (``contracts.savings.line_saving``)."""
    from edcoop.contracts import savings as contract_savings
    from edcoop.contracts.models import PurchaseOrder, PurchaseOrderLine

    placed = [PurchaseOrder.Status.SENT, PurchaseOrder.Status.RECEIVED,
              PurchaseOrder.Status.CLOSED]  # fmt: skip
    orders = PurchaseOrder.objects.filter(agency=agency, status__in=placed,
                                          ordered_on__range=(start, end))  # fmt: skip
    if institution is not None:
        orders = orders.filter(institution=institution)
    out: dict[int, ContractLine] = {}
    for pk, number, title, supplier, n, total in (
        orders.values("contract_id").annotate(n=Count("pk"), t=MoneySum("total"))
        .values_list("contract_id", "contract__number", "contract__title",
                     "contract__supplier__legal_name", "n", "t")
    ):  # fmt: skip
        out[pk] = ContractLine(number, title, supplier, n, total)
    lines = PurchaseOrderLine.objects.filter(order__in=orders).values_list(
        "order__contract_id", "category", "quantity", "unit_price", "baseline_price",
        "baseline_method")  # fmt: skip
    for contract_id, category, quantity, unit_price, baseline, method in lines:
        saving = contract_savings.line_saving(contract_savings.Line(
            member="", category=category, year=end.year, method=method, quantity=quantity,
            unit_price=unit_price, baseline=baseline))  # fmt: skip
        if saving is None:
            out[contract_id].unpriced += 1
        else:
            out[contract_id].savings += saving
    return sorted(out.values(), key=lambda c: c.number)


def _patronage(agency: Agency, fiscal_year: int, institution: Institution | None) -> Decimal | None:
    """The patronage allocated for the year (``None``: not distributed yet)."""
    from edcoop.contracts.models import PatronageAllocation, PatronageYear

    year = PatronageYear.objects.filter(agency=agency, fiscal_year=fiscal_year).first()
    if year is None:
        return None
    rows = PatronageAllocation.objects.filter(year=year)
    if institution is not None:
        rows = rows.filter(institution=institution)
    return rows.aggregate(t=MoneySum("amount"))["t"] or ZERO


def _savings(
    agency: Agency, fiscal_year: int, institution: Institution | None
) -> list[SavingsLine]:
    from . import selectors
    from .models import SavingsStudy

    rows = []
    studies = SavingsStudy.objects.filter(
        agency=agency, fiscal_year=fiscal_year, status=SavingsStudy.Status.PUBLISHED
    ).order_by("pk")
    for study in studies:
        result, _ = selectors.study_result(study)
        if result is None:
            continue
        if institution is None:
            rows.append(SavingsLine(study.title, result.in_house, result.shared, result.aid,
                                    result.saving_before_aid, result.saving_after_aid))  # fmt: skip
            continue
        for d in result.districts:
            if d.key == institution.pk:
                rows.append(SavingsLine(study.title, d.in_house, d.shared, d.aid,
                                        d.saving_before_aid, d.saving_after_aid))  # fmt: skip
    return rows


def report_years(agency: Agency) -> list[int]:
    """The fiscal years the agency has invoiced."""
    return list(Invoice.objects.filter(agency=agency, status=Invoice.Status.ISSUED)
                .order_by().values_list("fiscal_year", flat=True).distinct())  # fmt: skip


def _resolved(agency: Agency, start: date, end: date, institution: Institution | None) -> list[Any]:
    """The flag reviews the agency recorded in the year (a member's: on its own purchases)."""
    from .models import FlagReview

    reviews = FlagReview.objects.filter(
        agency=agency, reviewed_on__gte=start, reviewed_on__lte=end
    ).select_related("reviewed_by")
    if institution is not None:
        reviews = reviews.filter(institution=institution)
    return list(reviews.order_by("reviewed_on", "pk"))


def annual_report(
    agency: Agency, fiscal_year: int, institution: Institution | None = None
) -> AnnualReport:
    """The agency's report for the year, or one member's (``institution``)."""
    if institution is not None and institution.agency_id != agency.pk:
        raise ValueError("not a member of this agency")
    start, end = year_bounds(agency, fiscal_year)
    charges = billing_aid.net_charges(agency, fiscal_year)
    aid = billing_aid.aid_estimate(agency, fiscal_year)
    members = _members(agency, fiscal_year, start, end, charges, aid, institution)
    report = AnnualReport(
        agency=agency, fiscal_year=fiscal_year, start=start, end=end, institution=institution,
        services=_services(agency, fiscal_year, charges, aid, institution), members=members,
        solicitations=_solicitations(agency, fiscal_year, start, end, institution),
        savings=_savings(agency, fiscal_year, institution),
        contracts=_contract_purchases(agency, start, end, institution),
        patronage=_patronage(agency, fiscal_year, institution),
        flags=[f for f in monitor.with_reviews(agency, monitor.flags_for(agency, institution))
               if f.on is None or start <= f.on <= end],
        resolved=_resolved(agency, start, end, institution),
        aid_estimated=any(s.estimate for m in aid.members for s in m.services) or aid.rule is None,
        aid_year=aid.aid_year, balance=ZERO,
    )  # fmt: skip
    if institution is None:
        report.utilisation, report.utilisation_members = _utilisation(agency, fiscal_year,
                                                                      charges)  # fmt: skip
        report.fees = _fees(agency, start, end)
    if institution is not None:
        position = statements.statement(institution, end)
        report.balance = position.balance
        report.unapplied = position.unapplied
        report.receivable_open = position.balance + position.unapplied
    else:
        position_all = statements.receivables(agency, end)
        report.balance = position_all.net
        report.unapplied = position_all.unapplied
        report.receivable_open = position_all.open
    return report


@dataclass
class Table:
    """One of the report's tables: the page, the PDF and the workbook all draw from it.
    ``kinds`` say how each column is written: text, money, quantity, ratio, percent, date,
    count."""

    title: str
    header: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    totals: list[Any] | None = None

    def formatted(self) -> list[list[tuple[str, bool]]]:
        """Each cell as (text, is a number), for the page and the PDF."""
        return [self._cells(row) for row in self.rows]

    def formatted_totals(self) -> list[tuple[str, bool]] | None:
        return None if self.totals is None else self._cells(self.totals)

    def _cells(self, row: list[Any]) -> list[tuple[str, bool]]:
        pairs = zip(row, self.kinds, strict=True)
        return [(show(v, k), k not in ("text", "date")) for v, k in pairs]


def show(value: Any, kind: str) -> str:
    if value is None or value == "":
        return formatting.DASH  # a figure that does not exist, never a blank a reader doubts
    if kind == "money":
        return formatting.money(value)
    if kind == "quantity":
        return formatting.quantity(value)
    if kind == "ratio":
        return formatting.number(value, 4)
    if kind == "percent":
        return formatting.percent(value, 1)
    if kind == "date":
        return formatting.day(value)
    return formatting.blank(value)  # a number in a text column too: never str(Decimal) "0E+1"


def tables(report: AnnualReport) -> list[Table]:
    """The report's tables, in the order they are printed."""
    member = report.institution is not None
    t = report.totals
    fee_rows: list[list[Any]] = [] if member else [
        ["Admin fees invoiced to suppliers (net of adjustments)",
         sum((f.invoiced for f in report.fees), ZERO)],
        ["Admin fees received from suppliers", sum((f.paid for f in report.fees), ZERO)],
    ]  # fmt: skip
    out = [
        Table(
            "Summary",
            ["Figure", "Amount"],
            ["text", "money"],
            [
                ["Charges for services (net of credit and debit memos)", t["charges"]],
                ["Invoiced", t["invoiced"]],
                ["Credit memos on the year's invoices", t["credits"]],
                ["Debit memos on the year's invoices", t["debits"]],
                ["Payments received during the year", t["paid"]],
                [f"BOCES aid the year's purchases earn (paid in FY{report.aid_year})", t["aid"]],
                ["Cost net of aid", t["net"]],
                ["Purchases under contracts", sum((c.total for c in report.contracts), ZERO)],
                [
                    "Saved on those purchases (against each line's baseline price)",
                    sum((c.savings for c in report.contracts), ZERO),
                ],
                [
                    "Patronage allocated for the year"
                    + (" (not distributed yet)" if report.patronage is None else ""),
                    report.patronage,
                ],
                [f"Owed at {formatting.day(report.end)} (negative: in credit)", report.balance],
                *fee_rows,
            ],
        ),
        Table(
            "Services",
            [
                "Code",
                "Service",
                "Unit",
                "Subscribed",
                "Used",
                "Charges",
                "Aid (estimate)",
                "Net of aid",
            ]
            + ([] if member else ["Members charged"]),
            ["text", "text", "text", "quantity", "quantity", "money", "money", "money"]
            + ([] if member else ["count"]),
            [
                [s.code, s.name, s.unit, s.subscribed, s.used, s.charges, s.aid, s.net]
                + ([] if member else [s.members])
                for s in report.services
            ],
            [
                "Total",
                "",
                "",
                None,
                None,
                sum((s.charges for s in report.services), ZERO),
                sum((s.aid for s in report.services), ZERO),
                sum((s.net for s in report.services), ZERO),
            ]
            + ([] if member else [None]),
        ),
    ]
    if not member:
        before = f"FY{report.fiscal_year - 1}"
        u = report.utilisation
        out.append(Table(
            "Utilisation",
            ["Code", "Service", "Unit", "Members", f"Members {before}", "Used",
             f"Used {before}", "Capacity", "Share of capacity used", "Charges",
             f"Charges {before}"],
            ["text", "text", "text", "count", "count", "quantity", "quantity", "quantity",
             "percent", "money", "money"],
            [[x.code, x.name, x.unit, x.members, x.members_before, x.used, x.used_before,
              x.capacity, x.of_capacity, x.charges, x.charges_before] for x in u],
            ["Total (members: distinct)", "", "", report.utilisation_members[0],
             report.utilisation_members[1], None, None, None, None,
             sum((x.charges for x in u), ZERO), sum((x.charges_before for x in u), ZERO)]
            if u else None,
        ))  # fmt: skip
    if not member:
        out.append(Table(
            "Members",
            ["Member", "Charges", "Invoiced", "Credit memos", "Debit memos",
             "Payments received", "Aid (estimate)", "Aid ratio", "Net of aid"],
            ["text", "money", "money", "money", "money", "money", "money", "ratio", "money"],
            [[m.name, m.charges, m.invoiced, m.credits, m.debits, m.paid, m.aid, m.aid_ratio,
              m.net] for m in report.members],
            ["Total", t["charges"], t["invoiced"], t["credits"], t["debits"], t["paid"],
             t["aid"], None, t["net"]],
        ))  # fmt: skip
    out.append(Table(
        "Procurement",
        ["Number", "Title", "Kind", "Status", "Published", "Responses", "Opened", "Award"]
        + (["Items you committed to"] if member else []),
        ["text", "text", "text", "text", "date", "count", "date", "text"]
        + (["count"] if member else []),
        [[s.number, s.title, s.kind, s.status, s.published, s.responses,
          s.opened.astimezone(report.agency.zone).date() if s.opened else None, s.award]
         + ([s.committed_items] if member else []) for s in report.solicitations],
    ))  # fmt: skip
    out.append(Table(
        "Contract purchases",
        ["Contract", "Title", "Supplier", "Orders", "Total", "Saved", "Lines with no baseline"],
        ["text", "text", "text", "count", "money", "money", "count"],
        [[c.number, c.title, c.supplier, c.orders, c.total, c.savings, c.unpriced]
         for c in report.contracts],
        ["Total", "", "", sum(c.orders for c in report.contracts),
         sum((c.total for c in report.contracts), ZERO),
         sum((c.savings for c in report.contracts), ZERO), None] if report.contracts else None,
    ))  # fmt: skip
    if not member:
        fees = report.fees
        out.append(Table(
            "Admin fees",
            ["Contract", "Title", "Supplier", "Invoices", "Owed at start of year", "Invoiced",
             "Paid", "Owed at end of year"],
            ["text", "text", "text", "count", "money", "money", "money", "money"],
            [[f.number, f.title, f.supplier, f.invoices, f.owed_before, f.invoiced, f.paid,
              f.owed] for f in fees],
            ["Total", "", "", sum(f.invoices for f in fees),
             sum((f.owed_before for f in fees), ZERO), sum((f.invoiced for f in fees), ZERO),
             sum((f.paid for f in fees), ZERO), sum((f.owed for f in fees), ZERO)]
            if fees else None,
        ))  # fmt: skip
    out.append(Table(
        "Compliance",
        ["Flag raised", "Subject", "When", "Amount", "Evidence", "Resolution"],
        ["text", "text", "date", "money", "text", "text"],
        [[f.label, f.subject, f.on, f.amount, " ".join(f.evidence),
          f"{f.review.get_decision_display()} on {f.review.reviewed_on.isoformat()}"
          if f.review else "Open"] for f in report.flags],
    ))  # fmt: skip
    out.append(Table(
        "Flags resolved",
        ["Flag", "Subject", "Raised", "Decision", "Resolved on", "By", "Note"],
        ["text", "text", "date", "text", "date", "text", "text"],
        [[monitor.LABELS.get(r.kind, r.kind), r.subject, r.raised_on,
          r.get_decision_display(), r.reviewed_on,
          r.reviewed_by.get_full_name() or r.reviewed_by.get_username(), r.note]
         for r in report.resolved],
    ))  # fmt: skip
    out.append(Table(
        "Savings",
        ["Study", "In-house cost", "Shared cost", "Aid", "Saving before aid",
         "Saving after aid"],
        ["text", "money", "money", "money", "money", "money"],
        [[s.study, s.in_house, s.shared, s.aid, s.saving_before_aid, s.saving_after_aid]
         for s in report.savings],
    ))  # fmt: skip
    return out
