"""The shared-services savings study ("what if we share it?"): a pure engine.

For one service (a Central Business Office, say), each district's cost of doing it in house
is set against its share of the shared service's cost, before and after BOCES aid:

- in-house cost = FTE x salary x (1 + benefits rate) + software + audit-findings cost + other;
- shared cost = the shared service's annual cost split among the districts by the study's
  basis (RWADA, enrollment, equal shares, or the agency's own shares), to the cent
  (``split_cents``: the parts sum to the whole exactly);
- aid = shared cost x the district's aid ratio, when the service is aidable. BOCES aid is
  paid the year after and is computed on *approved* cost (salaries above the statutory cap
  excluded), so this is an **estimate**, shown as one;
- saving = in-house cost - shared cost (before aid), and - (shared cost - aid) after aid.

The NY State Comptroller found (audit 2011-MS-4) that such services often cost *more* than in
house before aid: the study shows negative savings as they are, never clips them, and gives
a sensitivity range: every in-house cost moved by +/- ``sensitivity`` percent against the
shared cost moved the other way (the least and the most favourable case).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from edcoop.billing.allocation import from_cents, split_cents, to_cents
from edcoop.core.money import quantize_money

BASES = ("rwada", "enrollment", "equal", "custom")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class DistrictInput:
    key: int | str  # the institution's id (ties in the split go to the lowest key)
    name: str
    fte: Decimal
    salary: Decimal  # per FTE, per year
    benefits_pct: Decimal  # percent of salary
    software: Decimal
    audit_findings: Decimal  # the yearly cost of findings an in-house office draws
    other: Decimal
    weight: Decimal  # the district's figure for the basis (RWADA, enrollment, 1, or its share)
    aid_ratio: Decimal  # 0..1

    @property
    def in_house(self) -> Decimal:
        staff = self.fte * self.salary * (1 + self.benefits_pct / HUNDRED)
        return quantize_money(staff + self.software + self.audit_findings + self.other)


@dataclass(frozen=True)
class DistrictResult:
    key: int | str
    name: str
    in_house: Decimal
    shared: Decimal
    aid: Decimal
    shared_after_aid: Decimal
    saving_before_aid: Decimal
    saving_after_aid: Decimal
    saving_low: Decimal  # after aid, least favourable case of the sensitivity range
    saving_high: Decimal  # after aid, most favourable case


@dataclass(frozen=True)
class StudyResult:
    districts: list[DistrictResult]
    in_house: Decimal
    shared: Decimal
    aid: Decimal
    saving_before_aid: Decimal
    saving_after_aid: Decimal
    saving_low: Decimal
    saving_high: Decimal


def compute(
    districts: Sequence[DistrictInput], *, shared_cost: Decimal, aidable: bool,
    sensitivity_pct: Decimal = Decimal(10),
) -> StudyResult:  # fmt: skip
    """Every district's in-house and shared cost, aid and savings; totals sum exactly."""
    if shared_cost < 0:
        raise ValueError("the shared service's cost cannot be negative")
    if not 0 <= sensitivity_pct <= 100:
        raise ValueError("the sensitivity range is a percentage from 0 to 100")
    if not districts:
        raise ValueError("a study needs at least one district")
    keys = [d.key for d in districts]
    if len(set(keys)) != len(keys):
        raise ValueError("a district appears twice in the study")
    for d in districts:
        for name in ("fte", "salary", "benefits_pct", "software", "audit_findings", "other",
                     "weight"):  # fmt: skip
            if getattr(d, name) < 0:
                raise ValueError(f"{d.name}: {name.replace('_', ' ')} cannot be negative")
        if not 0 <= d.aid_ratio <= 1:
            raise ValueError(f"{d.name}: the aid ratio is a fraction from 0 to 1")
    weights = {d.key: d.weight for d in districts}
    if not any(weights.values()):
        raise ValueError("every district's share is zero: nothing to split the cost by")
    shares = {k: from_cents(c) for k, c in split_cents(to_cents(shared_cost), weights).items()}
    low_cost = (HUNDRED - sensitivity_pct) / HUNDRED
    high_cost = (HUNDRED + sensitivity_pct) / HUNDRED
    rows = []
    for d in districts:
        shared = shares[d.key]
        aid = quantize_money(shared * d.aid_ratio) if aidable else ZERO
        net = shared - aid
        in_house = d.in_house
        # Least favourable: in-house cheaper than thought, the shared service dearer.
        low = quantize_money(in_house * low_cost) - quantize_money(net * high_cost)
        high = quantize_money(in_house * high_cost) - quantize_money(net * low_cost)
        rows.append(DistrictResult(
            key=d.key, name=d.name, in_house=in_house, shared=shared, aid=aid,
            shared_after_aid=net, saving_before_aid=in_house - shared,
            saving_after_aid=in_house - net, saving_low=low, saving_high=high,
        ))  # fmt: skip
    return StudyResult(
        districts=rows,
        in_house=sum((r.in_house for r in rows), ZERO),
        shared=sum((r.shared for r in rows), ZERO),
        aid=sum((r.aid for r in rows), ZERO),
        saving_before_aid=sum((r.saving_before_aid for r in rows), ZERO),
        saving_after_aid=sum((r.saving_after_aid for r in rows), ZERO),
        saving_low=sum((r.saving_low for r in rows), ZERO),
        saving_high=sum((r.saving_high for r in rows), ZERO),
    )
