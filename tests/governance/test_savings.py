"""The savings study engine: a hand-worked study, and the totals that must hold for any."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edcoop.governance.savings import DistrictInput, compute

D = Decimal


def district(key, fte, salary, software, audit, other, weight, aid, benefits="40"):
    return DistrictInput(key=key, name=f"District {key}", fte=D(fte), salary=D(salary),
                         benefits_pct=D(benefits), software=D(software),
                         audit_findings=D(audit), other=D(other), weight=D(weight),
                         aid_ratio=D(aid))  # fmt: skip


STUDY = [
    district(1, "2", "60000", "12000", "5000", "0", "1000", "0.60"),
    district(2, "1", "55000", "8000", "0", "1000", "500", "0.50"),
    district(3, "0.5", "50000", "5000", "0", "0", "500", "0.36"),
]


def test_hand_worked_study():
    result = compute(STUDY, shared_cost=D("250000.00"), aidable=True)
    rows = {r.key: r for r in result.districts}
    # In house: 2 x 60,000 x 1.4 + 12,000 + 5,000 = 185,000; 77,000 + 9,000; 35,000 + 5,000.
    assert [rows[k].in_house for k in (1, 2, 3)] == [D("185000.00"), D("86000.00"),
                                                     D("40000.00")]  # fmt: skip
    # Shared cost by RWADA 1000:500:500.
    assert [rows[k].shared for k in (1, 2, 3)] == [D("125000.00"), D("62500.00"),
                                                   D("62500.00")]  # fmt: skip
    assert [rows[k].aid for k in (1, 2, 3)] == [D("75000.00"), D("31250.00"), D("22500.00")]
    # District 3 pays more shared than in house before aid, and breaks even after it.
    assert rows[3].saving_before_aid == D("-22500.00")
    assert rows[3].saving_after_aid == D("0.00")
    assert result.saving_before_aid == D("61000.00")
    assert result.saving_after_aid == D("189750.00")
    # +/-10%: in house 0.9x against shared-after-aid 1.1x, and the reverse.
    assert (rows[1].saving_low, rows[1].saving_high) == (D("111500.00"), D("158500.00"))
    assert (rows[3].saving_low, rows[3].saving_high) == (D("-8000.00"), D("8000.00"))


def test_not_aidable_means_no_aid():
    result = compute(STUDY, shared_cost=D("250000"), aidable=False)
    assert result.aid == 0 and result.saving_after_aid == result.saving_before_aid


def test_cents_go_by_largest_remainder_and_sum_back():
    equal = [district(k, "0", "0", "0", "0", "0", "1", "0") for k in (1, 2, 3)]
    result = compute(equal, shared_cost=D("100.00"), aidable=False)
    assert [r.shared for r in result.districts] == [D("33.34"), D("33.33"), D("33.33")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shared_cost": D("-1")}, "cannot be negative"),
        ({"sensitivity_pct": D("101")}, "sensitivity"),
        ({"districts": []}, "at least one district"),
        ({"districts": [STUDY[0], STUDY[0]]}, "twice"),
        ({"districts": [district(9, "-1", "1", "0", "0", "0", "1", "0.5")]}, "fte"),
        ({"districts": [district(9, "1", "1", "0", "0", "0", "1", "1.5")]}, "aid ratio"),
        ({"districts": [district(9, "1", "1", "0", "0", "0", "0", "0.5")]}, "share is zero"),
    ],
)
def test_impossible_studies_are_refused(change, message):
    args = {"districts": STUDY, "shared_cost": D("1000"), "aidable": True} | change
    districts = args.pop("districts")
    with pytest.raises(ValueError, match=message):
        compute(districts, **args)


money = st.decimals(min_value=0, max_value=10_000_000, places=2)


@given(
    st.lists(st.tuples(money, st.integers(0, 100_000), st.decimals(0, 1, places=4)),
             min_size=1, max_size=12),
    money,
    st.decimals(0, 50, places=2),
)  # fmt: skip
def test_shares_sum_to_the_cost_and_savings_add_up(rows, shared_cost, sensitivity):
    districts = [district(i, "1", cost, "0", "0", "0", weight, aid, benefits="0")
                 for i, (cost, weight, aid) in enumerate(rows)]  # fmt: skip
    if not any(weight for _, weight, _ in rows):
        return
    result = compute(districts, shared_cost=shared_cost, aidable=True,
                     sensitivity_pct=sensitivity)  # fmt: skip
    assert result.shared == shared_cost
    for r in result.districts:
        assert r.saving_before_aid == r.in_house - r.shared
        assert r.saving_after_aid == r.in_house - r.shared + r.aid
        assert r.saving_low <= r.saving_after_aid <= r.saving_high
    assert result.saving_after_aid == result.in_house - result.shared + result.aid
