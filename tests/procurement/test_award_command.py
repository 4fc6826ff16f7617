"""``edcoop award solve``: prints the award as JSON; bad input is one line naming the record
and exit status 2."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

GOOD: dict[str, Any] = {
    "items": [{"id": "1", "quantity": "1200", "lot": "A"},
              {"id": "2", "quantity": "300", "lot": "A"}],
    "lots": [{"id": "A", "basis": "per_item"}],
    "bids": [
        {"supplier": "S1", "item": "1", "unit_price": "3.41",
         "tiers": [{"min_quantity": "1000", "unit_price": "3.30"}], "max_quantity": None,
         "responsive": True},
        {"supplier": "S2", "item": "1", "unit_price": "3.35"},
        {"supplier": "S2", "item": "2", "unit_price": "10.00"},
        {"supplier": "S1", "item": "2", "unit_price": "10.10"},
    ],
    "suppliers": [{"id": "S1", "spend_discounts": [{"min_total": "5000", "percent": "2"}]},
                  {"id": "S2"}],
    "rules": {"max_suppliers": None},
}  # fmt: skip


def run(tmp_path: Path, data: Any, *args: str) -> dict[str, Any]:
    path = tmp_path / "award.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    out = StringIO()
    call_command("award", "solve", "--input", str(path), *args, stdout=out)
    return json.loads(out.getvalue())


def refused(tmp_path: Path, data: Any, *args: str) -> str:
    with pytest.raises(CommandError) as exc:
        run(tmp_path, data, *args)
    assert exc.value.returncode == 2
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_solve_prints_the_award_as_json(tmp_path: Path) -> None:
    plain = run(tmp_path, GOOD)
    assert list(plain)[:8] == ["method", "status", "total", "baseline_total", "saving", "gap",
                               "awards", "ties"]  # fmt: skip
    assert (plain["method"], plain["status"], plain["total"]) == ("lowest_price", "optimal",
                                                                  "6960.00")  # fmt: skip
    best = run(tmp_path, GOOD, "--method", "optimal", "--time-limit", "30")
    assert (best["total"], best["baseline_total"], best["saving"], best["gap"]) == (
        "6850.20",
        "6960.00",
        "109.80",
        0.0,
    )
    assert best["awards"][0] == {"item": "1", "supplier": "S1", "quantity": "1200",
                                 "unit_price": "3.30", "amount": "3960.00"}  # fmt: skip


def with_bid(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(GOOD))
    data["bids"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (with_bid(item="9"), "bids[0] (supplier 'S1', item '9'): item is not in items"),
        (with_bid(supplier="S9"), "(supplier 'S9', item '1'): supplier is not in suppliers"),
        (with_bid(unit_price="-1.00"), "(supplier 'S1', item '1'): unit_price: cannot be negative"),
        (with_bid(unit_price="abc"), "unit_price: 'abc' is not a number"),
        (with_bid(unit_price=3.41), "unit_price: send the number as text"),
        (with_bid(unit_price="1.23456"), "unit_price: has more than 4 decimal places"),
        (with_bid(unit_price="1" * 40), "unit_price: is too large"),
        (with_bid(unit_price="NaN"), "unit_price: 'NaN' is not a number"),
        (with_bid(unit_price="-0"), "negative zero"),
        (with_bid(tiers=[{"min_quantity": "1000", "unit_price": "3.30"},
                         {"min_quantity": "500", "unit_price": "3.20"}]),
         "bids[0] (supplier 'S1', item '1'): tiers[1]: tiers out of order"),
        (with_bid(max_quantity="0"), "max_quantity must be more than 0"),
        (with_bid(responsive="yes"), "responsive must be true or false"),
        (with_bid(colour="red"), "unknown field 'colour'"),
        (with_bid(unit_price="999999999.9999", tiers=[]), "more than an award can hold"),
    ],
)  # fmt: skip
def test_bad_bids_are_refused_naming_the_record(tmp_path: Path, data: Any, expected: str) -> None:
    assert expected in refused(tmp_path, data)


def test_bad_records_elsewhere(tmp_path: Path) -> None:
    data = json.loads(json.dumps(GOOD))
    data["lots"].append({"id": "B", "basis": "per_item"})
    assert "lots[1] ('B'): the lot has no items" in refused(tmp_path, data)
    data = json.loads(json.dumps(GOOD))
    data["items"].append({"id": "1", "quantity": "5", "lot": "A"})
    assert "items[2] ('1'): duplicate item id" in refused(tmp_path, data)
    data = json.loads(json.dumps(GOOD))
    data["items"][0]["quantity"] = "0"
    assert "items[0] ('1'): quantity must be more than 0" in refused(tmp_path, data)
    data["items"][0]["quantity"] = "1" * 20
    assert "quantity: is too large" in refused(tmp_path, data)
    data = json.loads(json.dumps(GOOD))
    data["items"][0]["id"] = "x" * 100_000
    assert "id is longer than 100 characters" in refused(tmp_path, data)
    data["items"][0]["id"] = "a\x00b"
    assert "id contains a control character" in refused(tmp_path, data)
    data = json.loads(json.dumps(GOOD))
    data["suppliers"][0]["spend_discounts"].append({"min_total": "4000", "percent": "3"})
    assert "spend_discounts[1]: thresholds must rise" in refused(tmp_path, data)
    data = json.loads(json.dumps(GOOD))
    data["suppliers"].append({"id": "S1"})
    assert "suppliers[2] ('S1'): duplicate supplier id" in refused(tmp_path, data)
    data = json.loads(json.dumps(GOOD))
    data["rules"]["max_suppliers"] = 0
    assert "rules: max_suppliers must be null or a whole number" in refused(tmp_path, data)
    data["rules"] = {"max_suppliers": None, "splits": "sometimes"}
    assert "rules: splits must be one of" in refused(tmp_path, data)


def test_files_that_are_not_an_award_input(tmp_path: Path) -> None:
    assert "not JSON" in refused(tmp_path, "{not json")
    assert "not JSON" in refused(tmp_path, '{"items": NaN}')
    assert "input: must be an object" in refused(tmp_path, "[]")
    assert "input: items is required" in refused(tmp_path, "{}")
    assert "--time-limit" in refused(tmp_path, GOOD, "--time-limit", "0")
    with pytest.raises(CommandError) as exc:
        call_command("award", "solve", "--input", str(tmp_path / "missing.json"))
    assert exc.value.returncode == 2 and "missing.json" in str(exc.value)
