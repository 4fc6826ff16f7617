"""OCDS 1.1 publication: every published contracting process of an agency as a release.

One release per contracting process (a published solicitation), describing it as it stands:
planning (the demand survey), tender (items, periods, documents, addenda as amendments,
enquiries), the tenderers and, once opened, their bids (the OCDS bid extension). The ocid is
the agency's prefix (``PublicationSettings.ocid_prefix``; register one with the OCDS Data
Support Team) and the solicitation number, so it never changes. The release id carries the
date of the latest change, so a process that moves on gets a new release.

Nothing sealed is ever read here: prices come only from opened responses (``BidLine``), and
drafts are never published. Amounts are JSON numbers, as the standard asks; every amount has
at most 14 significant digits, which a double holds exactly, so the text written is the
exact decimal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from edcoop.members.models import Agency
from edcoop.procurement import evaluation
from edcoop.procurement.models import Award, Solicitation

from .models import PublicationSettings

VERSION = "1.1"
BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)
_STATUS = {"draft": "planning", "published": "active", "closed": "active", "opened": "active",
           "under_evaluation": "active", "awarded": "complete",
           "cancelled": "cancelled"}  # fmt: skip
_METHOD = {"ifb": "open", "rfp": "open", "rfq": "limited"}
# The procurementCategory codelist (closed) for each kind of purchase (``Contract.Kind``).
_CATEGORY = {"commodity": "goods", "public_work": "works", "service": "services"}
# A solicitation's category that names the kind itself (the whole text, in any case).
_NAMED = {"goods": "goods", "commodity": "goods", "commodities": "goods",
          "commodities (goods)": "goods", "works": "works", "public work": "works",
          "public works": "works", "services": "services", "service": "services"}  # fmt: skip
_CRITERIA = {"ifb": "priceOnly", "rfp": "ratedCriteria", "rfq": "priceOnly"}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _number(value: Decimal | None) -> float | int | None:
    """A JSON number for a Decimal (exact for up to 15 significant digits)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _party_id(kind: str, pk: int) -> str:
    return f"edcoop-{kind}-{pk}"


def procurement_categories(s: Solicitation) -> tuple[str, list[str]]:
    """The process's ``mainProcurementCategory`` (goods, works or services) and any others
    (``additionalProcurementCategories``), from what the records say, in this order:

    1. the kind of the contracts made from it (commodity: goods; public work: works;
       service: services), the most common first;
    2. its category, when that names the kind itself ("Services", "Public works", "Goods");
    3. the kind of the agency's contracts in the same category (its own classification);
    4. goods, the cooperative bid's usual object, when nothing says otherwise."""
    return _categories(s, _loaded(s))


def _categories(s: Solicitation, r: _Related) -> tuple[str, list[str]]:
    from collections import Counter

    kinds = Counter(c.kind for c in r.contracts)
    category = " ".join(s.category.split())
    if not kinds and category.lower() in _NAMED:
        return _NAMED[category.lower()], []
    if not kinds and category:
        kinds = Counter(r.agency_kinds.get(category.upper(), []))
    order = list(_CATEGORY)
    ranked = sorted(kinds, key=lambda k: (-kinds[k], order.index(k) if k in order else 9))
    found = list(dict.fromkeys(_CATEGORY[k] for k in ranked if k in _CATEGORY))
    return (found[0], found[1:]) if found else ("goods", [])


def settings_for(agency: Agency) -> PublicationSettings:
    return PublicationSettings.objects.filter(agency=agency).first() or PublicationSettings(
        agency=agency
    )


def published_solicitations(
    agency: Agency, since: datetime | None = None
) -> QuerySet[Solicitation]:
    qs = (
        Solicitation.objects.filter(agency=agency, published_at__isnull=False)
        .select_related("agency")
        .annotate(last_change=Max("status_changes__at"))
        .order_by("published_at", "pk")
    )
    if since is not None:
        # Whatever makes a new release (``release``'s ``changed``) brings the process back.
        from edcoop.contracts.models import Contract, PurchaseOrder
        from edcoop.procurement.models import Addendum, Award

        qs = qs.filter(
            Q(last_change__gte=since)
            | Q(pk__in=Addendum.objects.filter(issued_at__gte=since).values("solicitation_id"))
            | Q(pk__in=Award.objects.filter(noticed_at__gte=since).values("solicitation_id"))
            | Q(pk__in=Contract.objects.filter(created_at__gte=since).values("solicitation_id"))
            | Q(pk__in=PurchaseOrder.objects.filter(sent_at__gte=since)
                .values("contract__solicitation_id"))
        )  # fmt: skip
    return qs


@dataclass
class _Related:
    """What a release reads besides the solicitation itself, read by ``_load`` for any number
    of solicitations at once: a fixed number of queries, never some per release."""

    prefix: str = ""
    status_changes: list[datetime] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list)
    addenda: list[Any] = field(default_factory=list)
    has_enquiries: bool = False
    committed: int = 0
    awards: list[Any] = field(default_factory=list)  # noticed ones, their lines read
    contracts: list[Any] = field(default_factory=list)  # by pk, supplier and renewals read
    agency_kinds: dict[str, list[str]] = field(default_factory=dict)  # category.upper(): kinds
    last_sent: datetime | None = None  # of any order under its contracts
    # contract pk: {(year, quarter): total} of its sent, received and closed orders
    quarters: dict[int, dict[tuple[int, int], Decimal]] = field(default_factory=dict)
    opened: list[Any] = field(default_factory=list)  # responses read at the opening
    withdrawn: list[Any] = field(default_factory=list)
    standings: dict[int, Any] = field(default_factory=dict)


def _loaded(s: Solicitation) -> _Related:
    related: _Related | None = getattr(s, "_ocds", None)
    if related is None:
        _load([s])
        related = s._ocds  # type: ignore[attr-defined]
    return related


def _load(solicitations: list[Solicitation]) -> None:
    """Read what the releases of ``solicitations`` need, a query per kind of record for all of
    them, and keep it on each (``s._ocds``)."""
    from edcoop.contracts.models import Contract, PurchaseOrder
    from edcoop.procurement.models import (
        Addendum,
        AwardLine,
        BidLine,
        DemandCommitment,
        Document,
        LineItem,
        Question,
        Response,
        StatusChange,
    )

    related = {s.pk: _Related() for s in solicitations}
    if not related:
        return
    ids = list(related)
    prefixes: dict[int, str] = {}
    for s in solicitations:
        if s.agency_id not in prefixes:
            prefixes[s.agency_id] = settings_for(s.agency).prefix
        related[s.pk].prefix = prefixes[s.agency_id]
    for sid, at in StatusChange.objects.filter(solicitation_id__in=ids).values_list(
            "solicitation_id", "at"):  # fmt: skip
        related[sid].status_changes.append(at)
    for item in (LineItem.objects.filter(solicitation_id__in=ids).select_related("lot")
                 .order_by("lot__number", "number", "pk")):  # fmt: skip
        related[item.solicitation_id].items.append(item)
    for doc in Document.objects.filter(solicitation_id__in=ids):
        related[doc.solicitation_id].documents.append(doc)
    for addendum in Addendum.objects.filter(solicitation_id__in=ids):
        related[addendum.solicitation_id].addenda.append(addendum)
    for sid in (Question.objects.filter(solicitation_id__in=ids, answered_at__isnull=False)
                .values_list("solicitation_id", flat=True).distinct()):  # fmt: skip
        related[sid].has_enquiries = True
    for sid, n in (DemandCommitment.objects.filter(item__solicitation_id__in=ids)
                   .values("item__solicitation_id").annotate(n=Count("institution", distinct=True))
                   .order_by().values_list("item__solicitation_id", "n")):  # fmt: skip
        related[sid].committed = n
    lines = AwardLine.objects.select_related("item", "response__supplier")
    for award in (Award.objects.filter(solicitation_id__in=ids, noticed_at__isnull=False)
                  .prefetch_related(Prefetch("lines", queryset=lines))):  # fmt: skip
        related[award.solicitation_id].awards.append(award)
    contracts: dict[int, int] = {}  # contract pk: its solicitation's
    for c in (Contract.objects.filter(solicitation_id__in=ids).select_related("supplier")
              .prefetch_related("renewals").order_by("pk")):  # fmt: skip
        contracts[c.pk] = sid = c.solicitation_id or 0  # never empty: the filter says so
        related[sid].contracts.append(c)
    if contracts:
        sent = (PurchaseOrder.objects.filter(contract_id__in=contracts)
                .values("contract__solicitation_id").annotate(last=Max("sent_at")).order_by()
                .values_list("contract__solicitation_id", "last"))  # fmt: skip
        for sid, last in sent:
            related[sid].last_sent = last
        counted = [PurchaseOrder.Status.SENT, PurchaseOrder.Status.RECEIVED,
                   PurchaseOrder.Status.CLOSED]  # fmt: skip
        daily = (PurchaseOrder.objects.filter(contract_id__in=contracts, status__in=counted)
                 .values("contract_id", "ordered_on").annotate(sum=Sum("total")).order_by()
                 .values_list("contract_id", "ordered_on", "sum"))  # fmt: skip
        for cid, day, total in daily:
            quarters = related[contracts[cid]].quarters.setdefault(cid, {})
            key = (day.year, (day.month - 1) // 3 + 1)
            quarters[key] = quarters.get(key, Decimal(0)) + total
    # The agency's own classification, for processes neither their contracts nor their
    # category classify (``procurement_categories``, step 3).
    wanted = Q()
    for s in solicitations:
        category = " ".join(s.category.split())
        if not related[s.pk].contracts and category and category.lower() not in _NAMED:
            wanted |= Q(agency_id=s.agency_id, category__iexact=category)
    if wanted:
        kinds: dict[tuple[int, str], list[str]] = {}
        for agency_id, category, kind in Contract.objects.filter(wanted).values_list(
                "agency_id", "category", "kind"):  # fmt: skip
            kinds.setdefault((agency_id, category.upper()), []).append(kind)
        for s in solicitations:
            related[s.pk].agency_kinds = {c: k for (a, c), k in kinds.items() if a == s.agency_id}
    # Bids: only of opened solicitations (nothing sealed is read).
    opened = [s.pk for s in solicitations if not s.is_sealed]
    if opened:
        bid_lines = BidLine.objects.select_related("item")
        evaluated = []
        for r in (Response.objects.filter(solicitation_id__in=opened, responsive__isnull=False)
                  .select_related("supplier")
                  .prefetch_related(Prefetch("bid_lines", queryset=bid_lines))
                  .order_by("supplier__legal_name", "pk")):  # fmt: skip
            related[r.solicitation_id].opened.append(r)
            if r.status == Response.Status.SUBMITTED and r.is_current:
                evaluated.append(r)
        standings = evaluation.standings_of(evaluated)
        for r in evaluated:
            related[r.solicitation_id].standings[r.pk] = standings[r.pk]
        withdrawn = (Response.objects.filter(solicitation_id__in=opened,
                                             status=Response.Status.WITHDRAWN)
                     .select_related("supplier")
                     .order_by("supplier__legal_name", "version", "pk"))  # fmt: skip
        for r in withdrawn:
            related[r.solicitation_id].withdrawn.append(r)
    for s in solicitations:
        s._ocds = related[s.pk]  # type: ignore[attr-defined]


def release(solicitation: Solicitation, *, base_url: str = "") -> dict[str, Any]:
    """The OCDS release of one published solicitation, as it stands now."""
    s = solicitation
    r = _loaded(s)
    agency = s.agency
    prefix = r.prefix
    changed = max(
        filter(None, [s.published_at, s.opened_at, *r.status_changes,
                      *(a.issued_at for a in r.addenda), *(a.noticed_at for a in r.awards),
                      *(c.created_at for c in r.contracts), r.last_sent]),
    )  # fmt: skip
    buyer = {"id": _party_id("agency", agency.pk), "name": s.lead_agency or agency.name}
    parties: dict[str, dict[str, Any]] = {
        buyer["id"]: {
            "id": buyer["id"], "name": buyer["name"], "roles": ["buyer", "procuringEntity"],
            "address": {"region": agency.state, "countryName": "United States"},
            **({"contactPoint": {"email": agency.email}} if agency.email else {}),
        }
    }  # fmt: skip
    tags = ["tender"]
    items = [
        {"id": i.number, "description": i.description, "quantity": _number(i.estimated_quantity),
         "unit": {"name": i.unit}}
        for i in r.items
    ]  # fmt: skip
    main_category, more_categories = _categories(s, r)
    tender: dict[str, Any] = {
        "id": s.number, "title": s.title, "description": s.description or None,
        "status": _STATUS[s.status], "procuringEntity": buyer,
        "procurementMethod": _METHOD[s.kind], "procurementMethodDetails": s.get_kind_display(),
        "mainProcurementCategory": main_category,
        "additionalProcurementCategories": more_categories, "awardCriteria": _CRITERIA[s.kind],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": _iso(s.published_at), "endDate": _iso(s.responses_due_at)},
        "items": items, "hasEnquiries": r.has_enquiries,
        "documents": [
            {"id": f"doc-{d.pk}", "documentType": "tenderNotice" if d.addendum_id is None
             else "clarifications", "title": d.title, "format": d.content_type,
             "datePublished": _iso(d.added_at),
             "url": base_url + reverse("procurement:document", args=[agency.slug, s.pk, d.pk])}
            for d in r.documents
        ],
        "amendments": [
            {"id": f"addendum-{a.number}", "date": _iso(a.issued_at),
             "rationale": f"Addendum {a.number}: {a.title}", "description": a.body}
            for a in r.addenda
        ],
    }  # fmt: skip
    if s.questions_due_at:
        tender["enquiryPeriod"] = {"startDate": _iso(s.published_at),
                                   "endDate": _iso(s.questions_due_at)}  # fmt: skip
    if s.eligible_kinds:
        tender["eligibilityCriteria"] = "Institution kinds: " + ", ".join(s.eligible_kinds)
    if tender["amendments"]:
        tags.append("tenderAmendment")
    if s.status == Solicitation.Status.CANCELLED:
        tags = ["tenderCancellation"]
    out: dict[str, Any] = {
        "ocid": f"{prefix}-{s.number}",
        "id": f"{s.number}-{changed:%Y%m%dT%H%M%S}",
        "date": _iso(changed),
        "tag": tags,
        "initiationType": "tender",
        "language": "en",
        "buyer": buyer,
        "tender": tender,
    }
    if s.survey_deadline is not None:
        committed = r.committed
        out["planning"] = {
            "rationale": f"Demand survey: {committed} member(s) committed estimated annual "
                         "quantities; the items' quantities are their total.",
            "milestones": [{"id": "demand-survey", "title": "Demand survey closes",
                            "type": "engagement", "dueDate": _iso(s.survey_deadline),
                            "status": "met" if s.survey_deadline <= timezone.now()
                            else "scheduled"}],
        }  # fmt: skip
    if not s.is_sealed:
        details: list[dict[str, Any]] = []
        for response in r.opened:
            party = _party_id("supplier", response.supplier_id)
            parties.setdefault(party, {"id": party, "name": response.supplier_name, "roles": []})
            parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"tenderer"})
            lines = list(response.bid_lines.all())
            mine = r.standings.get(response.pk)
            details.append({
                "id": str(response.pk), "date": _iso(response.received_at),
                "status": "valid" if mine is not None and mine.eligible else "disqualified",
                "tenderers": [{"id": party, "name": response.supplier_name}],
                "items": [{"id": b.item.number, "unitPrice": _number(b.unit_price)}
                          for b in lines],
            })  # fmt: skip
        _awards(s, r, out, parties, tags)
        _contracts(s, r, out, parties, tags)
        # Withdrawn bids are listed, unopened: no items, no prices.
        for w in r.withdrawn:
            party = _party_id("supplier", w.supplier_id)
            parties.setdefault(party, {"id": party, "name": w.supplier_name, "roles": []})
            parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"tenderer"})
            details.append({"id": str(w.pk), "date": _iso(w.received_at), "status": "withdrawn",
                            "tenderers": [{"id": party, "name": w.supplier_name}]})  # fmt: skip
        opened = [d for d in details if d["status"] != "withdrawn"]
        tender["numberOfTenderers"] = len(opened)
        tender["tenderers"] = [d["tenderers"][0] for d in opened]
        out["bids"] = {"details": details}
        if "tenderUpdate" not in tags and s.status != Solicitation.Status.CANCELLED:
            tags.append("tenderUpdate")
    out["parties"] = list(parties.values())
    return _drop_nulls(out)


# An award is public once its notice is sent: pending through the stand-still, active once
# final; one cancelled after its notice stays published as cancelled.
_AWARD_STATUS = {"noticed": "pending", "final": "active", "cancelled": "cancelled"}


def _awards(s: Solicitation, r: _Related, out: dict[str, Any],
            parties: dict[str, dict[str, Any]], tags: list[str]) -> None:  # fmt: skip
    """The awards section: each award made public (noticed), its suppliers and lines."""
    awards = []
    for award in r.awards:
        lines = [ln for ln in award.lines.all() if ln.rank == "primary"]
        suppliers = {}
        for ln in lines:
            party = _party_id("supplier", ln.supplier_id)
            parties.setdefault(party, {"id": party, "name": ln.response.supplier_name, "roles": []})
            parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"supplier"})
            suppliers[party] = {"id": party, "name": ln.response.supplier_name}
        awards.append({
            "id": f"award-{award.pk}", "title": f"Award of {s.number}",
            "description": award.basis, "status": _AWARD_STATUS[award.status],
            "date": _iso(award.noticed_at),
            "value": {"amount": _number(award.total), "currency": "USD"},
            "suppliers": list(suppliers.values()),
            "items": [{"id": f"{ln.item.number}-{ln.supplier_id}",
                       "description": f"{ln.item.description} ({ln.response.supplier_name})",
                       "quantity": _number(ln.quantity), "unit": {
                           "name": ln.item.unit,
                           "value": {"amount": _number(ln.unit_price), "currency": "USD"}}}
                      for ln in lines],
        })  # fmt: skip
    if awards:
        out["awards"] = awards
        tags.append("award" if all(a["status"] != "cancelled" for a in awards)
                    else "awardUpdate")  # fmt: skip


_CONTRACT_STATUS = {"upcoming": "pending", "active": "active", "expiring": "active",
                    "expired": "terminated", "terminated": "terminated"}  # fmt: skip


def _day(value: date | None, zone: Any) -> str | None:
    return None if value is None else _iso(datetime.combine(value, time.min, zone))


def _contracts(s: Solicitation, r: _Related, out: dict[str, Any],
               parties: dict[str, dict[str, Any]], tags: list[str]) -> None:  # fmt: skip
    """The contracts made from the published award, and their implementation: what members
    ordered under each, one transaction per calendar quarter (totals only: which member
    bought what stays the member's)."""
    from edcoop.contracts.models import quarter_end

    if not out.get("awards"):
        return
    award_id = out["awards"][0]["id"]
    zone = s.agency.zone
    today = timezone.now().astimezone(zone).date()
    contracts = []
    for c in r.contracts:
        party = _party_id("supplier", c.supplier_id)
        parties.setdefault(party, {"id": party, "name": str(c.supplier), "roles": []})
        parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"supplier", "payee"})
        quarters = r.quarters.get(c.pk, {})
        transactions = [
            {"id": f"{c.number}-{y}Q{q}",
             "date": _day(min(quarter_end(y, q), today), zone),
             "value": {"amount": _number(amount), "currency": "USD"},
             "payee": {"id": party, "name": str(c.supplier)}}
            for (y, q), amount in sorted(quarters.items())
        ]  # fmt: skip
        end = c.terminated_on or c.current_end()
        contract: dict[str, Any] = {
            "id": c.number, "awardID": award_id, "title": c.title,
            "description": c.description or None,
            "status": _CONTRACT_STATUS[c.status_on(today, 0)],
            "period": {"startDate": _day(c.starts_on, zone), "endDate": _day(end, zone)},
            "dateSigned": _day(c.awarded_on, zone),
        }  # fmt: skip
        if transactions:
            contract["implementation"] = {"transactions": transactions}
        contracts.append(contract)
    if contracts:
        out["contracts"] = contracts
        tags.append("contract")
        if any("implementation" in c for c in contracts):
            tags.append("implementation")


def _drop_nulls(value: Any) -> Any:
    """OCDS prefers absent fields to nulls (and empty lists)."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def package(
    agencies: Iterable[Agency], *, since: datetime | None = None, base_url: str = "",
    uri: str = "",
) -> dict[str, Any]:  # fmt: skip
    """A release package of every published process of ``agencies``."""
    agencies = list(agencies)
    solicitations = [s for agency in agencies for s in published_solicitations(agency, since)]
    _load(solicitations)
    releases = [release(s, base_url=base_url) for s in solicitations]
    publisher = (
        {"name": agencies[0].name, "uri": agencies[0].website or base_url or None}
        if len(agencies) == 1 else {"name": "EdCoop", "uri": base_url or None}
    )  # fmt: skip
    out: dict[str, Any] = {
        "uri": uri or base_url + "/api/v1/ocds/releases",
        "version": VERSION,
        "publishedDate": timezone.now().isoformat(),
        "publisher": _drop_nulls(publisher),
        "extensions": [BID_EXTENSION],
        "releases": releases,
    }
    if len(agencies) == 1:
        settings = settings_for(agencies[0])
        if settings.license_url:
            out["license"] = settings.license_url
        if settings.publication_policy_url:
            out["publicationPolicy"] = settings.publication_policy_url
    return out


@cache
def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = resources.files("edcoop.governance") / "ocds_schema"
    pkg = json.loads((folder / "release-package-schema.json").read_text(encoding="utf-8"))
    rel = json.loads((folder / "release-schema.json").read_text(encoding="utf-8"))
    return pkg, rel


def validate(data: dict[str, Any]) -> list[str]:
    """Problems with ``data`` as an OCDS 1.1 release package, against the official schema
    shipped with EdCoop (offline: the package's reference to the release schema resolves
    to the local copy). Empty when valid."""
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    pkg, rel = _schemas()
    registry = Registry().with_resources([
        (pkg["id"], Resource.from_contents(pkg, default_specification=DRAFT4)),
        (rel["id"], Resource.from_contents(rel, default_specification=DRAFT4)),
    ])  # fmt: skip
    validator = Draft4Validator(pkg, registry=registry, format_checker=FormatChecker())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(package)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
