"""BOCES aid estimate: what each member can expect from the State for the year's purchases.

The rules (docs/billing.md, "BOCES aid"; ../shared/domain/REFERENCE.md):

- aid is paid the year after the purchase (the **aid year** is the fiscal year after) and
  is wealth-equalised by the member's **aid ratio for that aid year**, stored with the data
  years the State computed it from (``AidRatio``), clamped to the rule's floor and ceiling;
- three categories, each with its own formula (NY OSC audit 2025M-22 names them:
  facilities, services, administrative):
  - **services aid**: approved cost x aid ratio, where approved cost is the member's net
    charges for aidable services (credit memos netted, debit memos added) less the part of
    the service's cost that pays salaries above the per-employee cap (Ed Law 1950(5)(b),
    $30,000), and only for services shared by at least two districts that year;
  - **administrative aid** (CoSer 001) and **facilities aid** (CoSer 002): the member's
    net share of the administrative or capital budget (salary cap applied to the
    administrative budget) x aid ratio. Their exact State formulas are not confirmed here:
    the rule table says so (``AidRule.administrative_estimate``/``facilities_estimate``) and
    the page and the export mark those figures as estimates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from edcoop.core.money import quantize_money
from edcoop.members.models import Agency
from edcoop.services.fiscal import fiscal_year_start
from edcoop.services.models import Service, ServiceYear

from .models import AidRatio, AidRule, CreditMemo, CreditMemoLine, Invoice, InvoiceLine, MoneySum
from .runs import institution_names

ZERO = Decimal(0)
SERVICES, ADMINISTRATIVE, FACILITIES = "services", "administrative", "facilities"
CATEGORY_LABELS = {
    SERVICES: "Services aid",
    ADMINISTRATIVE: "Administrative aid",
    FACILITIES: "Facilities aid",
}
MIN_SHARING = 2  # districts that must share a service for it to be aidable


def rule_for(agency: Agency, fiscal_year: int) -> AidRule | None:
    on = fiscal_year_start(fiscal_year, agency.fiscal_year_start_month)
    return AidRule.in_force(agency.state, on)


def salary_over_cap(
    agency: Agency, fiscal_year: int, positions: list[tuple[Decimal, Decimal]]
) -> Decimal:
    """Sum over positions of (salary - cap) x FTE where the salary exceeds the cap."""
    rule = rule_for(agency, fiscal_year)
    if rule is None:
        return ZERO
    over = sum((max(salary - rule.salary_cap, ZERO) * fte for salary, fte in positions), ZERO)
    return quantize_money(over)


def approved_ratio(year: ServiceYear | None) -> Decimal:
    """The aidable part of a service's cost: (cost - salary over cap) / cost."""
    if year is None:
        return Decimal(1)
    cost = year.actual_cost if year.actual_cost is not None else year.budget
    if not cost:
        return Decimal(1)
    return max(ZERO, (cost - year.salary_over_cap) / cost)


def category(service: Service) -> str:
    if service.coser_group == "001":
        return ADMINISTRATIVE
    if service.coser_group == "002":
        return FACILITIES
    return SERVICES


@dataclass
class ServiceAid:
    """One member's aid on one service: the row a BOCES files in its aid claim."""

    code: str
    name: str
    category: str
    charges: Decimal
    aidable: bool
    reason: str  # why not aidable, or what is estimated
    approved_ratio: Decimal
    approved: Decimal
    aid: Decimal
    estimate: bool


@dataclass
class MemberAid:
    institution_id: int
    name: str
    aid_ratio: Decimal | None = None
    ratio_data_years: str = ""
    charges: Decimal = ZERO
    aidable: Decimal = ZERO
    approved: Decimal = ZERO
    aid: Decimal = ZERO
    by_category: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    services: list[ServiceAid] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.charges - self.aid


@dataclass
class AidEstimate:
    fiscal_year: int
    aid_year: int
    rule: AidRule | None
    members: list[MemberAid]
    missing_ratio: list[str]
    missing_staff: list[str]
    not_shared: list[str]

    @property
    def totals(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = dict.fromkeys(CATEGORY_LABELS, ZERO)
        for m in self.members:
            for key, value in m.by_category.items():
                out[key] += value
        return out

    @property
    def aid(self) -> Decimal:
        return sum((m.aid for m in self.members), ZERO)

    def estimated(self, category_key: str) -> bool:
        if self.rule is None:
            return True
        if category_key == ADMINISTRATIVE:
            return self.rule.administrative_estimate
        if category_key == FACILITIES:
            return self.rule.facilities_estimate
        return False


def net_charges(agency: Agency, fiscal_year: int) -> dict[tuple[int, int], Decimal]:
    """Each member's charges per service for the year: issued invoice lines (monthly and
    true-up) less credit memo lines plus debit memo lines."""
    out: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for inst, service_id, amount in (
        InvoiceLine.objects.filter(
            invoice__agency=agency,
            invoice__fiscal_year=fiscal_year,
            invoice__status=Invoice.Status.ISSUED,
        )
        .values("invoice__institution_id", "service_id")
        .annotate(t=MoneySum("amount"))
        .values_list("invoice__institution_id", "service_id", "t")
    ):
        out[(inst, service_id)] += amount
    for inst, service_id, kind, amount in (
        CreditMemoLine.objects.filter(
            memo__agency=agency,
            memo__fiscal_year=fiscal_year,
        )
        .values("memo__institution_id", "service_id", "memo__kind")
        .annotate(t=MoneySum("amount"))
        .values_list("memo__institution_id", "service_id", "memo__kind", "t")
    ):
        out[(inst, service_id)] += -amount if kind == CreditMemo.Kind.CREDIT else amount
    return out


def aid_estimate(agency: Agency, fiscal_year: int) -> AidEstimate:
    """The aid the year's purchases earn, per member and service (paid in the next year)."""
    aid_year = fiscal_year + 1
    rule = rule_for(agency, fiscal_year)
    services = {s.pk: s for s in Service.objects.filter(agency=agency)}
    years = {
        y.service_id: y
        for y in ServiceYear.objects.filter(
            service__agency=agency, fiscal_year=fiscal_year
        ).prefetch_related("positions")
    }
    ratios = {
        r.institution_id: r for r in AidRatio.objects.filter(agency=agency, aid_year=aid_year)
    }
    charges = net_charges(agency, fiscal_year)
    sharing: dict[int, int] = defaultdict(int)
    for (_, service_id), amount in charges.items():
        if amount > 0:
            sharing[service_id] += 1
    names = institution_names({m for m, _ in charges})
    members: dict[int, MemberAid] = {}
    missing_staff: set[str] = set()
    not_shared: set[str] = set()
    for (inst, service_id), amount in sorted(charges.items()):
        if not amount:
            continue
        service = services[service_id]
        row = members.get(inst)
        if row is None:
            row = members[inst] = MemberAid(inst, names.get(inst, ""))
            found = ratios.get(inst)
            if found is not None:
                ratio = found.ratio
                if rule is not None:
                    ratio = min(max(ratio, rule.aid_ratio_floor), rule.aid_ratio_ceiling)
                row.aid_ratio, row.ratio_data_years = ratio, found.data_years
        row.charges += amount
        cat = category(service)
        year = years.get(service_id)
        reason = ""
        aidable = service.aidable
        if not aidable:
            reason = "not an aidable service"
        elif cat == SERVICES and sharing[service_id] < MIN_SHARING:
            aidable, reason = False, "shared by fewer than two districts"
            not_shared.add(service.code)
        estimate = cat != SERVICES and (
            rule is None
            or (rule.administrative_estimate if cat == ADMINISTRATIVE else rule.facilities_estimate)
        )
        ratio_of_cost = Decimal(1)
        if aidable and cat != FACILITIES:
            if year is None or not year.positions.all():
                missing_staff.add(service.code)
                estimate = True
                reason = "staff salaries not entered: salary cap not applied (estimate)"
            else:
                ratio_of_cost = approved_ratio(year)
        approved = quantize_money(amount * ratio_of_cost) if aidable else ZERO
        if rule is None:
            estimate = True
        aid = (
            quantize_money(approved * row.aid_ratio)
            if (aidable and row.aid_ratio is not None)
            else ZERO
        )
        if aidable:
            row.aidable += amount
            row.approved += approved
            row.aid += aid
            row.by_category[cat] += aid
        row.services.append(
            ServiceAid(
                code=service.code,
                name=service.name,
                category=cat,
                charges=amount,
                aidable=aidable,
                reason=reason,
                approved_ratio=ratio_of_cost.quantize(Decimal("0.000001")),
                approved=approved,
                aid=aid,
                estimate=estimate,
            )
        )
    ordered = sorted(members.values(), key=lambda r: (r.name, r.institution_id))
    return AidEstimate(
        fiscal_year=fiscal_year,
        aid_year=aid_year,
        rule=rule,
        members=ordered,
        missing_ratio=[r.name for r in ordered if r.aid_ratio is None],
        missing_staff=sorted(missing_staff),
        not_shared=sorted(not_shared),
    )


def aid_ratio_set(
    *,
    user: object,
    agency: Agency,
    institution_id: int,
    aid_year: int,
    ratio: Decimal,
    data_years: str,
    source: str = "",
) -> AidRatio:
    """Record a member's aid ratio for an aid year (with the data years behind it)."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from edcoop.core import audit
    from edcoop.core.decimals import Bounds, DecimalInputError, parse_decimal
    from edcoop.core.permissions import Action
    from edcoop.services.perm import require

    require(user, Action.BILLING_ADJUST, agency)
    try:
        ratio = parse_decimal(ratio, Bounds(5, 4, Decimal(0), Decimal(1)))
    except DecimalInputError as exc:
        raise ValidationError({"ratio": f"Aid ratio {exc}."}) from None
    if not 1990 <= aid_year <= 2100:
        raise ValidationError({"aid_year": "Not a fiscal year."})
    if not data_years.strip():
        raise ValidationError({"data_years": "Say which data years the ratio comes from."})
    if not agency.institutions.filter(pk=institution_id).exists():
        raise ValidationError({"institution": "Not a member of this agency."})
    with transaction.atomic():
        row, created = AidRatio.objects.select_for_update().get_or_create(
            institution_id=institution_id,
            aid_year=aid_year,
            defaults={
                "agency": agency,
                "ratio": ratio,
                "data_years": data_years.strip(),
                "source": source,
            },
        )
        before = None if created else audit.snapshot(row, ["ratio", "data_years", "source"])
        row.ratio, row.data_years, row.source = ratio, data_years.strip(), source
        row.full_clean()
        row.save()
        audit.record(
            "aid_ratio.set",
            row,
            agency_id=agency.pk,
            changes=audit.diff(before, audit.snapshot(row, ["ratio", "data_years", "source"])),
        )
    return row
