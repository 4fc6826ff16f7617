"""split_cents: exact, proportional within a cent, deterministic ties, large inputs.

Speed is measured by ``bench/billing.py --split-only`` (figures in docs/performance.md),
never asserted here: tests check behaviour, not wall-clock time.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edcoop.billing.allocation import split_cents

weights = st.dictionaries(
    st.text(min_size=1, max_size=4), st.integers(min_value=0, max_value=10**9), min_size=1,
    max_size=40,
)  # fmt: skip
decimal_weights = st.dictionaries(
    st.integers(0, 500),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=40,
)


@given(total=st.integers(min_value=-(10**12), max_value=10**12), weights=weights)
def test_every_split_sums_exactly_and_is_within_a_cent_of_proportional(total, weights):
    whole = sum(weights.values())
    if whole == 0:
        if total:
            with pytest.raises(ValueError):
                split_cents(total, weights)
        return
    parts = split_cents(total, weights)
    assert sum(parts.values()) == total
    for key, w in weights.items():
        exact = Decimal(total) * w / whole
        assert abs(parts[key] - exact) < 1
        if w == 0:
            assert parts[key] == 0


@given(total=st.integers(min_value=0, max_value=10**10), weights=decimal_weights)
def test_decimal_weights_split_exactly(total, weights):
    whole = sum(weights.values())
    if whole == 0:
        return
    parts = split_cents(total, weights)
    assert sum(parts.values()) == total
    for key, w in weights.items():
        assert abs(parts[key] - Decimal(total) * w / whole) < 1


def test_hand_worked_three_way_split_gives_the_odd_cent_to_the_first_key():
    # $1.00 in thirds: 33 each, 1 cent left; all remainders tie, so "a" (first) gets it.
    assert split_cents(100, {"c": 1, "b": 1, "a": 1}) == {"c": 33, "b": 33, "a": 34}


def test_largest_remainder_wins_before_key_order():
    # 10 cents by 1:2:3 -> exact 1.667, 3.333, 5.0; floors 1, 3, 5 = 9; the 1 left goes to
    # "x" (remainder .667), not to "y" (.333).
    assert split_cents(10, {"x": 1, "y": 2, "z": 3}) == {"x": 2, "y": 3, "z": 5}


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="negative"):
        split_cents(100, {"a": 1, "b": -1})
    with pytest.raises(ValueError, match="zero"):
        split_cents(100, {"a": 0, "b": 0})
    assert split_cents(0, {"a": 0}) == {"a": 0}


def test_a_million_weights_split_sums_exactly_and_stays_within_a_cent():
    weights = {i: (i * 7919) % 1000 for i in range(1_000_000)}
    total = 987_654_321
    parts = split_cents(total, weights)
    assert len(parts) == 1_000_000
    assert sum(parts.values()) == total
    whole = sum(weights.values())
    for key in (0, 1, 2, 499_999, 999_999):
        assert abs(parts[key] * whole - total * weights[key]) < whole  # within one cent
    assert all(parts[k] == 0 for k, w in weights.items() if w == 0)


@settings(max_examples=40, deadline=None)
@given(
    total=st.integers(min_value=-(10**11), max_value=10**11),
    seed=st.integers(min_value=0, max_value=2**32),
    spread=st.sampled_from([1, 3, 50, 5000]),
)
def test_the_vectorised_path_gives_the_same_cents_as_plain_integers(total, seed, spread):
    import random

    from edcoop.billing.allocation import _split_exact

    rng = random.Random(seed)
    raw = [rng.randint(0, spread) for _ in range(rng.randint(2000, 4000))]
    if not any(raw):
        return
    weights = {f"k{i:05d}": w for i, w in enumerate(raw)}
    expected = _split_exact(abs(total), list(weights), raw, sum(raw))
    if total < 0:
        expected = {k: -v for k, v in expected.items()}
    assert split_cents(total, weights) == expected
