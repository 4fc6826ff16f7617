"""The governance API (mounted from ``edcoop.api.urls``): the compliance check."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from edcoop.api import auth, lookups
from edcoop.core import permissions
from edcoop.core.permissions import Action
from edcoop.members.models import Agency
from edcoop.procurement.models import Solicitation

from . import ocds, services

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


# OCDS publication: public, like everything published in it.


class OcdsQuery(Schema):
    agency: str | None = None
    since: dt.date | None = None


@router.get("/ocds/releases", auth=None, tags=["governance", "public"])
def ocds_releases(request: HttpRequest, q: Query[OcdsQuery]) -> dict[str, Any]:
    """An OCDS 1.1 release package of every published contracting process (one agency's
    with ``agency=SLUG``; changed since ``since=YYYY-MM-DD`` if given). Public."""
    agencies = Agency.objects.order_by("slug")
    if q.agency:
        agencies = agencies.filter(slug=q.agency)
        if not agencies.exists():
            raise Http404("No such agency.")
    since = dt.datetime.combine(q.since, dt.time(), dt.UTC) if q.since else None
    base = settings.EDCOOP_BASE_URL
    return ocds.package(agencies, since=since, base_url=base,
                        uri=base + request.get_full_path())  # fmt: skip


@router.get("/agencies/{slug}/solicitations/{sid}/ocds", auth=auth.OPTIONAL,
            tags=["governance", "public"])  # fmt: skip
def solicitation_release(request: HttpRequest, slug: str, sid: int) -> dict[str, Any]:
    """One published solicitation's OCDS 1.1 release; bids appear only once opened."""
    agency = lookups.public_agency(request, slug)
    solicitation: Solicitation = permissions.get_or_404(
        permissions.solicitations_for(lookups.caller(request), agency)
        .filter(published_at__isnull=False), pk=sid)  # fmt: skip
    return ocds.release(solicitation, base_url=settings.EDCOOP_BASE_URL)
