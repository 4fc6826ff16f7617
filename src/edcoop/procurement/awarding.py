"""Awards: the recommendation (with its basis and every tie resolved by the officer), the
board's approval, the notice of award to every respondent, the stand-still period with its
protests, and the final award (docs/evaluation.md).

The IFB award is the award engine's (``award_engine``) on the evaluated responses: only
eligible (responsive and responsible) bids take part. An RFP's award goes to the committee's
highest consensus total. A final award's lines are what contracts are made from:
``final_award_lines``.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from edcoop.core import audit
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Supplier

from . import award_engine as engine
from . import evaluation, notify, timing
from .lifecycle import S, locked, move
from .models import (
    Award,
    AwardLine,
    Finding,
    LineItem,
    ProcurementSettings,
    Protest,
    Response,
    Solicitation,
)

A = Award.Status
ONE = Decimal(1)


def settings_for(agency: Any) -> ProcurementSettings:
    found = ProcurementSettings.objects.filter(agency=agency).first()
    return found or ProcurementSettings(agency=agency)


# The engine's input from the evaluated responses ---------------------------------------------


@dataclass
class Inputs:
    problem: engine.Problem
    items: dict[str, LineItem]
    responses: dict[str, Response]  # supplier id (engine) -> response
    unpriced: list[LineItem]  # per-item items no eligible bid priced: left out, not awarded


def award_inputs(
    solicitation: Solicitation, *, multiple_award: bool = False, max_suppliers: int | None = None
) -> Inputs:
    """Items (the estimated quantity; 1 when none was estimated, so unit prices rank),
    lots with their basis, every evaluated response's prices with eligible = responsive
    and responsible. Per-item items no eligible bid priced are left out (not awarded)."""
    standing = evaluation.standings(solicitation)
    responses = {str(r.supplier_id): r for r in evaluation.evaluated_responses(solicitation)}
    items = {str(i.pk): i for i in solicitation.items.select_related("lot")}
    bids = []
    priced: set[str] = set()
    for sid, r in responses.items():
        eligible = standing[r.pk].eligible
        for line in r.bid_lines.all():
            tiers = tuple(
                sorted((Decimal(t["min_quantity"]), Decimal(t["unit_price"])) for t in line.tiers)
            )
            bids.append(engine.Bid(sid, str(line.item_id), line.unit_price, tiers,
                                   line.max_quantity, responsive=eligible))  # fmt: skip
            if eligible:
                priced.add(str(line.item_id))
    unpriced = [i for k, i in items.items() if k not in priced and i.lot.award_basis == "per_item"]
    kept = {k: i for k, i in items.items() if i not in unpriced}
    lots = {str(i.lot_id): i.lot for i in kept.values()}
    problem = engine.Problem(
        items=tuple(
            engine.Item(k, i.estimated_quantity if i.estimated_quantity > 0 else ONE, str(i.lot_id))
            for k, i in kept.items()
        ),
        lots=tuple(
            engine.Lot(k, lot.award_basis)
            for k, lot in sorted(lots.items(), key=lambda kv: kv[1].number)
        ),
        bids=tuple(b for b in bids if b.item in kept),
        suppliers=tuple(engine.Supplier(sid, spend_discounts(r)) for sid, r in responses.items()),
        rules=engine.Rules(max_suppliers=max_suppliers, multiple_award=multiple_award),
    )
    return Inputs(problem, kept, responses, unpriced)


def spend_discounts(response: Response) -> tuple[engine.SpendDiscount, ...]:
    """The spend discount steps a response offered (stored in clear at the opening)."""
    return tuple(
        engine.SpendDiscount(Decimal(d["min_total"]), Decimal(d["percent"]))
        for d in response.spend_discounts or []
    )


def tie_key(tie: engine.Tie) -> str:
    """A stable name for a tie: ``primary:item:12`` or ``secondary:lots:3,4``."""
    what = f"item:{tie.item}" if tie.item is not None else "lots:" + ",".join(tie.lots)
    return f"{tie.rank}:{what}"


def compute(
    solicitation: Solicitation, *, method: str = "lowest_price", multiple_award: bool = False,
    max_suppliers: int | None = None,
) -> tuple[Inputs, engine.AwardResult]:
    """The award the engine finds on the evaluated responses (nothing is stored).
    ``max_suppliers`` limits the suppliers the optimal award may use."""
    if max_suppliers is not None and not 1 <= max_suppliers <= engine.MAX_SUPPLIERS:
        raise ValidationError({"max_suppliers": "Give a whole number of suppliers, 1 or more."})
    inputs = award_inputs(solicitation, multiple_award=multiple_award,
                          max_suppliers=max_suppliers)  # fmt: skip
    if not inputs.problem.items:
        return inputs, engine.AwardResult(
            method, "infeasible", None, None, None, message="No item has an eligible bid."
        )
    return inputs, _solved(solicitation, inputs.problem, method)


# A solve takes up to SOLVE_SECONDS; the evaluation page shows two on every load. The result
# is kept under a hash of everything the engine reads (items and quantities, lots, every
# bid's price, tiers and capacity, eligibility from the findings, spend discounts, rules),
# so a changed finding or response is a new key and unchanged inputs are never solved twice.
SOLVE_SECONDS = 30.0
PREVIEW_VERSION = 1  # raise when AwardResult's shape changes: old entries are then unread
PREVIEW_DAYS = 30


def preview_key(solicitation: Solicitation, problem: engine.Problem, method: str) -> str:
    digest = hashlib.sha256(f"{method}|{SOLVE_SECONDS}|{problem!r}".encode()).hexdigest()
    return f"award-preview:v{PREVIEW_VERSION}:{solicitation.pk}:{digest}"


def _solved(solicitation: Solicitation, problem: engine.Problem, method: str
            ) -> engine.AwardResult:  # fmt: skip
    store = caches["shared"]
    key = preview_key(solicitation, problem, method)
    try:
        kept = store.get(key)
    except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError,
            EOFError):  # an entry kept by other code is solved again, never an error  # fmt: skip
        kept = None
    if isinstance(kept, engine.AwardResult):
        return kept
    result = engine.solve(problem, method=method, time_limit=SOLVE_SECONDS)
    store.set(key, result, timeout=PREVIEW_DAYS * 86_400)
    return result


# Recommendation ---------------------------------------------------------------------------


def _line(
    award: Award,
    inputs: Inputs,
    rank: str,
    item_id: str,
    supplier_id: str,
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
) -> AwardLine:
    response = inputs.responses[supplier_id]
    return AwardLine(
        award=award,
        item=inputs.items[item_id],
        response=response,
        supplier=response.supplier,
        rank=rank,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
    )


def _tie_lines(
    inputs: Inputs, tie: engine.Tie, supplier_id: str
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(item, quantity, unit price, amount) for the tied bidder the officer chose."""
    bids = {(b.supplier, b.item): b for b in inputs.problem.bids if b.responsive}
    if tie.item is not None:
        bid = bids[(supplier_id, tie.item)]
        quantity = tie.quantity or ONE
        price = bid.price_at(quantity)
        return [(tie.item, quantity, price, engine.line_amount(quantity, price))]
    out = []
    for item in inputs.problem.items:
        if item.lot in tie.lots:
            price = bids[(supplier_id, item.id)].price_at(item.quantity)
            out.append((item.id, item.quantity, price, engine.line_amount(item.quantity, price)))
    return out


def _names(inputs: Inputs, supplier_ids: list[str]) -> str:
    return ", ".join(str(inputs.responses[s].supplier) for s in supplier_ids)


@transaction.atomic
def award_recommend(
    *,
    user: Any,
    solicitation: Solicitation,
    basis: str,
    method: str = "lowest_price",
    multiple_award: bool = False,
    tie_choices: Mapping[str, str] | None = None,
    tie_reason: str = "",
    max_suppliers: int | None = None,
) -> Award:
    """The officer's recommendation. IFB: the engine's award (``lowest_price`` or
    ``optimal``); every tie needs the officer's choice (``tie_choices``: tie key -> supplier
    id) and a reason, never a silent pick. RFP: ``best_value``, the committee's top total."""
    require(user, Action.EVALUATION_MANAGE, solicitation.agency)
    solicitation = locked(solicitation)
    if solicitation.status not in (S.OPENED, S.UNDER_EVALUATION):
        raise ValidationError(
            {"status": "Only an opened solicitation under evaluation can be awarded."}
        )
    evaluation._no_live_award(solicitation)
    basis = (basis or "").strip()
    if not basis:
        raise ValidationError({"basis": "State the basis of the recommendation for the board."})
    if solicitation.kind == Solicitation.Kind.RFP:
        if method != "best_value":
            raise ValidationError({"method": "A request for proposals is awarded on best value."})
    elif method not in engine.METHODS:
        raise ValidationError({"method": f"Choose one of {', '.join(engine.METHODS)}."})
    choices = dict(tie_choices or {})
    if method == "best_value":
        return _recommend_best_value(user, solicitation, basis, choices, tie_reason)
    inputs, result = compute(solicitation, method=method, multiple_award=multiple_award,
                             max_suppliers=max_suppliers)  # fmt: skip
    if result.status == "infeasible":
        raise ValidationError({"__all__": result.message or "No award is possible."})
    ties = []
    for tie in result.ties:
        key = tie_key(tie)
        chosen = choices.get(key)
        if chosen not in tie.suppliers:
            raise ValidationError(
                {
                    "ties": f"Equal low bids ({_names(inputs, tie.suppliers)}) "
                    f"for {_tie_label(inputs, tie)}: choose one."
                }
            )
        if not tie_reason.strip():
            raise ValidationError(
                {"tie_reason": "Say how the tie was resolved (the board may pick any tied bidder)."}
            )
        ties.append(
            {
                "key": key,
                "what": _tie_label(inputs, tie),
                "rank": tie.rank,
                "suppliers": [str(inputs.responses[s].supplier) for s in tie.suppliers],
                "chosen": str(inputs.responses[chosen].supplier),
                "reason": tie_reason.strip(),
            }
        )
    awarded = {a.supplier for a in (*result.awards, *result.secondary)}
    awarded |= {choices[tie_key(tie)] for tie in result.ties}
    responsible_now(solicitation, [inputs.responses[s] for s in sorted(awarded)])
    award = Award.objects.create(
        solicitation=solicitation,
        method=method,
        basis=basis,
        multiple_award=multiple_award,
        baseline_total=result.baseline_total,
        gap=result.gap,
        ties=ties,
        result={**result.as_json(), "rules": {"max_suppliers": max_suppliers}},
        recommended_by=_user(user),
        recommended_at=timing.now(),
    )
    lines = [
        _line(award, inputs, "primary", a.item, a.supplier, a.quantity, a.unit_price, a.amount)
        for a in result.awards
    ]
    lines += [
        _line(award, inputs, "secondary", a.item, a.supplier, a.quantity, a.unit_price, a.amount)
        for a in result.secondary
    ]
    for tie in result.ties:
        chosen = choices[tie_key(tie)]
        lines += [
            _line(award, inputs, tie.rank, *row)
            for row in [(i, chosen, q, p, m) for i, q, p, m in _tie_lines(inputs, tie, chosen)]
        ]
    AwardLine.objects.bulk_create(lines)
    award.total = sum((line.amount for line in lines if line.rank == "primary"), Decimal("0.00"))
    if result.discounts:
        award.total -= sum((d.amount for d in result.discounts), Decimal("0.00"))
    award.save(update_fields=["total"])
    _recorded(award, user, unpriced=[i.number for i in inputs.unpriced])
    return award


def responsible_now(solicitation: Solicitation, responses: list[Response]) -> None:
    """Refuse an award to a supplier that is debarred, suspended or otherwise not active
    today (the award date) unless the officer decided it responsible against that very
    proposal: a finding confirmed before the debarment (or no finding at all) is stale."""
    found = {
        f.response_id: f
        for f in Finding.objects.filter(response__in=responses, kind=Finding.Kind.RESPONSIBLE)
    }
    for response in responses:
        supplier = Supplier.objects.get(pk=response.supplier_id)
        if supplier.status == Supplier.Status.ACTIVE:
            continue
        finding = found.get(response.pk)
        if finding is not None and finding.decided is True and not finding.proposed:
            continue  # the officer overrode a not-responsible proposal, with a reason
        raise ValidationError({"__all__": (
            f"{supplier} is {supplier.get_status_display().lower()} on "
            f"{timing.now().astimezone(solicitation.agency.zone):%Y-%m-%d}: check the "
            "responses again (findings) before the award."
        )})  # fmt: skip


def _tie_label(inputs: Inputs, tie: engine.Tie) -> str:
    if tie.item is not None:
        return f"item {inputs.items[tie.item].number}"
    numbers = sorted({i.lot.number for i in inputs.items.values() if str(i.lot_id) in tie.lots})
    return "lot " + ", ".join(str(n) for n in numbers)


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _recorded(award: Award, user: Any, **extra: Any) -> None:
    solicitation = award.solicitation
    if solicitation.status == S.OPENED:
        move(solicitation, S.UNDER_EVALUATION, user=user, note="Evaluation started.")
    audit.record(
        "award.recommend",
        award,
        agency_id=solicitation.agency_id,
        changes={
            "method": [None, award.method],
            "total": [None, award.total],
            "basis": [None, award.basis],
            "ties": [None, award.ties],
            "lines": [
                None,
                [
                    f"{line.item.number}: {line.supplier_name} {line.rank} "
                    f"{line.quantity} x {line.unit_price}"
                    for line in award.lines.all()
                ],
            ],
            **{k: [None, v] for k, v in extra.items() if v},
        },
    )


def _recommend_best_value(
    user: Any, solicitation: Solicitation, basis: str, choices: dict[str, str], tie_reason: str
) -> Award:
    result = evaluation.committee_result(solicitation)
    if result.error:
        raise ValidationError({"__all__": result.error})
    if not result.rows:
        raise ValidationError({"__all__": "No evaluator has submitted scores yet."})
    if result.submitted < result.seated:
        raise ValidationError(
            {
                "__all__": f"{result.seated - result.submitted} evaluator(s) "
                "have not submitted their scores."
            }
        )
    top = [row for row in result.rows if row.rank == 1]
    ties = []
    winner = top[0]
    if len(top) > 1:
        key = "primary:best_value"
        names = {row.response: str(result.responses[row.response].supplier) for row in top}
        chosen = choices.get(key)
        if chosen not in names:
            raise ValidationError(
                {"ties": f"Equal top totals ({', '.join(names.values())}): choose one."}
            )
        if not tie_reason.strip():
            raise ValidationError({"tie_reason": "Say how the tie was resolved."})
        winner = next(row for row in top if row.response == chosen)
        ties.append(
            {
                "key": key,
                "what": "highest total",
                "rank": "primary",
                "suppliers": list(names.values()),
                "chosen": names[chosen],
                "reason": tie_reason.strip(),
            }
        )
    response = result.responses[winner.response]
    responsible_now(solicitation, [response])
    award = Award.objects.create(
        solicitation=solicitation,
        method="best_value",
        basis=basis,
        ties=ties,
        result={
            "ranking": [
                {
                    "response": r.response,
                    "supplier": str(result.responses[r.response].supplier),
                    "total": str(r.total),
                    "rank": r.rank,
                    "tied": r.tied,
                }
                for r in result.rows
            ]
        },
        recommended_by=_user(user),
        recommended_at=timing.now(),
    )
    lines = []
    for bid in response.bid_lines.select_related("item"):
        quantity = bid.item.estimated_quantity if bid.item.estimated_quantity > 0 else ONE
        price = engine.evaluated_price(
            bid.unit_price,
            tuple(
                sorted((Decimal(t["min_quantity"]), Decimal(t["unit_price"])) for t in bid.tiers)
            ),
            quantity,
        )
        lines.append(
            AwardLine(
                award=award,
                item=bid.item,
                response=response,
                supplier=response.supplier,
                quantity=quantity,
                unit_price=price,
                amount=engine.line_amount(quantity, price),
            )
        )
    AwardLine.objects.bulk_create(lines)
    award.total = sum((line.amount for line in lines), Decimal("0.00"))
    award.save(update_fields=["total"])
    _recorded(award, user)
    return award


# Approval, notice, stand-still, protests, final ----------------------------------------------


def _locked_award(award: Award) -> Award:
    locked(award.solicitation)
    return Award.objects.select_for_update().select_related("solicitation__agency").get(pk=award.pk)


def _status(award: Award, *allowed: str) -> None:
    if award.status not in allowed:
        raise ValidationError({"status": f"This award is {award.get_status_display().lower()}."})


@transaction.atomic
def award_approve(*, user: Any, award: Award, board_resolution: str, board_date: date) -> Award:
    """Record the board's resolution approving the recommendation."""
    require(user, Action.AWARD_APPROVE, award.solicitation.agency)
    award = _locked_award(award)
    _status(award, A.RECOMMENDED)
    resolution = (board_resolution or "").strip()
    if not resolution:
        raise ValidationError({"board_resolution": "Give the board resolution's number."})
    zone = award.solicitation.agency.zone
    today = timing.now().astimezone(zone).date()
    if board_date is None or board_date > today:
        raise ValidationError(
            {"board_date": "Give the date the board adopted the resolution (not in the future)."}
        )
    # Both dates on the agency's calendar: an evening recommendation in New York is the
    # next day in UTC, and a board meeting that same evening must still be accepted.
    if board_date < award.recommended_at.astimezone(zone).date():
        raise ValidationError({"board_date": "The board cannot approve before the recommendation."})
    award.status, award.board_resolution, award.board_date = A.APPROVED, resolution, board_date
    award.approved_at = timing.now()
    award.save(update_fields=["status", "board_resolution", "board_date", "approved_at"])
    audit.record(
        "award.approve",
        award,
        changes={
            "status": [A.RECOMMENDED, A.APPROVED],
            "board_resolution": [None, resolution],
            "board_date": [None, board_date],
        },
    )
    return award


def outcome_for(award: Award, response: Response, standing: evaluation.Standing | None) -> str:
    """What the notice tells one respondent: what it was awarded, or why not."""
    mine = [line for line in award.lines.all() if line.response_id == response.pk]
    if mine:
        return "Awarded: " + "; ".join(
            f"item {line.item.number} ({line.get_rank_display().lower()}), "
            f"{line.quantity.normalize():f} at {line.unit_price.normalize():f}"
            for line in mine
        )
    if standing is not None and not standing.eligible:
        what = "non-responsive" if not standing.responsive else "not responsible"
        return f"Not awarded: the response was found {what}. " + " ".join(standing.reasons)
    if award.method == "best_value":
        return "Not awarded: another proposal received a higher total score."
    return (
        "Not awarded: a lower responsive and responsible bid was received for each item you priced."
    )


@transaction.atomic
def award_notice(*, user: Any, award: Award) -> Award:
    """Send the notice of award to every respondent and start the stand-still period."""
    require(user, Action.EVALUATION_MANAGE, award.solicitation.agency)
    award = _locked_award(award)
    _status(award, A.APPROVED)
    now = timing.now()
    days = settings_for(award.solicitation.agency).protest_days
    award.status, award.noticed_at = A.NOTICED, now
    award.standstill_ends_at = now + timedelta(days=days)
    award.save(update_fields=["status", "noticed_at", "standstill_ends_at"])
    standing = evaluation.standings(award.solicitation)
    outcomes = {
        r: outcome_for(award, r, standing.get(r.pk))
        for r in evaluation.evaluated_responses(award.solicitation)
    }
    sent = notify.award_noticed(award, outcomes)
    audit.record(
        "award.notice",
        award,
        changes={
            "status": [A.APPROVED, A.NOTICED],
            "standstill_ends_at": [None, award.standstill_ends_at],
            "notices": [None, sent],
        },
    )
    return award


@transaction.atomic
def protest_file(*, user: Any, award: Award, supplier: Supplier, grounds: str) -> Protest:
    """A respondent's protest, through its portal, during the stand-still period only."""
    require(user, Action.PROTEST_FILE, award.solicitation.agency, supplier=supplier)
    award = _locked_award(award)
    _status(award, A.NOTICED)
    if not Response.objects.filter(
        solicitation=award.solicitation, supplier=supplier, responsive__isnull=False
    ).exists():
        raise PermissionDenied("Only a respondent may protest this award.")
    now = timing.now()
    if award.standstill_ends_at is None or now >= award.standstill_ends_at:
        raise ValidationError({"__all__": "The protest period has ended."})
    grounds = (grounds or "").strip()
    if not grounds:
        raise ValidationError({"grounds": "State the grounds of the protest."})
    protest = Protest.objects.create(
        award=award, supplier=supplier, filed_by=_user(user), filed_at=now, grounds=grounds
    )
    audit.record(
        "protest.file", protest, agency_id=award.agency_id, changes={"grounds": [None, grounds]}
    )
    notify.protest_filed(protest)
    return protest


@transaction.atomic
def protest_decide(*, user: Any, protest: Protest, outcome: str, decision: str) -> Protest:
    """The agency's decision: the award is upheld, or it is cancelled (``changed``: a new
    recommendation follows; ``cancelled``: no award on these responses)."""
    require(user, Action.EVALUATION_MANAGE, protest.award.solicitation.agency)
    award = _locked_award(protest.award)
    protest = Protest.objects.select_for_update().get(pk=protest.pk)
    if protest.outcome:
        raise ValidationError({"outcome": "This protest is already decided."})
    if outcome not in Protest.Outcome.values:
        raise ValidationError({"outcome": "Choose upheld, changed or cancelled."})
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": "Write the decision and its reasons."})
    protest.outcome, protest.decision, protest.decided_at = outcome, decision, timing.now()
    protest.save(update_fields=["outcome", "decision", "decided_at"])
    audit.record(
        "protest.decide",
        protest,
        agency_id=award.agency_id,
        changes={"outcome": [None, outcome], "decision": [None, decision]},
    )
    notify.protest_decided(protest)
    # An award the officer already cancelled keeps that cancellation and its reason.
    if outcome != Protest.Outcome.UPHELD and award.status != A.CANCELLED:
        _cancel(
            award,
            f"Protest by {protest.supplier} {protest.get_outcome_display().lower()}: {decision}",
        )
    return protest


def _cancel(award: Award, reason: str) -> None:
    old = award.status
    award.status, award.cancelled_reason = A.CANCELLED, reason
    award.save(update_fields=["status", "cancelled_reason"])
    audit.record(
        "award.cancel", award, changes={"status": [old, A.CANCELLED], "reason": [None, reason]}
    )


@transaction.atomic
def award_cancel(*, user: Any, award: Award, reason: str) -> Award:
    """Withdraw a recommendation or approval before it is final, with a reason."""
    require(user, Action.EVALUATION_MANAGE, award.solicitation.agency)
    award = _locked_award(award)
    _status(award, A.RECOMMENDED, A.APPROVED, A.NOTICED)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the award is cancelled."})
    _cancel(award, reason.strip())
    return award


@transaction.atomic
def award_finalize(*, user: Any, award: Award) -> Award:
    """After the stand-still period with every protest decided: the award is final and
    the solicitation awarded. ``user=None`` is the scheduled run (``finalize_due``)."""
    if user is not None:
        require(user, Action.EVALUATION_MANAGE, award.solicitation.agency)
    award = _locked_award(award)
    _status(award, A.NOTICED)
    now = timing.now()
    if award.standstill_ends_at is None or now < award.standstill_ends_at:
        raise ValidationError({"__all__": "The stand-still period has not ended."})
    if award.protests.filter(outcome="").exists():
        raise ValidationError({"__all__": "A protest is pending: decide it first."})
    responsible_now(award.solicitation, list(Response.objects.filter(
        pk__in=award.lines.values("response_id")).order_by("pk")))  # fmt: skip
    award.status, award.final_at = A.FINAL, now
    award.save(update_fields=["status", "final_at"])
    audit.record("award.final", award, changes={"status": [A.NOTICED, A.FINAL]})
    move(
        award.solicitation,
        S.AWARDED,
        user=user,
        note=f"Award final (board resolution {award.board_resolution}).",
    )
    return award


def finalize_due(*, now: Any = None) -> list[Award]:
    """Make final every noticed award whose stand-still has passed with no pending protest
    (cron, with ``open-due``)."""
    now = now or timing.now()
    done = []
    for award in Award.objects.filter(status=A.NOTICED, standstill_ends_at__lte=now):
        if not award.protests.filter(outcome="").exists():
            try:
                done.append(award_finalize(user=None, award=award))
            except ValidationError:
                continue  # an awarded supplier debarred since: the officer decides
    return done


# For contracts (issue 13) -------------------------------------------------------------------


def live_award(solicitation: Solicitation) -> Award | None:
    return solicitation.awards.exclude(status=A.CANCELLED).first()


def final_award_lines(solicitation: Solicitation) -> list[AwardLine]:
    """The final award's lines (primary and secondary), item and supplier loaded: what a
    contract is made from. Empty until the award is final."""
    award = solicitation.awards.filter(status=A.FINAL).first()
    if award is None:
        return []
    return list(award.lines.select_related("item__lot", "supplier", "response"))


def discounts_of(award: Award) -> list[tuple[str, dict[str, str]]]:
    """(supplier name, {gross, percent, amount}) for each spend discount in the award's total."""
    found = (award.result or {}).get("discounts") or []
    if not found:
        return []
    names = {str(r.supplier_id): r.supplier_name
             for r in award.solicitation.responses.filter(is_current=True)}  # fmt: skip
    return [(names.get(str(d["supplier"]), str(d["supplier"])), d) for d in found]


def may_view_award(user: Any, award: Award) -> bool:
    """The agency's staff always; anyone else once the notice made the award public (a
    recommendation or approval not noticed stays the agency's)."""
    return award.noticed_at is not None or can(
        user, Action.SOLICITATION_VIEW, award.solicitation.agency
    )


# Aggregation, shown --------------------------------------------------------------------------


def aggregation(award: Award) -> list[tuple[AwardLine, engine.AggregationEffect]]:
    """For each primary line of an item members committed quantities to: what the pooled
    quantity earned each member (its own quantity's tier alone against the pooled tier)."""
    from .models import BidLine, DemandCommitment

    out = []
    lines = award.lines.filter(rank=AwardLine.Rank.PRIMARY).select_related("item", "supplier")
    for line in lines:
        commitments = {
            c.institution.name: c.quantity
            for c in DemandCommitment.objects.filter(item=line.item).select_related("institution")
        }
        bid = BidLine.objects.filter(response=line.response, item=line.item).first()
        if not commitments or bid is None or line.quantity <= 0:
            continue
        tiers = [(Decimal(t["min_quantity"]), Decimal(t["unit_price"])) for t in bid.tiers]
        effect = engine.aggregation_effect(
            unit_price=bid.unit_price,
            tiers=tiers,
            pooled_quantity=line.quantity,
            commitments=commitments,
        )
        if effect.participants:
            out.append((line, effect))
    return out



@dataclass(frozen=True)
class MemberSaving:
    """One awarded line of an item a member committed quantities to, and what pooling earned
    that member on it."""

    award: Award
    line: AwardLine
    saving: engine.ParticipantSaving


def pooling_of(institution: Any) -> list[MemberSaving]:
    """What pooling earned one member on every public award (noticed or final) of an item it
    committed quantities to in a demand survey: its own quantity at the tier it would earn
    alone against the tier of the pooled quantity awarded, and the saving in money. Only the
    member's own quantities; other members' stay theirs."""
    from .models import BidLine, DemandCommitment

    mine = {
        c.item_id: c.quantity
        for c in DemandCommitment.objects.filter(institution=institution, quantity__gt=0)
    }
    if not mine:
        return []
    lines = (
        AwardLine.objects.filter(award__status__in=[A.NOTICED, A.FINAL],
                                 rank=AwardLine.Rank.PRIMARY, item_id__in=list(mine))
        .select_related("award__solicitation", "item", "supplier", "response")
        .order_by("award__solicitation__number", "item__number", "pk")
    )  # fmt: skip
    out: list[MemberSaving] = []
    for line in lines:
        bid = BidLine.objects.filter(response=line.response, item=line.item).first()
        if bid is None or line.quantity <= 0:
            continue
        effect = engine.aggregation_effect(
            unit_price=bid.unit_price,
            tiers=[(Decimal(t["min_quantity"]), Decimal(t["unit_price"])) for t in bid.tiers],
            pooled_quantity=line.quantity,
            commitments={institution.name: mine[line.item_id]},
        )
        out.extend(MemberSaving(line.award, line, p) for p in effect.participants)
    return out
