"""BOCES aid: approved cost (salaries above the per-employee cap excluded) x the member's aid
ratio, from the rule in force (``AidRule``) and the member's yearly figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from edcoop.core.money import quantize_money
from edcoop.members.models import Agency, MembershipYear
from edcoop.services.fiscal import fiscal_year_start
from edcoop.services.models import ServiceYear

from .models import AidRule, Invoice, InvoiceLine

ZERO = Decimal(0)


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


@dataclass
class MemberAid:
    institution_id: int
    name: str
    charges: Decimal = ZERO
    aidable: Decimal = ZERO
    approved: Decimal = ZERO
    aid_ratio: Decimal | None = None
    aid: Decimal = ZERO
    net: Decimal = ZERO
    by_service: dict[str, Decimal] = field(default_factory=dict)


def aid_estimate(agency: Agency, fiscal_year: int) -> list[MemberAid]:
    """Next year's BOCES-aid estimate on this year's issued charges, per member."""
    rule = rule_for(agency, fiscal_year)
    years = {y.service_id: y for y in ServiceYear.objects.filter(
        service__agency=agency, fiscal_year=fiscal_year)}  # fmt: skip
    ratios = dict(
        MembershipYear.objects.filter(
            membership__agency=agency, fiscal_year=fiscal_year
        ).values_list("membership__institution_id", "aid_ratio")
    )
    out: dict[int, MemberAid] = {}
    lines = InvoiceLine.objects.filter(
        invoice__agency=agency, invoice__fiscal_year=fiscal_year,
        invoice__status=Invoice.Status.ISSUED,
    ).values_list("invoice__institution_id", "invoice__institution__name", "service_id",
                  "service__code", "service__aidable", "amount")  # fmt: skip
    approved: dict[int, Decimal] = defaultdict(Decimal)
    for inst, name, service_id, code, aidable, amount in lines.iterator(chunk_size=5000):
        row = out.get(inst)
        if row is None:
            row = out[inst] = MemberAid(inst, name)
        row.charges += amount
        if aidable:
            row.aidable += amount
            row.by_service[code] = row.by_service.get(code, ZERO) + amount
            approved[inst] += amount * approved_ratio(years.get(service_id))
    for inst, row in out.items():
        ratio = ratios.get(inst)
        if ratio is not None and rule is not None:
            ratio = min(max(ratio, rule.aid_ratio_floor), rule.aid_ratio_ceiling)
        row.aid_ratio = ratio
        row.approved = quantize_money(approved[inst])
        row.aid = quantize_money(row.approved * ratio) if ratio is not None else ZERO
        row.net = row.charges - row.aid
    return sorted(out.values(), key=lambda r: (r.name, r.institution_id))
