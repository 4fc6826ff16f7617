"""The billing API: catalog, subscriptions, usage (idempotent create), runs, invoices and
statements; tenant 404s, member scoping, refused input naming the field, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.api.conftest import _api_for

from edcoop.billing import ledger
from edcoop.billing.models import Invoice, Payment
from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.services.models import UsageRecord


def _usage(year, **overrides):
    body = {"institution_id": year.a.pk, "service": "300.010", "period": "2026-10",
            "quantity": "7.5", "external_ref": "SPEECH-2026-10-A"}  # fmt: skip
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "path",
    ["services", "subscriptions", "usage", "billing/runs", "invoices"],
)
def test_other_agency_is_404(year, nation, posted, path):
    api = _api_for(nation.users["agency_admin"])
    response = api.get(f"/agencies/north/{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_catalog_and_runs_for_staff(year, posted):
    api = _api_for(year.tenant.users["business_office"])
    services = api.get("/agencies/north/services").json()
    assert services["count"] == 5
    rate = next(s for s in services["items"] if s["code"] == "300.010")
    assert rate["unit_rate"] == "45.0000" and rate["charge_method"] == "rate"
    runs = api.get("/agencies/north/billing/runs").json()
    assert runs["items"][0]["period"] == "2026-09" and runs["items"][0]["status"] == "posted"
    assert isinstance(runs["items"][0]["total"], str)


def test_member_sees_only_its_own_records(year, posted):
    api = _api_for(year.tenant.users["member_finance"])
    subs = api.get("/agencies/north/subscriptions").json()
    assert subs["count"] == 5 and {s["institution"]["id"] for s in subs["items"]} == {year.a.pk}
    usage = api.get("/agencies/north/usage", period="2026-09").json()
    assert {u["institution"]["id"] for u in usage["items"]} == {year.a.pk}
    invoices = api.get("/agencies/north/invoices").json()
    assert invoices["count"] == 1 and invoices["items"][0]["institution"]["id"] == year.a.pk
    mine = Invoice.objects.get(run=posted, institution=year.a)
    other = Invoice.objects.get(run=posted, institution=year.b)
    detail = api.get(f"/agencies/north/invoices/{mine.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["number"] == mine.display_number
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["total"])
    speech = next(line for line in body["lines"] if line["service"]["code"] == "300.010")
    assert speech == {**speech, "quantity": "10.0000", "rate": "45.0000", "amount": "450.00"}
    assert api.get(f"/agencies/north/invoices/{other.pk}").status_code == 404
    assert api.get("/agencies/north/billing/runs").status_code == 403
    # A member buyer files requests but sees no bills.
    buyer = _api_for(year.tenant.users["member_buyer"])
    assert buyer.get("/agencies/north/invoices").status_code == 403
    assert buyer.get("/agencies/north/services").status_code == 200
    assert _api_for(year.tenant.users["supplier_rep"]).get(
        "/agencies/north/subscriptions").status_code == 403  # fmt: skip


def test_statement_of_a_membership(year, posted):
    invoice = Invoice.objects.get(run=posted, institution=year.a)
    ledger.payment_record(user=None, institution=year.a, amount=Decimal("100.00"),
                                    received_on=invoice.issued_on)  # fmt: skip
    finance = _api_for(year.tenant.users["member_finance"])
    response = finance.get(f"/agencies/north/memberships/{year.a.membership.pk}/statement")
    assert response.status_code == 200
    body = response.json()
    assert Decimal(body["balance"]) == invoice.total - Decimal("100.00")
    assert body["aging"]["current"] == body["balance"]
    assert body["items"][0]["invoice"] == invoice.display_number
    other = finance.get(f"/agencies/north/memberships/{year.b.membership.pk}/statement")
    assert other.status_code == 404
    staff = _api_for(year.tenant.users["auditor"])
    assert staff.get(
        f"/agencies/north/memberships/{year.b.membership.pk}/statement").status_code == 200
    outsider = _api_for(year.tenant.users["procurement_officer"])
    assert outsider.get(
        f"/agencies/north/memberships/{year.a.membership.pk}/statement").status_code == 403


def test_usage_create_is_idempotent_and_audited(year):
    user = year.tenant.users["business_office"]
    api = _api_for(user)
    first = api.post("/agencies/north/usage", _usage(year))
    assert first.status_code == 201, first.json()
    assert first.json()["quantity"] == "7.5000" and first.json()["period"] == "2026-10"
    event = AuditEvent.objects.filter(action="usage.record").order_by("-seq").first()
    assert event.actor_id == user.pk and event.source == "api"
    again = api.post("/agencies/north/usage", _usage(year))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert UsageRecord.objects.filter(external_ref="SPEECH-2026-10-A").count() == 1
    changed = api.post("/agencies/north/usage", _usage(year, quantity="8"))
    assert changed.status_code == 400 and "external_ref" in changed.json()["errors"]
    assert audit.verify() == []


@pytest.mark.parametrize(
    ("field", "overrides", "status"),
    [
        ("quantity", {"quantity": "-1"}, 422),
        ("quantity", {"quantity": 7.5}, 422),
        ("quantity", {"quantity": "1e20"}, 422),
        ("quantity", {"quantity": "NaN"}, 422),
        ("quantity", {"quantity": "10000000000"}, 422),
        ("quantity", {"quantity": "1.00001"}, 422),
        ("service", {"service": "001.000"}, 400),
        ("service", {"service": "601.200"}, 400),
        ("period", {"period": "2026-12"}, 400),
        ("period", {"period": "2031-01"}, 400),
        ("period", {"period": "October"}, 400),
        ("service", {"service": "999.999"}, 400),
        ("service", {"service": "601.200", "institution_id": None}, 422),
        ("period", {"period": "2026-09"}, 400),
        ("quantity", {"service": "500.100", "quantity": "98"}, 400),
        ("surprise", {"surprise": "x"}, 422),
    ],
)  # fmt: skip
def test_bad_usage_is_refused_naming_the_field(year, posted, field, overrides, status):
    before = UsageRecord.objects.count()
    body = _usage(year, **overrides)
    body = {k: v for k, v in body.items() if v is not None}
    response = _api_for(year.tenant.users["agency_admin"]).post("/agencies/north/usage", body)
    assert response.status_code == status, response.json()
    detail = response.json()["detail"]
    if "institution_id" not in body:
        assert "institution_id" in detail
    else:
        assert detail.startswith(f"{field}:") or f" {field}:" in detail
    assert UsageRecord.objects.count() == before


def test_usage_create_permissions(year, nation):
    member = _api_for(year.tenant.users["member_admin"])
    assert member.post("/agencies/north/usage", _usage(year)).status_code == 403
    other_member = member.post("/agencies/north/usage", _usage(year, institution_id=year.b.pk))
    assert other_member.status_code == 404
    outsider = _api_for(nation.users["agency_admin"])
    assert outsider.post("/agencies/north/usage", _usage(year)).status_code == 404
    assert not UsageRecord.objects.filter(external_ref="SPEECH-2026-10-A").exists()


@pytest.mark.parametrize(("day", "field_says"), [
    ("1900-01-01", "before FY2026 began (July 1, 2025)"),
    ("2025-06-30", "before FY2026 began"),
    ("2099-01-01", "in the future"),
])  # fmt: skip
def test_a_payment_date_that_makes_no_sense_is_refused_naming_it(year, posted, day, field_says):
    """Issue 11: a payment is received this fiscal year or recorded late from the last one;
    1900 or 2099 is a typo, refused with the field named and nothing recorded."""
    api = _api_for(year.tenant.users["business_office"])
    before = Payment.objects.count()
    answer = api.post("/agencies/north/payments", {
        "institution_id": year.a.pk, "amount": "10.00", "received_on": day, "reference": "T1",
    })  # fmt: skip
    assert answer.status_code in (400, 422), answer.content
    body = answer.content.decode()
    assert "received_on" in body and field_says in body
    assert Payment.objects.count() == before
    ok = api.post("/agencies/north/payments", {
        "institution_id": year.a.pk, "amount": "10.00", "received_on": "2025-07-01",
        "reference": "T2",
    })  # fmt: skip
    assert ok.status_code == 201, ok.content
