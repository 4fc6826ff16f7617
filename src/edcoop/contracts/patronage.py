"""Year-end patronage: the agency's distributable net income returned to members in
proportion to their contract purchases that year, split into a cash share and equity credit.

The basis is the suppliers' reported sales, not EdCoop's purchase orders: the cooperative's
income is the admin fee on reported sales, members also buy under the contracts without an
EdCoop order (by card, by phone, through the supplier's site), and a reported sale is the
one the supplier paid a fee on. So a member's purchases are the amounts of the lines of the
quarters' reports in force (an amended report counts as its latest version, never twice)
whose invoice dates fall in the fiscal year. Each year records this basis in words.

The split reuses billing's ``split_cents`` (largest remainder), so the members' amounts sum
to the distributable amount exactly; each member's cash and equity sum to its amount. A
cash share under the agency's minimum check is withheld and credited as equity. A loss year
distributes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.billing.allocation import split_cents
from edcoop.core import audit
from edcoop.core.money import CENT
from edcoop.core.permissions import Action, require
from edcoop.members.models import Agency
from edcoop.services.fiscal import fiscal_year_start

from .models import (
    ContractSettings,
    PatronageAllocation,
    PatronageYear,
    SalesReportLine,
    add_months,
)
from .services import number


@dataclass(frozen=True)
class Share:
    key: int
    purchases: Decimal
    amount: Decimal
    cash: Decimal
    equity: Decimal
    withheld: bool


def allocate(distributable: Decimal, purchases: dict[int, Decimal], cash_pct: Decimal,
             minimum: Decimal) -> list[Share]:  # fmt: skip
    """Pure: each member's share of ``distributable`` by purchases, cash and equity."""
    weights = {k: v for k, v in purchases.items() if v > 0}
    if distributable <= 0 or not weights:
        return []
    cents = split_cents(int(distributable / CENT), weights)
    out = []
    for key in sorted(weights):
        amount = Decimal(cents[key]) * CENT
        cash = (amount * cash_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        withheld = 0 < cash < minimum
        if withheld:
            cash = Decimal("0.00")
        out.append(Share(key, weights[key], amount, cash, amount - cash, withheld))
    return out


def purchases_in(agency: Agency, fiscal_year: int) -> dict[int, Decimal]:
    first = fiscal_year_start(fiscal_year, agency.fiscal_year_start_month)
    last = add_months(first, 12)
    rows = (SalesReportLine.objects
            .filter(report__agency=agency, report__amended_by__isnull=True,
                    invoice_date__gte=first, invoice_date__lt=last)
            .values("institution_id").annotate(total=Sum("amount")))  # fmt: skip
    return {r["institution_id"]: r["total"] for r in rows}


@transaction.atomic
def patronage_distribute(*, user: Any, agency: Agency, fiscal_year: int, net_income: Any,
                         distributable: Any) -> PatronageYear:  # fmt: skip
    """Record the year's net income and distribute ``distributable`` of it."""
    require(user, Action.PATRONAGE_RUN, agency)
    if not 2000 <= int(fiscal_year) <= 2100:
        raise ValidationError({"fiscal_year": "Give a fiscal year from 2000 to 2100."})
    income = number(net_income, PatronageYear, "net_income", minimum=None)
    share = number(distributable, PatronageYear, "distributable")
    if income <= 0 and share > 0:
        raise ValidationError({"distributable": "Nothing is distributed in a loss year."})
    if share > income and share > 0:
        raise ValidationError({"distributable": "The distributable share cannot exceed the "
                                                "net income."})  # fmt: skip
    if PatronageYear.objects.filter(agency=agency, fiscal_year=fiscal_year).exists():
        raise ValidationError({"fiscal_year": f"FY{fiscal_year} patronage is already "
                                              "distributed."})  # fmt: skip
    rules = ContractSettings.of(agency)
    purchases = purchases_in(agency, fiscal_year)
    if share > 0 and not any(v > 0 for v in purchases.values()):
        raise ValidationError(
            {
                "distributable": f"No member reported purchases in "
                f"FY{fiscal_year}; nothing to allocate by."
            }
        )
    first = fiscal_year_start(fiscal_year, agency.fiscal_year_start_month)
    last = add_months(first, 12) - timedelta(days=1)
    basis = (f"Contract purchases as suppliers reported them (the latest version of each "
             f"quarter's sales report), invoiced {first.isoformat()} to {last.isoformat()}")
    year = PatronageYear.objects.create(basis=basis,
        agency=agency, fiscal_year=fiscal_year, net_income=income, distributable=share,
        cash_share_pct=rules.patronage_cash_share, minimum_check=rules.patronage_minimum_check,
        decided_at=timezone.now())  # fmt: skip
    shares = allocate(share, purchases, rules.patronage_cash_share,
                      rules.patronage_minimum_check)  # fmt: skip
    PatronageAllocation.objects.bulk_create(
        PatronageAllocation(year=year, institution_id=s.key, purchases=s.purchases,
                            amount=s.amount, cash=s.cash, equity=s.equity,
                            cash_withheld=s.withheld) for s in shares)  # fmt: skip
    audit.record("patronage.distribute", year, agency_id=agency.pk, changes={
        "fiscal_year": [None, fiscal_year], "net_income": [None, income],
        "distributable": [None, share], "members": [None, len(shares)],
        "cash": [None, sum((s.cash for s in shares), Decimal(0))]})  # fmt: skip
    return year
