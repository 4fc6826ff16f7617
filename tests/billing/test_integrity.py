"""``audit verify`` checks billing's records against the trail; the database refuses the
changes behind the product's back that would need such a check.

Each attack is made twice: as the application's database role could (the triggers refuse
it), and as a table owner or superuser could (triggers skipped): then verify fails.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from edcoop.billing.ledger import memo_issue, payment_record
from edcoop.billing.models import (
    CreditApplication,
    CreditMemo,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    Payment,
)
from edcoop.core import integrity
from edcoop.core.models import AuditEvent


@pytest.fixture
def books(year: Any, posted: Any) -> Any:
    """September posted, a payment on one invoice and a credit memo on the other."""
    a_inv = Invoice.objects.get(run=posted, institution=year.a)
    b_inv = Invoice.objects.get(run=posted, institution=year.b)
    year.a_inv, year.b_inv = a_inv, b_inv
    year.payment = payment_record(user=year.admin, institution=year.a, amount=D("500.00"),
                                  received_on=date(2026, 10, 20), reference="CHK 77",
                                  invoice=a_inv)  # fmt: skip
    year.memo = memo_issue(user=year.admin, line=b_inv.lines.get(kind="admin_fee"),
                           amount=D("15.00"), reason="Fee charged twice")  # fmt: skip
    return year


def _verify_fails(*fragments: str) -> list[str]:
    report = integrity.verify()
    problems = report.all_problems()
    for fragment in fragments:
        assert any(fragment in p for p in problems), (fragment, problems)
    with pytest.raises(CommandError, match="audit verify failed") as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode == 1
    return problems


def _refused(sql: str, params: list[Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_intact_books_verify_with_their_counts(books, capsys):
    report = integrity.verify()
    assert report.ok, report.all_problems()
    counts = report.counts_for(books.tenant.agency.pk)
    assert counts["issued invoices"] == 2
    assert counts["invoice lines"] == 10
    assert counts["payments"] == 1 and counts["credit memos"] == 1
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "north: " in out and "2 issued invoices" in out and "records match" in out


def test_deleting_a_line_of_an_issued_invoice_is_refused_and_then_caught(books, owner_bypass):
    line = books.a_inv.lines.order_by("pk").first()
    _refused("DELETE FROM billing_invoiceline WHERE id = %s", [line.pk])
    with owner_bypass():
        InvoiceLine.objects.filter(pk=line.pk).delete()
    n = books.a_inv.display_number
    _verify_fails(f"invoice {n}: its lines sum to {books.a_inv.total - line.amount} but its "
                  f"total is {books.a_inv.total}")  # fmt: skip


def test_adding_a_line_to_an_issued_invoice_is_refused_and_then_caught(books, owner_bypass):
    line = books.a_inv.lines.order_by("pk").first()
    values = [books.a_inv.pk, line.service_id, "service", "extra", "1", "", "99.00"]
    _refused("INSERT INTO billing_invoiceline (invoice_id, service_id, kind, description, "
             "quantity, basis, amount) VALUES (%s, %s, %s, %s, %s, %s, %s)", values)
    with owner_bypass():
        InvoiceLine.objects.bulk_create([InvoiceLine(
            invoice_id=books.a_inv.pk, service_id=line.service_id, description="extra",
            quantity=D(1), amount=D("99.00"))])  # fmt: skip
    _verify_fails(f"invoice {books.a_inv.display_number}: its lines sum to")


def test_an_issued_invoice_rewritten_with_its_lines_still_disagrees_with_its_event(
    books, owner_bypass
):
    line = books.a_inv.lines.order_by("pk").first()
    with owner_bypass():
        InvoiceLine.objects.filter(pk=line.pk).update(amount=line.amount - D("100.00"))
        Invoice.objects.filter(pk=books.a_inv.pk).update(total=books.a_inv.total - D("100.00"))
    event = AuditEvent.objects.get(action="invoice.issue", object_id=str(books.a_inv.pk))
    _verify_fails(f"its total is {books.a_inv.total - D('100.00')} but event #{event.seq} "
                  f"recorded {books.a_inv.total}")  # fmt: skip


def test_deleting_an_issued_invoice_is_refused_and_then_caught(books, owner_bypass):
    _refused("DELETE FROM billing_invoice WHERE id = %s", [books.b_inv.pk])
    with owner_bypass():
        CreditApplication.objects.filter(invoice=books.b_inv).delete()
        CreditMemo.objects.filter(invoice=books.b_inv).delete()
        InvoiceLine.objects.filter(invoice=books.b_inv).delete()
        Invoice.objects.filter(pk=books.b_inv.pk).delete()
    _verify_fails(
        f"invoice {books.b_inv.display_number} issued by event",
        "invoice numbering of FY2027 has a gap: no invoice 2 (1 of 2 numbers used)",
    )


@pytest.mark.parametrize(
    "sql",
    ["UPDATE billing_payment SET amount = %s WHERE id = %s",
     "UPDATE billing_payment SET amount = amount WHERE id = %s"],
)  # fmt: skip
def test_a_payment_cannot_be_changed_even_to_itself(books, sql):
    params = ["5.00", books.payment.pk] if sql.count("%s") == 2 else [books.payment.pk]
    _refused(sql, params)
    assert Payment.objects.get(pk=books.payment.pk).amount == D("500.00")


def test_editing_a_payment_amount_is_caught(books, owner_bypass):
    with owner_bypass():
        Payment.objects.filter(pk=books.payment.pk).update(amount=D("50.00"))
    event = AuditEvent.objects.get(action="payment.record", object_id=str(books.payment.pk))
    _verify_fails(f"payment #{books.payment.pk} (CHK 77): amount is 50.00 but event "
                  f"#{event.seq} recorded 500.00")  # fmt: skip


def test_deleting_a_payment_is_refused_and_then_caught(books, owner_bypass):
    _refused("DELETE FROM billing_payment WHERE id = %s", [books.payment.pk])
    with owner_bypass():
        CreditApplication.objects.filter(payment=books.payment).delete()
        Payment.objects.filter(pk=books.payment.pk).delete()
    _verify_fails(f"payment #{books.payment.pk} recorded by event")


def test_a_payment_written_outside_edcoop_is_caught(books, owner_bypass):
    forged = Payment.objects.create(agency=books.tenant.agency, institution=books.b,
                                    amount=D("1.00"), received_on=date(2026, 10, 1))  # fmt: skip
    _verify_fails(f"payment #{forged.pk} has no audit event (payment.record)")


def test_deleting_a_credit_memo_is_refused_and_then_caught(books, owner_bypass):
    _refused("DELETE FROM billing_creditmemo WHERE id = %s", [books.memo.pk])
    with owner_bypass():
        CreditApplication.objects.filter(memo=books.memo).delete()
        CreditMemo.objects.filter(pk=books.memo.pk).delete()
    _verify_fails(f"credit memo #{books.memo.pk} recorded by event",
                  "credit memo numbering of FY2027 has a gap: no credit memo 1")  # fmt: skip


def test_a_document_counter_never_goes_back(books, owner_bypass):
    counter = DocumentCounter.objects.get(agency=books.tenant.agency, series="INV")
    assert counter.last == 2
    _refused("UPDATE billing_documentcounter SET last = 1 WHERE id = %s", [counter.pk])
    _refused("UPDATE billing_documentcounter SET fiscal_year = 2099 WHERE id = %s", [counter.pk])
    _refused("DELETE FROM billing_documentcounter WHERE id = %s", [counter.pk])
    # Going forward is what numbering does.
    DocumentCounter.objects.filter(pk=counter.pk).update(last=3)
    _verify_fails("invoice numbering of FY2027 has a gap: no invoice 3 (2 of 3 numbers used)")
    with owner_bypass():
        DocumentCounter.objects.filter(pk=counter.pk).update(last=1)
    _verify_fails("invoice numbering of FY2027 runs past its counter (2 numbered, counter at 1)")


def test_one_agencys_broken_books_are_not_reported_to_another(books, nation, owner_bypass):
    with owner_bypass():
        Payment.objects.filter(pk=books.payment.pk).update(amount=D("50.00"))
    theirs = integrity.verify(agency_id=nation.agency.pk)
    assert theirs.ok and theirs.counts_for(nation.agency.pk).get("payments", 0) == 0
    ours = integrity.verify(agency_id=books.tenant.agency.pk)
    assert any("amount is 50.00" in p for p in ours.problems_for(books.tenant.agency.pk))


def _trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_a_database_holding_payments_and_puts_the_guards_back(north):
    # The sanctioned way to empty a development or test database lifts every guard.
    payment_record(user=north.users["business_office"], institution=north.institution,
                   amount=D("9.00"), received_on=date(2026, 9, 1))  # fmt: skip
    call_command("flush", interactive=False, verbosity=0)
    assert not Payment.objects.exists() and not AuditEvent.objects.exists()
    assert {"billing_payment_delete", "billing_credit_memo_delete", "billing_counter_back",
            "billing_line_issued_insert", "core_auditevent_no_delete"
            if connection.vendor == "sqlite" else "core_auditevent_no_change"} <= _trigger_names()
