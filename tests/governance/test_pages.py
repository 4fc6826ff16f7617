"""The compliance pages: who sees them, the check, and editing the agency's own rules."""

from typing import Any

import pytest
from tests.web.conftest import ALL_ROLES, client_for

from edcoop.governance.models import ComplianceRule

READERS = {"agency_admin", "procurement_officer", "business_office", "evaluator", "auditor"}
KEEPERS = {"agency_admin", "procurement_officer"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_opens_the_rule_table_and_the_editor(north: Any, role: str) -> None:
    client = client_for(north.users[role])
    assert client.get("/a/north/compliance/").status_code == (200 if role in READERS else 403)
    edit = client.get("/a/north/compliance/rules/ny-gml103-purchase/")
    assert edit.status_code == (200 if role in KEEPERS else 403)


def test_another_agency_is_not_found(north: Any, nation: Any) -> None:
    client = client_for(nation.users["agency_admin"])
    assert client.get("/a/north/compliance/").status_code == 404


def test_the_check_answers_on_the_page(north: Any) -> None:
    client = client_for(north.users["business_office"])
    body = client.get("/a/north/compliance/", {"jurisdiction": "NY", "funding": "local",
                      "kind": "commodity", "amount": "$20,000.01", "on": "2026-01-15"}
                      ).content.decode()  # fmt: skip
    assert "Formal competitive procurement" in body
    assert "NY GML §103: purchase contracts over $20,000" in body
    bad = client.get("/a/north/compliance/", {"jurisdiction": "NY", "funding": "local",
                     "kind": "commodity", "amount": "1e20"}).content.decode()  # fmt: skip
    assert "exponent notation" in bad and 'id="check-result"' not in bad


def test_an_officer_saves_the_agency_version_and_goes_back(north: Any) -> None:
    client = client_for(north.users["procurement_officer"])
    form = {"name": "North: bids over $15,000", "jurisdiction": "NY", "funding": "local",
            "kinds": ["commodity", "service"], "method": "sealed_bids", "lower": "15,000",
            "effective_from": "2026-07-01", "source": "Board resolution 2026-14",
            "active": "on"}  # fmt: skip
    response = client.post("/a/north/compliance/rules/ny-gml103-purchase/", form)
    assert response.status_code == 302
    own = ComplianceRule.objects.get(agency=north.agency, key="ny-gml103-purchase")
    assert own.lower == 15000 and own.effective_from.isoformat() == "2026-07-01"
    shipped = ComplianceRule.objects.get(agency__isnull=True, key="ny-gml103-purchase")
    assert shipped.lower == 20000
    # Refused input changes nothing and names the field.
    bad = client.post("/a/north/compliance/rules/ny-gml103-purchase/",
                      form | {"lower": "-0", "upper": "10"})  # fmt: skip
    assert bad.status_code == 200 and "Negative zero is not a value" in bad.content.decode()
    assert ComplianceRule.objects.get(pk=own.pk).lower == 15000
    client.post("/a/north/compliance/rules/ny-gml103-purchase/reset/")
    assert not ComplianceRule.objects.filter(agency=north.agency).exists()


def test_a_new_rule_needs_a_key_of_its_own(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    form = {"name": "Board policy: quotes", "jurisdiction": "NY", "funding": "local",
            "method": "quotes", "effective_from": "2026-07-01", "source": "Policy 6700",
            "active": "on"}  # fmt: skip
    assert "Give the new rule a short key" in client.post(
        "/a/north/compliance/rules/new/", form).content.decode()  # fmt: skip
    taken = client.post("/a/north/compliance/rules/new/", form | {"key": "ny-gml103-purchase"})
    assert "exists; edit it instead" in taken.content.decode()
    assert client.post("/a/north/compliance/rules/new/",
                       form | {"key": "north-quotes"}).status_code == 302  # fmt: skip
    assert ComplianceRule.objects.filter(agency=north.agency, key="north-quotes").exists()
