"""The compliance engine on the shipped rule table: thresholds at their edges, the effective
date switch, federal funds on top of state law, and the gaps."""

from datetime import date
from decimal import Decimal

import pytest

from edcoop.governance.compliance import Method, NoRule, Rule, required_method
from edcoop.governance.defaults import DEFAULT_RULES

RULES = [
    Rule(**{k: v for k, v in row.items() if k not in {"source_url"}}
         | {"method": Method[row["method"].upper()], "kinds": tuple(row["kinds"])})
    for row in DEFAULT_RULES
]  # fmt: skip
D = Decimal
AFTER = date(2026, 1, 15)
BEFORE = date(2025, 9, 30)


def method(jurisdiction, funding, kind, amount, on=AFTER):
    return required_method(RULES, jurisdiction=jurisdiction, funding=funding, kind=kind,
                           amount=D(amount), on=on)  # fmt: skip


def test_ny_purchase_exactly_at_the_threshold_is_not_over_it():
    decision = method("NY", "local", "commodity", "20000.00")
    assert decision.method == Method.QUOTES
    assert [r.key for r in decision.decided_by] == ["ny-gml104b-purchase"]


def test_ny_purchase_one_cent_over_needs_sealed_bids():
    decision = method("NY", "local", "commodity", "20000.01")
    assert decision.method == Method.SEALED_BIDS
    assert [r.key for r in decision.decided_by] == ["ny-gml103-purchase"]


def test_ny_public_works_have_their_own_threshold():
    assert method("NY", "local", "public_work", "35000.00").method == Method.QUOTES
    assert method("NY", "local", "public_work", "35000.01").method == Method.SEALED_BIDS
    # A $30,000 commodity purchase is over the purchase threshold, not the public-works one.
    assert method("NY", "local", "commodity", "30000").method == Method.SEALED_BIDS


def test_federal_micro_purchase_threshold_switches_on_2025_10_01():
    # $12,000 of federal funds in Colorado, above the local $10,000 quote band... use the
    # federal rules alone by asking for a state with no local rules.
    assert method("WY", "federal", "commodity", "12000", on=BEFORE).method == Method.QUOTES
    assert method("WY", "federal", "commodity", "12000", on=AFTER).method == Method.MICRO_PURCHASE
    assert method("WY", "federal", "commodity", "15000.00").method == Method.MICRO_PURCHASE
    assert method("WY", "federal", "commodity", "15000.01").method == Method.QUOTES
    assert method("WY", "federal", "service", "350000.00").method == Method.QUOTES
    assert method("WY", "federal", "service", "350000.01").method == Method.SEALED_BIDS
    assert method("WY", "federal", "service", "300000", on=BEFORE).method == Method.SEALED_BIDS


def test_federal_funds_in_new_york_take_the_stricter_of_both():
    # $25,000 with federal funds: 2 CFR 200 would allow quotes, GML §103 requires bids.
    decision = method("NY", "federal", "commodity", "25000")
    assert decision.method == Method.SEALED_BIDS
    assert [r.key for r in decision.decided_by] == ["ny-gml103-purchase"]
    assert {r.key for r in decision.applied} == {"ny-gml103-purchase", "us-2cfr200-small-2025"}
    # $12,000: NY policy asks for quotes though federal rules allow a micro-purchase.
    assert method("NY", "federal", "commodity", "12000").method == Method.QUOTES


def test_local_funds_ignore_the_federal_rules():
    decision = method("NY", "local", "commodity", "12000")
    assert all(r.jurisdiction == "NY" for r in decision.applied)


def test_colorado_example_policy_bands_include_10000():
    assert method("CO", "local", "commodity", "9999.99").method == Method.MICRO_PURCHASE
    assert method("CO", "local", "commodity", "10000.00").method == Method.QUOTES
    assert method("CO", "local", "commodity", "20000.00").method == Method.QUOTES
    assert method("CO", "local", "commodity", "20000.01").method == Method.SEALED_BIDS


def test_a_gap_in_the_table_is_said_not_guessed():
    with pytest.raises(NoRule, match=r"no rule covers a commodity purchase of 5,000\.00"):
        method("WY", "local", "commodity", "5000")


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        method("NY", "local", "furniture", "1")
    with pytest.raises(ValueError, match="negative"):
        method("NY", "local", "commodity", "-1")


def test_the_federal_switch_is_on_2025_10_01_exactly():
    def fed(amount, on):
        return method("WY", "federal", "service", amount, on=on).method

    last_old, first_new = date(2025, 9, 30), date(2025, 10, 1)
    # The day before: micro-purchase up to $10,000, simplified acquisition up to $250,000.
    assert fed("10000.00", last_old) == Method.MICRO_PURCHASE
    assert fed("10000.01", last_old) == Method.QUOTES
    assert fed("250000.00", last_old) == Method.QUOTES
    assert fed("250000.01", last_old) == Method.SEALED_BIDS
    # The day itself: $15,000 and $350,000.
    assert fed("12000.00", last_old) == Method.QUOTES
    assert fed("12000.00", first_new) == Method.MICRO_PURCHASE
    assert fed("15000.00", first_new) == Method.MICRO_PURCHASE
    assert fed("15000.01", first_new) == Method.QUOTES
    assert fed("300000.00", first_new) == Method.QUOTES
    assert fed("350000.00", first_new) == Method.QUOTES
    decision = method("WY", "federal", "service", "350000.01", on=first_new)
    assert decision.method == Method.SEALED_BIDS
    assert [r.key for r in decision.decided_by] == ["us-2cfr200-formal-2025"]
