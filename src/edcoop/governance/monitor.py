"""The compliance monitor: what the records show that a procurement officer or an auditor
must look at, each flag with its evidence and a link.

- **Purchases over a bidding threshold, not under a competitively solicited contract**, and
  **likely split purchases**: orders under contracts whose record does not show a
  competitive solicitation, grouped by member, supplier and category; the agency's rule
  table (``selectors.rules_for``, the same engine as ``edcoop compliance check``) decides
  on the **12-month aggregate** (GML §103): one order that alone needs sealed bids is over
  the threshold; several that each need less but together need sealed bids are a likely
  split.
- **Purchases under expired contracts**: orders placed outside the contract's term.
- **Piggybacked public works**: a public work bought under a contract awarded by another
  government, by a member in a state that bars it (New York: GML §103(16)).
- **Piggybacking authority lapsed**: a purchase under a contract awarded by another
  government (not the agency's own, nor a §119-o cooperative bid), by a member in a state
  whose piggybacking authority was not in force on the order's date (New York: GML
  §103(16) sunsets 2026-06-30 unless extended). The authority's period and source are data
  (``PiggybackAuthority``: shipped, and the agency records an extension).
- Each order is checked against the rules for its own funding source and kind (the kind
  defaults from the contract's): federal funds add 2 CFR 200's thresholds, where anything over
  the micro-purchase threshold needs competition.
- **Responses read before the opening**: should be impossible; the monitor proves it from
  the audit trail (every ``response.open`` event is at or after its solicitation's
  scheduled opening) and from the records (no price in clear for a sealed solicitation).

The grouping engine (``aggregate_flags``) is pure Python on plain values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import reverse

from edcoop.core import formatting
from edcoop.members.models import Agency, Institution

from .compliance import Method, NoRule, required_method

WINDOW_DAYS = 365  # GML §103: the reasonably expected 12-month aggregate for the same item

LABELS = {
    "over_threshold": "Purchase over a bidding threshold, not under a competitively solicited "
                      "contract",
    "split": "Likely split purchase",
    "expired_contract": "Purchase under an expired contract",
    "read_before_opening": "Response read before the opening",
    "no_rule": "Purchases no procurement rule covers (not checked)",
    "award_without_coi": "Award without conflict-of-interest attestations",
    "sales_report_missing": "Sales report missing",
    "piggyback_public_work": "Public work bought under another government's contract "
                             "(piggybacking, barred for public works)",
    "piggyback_lapsed": "Purchase under another government's contract after the piggybacking "
                        "authority lapsed",
}  # fmt: skip


@dataclass
class Flag:
    kind: str
    subject: str
    evidence: list[str]
    url: str
    institution_id: int | None = None
    institution: str = ""
    on: date | None = None
    amount: Decimal | None = None
    review: Any = None  # its FlagReview, when the agency resolved it (``with_reviews``)

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def key(self) -> str:
        """A stable identity of the flag's evidence: the same records give the same key, so a
        review stays with the flag until the evidence changes (a new order joins a split)."""
        import hashlib

        text = "\n".join([self.kind, self.subject, str(self.institution_id or ""), *self.evidence])
        return hashlib.sha256(text.encode()).hexdigest()


# The aggregate engine -------------------------------------------------------------------------


@dataclass(frozen=True)
class Purchase:
    """One order, as the engine sees it."""

    key: Any
    number: str
    group: tuple[Any, ...]  # member, supplier, category
    day: date
    amount: Decimal


@dataclass
class AggregateFlag:
    kind: str  # "over_threshold" or "split"
    purchases: list[Purchase] = field(default_factory=list)
    total: Decimal = Decimal(0)
    method: Method = Method.SEALED_BIDS


def aggregate_flags(
    purchases: Iterable[Purchase], method_for: Callable[[Decimal, date], Method | None]
) -> list[AggregateFlag]:
    """For each group, in date order: an order whose own amount needs sealed bids is over
    the threshold; the first time the orders of the 12 months up to an order need sealed
    bids together though none does alone, those orders are a likely split. Later orders
    whose 12 months still need sealed bids join that flag while their window still holds
    one of its orders (a member ordering every week for years is one pattern, one flag);
    a new flag begins only once every order of the last one has left the window. Each
    order is in at most one flag.

    One pass per group over its orders sorted by date, with a sliding window: the orders
    that each need less than sealed bids, from the first within 12 months of the current
    one, and their running sum. ``method_for`` is asked once per order for its own amount
    and once for the window's sum: O(n log n) in all (the sort)."""
    by_group: dict[tuple[Any, ...], list[Purchase]] = defaultdict(list)
    for p in purchases:
        by_group[p.group].append(p)
    out: list[AggregateFlag] = []
    for group in sorted(by_group, key=repr):
        rows = sorted(by_group[group], key=lambda p: (p.day, repr(p.key)))
        small: list[Purchase] = []  # the orders that alone need less, in date order
        first = 0  # the window's first order in ``small``
        total = Decimal(0)  # the window's sum
        split: AggregateFlag | None = None
        split_last = -1  # where the open split's last order is in ``small``
        for p in rows:
            if method_for(p.amount, p.day) == Method.SEALED_BIDS:
                out.append(AggregateFlag("over_threshold", [p], p.amount))
                continue
            small.append(p)
            total += p.amount
            while (p.day - small[first].day).days >= WINDOW_DAYS:
                total -= small[first].amount
                first += 1
            if len(small) - first < 2 or method_for(total, p.day) != Method.SEALED_BIDS:
                continue
            if split is not None and split_last >= first:
                split.purchases.append(p)
                split.total = total
                split_last = len(small) - 1
                continue
            split = AggregateFlag("split", small[first:], total)
            split_last = len(small) - 1
            out.append(split)
    return out


# Reading the records --------------------------------------------------------------------------


def competitively_solicited(contract: Any) -> bool:
    """The contract's record shows how and when it was solicited (as its checklist asks)."""
    bid = contract.solicitation
    method = contract.solicitation_method or (bid.get_kind_display() if bid is not None else "")
    return bool(method) and contract.solicited_on is not None


def _order_url(agency: Agency, order: Any) -> str:
    return reverse("contracts:order", args=[agency.slug, order.pk])


# Where piggybacking on another government's contract is barred for public works, and why.
PIGGYBACK_BARRED = {
    "NY": "GML §103(16) lets a member use another government's contract for purchases, but "
          "not for public works (Lynch v. Maine-Endwell CSD, 2025)",
}  # fmt: skip


def piggybacked(contract: Any, agency: Agency) -> bool:
    """Is buying under ``contract`` piggybacking (using another government's contract)? Not
    when the agency let it itself (through EdCoop, or recorded with itself as the lead agency)
    nor when it is a GML §119-o cooperative bid its participants took part in."""
    if contract.source != contract.Source.EXTERNAL or contract.participants_only:
        return False
    lead = " ".join(contract.lead_agency.split()).casefold()
    return lead != " ".join(agency.name.split()).casefold()


def _authority_period(authority: Any) -> str:
    start = authority.effective_from
    end = authority.effective_to
    if start is None:
        return f"in force until {formatting.day(end)}" if end else "in force with no end"
    return f"in force from {formatting.day(start)} " + (
        f"to {formatting.day(end)}" if end else "with no end")  # fmt: skip


def competition_needed(decision: Any, funding: str) -> bool:
    """Does the purchase need a competitive solicitation its contract does not show? Sealed
    bids under any rule; with federal funds, anything a federal rule puts above the
    micro-purchase threshold (2 CFR 200.320: quotes or formal procurement)."""
    if decision.method == Method.SEALED_BIDS:
        return True
    return funding == "federal" and any(
        r.funding == "federal" and r.method > Method.MICRO_PURCHASE for r in decision.applied
    )


@dataclass(frozen=True, slots=True)
class _Order:
    """A purchase order as the monitor reads it: values, not a model instance (each order's
    contract, supplier and member are shared records, not copies per order)."""

    pk: int
    number: str
    institution_id: int
    institution: str  # the member's name
    contract: Any  # one instance per contract, shared by its orders
    ordered_on: date
    total: Decimal
    funding: str
    kind: str


def purchase_flags(agency: Agency, institution: Institution | None = None) -> list[Flag]:
    from edcoop.contracts.models import Contract, PurchaseOrder, status_for

    from . import selectors

    rules = selectors.rules_for(agency)
    authorities = selectors.piggyback_authorities(agency)
    orders = (PurchaseOrder.objects.filter(agency=agency)
              .exclude(status__in=[PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED]))
    if institution is not None:
        orders = orders.filter(institution=institution)
    contracts = {c.pk: c for c in Contract.objects.filter(pk__in=orders.values("contract_id"))
                 .select_related("solicitation", "supplier").prefetch_related("renewals")}
    ends = {pk: c.current_end() for pk, c in contracts.items()}
    members = {pk: (name, state) for pk, name, state in Institution.objects.filter(
        pk__in=orders.values("institution_id")).values_list("pk", "name", "state")}
    flags: list[Flag] = []
    engine_rows: list[Purchase] = []
    by_key: dict[int, _Order] = {}
    states: dict[int, str] = {}
    fields = ("pk", "number", "institution_id", "contract_id", "ordered_on", "total", "funding",
              "kind")
    for pk, number, member_id, contract_id, day, total, funding, kind in (
            orders.values_list(*fields).iterator(chunk_size=5000)):  # fmt: skip
        contract = contracts[contract_id]
        name, member_state = members[member_id]
        order = _Order(pk, number, member_id, name, contract, day, total, funding, kind)
        state = member_state or agency.state
        status = status_for(contract.starts_on, ends[contract_id], contract.terminated_on,
                            order.ordered_on, 0)
        if status in ("expired", "terminated", "upcoming"):
            end = ends[contract_id]
            why = {"expired": f"the contract's term ended on {formatting.day(end)}",
                   "terminated": f"the contract was terminated on "
                                 f"{formatting.day(contract.terminated_on)}",
                   "upcoming": f"the contract starts on {formatting.day(contract.starts_on)}",
                   }[status]  # fmt: skip
            flags.append(Flag(
                "expired_contract", f"Order {order.number} under {contract.number}",
                [f"Ordered on {formatting.day(order.ordered_on)} for "
                 f"{formatting.money(order.total)}; {why}."],
                _order_url(agency, order), order.institution_id, order.institution,
                order.ordered_on, order.total,
            ))  # fmt: skip
        if (order.kind == Contract.Kind.PUBLIC_WORK and contract.source == Contract.Source.EXTERNAL
                and state in PIGGYBACK_BARRED):  # fmt: skip
            flags.append(Flag(
                "piggyback_public_work", f"Order {order.number} under {contract.number}",
                [f"Ordered on {formatting.day(order.ordered_on)} for "
                 f"{formatting.money(order.total)}: a public work bought under "
                 f"{contract.number}, awarded by {contract.lead_agency or 'another agency'}, "
                 f"by a member in {state}.", f"{PIGGYBACK_BARRED[state]}."],
                _order_url(agency, order), order.institution_id, order.institution,
                order.ordered_on, order.total,
            ))  # fmt: skip
        authority = authorities.get(state)
        if (authority is not None and not authority.in_force(order.ordered_on)
                and piggybacked(contract, agency)):  # fmt: skip
            flags.append(Flag(
                "piggyback_lapsed", f"Order {order.number} under {contract.number}",
                [f"Ordered on {formatting.day(order.ordered_on)} for "
                 f"{formatting.money(order.total)} under {contract.number}, awarded by "
                 f"{contract.lead_agency or 'another government'}, by a member in {state}.",
                 f"{authority.name}: {_authority_period(authority)}. {authority.source}"],
                _order_url(agency, order), order.institution_id, order.institution,
                order.ordered_on, order.total,
            ))  # fmt: skip
        if competitively_solicited(contract):
            continue
        by_key[order.pk] = order
        states[order.institution_id] = state
        engine_rows.append(Purchase(
            order.pk, order.number,
            (order.institution_id, contract.supplier_id, contract.category.strip().lower(),
             order.funding, order.kind),
            order.ordered_on, order.total,
        ))

    def decision(state: str, funding: str, kind: str, amount: Decimal, day: date) -> Any:
        try:
            return required_method(rules, jurisdiction=state, funding=funding, kind=kind,
                                   amount=amount, on=day)  # fmt: skip
        except NoRule:
            return None

    def method_for(state: str, funding: str, kind: str) -> Callable[[Decimal, date], Method | None]:
        # The engine asks one question: does this amount need a competition? (SEALED_BIDS: yes)
        def decide(amount: Decimal, day: date) -> Method | None:
            found = decision(state, funding, kind, amount, day)
            if found is None:
                return None
            return Method.SEALED_BIDS if competition_needed(found, funding) else found.method

        return decide

    by_rule: dict[tuple[str, str, str], list[Purchase]] = defaultdict(list)
    for p in engine_rows:
        by_rule[(states[p.group[0]], p.group[3], p.group[4])].append(p)
    for (state, funding, kind), rows in sorted(by_rule.items()):
        decide = method_for(state, funding, kind)
        what = f"{kind.replace('_', ' ')} purchase with {funding} funds"
        uncovered = [p for p in rows if decide(p.amount, p.day) is None]
        if uncovered:
            # Never a silent pass: orders no rule covers are named, not taken as compliant.
            flags.append(Flag(
                "no_rule", f"{len(uncovered)} order(s) in {state}: {what}",
                [f"No rule of the agency's table covers a {what} in {state} for order "
                 f"{p.number} ({formatting.money(p.amount)}, {formatting.day(p.day)}): add "
                 "the state's rules under Compliance." for p in uncovered[:20]],
                reverse("governance:compliance", args=[agency.slug]), on=uncovered[-1].day,
            ))  # fmt: skip
        for found in aggregate_flags(rows, decide):
            first = by_key[found.purchases[0].key]
            contract = first.contract
            lines = [f"Order {p.number} of {formatting.day(p.day)}: {formatting.money(p.amount)}"
                     for p in found.purchases]  # fmt: skip
            lines.append(
                f"Under contract {contract.number} ({contract.supplier}, category "
                f"{contract.category or 'none'}), whose record shows no competitive "
                f"solicitation; a {what}."
            )
            last = found.purchases[-1].day
            ruling = decision(state, funding, kind, found.total, last)
            applied = ruling.applied if ruling else ()
            rule_names = "; ".join(r.name for r in applied if r.method > Method.MICRO_PURCHASE)
            if found.kind == "split":
                lines.append(f"Together {formatting.money(found.total)} within 12 months need a "
                             "competitive procurement, though none of the orders alone does.")
            else:
                lines.append("This amount needs a competitive procurement.")
            if rule_names:
                lines.append(f"Rules that decided ({state}): {rule_names}.")
            flags.append(Flag(
                found.kind, f"{first.institution}: {contract.supplier}, "
                f"{contract.category or 'no category'}", lines, _order_url(agency, first),
                first.institution_id, first.institution, last, found.total,
            ))  # fmt: skip
    return flags


@dataclass
class OpeningProof:
    """What the audit trail and the records prove about sealed responses."""

    solicitations: int = 0
    opened: int = 0
    events: list[int] = field(default_factory=list)  # response.open events checked
    refused: list[int] = field(default_factory=list)  # refused reads of sealed contents
    flags: list[Flag] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.flags


def opening_proof(agency: Agency) -> OpeningProof:
    from edcoop.core.models import AuditEvent
    from edcoop.procurement.models import BidLine, Response, Solicitation

    proof = OpeningProof()
    published = Solicitation.objects.filter(agency=agency, published_at__isnull=False)
    solicitations = {s.pk: s for s in published}
    proof.solicitations = len(solicitations)
    response_of = dict(Response.objects.filter(solicitation__agency=agency)
                       .values_list("pk", "solicitation_id"))  # fmt: skip
    events = AuditEvent.objects.filter(
        agency_id=agency.pk, object_type="procurement.response",
        action__in=["response.open", "response.sealed_read_refused"],
    ).order_by("seq")  # fmt: skip
    opened_events: dict[int, int] = defaultdict(int)
    for event in events.iterator():
        if event.action == "response.sealed_read_refused":
            proof.refused.append(event.seq)
            continue
        proof.events.append(event.seq)
        s = solicitations.get(response_of.get(int(event.object_id or 0), 0))
        if s is None:
            continue
        opened_events[s.pk] += 1
        moment = formatting.moment(event.at, agency.zone)
        if s.opened_at is None or s.opening_at is None or event.at < s.opening_at:
            scheduled = formatting.moment(s.opening_at, agency.zone) if s.opening_at else "never"
            proof.flags.append(Flag(
                "read_before_opening", f"{s.number}: {event.object_label}",
                [f"Audit event #{event.seq} opened the response at {moment}; the opening was "
                 f"scheduled for {scheduled}"
                 + ("" if s.opened_at else " and has not happened") + "."],
                reverse("governance:file", args=[agency.slug, s.pk]),
                on=event.at.astimezone(agency.zone).date(),
            ))  # fmt: skip
    proof.opened = sum(1 for s in solicitations.values() if s.opened_at is not None)
    sealed = [pk for pk, s in solicitations.items() if s.is_sealed]
    in_clear = (BidLine.objects.filter(response__solicitation_id__in=sealed)
                .values_list("response__solicitation_id", flat=True).distinct())  # fmt: skip
    content = (Response.objects.filter(solicitation_id__in=sealed, opened_content__isnull=False)
               .values_list("solicitation_id", flat=True).distinct())  # fmt: skip
    for pk in sorted(set(in_clear) | set(content)):
        s = solicitations[pk]
        proof.flags.append(Flag(
            "read_before_opening", f"{s.number}: contents in clear while sealed",
            ["Prices or opened contents of its responses are stored in clear though the "
             "solicitation has not been opened."],
            reverse("governance:file", args=[agency.slug, s.pk]),
        ))  # fmt: skip
    return proof


def award_flags(agency: Agency) -> list[Flag]:
    """Awards decided on committee scores where an evaluator who scored never attested to
    having no conflict of interest, or where no committee scored at all."""
    from edcoop.procurement.models import Award, Evaluator

    awards = (Award.objects.filter(solicitation__agency=agency, method=Award.Method.BEST_VALUE)
              .exclude(status=Award.Status.CANCELLED).select_related("solicitation"))  # fmt: skip
    committee: dict[int, list[Evaluator]] = defaultdict(list)
    for e in (Evaluator.objects.filter(solicitation__in=[a.solicitation_id for a in awards])
              .select_related("user").prefetch_related("scores")):  # fmt: skip
        committee[e.solicitation_id].append(e)
    flags = []
    for award in awards:
        s = award.solicitation
        members = committee.get(s.pk, [])
        lines = [f"{e.user.get_full_name() or e.user.get_username()} scored "
                 f"{len(e.scores.all())} criterion score(s) with no attestation on record."
                 for e in members if e.coi_attested_at is None and e.scores.all()]  # fmt: skip
        if not members:
            lines = ["The award rests on committee scores, but the solicitation has no "
                     "evaluation committee on record."]  # fmt: skip
        if lines:
            day = (award.approved_at or award.recommended_at).astimezone(agency.zone).date()
            flags.append(Flag(
                "award_without_coi", f"{s.number}: award {award.get_status_display().lower()}",
                lines, reverse("procurement:evaluation", args=[agency.slug, s.pk]), on=day,
            ))  # fmt: skip
    return flags


def sales_report_flags(agency: Agency, today: date) -> list[Flag]:
    """Quarters whose sales report was due and never filed (``contracts.sales``)."""
    from edcoop.contracts.sales import expected_reports

    flags = []
    for expected in expected_reports(agency, today):
        if expected.report is not None:
            continue
        c = expected.contract
        flags.append(Flag(
            "sales_report_missing", f"{c.number} {expected.year} Q{expected.quarter}",
            [f"{c.supplier} has not filed its sales report for {expected.year} quarter "
             f"{expected.quarter} under {c.number} {c.title}; it was due on "
             f"{formatting.day(expected.due)}."],
            reverse("contracts:contract", args=[agency.slug, c.pk]),
            on=expected.due,
        ))  # fmt: skip
    return flags


def flags_for(agency: Agency, institution: Institution | None = None) -> list[Flag]:
    """Every flag of the agency (or of one member's purchases), newest first."""
    flags = purchase_flags(agency, institution)
    if institution is None:
        from django.utils import timezone

        flags += opening_proof(agency).flags
        flags += award_flags(agency)
        flags += sales_report_flags(agency, timezone.now().astimezone(agency.zone).date())
    return sorted(flags, key=lambda f: (f.on or date.min, f.kind), reverse=True)


def with_reviews(agency: Agency, flags: list[Flag]) -> list[Flag]:
    """Each flag with the agency's review of the same evidence, if any (one query)."""
    from .models import FlagReview

    keys = {f.key: f for f in flags}
    for review in FlagReview.objects.filter(agency=agency, flag_key__in=list(keys)).select_related(
        "reviewed_by"
    ):
        keys[review.flag_key].review = review
    return flags
