"""The compliance check through its doors (the command), and the agency's own rules."""

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from edcoop.core.models import AuditEvent
from edcoop.governance import services
from edcoop.governance.models import ComplianceRule

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("compliance", "check", *args, stdout=out)
    return out.getvalue()


def test_the_shipped_defaults_are_in_the_table_with_sources():
    rows = ComplianceRule.objects.filter(agency__isnull=True)
    assert rows.filter(key="ny-gml103-purchase", lower=20000).exists()
    assert all(r.source for r in rows)


def test_command_prints_the_method_and_the_rule_as_json():
    result = json.loads(run("--jurisdiction", "NY", "--funding", "local", "--kind", "commodity",
                            "--amount", "20000.01", "--date", "2026-01-15", "--json"))  # fmt: skip
    assert result["method"] == "sealed_bids"
    assert result["decided_by"][0]["key"] == "ny-gml103-purchase"
    assert result["amount"] == "20000.01"
    text = run("--jurisdiction", "NY", "--funding", "local", "--kind", "commodity",
               "--amount", "20000.00")  # fmt: skip
    assert text.startswith("Quotations") and "ny-gml104b-purchase" in text
    # The shipped table in the database switches 2 CFR 200's thresholds on 2025-10-01.
    for on, expected, key in (("2025-09-30", "quotes", "us-2cfr200-small-2018"),
                              ("2025-10-01", "micro_purchase", "us-2cfr200-micro-2025")):
        federal = json.loads(run("--jurisdiction", "WY", "--funding", "federal", "--kind",
                                 "commodity", "--amount", "12000.00", "--date", on, "--json"))
        assert (federal["method"], federal["decided_by"][0]["key"]) == (expected, key), on


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "1e20"], "--amount: The amount '1e20' is in exponent notation"),
        (["--amount", "-0"], "negative zero"),
        (["--amount", "5" * 40], "too large"),
        (["--amount", "100", "--date", "2026-02-30"], "--date: Give the date as YYYY-MM-DD"),
        (["--amount", "100", "--jurisdiction", "N1"], "--jurisdiction"),
        (["--amount", "100", "--jurisdiction", "WY"], "The rule table has a gap"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    base = {"--jurisdiction": "NY", "--funding": "local", "--kind": "commodity"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [x for pair in base.items() for x in pair]
    with pytest.raises(CommandError) as caught:
        run(*flat)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_agency_replaces_a_default_for_itself_only(north, nation):
    officer = north.users["procurement_officer"]
    services.rule_save(user=officer, agency=north.agency, key="ny-gml104b-purchase",
                       upper=10000)  # fmt: skip
    services.rule_save(
        user=officer, agency=north.agency, key="north-written-quotes",
        name="North policy: written quotes from $10,000.01", jurisdiction="NY",
        funding="local", kinds=["commodity"], method="quotes", lower=10000, upper=20000,
        effective_from="2020-07-01", source="Board policy 6700",
    )  # fmt: skip
    check = {"jurisdiction": "NY", "funding": "local", "kind": "commodity", "amount": "15000",
             "on": "2026-01-15"}  # fmt: skip
    mine = services.compliance_check(agency=north.agency, **check)
    assert [r["key"] for r in mine["decided_by"]] == ["north-written-quotes"]
    # The other agency still has the shipped default.
    theirs = services.compliance_check(agency=nation.agency, **check)
    assert [r["key"] for r in theirs["decided_by"]] == ["ny-gml104b-purchase"]
    assert AuditEvent.objects.filter(action="compliance_rule.create",
                                     agency_id=north.agency.pk).count() == 2  # fmt: skip
    services.rule_reset(user=officer, agency=north.agency, key="ny-gml104b-purchase")
    assert AuditEvent.objects.filter(action="compliance_rule.reset").count() == 1


def test_only_the_keepers_of_the_table_change_it(north):
    for role in ("business_office", "auditor", "evaluator", "member_admin", "supplier_rep"):
        with pytest.raises(PermissionDenied):
            services.rule_save(user=north.users[role], agency=north.agency,
                               key="ny-gml103-purchase", lower=1)  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        services.rule_save(user=north.users["agency_admin"], agency=north.agency,
                           key="ny-gml103-purchase", lower=50000, upper=100)  # fmt: skip
    assert "upper" in caught.value.message_dict
    assert not ComplianceRule.objects.filter(agency=north.agency).exists()


def test_the_api_answers_and_refuses_with_the_field(north):
    from tests.web.conftest import client_for

    client = client_for(north.users["evaluator"])
    url = "/api/v1/agencies/north/compliance/check"
    ok = client.get(url, {"jurisdiction": "NY", "funding": "federal", "kind": "service",
                          "amount": "400000", "date": "2026-01-15"})  # fmt: skip
    assert ok.status_code == 200, ok.content
    assert ok.json()["method"] == "sealed_bids"
    assert {r["key"] for r in ok.json()["decided_by"]} == {"ny-gml103-purchase",
                                                           "us-2cfr200-formal-2025"}  # fmt: skip
    bad = client.get(url, {"jurisdiction": "NY", "funding": "local", "kind": "service",
                           "amount": "NaN"})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"]["amount"]
    member = client_for(north.users["member_buyer"])
    assert member.get(url, {"jurisdiction": "NY", "funding": "local", "kind": "service",
                            "amount": "1"}).status_code == 403  # fmt: skip
