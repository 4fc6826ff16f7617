"""Reads: the contract catalogue and each contract's compliance checklist.

Keyword search is one function, :func:`keyword_filter`, that decides by database: PostgreSQL
matches ``websearch_to_tsquery`` against the GIN-indexed ``to_tsvector`` of each item's
search document (stemmed: "folders" finds "folder"); SQLite requires every word as a
substring. Eligibility is the same pure rule that guards purchase orders, run over the
agency's contracts (a few hundred) so the catalogue never offers what an order would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from edcoop.core import permissions
from edcoop.members.models import Agency, Institution, Supplier

from . import eligibility, search_index
from .models import (
    IN_FORCE,
    STATUS_LABELS,
    Contract,
    ContractDocument,
    ContractItem,
    ContractSettings,
    Renewal,
    add_months,
    status_for,
)
from .services import member_of

MAX_KEYWORD = 200
COUNT_CAP = 1001
BUYABLE = ("active", "expiring")


def keyword_filter(items: QuerySet[ContractItem], keyword: str) -> QuerySet[ContractItem]:
    """Items whose search document holds every word, through the database's full-text
    index (search_index.py)."""
    words = [w for w in keyword.replace("\x00", "").split()[:20] if any(c.isalnum() for c in w)]
    if not words:
        return items
    if connection.vendor == "postgresql":
        # The column unqualified: only items have it, and the query may run as an aliased
        # subquery (the catalogue's contracts filter on it).
        match = RawSQL(
            "to_tsvector('english'::regconfig, search_document) "
            "@@ websearch_to_tsquery('english'::regconfig, %s)", (" ".join(words),),
            output_field=BooleanField(),
        )  # fmt: skip
        # Unordered: the first matches the index yields, so a common word stops at the page's
        # limit instead of sorting a third of the catalogue (the page sorts what it shows).
        return items.filter(match).order_by()
    if connection.vendor == "sqlite":
        # A join the FTS5 table drives, in its rowid (= item id) order: SQLite then streams
        # matches and stops at the page's limit instead of collecting every match first.
        return items.extra(  # noqa: S610  (constant SQL; the words are a parameter)
            tables=[search_index.FTS],
            where=search_index.JOIN,
            params=[search_index.sqlite_match(words)],
            order_by=[search_index.ORDER],
        )
    for word in words:  # any other database: substrings
        items = items.filter(search_document__icontains=word)
    return items


def eligible_contract_ids(agency: Agency, institution: Institution, on: date) -> set[int]:
    """Contracts in force on ``on`` that ``institution`` may buy under. The rule sees each
    contract's areas and, of its participants, only whether this member is one: a §119-o
    bid's hundreds of participants are never loaded one by one."""
    member = member_of(institution) if institution.agency_id == agency.pk else None
    if member is None:
        return set()
    expiring = ContractSettings.of(agency).expiring_days
    # Plain values, not model instances: the search runs this on every request, and building
    # a few hundred contracts with their prefetched renewals cost more than the search itself
    # (bench/catalog.py; docs/performance.md).
    rows = list(Contract.objects.filter(agency=agency, starts_on__lte=on)
                .exclude(terminated_on__lte=on)
                .values_list("pk", "scope", "eligible_kinds", "participants_only", "starts_on",
                             "ends_on", "renewal_months", "terminated_on"))  # fmt: skip
    # Each side table by a join on the agency rather than a list of a few hundred ids:
    # Django prepares every value of an IN list, which cost more than the query.
    renewed = dict(Renewal.objects.filter(contract__agency=agency).values("contract_id")
                   .annotate(n=Count("pk")).values_list("contract_id", "n"))  # fmt: skip
    areas: dict[int, set[int]] = {}
    for contract_id, area_id in Contract.service_areas.through.objects.filter(
        contract__agency=agency).values_list("contract_id", "servicearea_id"):  # fmt: skip
        areas.setdefault(contract_id, set()).add(area_id)
    joined = set(
        Contract.participants.through.objects.filter(
            contract__agency=agency, institution_id=institution.pk
        ).values_list("contract_id", flat=True)
    )
    out = set()
    for pk, scope, kinds, only, starts_on, ends_on, months, terminated_on in rows:
        end = add_months(ends_on, months * renewed.get(pk, 0))
        if status_for(starts_on, end, terminated_on, on, expiring) not in BUYABLE:
            continue
        terms = eligibility.Terms(
            scope=scope, kinds=frozenset(kinds or ()), areas=frozenset(areas.get(pk, ())),
            participants_only=only,
            participants=frozenset({institution.pk} if pk in joined else ()))  # fmt: skip
        if not eligibility.refusals(terms, member):
            out.add(pk)
    return out


@dataclass
class Catalogue:
    contracts: list[Contract]
    items: list[ContractItem]
    total_items: int
    eligible_ids: set[int] | None = None


def catalogue(
    *, user: Any, agency: Agency, keyword: str = "", category: str = "",
    supplier: Supplier | None = None, institution: Institution | None = None,
    on: date | None = None, limit: int = 50,
) -> Catalogue:  # fmt: skip
    """Contracts and price-list items matching every criterion given; with ``institution``,
    only what it may buy today."""
    on = on or timezone.localdate()
    contracts = permissions.contracts_for(user, agency).select_related("supplier")
    if category:
        contracts = contracts.filter(category__iexact=category)
    if supplier is not None:
        contracts = contracts.filter(supplier=supplier)
    eligible = None
    if institution is not None:
        eligible = eligible_contract_ids(agency, institution, on)
        contracts = contracts.filter(pk__in=eligible)
    # The contracts as a list of ids, not a subquery: PostgreSQL then reads the full-text
    # index once, rather than once per contract.
    ids = list(contracts.values_list("pk", flat=True))
    items = ContractItem.objects.filter(IN_FORCE, contract_id__in=ids).order_by("pk")
    items = keyword_filter(items, keyword[:MAX_KEYWORD])
    # One pass over at most COUNT_CAP matches gives the count ("1,000+" is all a page needs;
    # counting every match of a common word over a million items is what would be slow), the
    # contracts holding them, and the page's items.
    first = list(items.values_list("pk", "contract_id")[:COUNT_CAP])
    total = len(first)
    if keyword.strip():
        text = Q()
        for word in keyword.split()[:20]:
            text &= Q(title__icontains=word) | Q(number__icontains=word) | Q(
                category__icontains=word) | Q(description__icontains=word)  # fmt: skip
        contracts = contracts.filter(text | Q(pk__in={c for _, c in first}))
    page = ContractItem.objects.filter(pk__in=[pk for pk, _ in first[:limit]])
    found = list(page.select_related("contract", "contract__supplier").order_by("pk"))
    return Catalogue(list(contracts.order_by("number")[:limit]), found, total, eligible)


# The compliance checklist ---------------------------------------------------------------------

EXPECTED_DOCUMENTS = (ContractDocument.Kind.SOLICITATION, ContractDocument.Kind.TABULATION,
                      ContractDocument.Kind.AWARD, ContractDocument.Kind.AGREEMENT)  # fmt: skip


@dataclass
class Check:
    question: str
    answer: str  # "yes", "no" or "unknown"
    detail: str


@dataclass
class Checklist:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.answer == "yes" for c in self.checks)


def checklist(contract: Contract, institution: Institution | None, on: date) -> Checklist:
    """The member's due-diligence questions, answered from the product's own records."""
    from edcoop.core import formatting as f

    out = Checklist()
    bid = contract.solicitation
    method = contract.solicitation_method or (bid.get_kind_display() if bid is not None else "")
    solicited = bool(method) and contract.solicited_on is not None
    out.checks.append(Check(
        "Was it competitively solicited?", "yes" if solicited else "unknown",
        f"{method} {contract.solicitation_reference} by {contract.lead_agency or contract.agency},"
        f" issued {f.day(contract.solicited_on)}" if solicited
        else "The record does not say how or when the contract was solicited."))  # fmt: skip
    kinds = set(contract.documents.values_list("kind", flat=True))
    missing = [ContractDocument.Kind(k).label for k in EXPECTED_DOCUMENTS if k not in kinds]
    out.checks.append(
        Check(
            "Are the solicitation, tabulation, award and signed agreement on file?",
            "no" if missing else "yes",
            f"Missing: {', '.join(missing)}." if missing else "All four are attached below.",
        )
    )
    status = contract.status_on(on, ContractSettings.of(contract.agency).expiring_days)
    out.checks.append(Check(
        "Is the award current?", "yes" if status in BUYABLE else "no",
        f"{STATUS_LABELS[status]}; the term runs {f.day(contract.starts_on)} to "
        f"{f.day(contract.current_end())} ({contract.renewals.count()} of "
        f"{contract.renewal_options} renewals exercised)."))  # fmt: skip
    barred = contract.supplier.status in (Supplier.Status.DEBARRED, Supplier.Status.SUSPENDED)
    out.checks.append(Check(
        "Is the supplier free of debarment and suspension?", "no" if barred else "yes",
        f"{contract.supplier}: {contract.supplier.get_status_display()} in the agency's "
        "supplier records."))  # fmt: skip
    out.checks.append(
        Check(
            "Does the agreement carry the federal (2 CFR 200) contract terms?",
            "yes" if contract.federal_terms else "no",
            "Federal terms are included; usable with federal funds."
            if contract.federal_terms
            else "No federal terms recorded: do not use with federal funds without them.",
        )
    )
    if institution is not None:
        from .services import refusals

        why = refusals(contract, institution)
        out.checks.append(Check(
            f"Is {institution} eligible to buy under it?", "no" if why else "yes",
            " ".join(why) or _eligibility_basis(contract)))  # fmt: skip
    return out


def _eligibility_basis(contract: Contract) -> str:
    if contract.participants_only:
        return "It took part in the cooperative bid (GML §119-o)."
    if contract.scope == Contract.Scope.NATIONAL:
        return "Open to members anywhere."
    return "It is a member in the agency's service area."


# Scoped lists ---------------------------------------------------------------------------------


def orders_for(user: Any, agency: Agency) -> QuerySet[Any]:
    """Purchase orders: all of the agency's for staff who read them, else the member's own."""
    from .models import PurchaseOrder

    qs = PurchaseOrder.objects.filter(agency=agency).select_related("institution", "contract")
    own = permissions.member_scope(user, agency, permissions.Action.ORDER_VIEW)
    return qs if own is None else qs.filter(institution_id__in=own)


def reports_for(user: Any, agency: Agency) -> QuerySet[Any]:
    """Sales reports: all for staff who read them, else the supplier's own contracts'."""
    from .models import SalesReport

    qs = SalesReport.objects.filter(agency=agency).select_related("contract__supplier")
    own = permissions.supplier_scope(user, agency, permissions.Action.SALES_REPORT_VIEW)
    return qs if own is None else qs.filter(contract__supplier_id__in=own)


def buyer_institutions(user: Any, agency: Agency, action: permissions.Action) -> list[Institution]:
    """The institutions ``user`` may act for with ``action`` (member roles)."""
    ids = {ra.institution_id for ra in permissions.assignments(user, agency)
           if ra.institution_id and action in permissions.MATRIX.get(ra.role, ())}  # fmt: skip
    return list(Institution.objects.filter(agency=agency, pk__in=ids).order_by("name"))


# Savings ---------------------------------------------------------------------------------------

COUNTED = ("sent", "received", "closed")


def savings_lines(user: Any, agency: Agency) -> list[Any]:
    """The visible orders' lines (sent and after) as savings.Line values; the year is the
    fiscal year of the order."""
    from edcoop.services.fiscal import fiscal_year_of

    from . import savings
    from .models import PurchaseOrderLine

    visible = orders_for(user, agency).filter(status__in=COUNTED)
    rows = PurchaseOrderLine.objects.filter(order__in=visible).values_list(
        "order__institution__name", "category", "order__ordered_on", "baseline_method",
        "quantity", "unit_price", "baseline_price", "saving_cap")  # fmt: skip
    start = agency.fiscal_year_start_month
    return [savings.Line(member, category or "Uncategorised",
                         fiscal_year_of(day, start), method or "none", qty, price, base, cap)
            for member, category, day, method, qty, price, base, cap in rows]  # fmt: skip


def pooling(user: Any, agency: Agency) -> list[tuple[ContractItem, list[Any]]]:
    """Per tiered item ordered by more than one member: each member's price alone against
    the pooled quantity's tier (staff only: it shows every member's quantities)."""
    from collections import defaultdict

    from . import pricing, savings
    from .models import PurchaseOrderLine

    if not permissions.can(user, permissions.Action.ORDER_VIEW, agency):
        return []
    per_item: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    for item_id, member, qty in (PurchaseOrderLine.objects
                                 .filter(order__agency=agency, order__status__in=COUNTED,
                                         item__isnull=False, item__tiers__isnull=False)
                                 .distinct().values_list("item_id", "order__institution__name",
                                                         "quantity")):  # fmt: skip
        per_item[item_id][member] += qty
    out = []
    items = ContractItem.objects.filter(pk__in=list(per_item)).prefetch_related("tiers")
    for item in items:
        quantities = per_item[item.pk]
        if len(quantities) < 2:
            continue
        tiers = [pricing.TierPrice(t.min_quantity, t.unit_price) for t in item.tiers.all()]
        out.append((item, savings.aggregate_demand(item.unit_price, tiers, dict(quantities))))
    return out


# Committed against purchased ---------------------------------------------------------------------


@dataclass
class Commitment:
    sku: str
    member: str
    committed: Decimal
    purchased: Decimal


@dataclass
class PooledTier:
    sku: str
    committed: Decimal
    purchased: Decimal
    committed_price: Decimal
    purchased_price: Decimal

    @property
    def earned(self) -> bool:
        return self.purchased_price <= self.committed_price


def commitments(contract: Contract) -> tuple[list[Commitment], list[PooledTier]]:
    """For a contract made from an award: per member and item, the quantity committed in the
    demand survey against the quantity ordered under the contract (orders sent and after);
    per item, whether the purchases reached the tier the pooled commitments priced."""
    from collections import defaultdict

    from edcoop.procurement.models import DemandCommitment

    from . import pricing
    from .models import PurchaseOrderLine

    items = {
        i.solicitation_item_id: i
        for i in contract.items.filter(solicitation_item__isnull=False).prefetch_related("tiers")
    }
    if not items:
        return [], []
    committed: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for item_id, member, qty in DemandCommitment.objects.filter(
        item_id__in=list(items)
    ).values_list("item_id", "institution__name", "quantity"):
        committed[(item_id, member)] += qty
    bought: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for item_id, member, qty in PurchaseOrderLine.objects.filter(
        order__contract=contract,
        order__status__in=COUNTED,
        item__solicitation_item_id__in=list(items),
    ).values_list("item__solicitation_item_id", "order__institution__name", "quantity"):
        bought[(item_id, member)] += qty
    rows = [
        Commitment(items[k[0]].sku, k[1], committed.get(k, Decimal(0)), bought.get(k, Decimal(0)))
        for k in sorted(set(committed) | set(bought), key=lambda k: (items[k[0]].sku, k[1]))
    ]
    tiers = []
    for key, item in sorted(items.items(), key=lambda kv: kv[1].sku):
        steps = [pricing.TierPrice(t.min_quantity, t.unit_price) for t in item.tiers.all()]
        c = sum((v for k, v in committed.items() if k[0] == key), Decimal(0))
        p = sum((v for k, v in bought.items() if k[0] == key), Decimal(0))
        tiers.append(
            PooledTier(
                item.sku,
                c,
                p,
                pricing.price_for(item.unit_price, steps, c).unit_price,
                pricing.price_for(item.unit_price, steps, p).unit_price,
            )
        )
    return rows, tiers


# The agency's dashboard tables -------------------------------------------------------------------


def dashboard(agency: Agency, today: date) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Each table as (header, rows): spend by fiscal year, category and supplier; each
    contract's use; contracts expiring or lately expired; admin fees due and paid."""
    from collections import defaultdict

    from edcoop.services.fiscal import fiscal_year_of

    from .models import AdminFeeInvoice, PurchaseOrderLine

    start = agency.fiscal_year_start_month
    spend: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
    use: dict[int, list[Any]] = {}
    for day, category, supplier, contract_id, member, amount in PurchaseOrderLine.objects.filter(
        order__agency=agency, order__status__in=COUNTED
    ).values_list("order__ordered_on", "order__contract__category",
                  "order__contract__supplier__legal_name", "order__contract_id",
                  "order__institution_id", "amount"):  # fmt: skip
        spend[(fiscal_year_of(day, start), category, supplier)] += amount
        row = use.setdefault(contract_id, [Decimal(0), set()])
        row[0] += amount
        row[1].add(member)
    days = ContractSettings.of(agency).expiring_days
    contracts = list(Contract.objects.filter(agency=agency).select_related("supplier")
                     .prefetch_related("renewals").order_by("number"))  # fmt: skip
    expiring = [[c.number, c.title, str(c.supplier), STATUS_LABELS[s], c.current_end(),
                 c.renewal_options - len(c.renewals.all())]
                for c in contracts if (s := c.status_on(today, days)) in ("expiring", "expired")
                and (today - c.current_end()).days <= 365]  # fmt: skip
    fees = [[f.number, str(f.supplier), f"{f.report.year} Q{f.report.quarter}", f.sales,
             f.amount, f.issued_on, f.due_on, f.paid_on or ("overdue" if f.due_on < today
                                                          else "due")]
            for f in AdminFeeInvoice.objects.filter(agency=agency).select_related(
                "supplier", "report").order_by("-issued_on", "-pk")[:500]]  # fmt: skip
    from edcoop.members.models import Membership

    # Members whose membership records no service area: only national contracts are open to
    # them (eligibility.py), so the agency sees them here to assign their area.
    no_area = [[m.institution.name, m.institution.get_kind_display(), m.get_status_display()]
               for m in Membership.objects.filter(agency=agency, service_area__isnull=True,
                                                  status=Membership.Status.ACTIVE)
               .select_related("institution").order_by("institution__name")[:1000]]  # fmt: skip
    return {
        "spend": (["Fiscal year", "Category", "Supplier", "Spend"],
                  [[f"FY{y}", c, s, v] for (y, c, s), v in sorted(spend.items())]),
        "use": (["Contract", "Title", "Supplier", "Spend", "Members buying"],
                [[c.number, c.title, str(c.supplier), use.get(c.pk, [Decimal(0)])[0],
                  len(use[c.pk][1]) if c.pk in use else 0] for c in contracts]),
        "expiring": (["Contract", "Title", "Supplier", "Status", "Ends", "Renewals left"],
                     expiring),
        "fees": (["Invoice", "Supplier", "Quarter", "Reported sales", "Fee", "Issued", "Due",
                  "Paid"], fees),
        "no_area": (["Member", "Kind", "Membership"], no_area),
    }  # fmt: skip


# One member's purchasing -----------------------------------------------------------------------

PERIODS = ("month", "quarter")
OPEN_ORDER = ("draft", "approved", "sent", "received")


def period_of(day: date, period: str) -> str:
    """The label a purchase's day falls under: ``2026-08`` or ``2026 Q3``."""
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@dataclass
class Purchasing:
    institution: Institution
    spend: Decimal
    saving: Decimal
    open_orders: int
    by_period: list[tuple[str, Decimal]]
    tables: dict[str, tuple[list[str], list[list[Any]]]]


def member_purchasing(institution: Institution, period: str = "quarter") -> Purchasing:
    """A member's purchasing under the agency's contracts: spend over time (by month or
    quarter, each period by category and contract), savings by fiscal year and method, its
    open orders and the contracts it adopted or bought under. Spend counts orders sent to
    the supplier and after (as the agency's dashboard does), by the day ordered."""
    from collections import defaultdict

    from edcoop.services.fiscal import fiscal_year_of

    from . import savings
    from .models import Adoption, PurchaseOrder, PurchaseOrderLine

    period = period if period in PERIODS else "quarter"
    agency = institution.agency
    start = agency.fiscal_year_start_month
    spend: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    per_period: dict[str, Decimal] = defaultdict(Decimal)
    per_contract: dict[int, Decimal] = defaultdict(Decimal)
    lines: list[savings.Line] = []
    for day, category, number, contract_id, method, qty, price, base, cap, amount in (
        PurchaseOrderLine.objects.filter(order__institution=institution,
                                         order__status__in=COUNTED)
        .values_list("order__ordered_on", "order__contract__category", "order__contract__number",
                     "order__contract_id", "baseline_method", "quantity", "unit_price",
                     "baseline_price", "saving_cap", "amount")
    ):  # fmt: skip
        label = period_of(day, period)
        spend[(label, category, number)] += amount
        per_period[label] += amount
        per_contract[contract_id] += amount
        lines.append(savings.Line(institution.name, category, fiscal_year_of(day, start),
                                  method or "none", qty, price, base, cap))  # fmt: skip
    saved = savings.summed(lines, "year")
    open_orders = list(PurchaseOrder.objects.filter(institution=institution,
                                                    status__in=OPEN_ORDER)
                       .select_related("contract").order_by("ordered_on", "pk")[:500])  # fmt: skip
    adopted = {a.contract_id: a.adopted_on for a in Adoption.objects.filter(
        institution=institution)}  # fmt: skip
    used = (Contract.objects.filter(agency=agency, pk__in=set(adopted) | set(per_contract))
            .select_related("supplier").order_by("number"))  # fmt: skip
    from .orders import BASELINE_LABELS

    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "spend": (["Period", "Category", "Contract", "Spend"],
                  [[p, c, n, v] for (p, c, n), v in sorted(spend.items())]),
        "savings": (["Fiscal year", "Baseline", "Saving"],
                    [[f"FY{y}", BASELINE_LABELS.get(m, m), v] for (y, m), v in saved.items()]),
        "orders": (["Order", "Contract", "Status", "Ordered", "Total"],
                   [[o.number, o.contract.number, o.get_status_display(), o.ordered_on,
                     o.total] for o in open_orders]),
        "contracts": (["Contract", "Title", "Supplier", "Adopted", "Spend"],
                      [[c.number, c.title, str(c.supplier), adopted.get(c.pk, "not needed"
                        if not c.requires_adoption else "no"), per_contract.get(c.pk, Decimal(0))]
                       for c in used]),
    }  # fmt: skip
    return Purchasing(
        institution, sum(per_period.values(), Decimal("0.00")),
        sum(saved.values(), Decimal("0.00")), len(open_orders),
        sorted(per_period.items()), tables)  # fmt: skip
