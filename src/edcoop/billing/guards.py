"""Database triggers behind billing's promise that issued means issued: the model guards'
second line, for code that bypasses ``save()``/``delete()`` (``QuerySet.update``, raw SQL).

- issued invoices and their lines, posted runs, credit memos: no UPDATE;
- an issued invoice, lines of an issued invoice, a credit memo: no DELETE; no new line on an
  issued invoice;
- payments: no UPDATE, no DELETE (a reversal is a new record);
- document counters: never go back (no decrease, no moving to another series or year, no
  removal of a used one), so a number is never handed out twice;
- on PostgreSQL, no TRUNCATE of any of these tables.

``edcoop flush`` (tests and ``demo --reset``, never in production) lifts them through
``core.guards.lifted``.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from edcoop.core.guards import Rule, install_rules, remove_rules

_ISSUED_PARENT = "(SELECT status FROM billing_invoice WHERE id = {row}.invoice_id) = 'issued'"

RULES = [
    Rule("billing_invoice_issued", "billing_invoice", "UPDATE",
         "an issued invoice cannot be changed", "OLD.status = 'issued'"),
    Rule("billing_invoice_issued_delete", "billing_invoice", "DELETE",
         "an issued invoice cannot be deleted", "OLD.status = 'issued'"),
    Rule("billing_line_issued", "billing_invoiceline", "UPDATE",
         "lines of an issued invoice cannot be changed", _ISSUED_PARENT.format(row="OLD")),
    Rule("billing_line_issued_delete", "billing_invoiceline", "DELETE",
         "lines of an issued invoice cannot be deleted", _ISSUED_PARENT.format(row="OLD")),
    Rule("billing_line_issued_insert", "billing_invoiceline", "INSERT",
         "an issued invoice cannot gain lines", _ISSUED_PARENT.format(row="NEW")),
    Rule("billing_run_posted", "billing_billingrun", "UPDATE",
         "a posted billing run cannot be changed", "OLD.status = 'posted'"),
    Rule("billing_credit_memo", "billing_creditmemo", "UPDATE",
         "a credit memo cannot be changed"),
    Rule("billing_credit_memo_delete", "billing_creditmemo", "DELETE",
         "a credit memo cannot be deleted"),
    Rule("billing_payment_update", "billing_payment", "UPDATE",
         "a payment cannot be changed; record a reversal"),
    Rule("billing_payment_delete", "billing_payment", "DELETE",
         "a payment cannot be deleted; record a reversal"),
    Rule("billing_counter_back", "billing_documentcounter", "UPDATE",
         "a document number counter never goes back",
         "NEW.last < OLD.last OR NEW.agency_id <> OLD.agency_id OR NEW.series <> OLD.series "
         "OR NEW.fiscal_year <> OLD.fiscal_year"),
    Rule("billing_counter_delete", "billing_documentcounter", "DELETE",
         "a document number counter in use cannot be removed", "OLD.last > 0"),
    *(Rule(f"{table}_no_truncate", table, "TRUNCATE", "billing records cannot be truncated")
      for table in ("billing_invoice", "billing_invoiceline", "billing_creditmemo",
                    "billing_payment", "billing_documentcounter")),
]  # fmt: skip


# The ledger's rows are only ever added: memo lines, applications of payments and credits,
# payment reversals. Registered apart ("billing_ledger"), since their tables come later.
LEDGER_RULES = [
    *(Rule(f"{table}_no_{event.lower()}", table, event, message)
      for table, message in (
          ("billing_creditmemoline", "a memo line cannot be changed or deleted"),
          ("billing_creditapplication", "an application cannot be changed or deleted"),
          ("billing_paymentreversal", "a reversal cannot be changed or deleted"))
      for event in ("UPDATE", "DELETE", "TRUNCATE")),
]  # fmt: skip


# The invoices named for a payment: added with it, never changed (a table of its own set,
# since it came after the ledger's).
CHOICE_RULES = [
    Rule(f"billing_paymentchoice_no_{event.lower()}", "billing_paymentchoice", event,
         "the invoices a payment was for cannot be changed or deleted")
    for event in ("UPDATE", "DELETE", "TRUNCATE")
]  # fmt: skip


def install(connection: BaseDatabaseWrapper) -> None:
    install_rules(connection, RULES)


def remove(connection: BaseDatabaseWrapper) -> None:
    remove_rules(connection, RULES)
