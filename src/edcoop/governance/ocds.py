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
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from edcoop.members.models import Agency
from edcoop.procurement import evaluation
from edcoop.procurement import selectors as procurement_selectors
from edcoop.procurement.models import Solicitation

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
    from collections import Counter

    from edcoop.contracts.models import Contract

    kinds = Counter(s.contracts.values_list("kind", flat=True))
    category = " ".join(s.category.split())
    if not kinds and category.lower() in _NAMED:
        return _NAMED[category.lower()], []
    if not kinds and category:
        kinds = Counter(Contract.objects.filter(agency_id=s.agency_id, category__iexact=category)
                        .values_list("kind", flat=True))  # fmt: skip
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


def release(solicitation: Solicitation, *, base_url: str = "") -> dict[str, Any]:
    """The OCDS release of one published solicitation, as it stands now."""
    s = solicitation
    agency = s.agency
    prefix = settings_for(agency).prefix
    changed = max(
        filter(None, [s.published_at, s.opened_at,
                      *s.status_changes.values_list("at", flat=True),
                      *s.addenda.values_list("issued_at", flat=True),
                      *s.awards.filter(noticed_at__isnull=False).values_list("noticed_at",
                                                                              flat=True),
                      *s.contracts.values_list("created_at", flat=True),
                      *s.contracts.values_list("purchase_orders__sent_at", flat=True)]),
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
        for i in s.items.select_related("lot").order_by("lot__number", "number", "pk")
    ]  # fmt: skip
    main_category, more_categories = procurement_categories(s)
    tender: dict[str, Any] = {
        "id": s.number, "title": s.title, "description": s.description or None,
        "status": _STATUS[s.status], "procuringEntity": buyer,
        "procurementMethod": _METHOD[s.kind], "procurementMethodDetails": s.get_kind_display(),
        "mainProcurementCategory": main_category,
        "additionalProcurementCategories": more_categories, "awardCriteria": _CRITERIA[s.kind],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": _iso(s.published_at), "endDate": _iso(s.responses_due_at)},
        "items": items, "hasEnquiries": s.questions.filter(answered_at__isnull=False).exists(),
        "documents": [
            {"id": f"doc-{d.pk}", "documentType": "tenderNotice" if d.addendum_id is None
             else "clarifications", "title": d.title, "format": d.content_type,
             "datePublished": _iso(d.added_at),
             "url": base_url + reverse("procurement:document", args=[agency.slug, s.pk, d.pk])}
            for d in s.documents.all()
        ],
        "amendments": [
            {"id": f"addendum-{a.number}", "date": _iso(a.issued_at),
             "rationale": f"Addendum {a.number}: {a.title}", "description": a.body}
            for a in s.addenda.all()
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
        committed = s.items.filter(commitments__isnull=False).values(
            "commitments__institution").distinct().count()  # fmt: skip
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
        standing = evaluation.standings(s)
        for r in procurement_selectors.opened_responses(s):
            party = _party_id("supplier", r.supplier_id)
            parties.setdefault(party, {"id": party, "name": r.supplier_name, "roles": []})
            parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"tenderer"})
            lines = list(r.bid_lines.select_related("item"))
            mine = standing.get(r.pk)
            details.append({
                "id": str(r.pk), "date": _iso(r.received_at),
                "status": "valid" if mine is not None and mine.eligible else "disqualified",
                "tenderers": [{"id": party, "name": r.supplier_name}],
                "items": [{"id": b.item.number, "unitPrice": _number(b.unit_price)}
                          for b in lines],
            })  # fmt: skip
        _awards(s, out, parties, tags)
        _contracts(s, out, parties, tags)
        # Withdrawn bids are listed, unopened: no items, no prices.
        for r in procurement_selectors.unopened_responses(s).filter(status="withdrawn"):
            party = _party_id("supplier", r.supplier_id)
            parties.setdefault(party, {"id": party, "name": r.supplier_name, "roles": []})
            parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"tenderer"})
            details.append({"id": str(r.pk), "date": _iso(r.received_at), "status": "withdrawn",
                            "tenderers": [{"id": party, "name": r.supplier_name}]})  # fmt: skip
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


def _awards(s: Solicitation, out: dict[str, Any], parties: dict[str, dict[str, Any]],
            tags: list[str]) -> None:  # fmt: skip
    """The awards section: each award made public (noticed), its suppliers and lines."""
    awards = []
    for award in s.awards.filter(noticed_at__isnull=False).prefetch_related(
            "lines__item", "lines__response"):  # fmt: skip
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


def _contracts(s: Solicitation, out: dict[str, Any], parties: dict[str, dict[str, Any]],
               tags: list[str]) -> None:  # fmt: skip
    """The contracts made from the published award, and their implementation: what members
    ordered under each, one transaction per calendar quarter (totals only: which member
    bought what stays the member's)."""
    from edcoop.contracts.models import PurchaseOrder, quarter_end

    if not out.get("awards"):
        return
    award_id = out["awards"][0]["id"]
    zone = s.agency.zone
    today = timezone.now().astimezone(zone).date()
    contracts = []
    for c in s.contracts.select_related("supplier").prefetch_related("renewals").order_by("pk"):
        party = _party_id("supplier", c.supplier_id)
        parties.setdefault(party, {"id": party, "name": str(c.supplier), "roles": []})
        parties[party]["roles"] = sorted(set(parties[party]["roles"]) | {"supplier", "payee"})
        quarters: dict[tuple[int, int], Decimal] = {}
        for day, total in (PurchaseOrder.objects.filter(
                contract=c, status__in=[PurchaseOrder.Status.SENT, PurchaseOrder.Status.RECEIVED,
                                        PurchaseOrder.Status.CLOSED])
                .values_list("ordered_on", "total")):  # fmt: skip
            key = (day.year, (day.month - 1) // 3 + 1)
            quarters[key] = quarters.get(key, Decimal(0)) + total
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
    releases = [
        release(s, base_url=base_url)
        for agency in agencies
        for s in published_solicitations(agency, since)
    ]
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
