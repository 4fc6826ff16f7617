"""The governance API (mounted from ``edcoop.api.urls``): the compliance check."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from edcoop.api import lookups
from edcoop.core import permissions
from edcoop.core.permissions import Action

from . import services

router = Router(tags=["governance"])


class CheckQuery(Schema):
    jurisdiction: str
    funding: Literal["local", "federal"]
    kind: Literal["commodity", "public_work", "service"]
    amount: str
    date: dt.date | None = None


class RuleOut(Schema):
    key: str
    name: str
    jurisdiction: str
    funding: str
    kinds: list[str]
    method: str
    lower: str | None
    lower_inclusive: bool
    upper: str | None
    effective_from: str
    effective_to: str | None
    source: str


class CheckOut(Schema):
    jurisdiction: str
    funding: str
    kind: str
    amount: str
    date: str
    method: str
    method_label: str
    decided_by: list[RuleOut]
    also_applied: list[RuleOut]


@router.get("/agencies/{slug}/compliance/check", response=CheckOut)
def compliance_check(request: HttpRequest, slug: str, q: Query[CheckQuery]) -> dict[str, Any]:
    """The procurement method a purchase requires under the agency's rule table, and the
    rules that decided it. ``amount`` is the expected 12-month aggregate, e.g. "20000.00"."""
    agency = lookups.agency(request, slug)
    permissions.require(lookups.caller(request), Action.COMPLIANCE_VIEW, agency)
    return services.compliance_check(agency=agency, jurisdiction=q.jurisdiction,
                                     funding=q.funding, kind=q.kind, amount=q.amount,
                                     on=q.date)  # fmt: skip
