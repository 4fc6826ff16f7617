"""Payments and memos through the API: the ledger's own write functions behind them, so the
same rules hold as on the pages (applied oldest first unless an invoice is chosen, the rest
unapplied credit, reversals instead of edits, credits at most what is left on the line),
with refused input naming the field, scoping (another agency 404, a member 403 or 404)
and the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.utils import timezone
from tests.api.conftest import _api_for
from tests.web.conftest import last_event

from edcoop.billing import statements
from edcoop.billing.models import CreditMemo, Invoice, Payment, YearClose
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.core import audit


def assert_audited(action, user):
    event = last_event(action)
    assert event is not None and event.actor_id == user.pk and event.source == "api"
    assert audit.verify() == []


@pytest.fixture
def invoice(year, posted):
    return Invoice.objects.get(run=posted, institution=year.a)


@pytest.fixture
def office(year):
    return _api_for(year.tenant.users["business_office"])


def _pay(year, **overrides):
    body = {"institution_id": year.a.pk, "amount": "100.00", "received_on": "2026-11-20",
            "reference": "CHK 1042"}  # fmt: skip
    body.update(overrides)
    return body


def test_payment_applied_and_overpayment_is_unapplied_credit(year, invoice, office):
    over = invoice.total + Decimal("250.00")
    response = office.post("/agencies/north/payments", _pay(year, amount=f"{over}"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["applications"] == [{"invoice_id": invoice.pk,
                                     "invoice": invoice.display_number,
                                     "amount": f"{invoice.total:.2f}",
                                     "applied_on": str(invoice.issued_on)}]  # fmt: skip
    assert body["unapplied"] == "250.00" and body["reversed_on"] is None
    assert_audited("payment.record", year.tenant.users["business_office"])
    st = statements.statement(year.a, timezone.localdate())
    assert st.unapplied == Decimal("250.00") and st.balance == Decimal("-250.00")
    # The same payment sent again is the one recorded, not a second one.
    again = office.post("/agencies/north/payments", _pay(year, amount=f"{over}"))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Payment.objects.count() == 1


def test_payment_to_chosen_invoices_in_the_order_named(year, invoice, office):
    # October posted too: District 1 has two open invoices, September's the older.
    october = billing_run_compute(user=year.admin, agency=year.tenant.agency,
                                  period=date(2026, 10, 1))  # fmt: skip
    billing_run_post(user=year.admin, run=october)
    newer = Invoice.objects.get(run=october, institution=year.a)
    amount = newer.total + D("1.00")
    response = office.post("/agencies/north/payments",
                           _pay(year, amount=f"{amount}", invoice_ids=[newer.pk, invoice.pk]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["invoice_ids"] == [newer.pk, invoice.pk]
    assert [(a["invoice_id"], a["amount"]) for a in body["applications"]] == [
        (newer.pk, f"{newer.total:.2f}"), (invoice.pk, "1.00")]
    event = last_event("payment.record")
    assert event.changes["invoices"][1] == [newer.display_number, invoice.display_number]
    # Sent again: the same payment; the same reference for other invoices: refused.
    again = office.post("/agencies/north/payments",
                        _pay(year, amount=f"{amount}", invoice_ids=[newer.pk, invoice.pk]))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    clash = office.post("/agencies/north/payments",
                        _pay(year, amount=f"{amount}", invoice_ids=[invoice.pk]))
    assert clash.status_code == 400 and "reference" in clash.json()["errors"]
    # Invoices of another member, named twice, or unknown: refused, nothing recorded.
    other = Invoice.objects.get(run=invoice.run, institution=year.b)
    for ids in ([other.pk], [invoice.pk, invoice.pk], [999999]):
        bad = office.post("/agencies/north/payments", _pay(year, invoice_ids=ids,
                                                           reference="CHK 2"))  # fmt: skip
        assert bad.status_code == 400 and "invoice_ids" in bad.json()["errors"], ids
    assert Payment.objects.count() == 1


def test_payment_choices_are_only_added(year, invoice, office):
    from django.db import IntegrityError, transaction

    from edcoop.billing.models import PaymentChoice

    october = billing_run_compute(user=year.admin, agency=year.tenant.agency,
                                  period=date(2026, 10, 1))  # fmt: skip
    billing_run_post(user=year.admin, run=october)
    newer = Invoice.objects.get(run=october, institution=year.a)
    office.post("/agencies/north/payments", _pay(year, invoice_ids=[newer.pk, invoice.pk]))
    assert PaymentChoice.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentChoice.objects.update(rank=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentChoice.objects.all().delete()
    assert PaymentChoice.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"amount": "0"}, 422, "amount"),
        ({"amount": "-5.00"}, 422, "amount"),
        ({"amount": "1e20"}, 422, "amount"),
        ({"amount": "NaN"}, 422, "amount"),
        ({"amount": "1.005"}, 422, "amount"),
        ({"received_on": "2026-12-25"}, 400, "received_on"),
        ({"received_on": "2025-12-01"}, 400, "received_on"),
        ({"reference": "x" * 101}, 422, "reference"),
        ({"institution_id": 999999}, 404, None),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_written(year, invoice, office, overrides,
                                                         status, field):  # fmt: skip
    YearClose.objects.create(agency=year.tenant.agency, fiscal_year=2026,
                             closed_at=timezone.now())  # fmt: skip
    response = office.post("/agencies/north/payments", _pay(year, **overrides))
    assert response.status_code == status, response.json()
    if status == 400:
        assert field in response.json()["errors"]
    elif status == 422:
        assert field in {e["field"] for e in response.json()["errors"]}
    assert Payment.objects.count() == 0


def test_reverse_a_payment_reopens_the_invoice(year, invoice, office):
    paid = office.post("/agencies/north/payments", _pay(year, amount=f"{invoice.total}")).json()
    assert statements.statement(year.a, timezone.localdate()).balance == 0
    path = f"/agencies/north/payments/{paid['id']}/reverse"
    assert office.post(path, {"reason": ""}).status_code == 400
    response = office.post(path, {"reason": "Returned check", "reversed_on": "2026-11-25"})
    assert response.status_code == 200, response.json()
    assert response.json()["reversed_on"] == "2026-11-25"
    assert response.json()["unapplied"] == "0.00"
    assert statements.statement(year.a, timezone.localdate()).balance == invoice.total
    assert_audited("payment.reverse", year.tenant.users["business_office"])
    twice = office.post(path, {"reason": "Again"})
    assert twice.status_code == 400 and "payment" in twice.json()["errors"]


def test_memos_on_a_line(year, invoice, office):
    line = invoice.lines.filter(kind="service").order_by("pk").first()
    detail = office.get(f"/agencies/north/invoices/{invoice.pk}").json()
    assert line.pk in {li["id"] for li in detail["lines"]}
    path = f"/agencies/north/invoices/{invoice.pk}/lines/{line.pk}/memos"
    too_much = office.post(path, {"amount": f"{line.amount + 1}", "reason": "Too much"})
    assert too_much.status_code == 400 and "amount" in too_much.json()["errors"]
    assert office.post(path, {"amount": "1.00", "reason": ""}).status_code == 400
    assert office.post(path, {"amount": "1.00", "reason": "x", "kind": "gift"}).status_code == 422
    credit = office.post(path, {"amount": "10.00", "reason": "Two sessions not held"})
    assert credit.status_code == 201, credit.json()
    assert credit.json()["kind"] == "credit" and credit.json()["line_ids"] == [line.pk]
    assert credit.json()["number"].startswith("CM")
    assert_audited("credit_memo.issue", year.tenant.users["business_office"])
    debit = office.post(path, {"kind": "debit", "amount": "5.00", "reason": "Late fee"})
    assert debit.status_code == 201 and debit.json()["number"].startswith("DM")
    detail = office.get(f"/agencies/north/invoices/{invoice.pk}").json()
    assert {m["number"] for m in detail["credit_memos"]} == {
        credit.json()["number"], debit.json()["number"]}
    st = statements.statement(year.a, timezone.localdate())
    assert st.balance == invoice.total - Decimal("10.00") + Decimal("5.00")
    other = Invoice.objects.get(run=invoice.run, institution=year.b)
    assert office.post(f"/agencies/north/invoices/{other.pk}/lines/{line.pk}/memos",
                       {"amount": "1.00", "reason": "x"}).status_code == 404  # fmt: skip


def test_scoping_members_and_other_agencies(year, nation, invoice, office):
    office.post("/agencies/north/payments", _pay(year))
    payment = Payment.objects.get()
    line = invoice.lines.first()
    member = _api_for(year.tenant.users["member_finance"])  # of year.a
    assert member.get("/agencies/north/payments").json()["count"] == 1
    assert member.get(f"/agencies/north/payments/{payment.pk}").status_code == 200
    assert member.post("/agencies/north/payments", _pay(year, reference="X")).status_code == 403
    assert member.post(f"/agencies/north/payments/{payment.pk}/reverse",
                       {"reason": "mine"}).status_code == 403  # fmt: skip
    assert member.post(f"/agencies/north/invoices/{invoice.pk}/lines/{line.pk}/memos",
                       {"amount": "1.00", "reason": "x"}).status_code == 403  # fmt: skip
    assert member.post("/agencies/north/payments",
                       _pay(year, institution_id=year.b.pk)).status_code == 404  # fmt: skip
    auditor = _api_for(year.tenant.users["auditor"])
    assert auditor.get(f"/agencies/north/payments/{payment.pk}").status_code == 200
    assert auditor.post(f"/agencies/north/payments/{payment.pk}/reverse",
                        {"reason": "no"}).status_code == 403  # fmt: skip
    outsider = _api_for(nation.users["agency_admin"])
    for method, path, body in [
        ("get", f"/agencies/north/payments/{payment.pk}", None),
        ("post", f"/agencies/north/payments/{payment.pk}/reverse", {"reason": "x"}),
        ("post", f"/agencies/north/invoices/{invoice.pk}/lines/{line.pk}/memos",
         {"amount": "1.00", "reason": "x"}),
        ("post", "/agencies/north/payments", _pay(year, reference="Y")),
    ]:
        response = outsider.get(path) if method == "get" else outsider.post(path, body)
        assert response.status_code == 404, path
    assert Payment.objects.count() == 1 and not CreditMemo.objects.exists()
