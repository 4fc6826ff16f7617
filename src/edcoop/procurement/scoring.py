"""RFP best-value scoring: pure Decimal arithmetic on plain values (no database).

The formulas (docs/award.md, "Scoring"):

- **Price points** = price criterion's points x lowest price / this price, over the
  responsive responses' evaluated prices; rounded half-up to 2 places.
- **Criterion points** of one evaluator = weight x score / scale (scores run from 0 to
  ``scale``, 10 by default); rounded half-up to 2 places.
- **Consensus score** per response and criterion = the **mean** of the evaluators' scores
  (the median on request), rounded half-up to 4 places; its points as above.
- **Total** = the sum of the rounded criterion points plus the price points, so the
  printed columns add up; weights are percentages summing to 100, so a total is out of 100.
- **Rank**: by consensus total, highest first; equal totals share a rank (1, 1, 3) and
  are reported as a tie.
- **Spread** per response and criterion: lowest, highest and the population standard
  deviation of the evaluators' scores (sqrt of the mean squared deviation), 2 places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from statistics import median

POINTS = Decimal("0.01")
SCORE = Decimal("0.0001")
HUNDRED = Decimal(100)


class ScoringError(ValueError):
    """Scores the arithmetic cannot use; ``str()`` names the record."""


def _round(value: Decimal, quantum: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(quantum, rounding=ROUND_HALF_UP)


def price_points(prices: Mapping[str, Decimal], points: Decimal) -> dict[str, Decimal]:
    """``points`` x lowest price / each price, half-up to 2 places. ``prices`` are the
    responsive responses' evaluated prices (non-responsive ones must be left out)."""
    if not prices:
        return {}
    for response, price in prices.items():
        if price <= 0:
            raise ScoringError(f"response {response}: a price must be more than 0 to score")
    lowest = min(prices.values())
    with localcontext() as ctx:
        ctx.prec = 60
        return {r: _round(points * lowest / p, POINTS) for r, p in prices.items()}


@dataclass(frozen=True)
class Criterion:
    id: str
    weight: Decimal  # percent; the weights of a solicitation sum to 100
    is_price: bool = False


@dataclass(frozen=True)
class Spread:
    lowest: Decimal
    highest: Decimal
    std: Decimal


@dataclass(frozen=True)
class ResponseScore:
    response: str
    consensus: dict[str, Decimal]  # criterion -> consensus score (0..scale)
    points: dict[str, Decimal]  # criterion -> points (price criterion included)
    total: Decimal
    rank: int
    tied: bool
    by_evaluator: dict[str, Decimal]  # evaluator -> that evaluator's total (with price points)
    spread: dict[str, Spread]  # criterion -> spread of the evaluators' scores


def evaluate(
    *,
    criteria: Sequence[Criterion],
    scores: Mapping[str, Mapping[str, Mapping[str, Decimal]]],
    prices: Mapping[str, Decimal] | None = None,
    scale: Decimal = Decimal(10),
    consensus: str = "mean",
) -> list[ResponseScore]:
    """Totals, ranking, spread and consensus for an RFP's responses, best first.

    ``scores[response][evaluator][criterion]`` is each evaluator's score (0..``scale``) of
    every criterion but the price one; ``prices[response]`` the evaluated price of each
    response when a price criterion exists. Every evaluator of a response must score each
    non-price criterion.
    """
    if consensus not in ("mean", "median"):
        raise ScoringError("consensus must be mean or median")
    if scale <= 0:
        raise ScoringError("the score scale must be more than 0")
    total_weight = sum((c.weight for c in criteria), Decimal(0))
    if total_weight != HUNDRED:
        raise ScoringError(f"the criteria weights add up to {total_weight}, not 100")
    price = [c for c in criteria if c.is_price]
    if len(price) > 1:
        raise ScoringError("only one criterion can be the price")
    judged = [c for c in criteria if not c.is_price]
    price_pts: dict[str, Decimal] = {}
    if price:
        missing = [r for r in scores if prices is None or r not in prices]
        if missing:
            raise ScoringError(f"response {missing[0]}: no price to score")
        price_pts = price_points({r: prices[r] for r in scores} if prices else {}, price[0].weight)
    rows = []
    for response, by_evaluator in scores.items():
        if not by_evaluator:
            raise ScoringError(f"response {response}: no evaluator has scored it")
        for evaluator, marks in by_evaluator.items():
            for c in judged:
                value = marks.get(c.id)
                if value is None:
                    raise ScoringError(
                        f"response {response}, evaluator {evaluator}: criterion {c.id} has no score"
                    )
                if not 0 <= value <= scale:
                    raise ScoringError(
                        f"response {response}, evaluator {evaluator}: criterion {c.id} "
                        f"score {value} is outside 0 to {scale}"
                    )
            unknown = set(marks) - {c.id for c in judged}
            if unknown:
                raise ScoringError(
                    f"response {response}, evaluator {evaluator}: criterion "
                    f"{sorted(unknown)[0]} is not scored by evaluators"
                )
        agreed: dict[str, Decimal] = {}
        points: dict[str, Decimal] = {}
        spread: dict[str, Spread] = {}
        with localcontext() as ctx:
            ctx.prec = 60
            for c in judged:
                values = [marks[c.id] for marks in by_evaluator.values()]
                mid = sum(values, Decimal(0)) / len(values)
                agreed[c.id] = _round(
                    mid if consensus == "mean" else Decimal(median(values)), SCORE
                )
                points[c.id] = _round(c.weight * agreed[c.id] / scale, POINTS)
                deviation = (sum(((v - mid) ** 2 for v in values), Decimal(0)) / len(values)).sqrt()
                spread[c.id] = Spread(min(values), max(values), _round(deviation, POINTS))
            if price:
                points[price[0].id] = price_pts[response]
            each = {
                evaluator: sum(
                    (_round(c.weight * marks[c.id] / scale, POINTS) for c in judged), Decimal(0)
                )
                + price_pts.get(response, Decimal(0))
                for evaluator, marks in by_evaluator.items()
            }
        total = sum(points.values(), Decimal(0))
        rows.append((response, agreed, points, total, each, spread))
    rows.sort(key=lambda r: (-r[3], r[0]))
    out = []
    for row in rows:
        higher = sum(1 for other in rows if other[3] > row[3])
        tied = sum(1 for other in rows if other[3] == row[3]) > 1
        out.append(ResponseScore(row[0], row[1], row[2], row[3], higher + 1, tied, row[4], row[5]))
    return out
