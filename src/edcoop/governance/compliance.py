"""Which procurement method the law and the agency's policy require: a pure engine on rules.

A rule says: in this jurisdiction, for this funding source and kind of purchase, from this
date (to that one), an expected amount in this range calls for this method; it carries its
source. Several rules can apply at once (a federally funded purchase by a New York district
is bound by 2 CFR 200 *and* GML §103): the answer is the most demanding of them, and every
rule that required it is named.

Amounts are the reasonably expected 12-month aggregate for the same item (GML §103), in
Decimal dollars. A rule's range runs from ``lower`` (excluded, unless ``lower_inclusive``)
to ``upper`` (included): "over $20,000" is ``lower=20000``; "does not exceed $15,000" is
``upper=15000``; "$10,000 to $20,000" is ``lower=10000, lower_inclusive=True, upper=20000``.
So exactly $20,000.00 is not over $20,000; $20,000.01 is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum


class Method(IntEnum):
    """Procurement methods, from least to most demanding."""

    MICRO_PURCHASE = 1
    QUOTES = 2
    SEALED_BIDS = 3

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.MICRO_PURCHASE: "Micro-purchase (no quotes required; distribute equitably)",
    Method.QUOTES: "Quotations from an adequate number of qualified sources",
    Method.SEALED_BIDS: "Formal competitive procurement (sealed bids, or proposals where allowed)",
}

KINDS = ("commodity", "public_work", "service")
FUNDING = ("local", "federal")


@dataclass(frozen=True)
class Rule:
    key: str  # stable identifier, e.g. "ny-gml103-commodity"
    name: str
    jurisdiction: str  # "NY", "CO", or "US" (federal rules, which apply in every state)
    funding: str  # "local" applies to every purchase; "federal" only to federally funded ones
    kinds: tuple[str, ...]  # empty: every kind
    method: Method
    lower: Decimal | None  # the amount must exceed this (None: from zero)
    upper: Decimal | None  # and not exceed this (None: no ceiling)
    effective_from: date
    effective_to: date | None  # last day in force (None: still in force)
    source: str
    lower_inclusive: bool = False  # the amount may also equal ``lower``
    pk: int | None = None

    def covers(self, *, kind: str, amount: Decimal, on: date) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        if on < self.effective_from or (self.effective_to is not None and on > self.effective_to):
            return False
        below = self.lower is not None and (
            amount < self.lower or (amount == self.lower and not self.lower_inclusive)
        )
        if below:
            return False
        return self.upper is None or amount <= self.upper


@dataclass(frozen=True)
class Decision:
    method: Method
    decided_by: tuple[Rule, ...]  # the rules that required this method
    applied: tuple[Rule, ...]  # every rule that applied (some less demanding)


class NoRule(ValueError):
    """No rule covers the purchase: the agency's rule table has a gap."""


def applicable(rules: list[Rule], *, jurisdiction: str, funding: str) -> list[Rule]:
    """The rules that bind a purchase in ``jurisdiction`` paid from ``funding``."""
    out = []
    for rule in rules:
        if rule.jurisdiction == "US":
            if rule.funding == "federal" and funding != "federal":
                continue
        elif rule.jurisdiction != jurisdiction or (
            rule.funding == "federal" and funding != "federal"
        ):
            continue
        out.append(rule)
    return out


def required_method(
    rules: list[Rule], *, jurisdiction: str, funding: str, kind: str, amount: Decimal, on: date
) -> Decision:
    """The most demanding method any applicable rule requires for this purchase."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if funding not in FUNDING:
        raise ValueError(f"funding must be one of {', '.join(FUNDING)}, not {funding!r}")
    if amount < 0:
        raise ValueError("amount cannot be negative")
    hits = [
        r
        for r in applicable(rules, jurisdiction=jurisdiction, funding=funding)
        if r.covers(kind=kind, amount=amount, on=on)
    ]
    if not hits:
        raise NoRule(
            f"no rule covers a {kind.replace('_', ' ')} purchase of {amount:,.2f} with "
            f"{funding} funds in {jurisdiction} on {on.isoformat()}"
        )
    method = max(r.method for r in hits)
    return Decision(
        method=method,
        decided_by=tuple(r for r in hits if r.method == method),
        applied=tuple(hits),
    )
