"""Each charge method against hand-worked examples (the arithmetic is in the comments)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from edcoop.billing.allocation import (
    EngineError,
    Participation,
    ServiceSpec,
    Usage,
    compute_charges,
)
from edcoop.billing.simulate import simulate


def amounts(charges, kind="service"):
    return {(c.member, c.service): c.amount for c in charges if c.kind == kind}


def test_rate_is_quantity_times_rate_rounded_half_up():
    # 12.5 hours x $45.1250 = $564.0625 -> $564.06; 3 x $45.1250 = $135.375 -> $135.38
    s = ServiceSpec("300.010", "rate", rate=D("45.1250"))
    out = compute_charges(services=[s], usage=[Usage("a", "300.010", D("12.5")),
                                               Usage("b", "300.010", D("3"))])  # fmt: skip
    assert amounts(out) == {("a", "300.010"): D("564.06"), ("b", "300.010"): D("135.38")}


def test_pool_by_usage_splits_the_pool_by_use_to_the_cent():
    # Pool $1,000.00 over 3 + 3 + 3 = 9 units: 333.33 each and 1 cent left; remainders tie,
    # so member "a" (sorts first) gets 333.34. Sum = 1,000.00.
    s = ServiceSpec("500.100", "pool_by_usage", pool=D("1000.00"))
    out = compute_charges(services=[s], usage=[Usage(m, "500.100", D(3)) for m in "cba"])
    got = amounts(out)
    assert got == {("a", "500.100"): D("333.34"), ("b", "500.100"): D("333.33"),
                   ("c", "500.100"): D("333.33")}  # fmt: skip
    assert sum(got.values()) == D("1000.00")


def test_pool_by_share_splits_by_rwada():
    # Admin budget $10,000 by RWADA 1,000 : 3,000 -> 2,500.00 and 7,500.00.
    s = ServiceSpec("001.000", "pool_by_share", pool=D("10000"), basis="rwada")
    out = compute_charges(
        services=[s],
        participations=[Participation("a", "001.000"), Participation("b", "001.000")],
        basis={"a": {"rwada": D("1000")}, "b": {"rwada": D("3000")}},
    )
    assert amounts(out) == {("a", "001.000"): D("2500.00"), ("b", "001.000"): D("7500.00")}


def test_pool_by_share_without_a_basis_figure_names_the_member():
    s = ServiceSpec("001.000", "pool_by_share", pool=D("10000"), basis="rwada")
    with pytest.raises(EngineError, match="'b' has no rwada"):
        compute_charges(services=[s], basis={"a": {"rwada": D(1)}},
                        participations=[Participation("a", "001.000"),
                                        Participation("b", "001.000")])  # fmt: skip


def test_flat_charges_each_participant_and_admin_fee_goes_on_top():
    # Flat $16,895 per district; 15% fee = $2,534.25.
    s = ServiceSpec("601.200", "flat", flat=D("16895"), admin_fee_pct=D("15"))
    out = compute_charges(services=[s], participations=[Participation("a", "601.200")])
    assert amounts(out) == {("a", "601.200"): D("16895.00")}
    assert amounts(out, "admin_fee") == {("a", "601.200"): D("2534.25")}
    [fee] = [c for c in out if c.kind == "admin_fee"]
    assert fee.basis == "15% administrative fee on $16,895.00"


def test_committed_seats_extra_use_billed_and_shortfall_reduced_when_total_use_covers():
    # Rate $100/seat. a commits 10, uses 14; b commits 10, uses 8: total use 22 >= 20, so each
    # pays use x rate: a 1,400.00 (4 extra billed), b 800.00 (shortfall reduced to use).
    s = ServiceSpec("500.200", "committed_seats", rate=D("100"))
    out = compute_charges(
        services=[s],
        participations=[Participation("a", "500.200", D(10)), Participation("b", "500.200", D(10))],
        usage=[Usage("a", "500.200", D(14)), Usage("b", "500.200", D(8))],
    )
    assert amounts(out) == {("a", "500.200"): D("1400.00"), ("b", "500.200"): D("800.00")}


def test_committed_seats_pool_prorated_when_total_use_below_commitments():
    # Commitments 10 + 10 = 20 seats x $100 = pool $2,000. Use 6 + 3 = 9 < 20: the pool is
    # prorated by use: a 2,000 x 6/9 = 1,333.333 -> 1,333.33; b 666.666 -> 666.67
    # (floors 1,333.33 + 666.66 = 1,999.99; the cent goes to b, larger remainder).
    s = ServiceSpec("500.200", "committed_seats", rate=D("100"))
    out = compute_charges(
        services=[s],
        participations=[Participation("a", "500.200", D(10)), Participation("b", "500.200", D(10))],
        usage=[Usage("a", "500.200", D(6)), Usage("b", "500.200", D(3))],
    )
    assert amounts(out) == {("a", "500.200"): D("1333.33"), ("b", "500.200"): D("666.67")}


def test_negative_usage_and_unknown_records_are_refused():
    s = ServiceSpec("300.010", "rate", rate=D(1))
    with pytest.raises(EngineError, match="negative"):
        compute_charges(services=[s], usage=[Usage("a", "300.010", D(-1))])
    with pytest.raises(EngineError, match="unknown service"):
        compute_charges(services=[s], usage=[Usage("a", "999.999", D(1))])
    with pytest.raises(EngineError, match="unknown member"):
        compute_charges(services=[s], usage=[Usage("z", "300.010", D(1))], members={"a"})


EXAMPLE = {
    "fiscal_year": 2027,
    "members": [{"id": "alder", "rwada": "2368.12"}, {"id": "birch", "rwada": "1311.40"}],
    "services": [
        {"code": "001.000", "method": "pool_by_share", "basis": "rwada", "pool": "50000.00",
         "participants": ["alder", "birch"]},
        {"code": "300.010", "method": "rate", "rate": "45.0000", "admin_fee_pct": "15"},
    ],
    "usage": [{"member": "alder", "service": "300.010", "quantity": "10", "period": "2026-09"}],
}  # fmt: skip


def test_simulate_prints_amounts_as_two_decimal_strings(tmp_path, capsys):
    path = tmp_path / "in.json"
    path.write_text(json.dumps(EXAMPLE))
    call_command("billing", "simulate", "--input", str(path))
    result = json.loads(capsys.readouterr().out)
    rows = {(c["member"], c["service"], c["kind"]): c["amount"] for c in result["charges"]}
    # 50,000 x 2368.12 / 3679.52 = 32,179.84...; the two shares sum to 50,000.00.
    assert D(rows[("alder", "001.000", "service")]) + D(rows[("birch", "001.000", "service")]) == (
        D("50000.00")
    )
    assert rows[("alder", "300.010", "service")] == "450.00"
    assert rows[("alder", "300.010", "admin_fee")] == "67.50"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"usage": [{"member": "alder", "service": "300.010", "quantity": "-1"}]}, "negative"),
        ({"members": [{"id": "alder", "rwada": "-5"}, {"id": "birch", "rwada": "1"}]},
         "alder: rwada cannot be negative"),
        ({"services": [{"code": "001.000", "method": "pool_by_share", "pool": "1e26",
                        "participants": ["alder"]}]}, "exponent"),
        ({"services": [{"code": "001.000", "method": "pool_by_share",
                        "pool": "100000000000000000000000000", "participants": ["alder"]}]},
         "too large"),
        ({"usage": ["alder"]}, r"usage\[0\] must be an object"),
        ({"members": "alder"}, "members must be a list"),
        ({"members": [{"id": "alder", "rwada": "1"}, {"id": "alder", "rwada": "2"}]},
         "'alder' appears twice"),
        ({"usage": [{"member": "alder", "service": "300.010", "quantity": "1",
                     "period": "1999-99"}]}, "is not a month"),
        ({"usage": [{"member": "alder", "service": "300.010", "quantity": "1",
                     "period": "2026-13"}]}, "is not a month"),
        ({"services": [{"code": "300.010", "method": "rate", "rate": "45",
                        "admin_fee_pct": "250"}]}, "must be at most 100"),
        ({"usage": [{"member": "alder", "service": "001.000", "quantity": "1"}]},
         "not billed by usage"),
        ({"usage": [{"member": "alder", "service": "300.010", "quantity": "NaN"}]},
         "not a number"),
        ({"usage": [{"member": "alder", "service": "300.010", "quantity": 1.5}]}, "float"),
        ({"fiscal_year": "next"}, "fiscal_year must be a whole number"),
        ({"usage": [{"member": "zed", "service": "300.010", "quantity": "1"}]}, "unknown member"),
        ({"usage": [{"member": "alder", "service": "1.1", "quantity": "1"}]}, "unknown service"),
        (
            {
                "usage": [
                    {"member": "alder", "service": "300.010", "quantity": "1", "period": "2027-07"}
                ]
            },
            "outside FY2027",
        ),
        ({"members": [{"id": "alder", "rwada": "1"}, {"id": "birch"}]}, "'birch' has no rwada"),
    ],
)
def test_simulate_bad_input_names_the_record(tmp_path, change, message):
    path = tmp_path / "in.json"
    path.write_text(json.dumps({**EXAMPLE, **change}))
    with pytest.raises(CommandError, match=message) as exc:
        call_command("billing", "simulate", "--input", str(path))
    assert exc.value.returncode == 2
    assert "\n" not in str(exc.value)  # one line


def test_simulate_function_directly():
    assert simulate(EXAMPLE)["total"] == "50517.50"
