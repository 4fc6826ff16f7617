"""Reads that need more than a filter: demand aggregates, participants, the tabulation of an
opened solicitation, OCDS-ready data. Nothing here returns a sealed price: prices come only
from ``BidLine`` rows, which exist only after the opening."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404

from edcoop.core import formatting, permissions
from edcoop.members.models import Agency, Institution, Membership

from . import tabulation
from .models import DemandCommitment, Response, Solicitation

PUBLIC_STATUSES = [s for s in Solicitation.Status.values if s != Solicitation.Status.DRAFT]


def public_solicitations(agency: Agency) -> QuerySet[Solicitation]:
    return Solicitation.objects.filter(agency=agency, published_at__isnull=False)


def public_awards(agency: Agency) -> QuerySet[Any]:
    """Awards the public may see: once the notice of award is sent (a recommendation is not
    yet), never a cancelled one."""
    from .models import Award

    return (Award.objects.filter(solicitation__agency=agency, noticed_at__isnull=False)
            .exclude(status=Award.Status.CANCELLED).select_related("solicitation"))  # fmt: skip


def public_solicitation(slug: str, pk: int) -> Solicitation:
    found = (Solicitation.objects.select_related("agency")
             .filter(agency__slug=slug, pk=pk, published_at__isnull=False).first())  # fmt: skip
    if found is None:
        raise Http404("No such solicitation.")
    return found


def solicitation_for(user: Any, agency: Agency, pk: int) -> Solicitation:
    return permissions.get_or_404(
        permissions.solicitations_for(user, agency).select_related("agency"), pk=pk
    )


def public_questions(solicitation: Solicitation) -> QuerySet[Any]:
    return solicitation.questions.filter(answered_at__isnull=False).order_by("answered_at", "pk")


@dataclass
class DemandRow:
    item: Any
    total: Decimal
    by_member: list[tuple[str, Decimal]]


def demand_by_item(solicitation: Solicitation) -> list[DemandRow]:
    rows = []
    commitments = (DemandCommitment.objects.filter(item__solicitation=solicitation)
                   .select_related("institution").order_by("institution__name"))  # fmt: skip
    by_item: dict[int, list[tuple[str, Decimal]]] = {}
    for c in commitments:
        by_item.setdefault(c.item_id, []).append((c.institution.name, c.quantity))
    for item in solicitation.items.select_related("lot"):
        members = by_item.get(item.pk, [])
        rows.append(DemandRow(item, sum((q for _, q in members), Decimal("0")), members))
    return rows


def demand_by_member(solicitation: Solicitation) -> list[tuple[str, int, Decimal]]:
    """(institution, items committed, total quantity) per committing member."""
    rows = (DemandCommitment.objects.filter(item__solicitation=solicitation)
            .values("institution__name").annotate(total=Sum("quantity"))
            .order_by("institution__name"))  # fmt: skip
    counts: dict[str, int] = {}
    for c in DemandCommitment.objects.filter(item__solicitation=solicitation).values(
        "institution__name"
    ):
        counts[c["institution__name"]] = counts.get(c["institution__name"], 0) + 1
    return [(r["institution__name"], counts[r["institution__name"]], r["total"]) for r in rows]


def participants(solicitation: Solicitation) -> QuerySet[Institution]:
    """Who may use the resulting contract: the members that committed quantities
    (GML §119-o), or every eligible active member when the solicitation is open to all."""
    qs = Institution.objects.filter(agency=solicitation.agency,
                                    membership__status=Membership.Status.ACTIVE)  # fmt: skip
    if solicitation.eligible_kinds:
        qs = qs.filter(kind__in=solicitation.eligible_kinds)
    if not solicitation.open_to_all_eligible:
        qs = qs.filter(demand_commitments__item__solicitation=solicitation,
                       demand_commitments__quantity__gt=0)  # fmt: skip
    return qs.distinct().order_by("name")


def commitments_of(solicitation: Solicitation, institution: Institution) -> dict[int, Decimal]:
    return dict(DemandCommitment.objects.filter(item__solicitation=solicitation,
                                                institution=institution)
                .values_list("item_id", "quantity"))  # fmt: skip


def opened_responses(solicitation: Solicitation) -> QuerySet[Response]:
    if solicitation.is_sealed:
        return Response.objects.none()
    return (Response.objects.filter(solicitation=solicitation, responsive__isnull=False)
            .select_related("supplier").prefetch_related("bid_lines")
            .order_by("supplier__legal_name", "pk"))  # fmt: skip


def unopened_responses(solicitation: Solicitation) -> QuerySet[Response]:
    """After the opening: the withdrawn and replaced envelopes, listed but never opened."""
    if solicitation.is_sealed:
        return Response.objects.none()
    never = [Response.Status.WITHDRAWN, Response.Status.SUPERSEDED]
    qs = Response.objects.filter(solicitation=solicitation, status__in=never)
    return qs.select_related("supplier").order_by("supplier__legal_name", "version", "pk")


def tabulation_for(solicitation: Solicitation) -> tabulation.Tabulation | None:
    """The tabulation of an opened solicitation; ``None`` while it is sealed."""
    if solicitation.is_sealed:
        return None
    items = [
        tabulation.Item(i.pk, i.number, i.description, i.unit, i.estimated_quantity,
                        i.lot.number, i.lot.title, i.lot.award_basis)
        for i in solicitation.items.select_related("lot").order_by("lot__number", "number")
    ]  # fmt: skip
    from .evaluation import standings

    # Findings decide who can be the low bid: responsive and responsible (the officer's
    # decision, else the product's proposal, else the opening's flag).
    standing = standings(solicitation)
    bids = []
    for r in opened_responses(solicitation):
        prices = {
            b.item_id: (b.unit_price, tuple((Decimal(t["min_quantity"]), Decimal(t["unit_price"]))
                                            for t in b.tiers))
            for b in r.bid_lines.all()
        }  # fmt: skip
        capacities = {b.item_id: b.max_quantity for b in r.bid_lines.all()
                      if b.max_quantity is not None}  # fmt: skip
        discounts = tuple((Decimal(d["min_total"]), Decimal(d["percent"]))
                          for d in r.spend_discounts or [])  # fmt: skip
        mine = standing.get(r.pk)
        # Not evaluated (withdrawn or replaced): never the low bid.
        eligible, reasons = (False, ("Not a current response.",)) if mine is None else (
            mine.eligible, mine.reasons)  # fmt: skip
        bids.append(tabulation.Bid(r.supplier_name, eligible, reasons, prices, capacities,
                                   discounts))  # fmt: skip
    return tabulation.tabulate(items, bids)


def _award_cells(awarded: dict[tuple[str, str], str], basis: str, item: str,
                 supplier: str) -> list[str]:  # fmt: skip
    rank = awarded.get((item, supplier), "")
    return [rank, basis if rank else ""]


def _discounts_text(bid: tabulation.Bid) -> str:
    return "; ".join(f"{t:.2f}: {p.normalize():f}" for t, p in bid.spend_discounts)


def _awarded(award: Any) -> tuple[dict[tuple[str, str], str], str]:
    """What each (item number, supplier name) was awarded ("Primary", "Secondary, 600"...)
    and the award's basis as one cell, from ``award`` (None: no award yet)."""
    if award is None:
        return {}, ""
    got: dict[tuple[str, str], list[str]] = {}
    for line in award.lines.select_related("item", "response"):
        rank = line.get_rank_display()
        if line.quantity != line.item.estimated_quantity and line.item.estimated_quantity > 0:
            rank += f", {formatting.quantity(line.quantity)}"
        got.setdefault((line.item.number, line.response.supplier_name), []).append(rank)
    basis = (f"{award.get_method_display()} ({award.get_status_display().lower()}): "
             f"{award.basis}")  # fmt: skip
    if award.board_resolution:
        basis += f" Board resolution {award.board_resolution} of {award.board_date:%Y-%m-%d}."
    return {k: "; ".join(v) for k, v in got.items()}, basis


def tabulation_rows(
    tab: tabulation.Tabulation, not_opened: Iterable[Response] = (), award: Any = None
) -> tuple[list[str], list[list[Any]]]:
    """The tabulation as one table for CSV and XLSX: a row per item and supplier; then a row
    for each response with no price (e.g. one that could not be read) and for each withdrawn
    or replaced one, which is never opened. With ``award`` (the public award, once noticed),
    each awarded row says its rank and carries the award's basis."""
    awarded, basis = _awarded(award)
    header = ["Lot", "Item", "Description", "Unit", "Estimated quantity", "Supplier",
              "Unit price", "Extended price", "Lowest responsive", "Responsive",
              "Volume tiers (min quantity: unit price)", "Maximum quantity",
              "Spend discounts (min award total: percent)", "Notes", "Awarded",
              "Award basis"]  # fmt: skip
    rows: list[list[Any]] = []
    for row in tab.rows:
        for cell, bid in zip(row.cells, tab.bids, strict=True):
            if cell.unit_price is None:
                continue
            tiers = "; ".join(f"{m.normalize()}: {p}" for m, p in cell.tiers)
            rows.append([row.item.lot_number, row.item.number, row.item.description,
                         row.item.unit, row.item.quantity, bid.supplier, cell.unit_price,
                         cell.extended, "yes" if cell.lowest else "no",
                         "yes" if bid.responsive else "no", tiers,
                         "" if cell.max_quantity is None else cell.max_quantity,
                         _discounts_text(bid), " ".join(bid.reasons),
                         *_award_cells(awarded, basis, row.item.number, bid.supplier)])  # fmt: skip
    for i, bid in enumerate(tab.bids):
        if all(row.cells[i].unit_price is None for row in tab.rows):
            rows.append(["", "", "", "", "", bid.supplier, "", "", "no",
                         "yes" if bid.responsive else "no", "", "", _discounts_text(bid),
                         " ".join(bid.reasons), "", ""])  # fmt: skip
    for r in not_opened:
        rows.append(["", "", "", "", "", str(r.supplier), "", "", "no", "not opened", "", "", "",
                     f"Version {r.version}: {r.never_opened}.", "", ""])  # fmt: skip
    return header, rows
