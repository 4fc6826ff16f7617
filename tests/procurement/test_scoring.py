"""Best-value scoring, worked by hand: price points, weighted totals, consensus, spread and
ranking."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edcoop.procurement.scoring import Criterion, ScoringError, evaluate, price_points

D = Decimal
CRITERIA = [Criterion("tech", D("50")), Criterion("exp", D("20")),
            Criterion("price", D("30"), is_price=True)]  # fmt: skip
SCORES = {
    "R1": {"E1": {"tech": D(8), "exp": D(7)}, "E2": {"tech": D(6), "exp": D(9)},
           "E3": {"tech": D(7), "exp": D(8)}},
    "R2": {"E1": {"tech": D(9), "exp": D(5)}, "E2": {"tech": D(5), "exp": D(6)},
           "E3": {"tech": D(6), "exp": D(4)}},
}  # fmt: skip
PRICES = {"R1": D("100000"), "R2": D("80000")}


def test_price_points_lowest_over_this_price() -> None:
    assert price_points({"A": D("3"), "B": D("7")}, D("30")) == {"A": D("30.00"),
                                                                 "B": D("12.86")}  # fmt: skip
    with pytest.raises(ScoringError, match="response B"):
        price_points({"A": D("3"), "B": D("0")}, D("30"))


def test_weighted_totals_consensus_spread_and_rank() -> None:
    r1, r2 = evaluate(criteria=CRITERIA, scores=SCORES, prices=PRICES)
    # R1: means 7 and 8 -> 35.00 + 16.00, price 30 x 80,000 / 100,000 = 24.00 -> 75.00.
    assert (r1.response, r1.points, r1.total, r1.rank) == (
        "R1",
        {"tech": D("35.00"), "exp": D("16.00"), "price": D("24.00")},
        D("75.00"),
        1,
    )
    # R2: tech mean 20/3 = 6.6667 -> 50 x 6.6667 / 10 = 33.3335 -> 33.33; exp 5 -> 10.00; 30.00.
    assert r2.consensus == {"tech": D("6.6667"), "exp": D("5.0000")}
    assert (r2.total, r2.rank, r2.tied) == (D("73.33"), 2, False)
    # Spread of R2's tech scores 9, 5, 6: population std sqrt(26/9) = 1.6997 -> 1.70.
    assert (r2.spread["tech"].lowest, r2.spread["tech"].highest, r2.spread["tech"].std) == (
        D(5),
        D(9),
        D("1.70"),
    )
    # Each evaluator's own total: E1 on R1 = 40.00 + 14.00 + 24.00.
    assert r1.by_evaluator == {"E1": D("78.00"), "E2": D("72.00"), "E3": D("75.00")}


def test_median_consensus_and_shared_rank() -> None:
    r = {x.response: x for x in evaluate(criteria=CRITERIA, scores=SCORES, prices=PRICES,
                                         consensus="median")}  # fmt: skip
    assert r["R2"].consensus["tech"] == D("6.0000") and r["R2"].total == D("70.00")
    same = {"R1": SCORES["R1"], "R2": SCORES["R1"]}
    a, b = evaluate(criteria=CRITERIA, scores=same, prices={"R1": D(1), "R2": D(1)})
    assert (a.rank, b.rank, a.tied, b.tied) == (1, 1, True, True)


def test_refusals_name_the_record() -> None:
    with pytest.raises(ScoringError, match="add up to 90"):
        evaluate(criteria=[CRITERIA[0], Criterion("price", D("40"), is_price=True)],
                 scores=SCORES, prices=PRICES)  # fmt: skip
    bad = {"R1": {"E1": {"tech": D(11), "exp": D(7)}}}
    with pytest.raises(ScoringError, match="response R1, evaluator E1: criterion tech score 11"):
        evaluate(criteria=CRITERIA, scores=bad, prices=PRICES)
    missing = {"R1": {"E1": {"tech": D(5)}}}
    with pytest.raises(ScoringError, match="criterion exp has no score"):
        evaluate(criteria=CRITERIA, scores=missing, prices=PRICES)
    with pytest.raises(ScoringError, match="response R1: no price"):
        evaluate(criteria=CRITERIA, scores=SCORES, prices={})
