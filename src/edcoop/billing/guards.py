"""Database triggers that refuse UPDATE on issued invoices (and their lines), posted billing
runs and credit memos: the model guards' second line, for code that bypasses ``save()``
(``QuerySet.update``, raw SQL).

DELETE is guarded in the models (and by PROTECT foreign keys), not here, so that emptying a
test or demo database (``flush``) still works.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# (trigger name, table, condition on the old row, message)
RULES = [
    ("billing_invoice_issued", "billing_invoice", "OLD.status = 'issued'",
     "an issued invoice cannot be changed"),
    ("billing_line_issued", "billing_invoiceline",
     "(SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) = 'issued'",
     "lines of an issued invoice cannot be changed"),
    ("billing_run_posted", "billing_billingrun", "OLD.status = 'posted'",
     "a posted billing run cannot be changed"),
    ("billing_credit_memo", "billing_creditmemo", "1 = 1", "a credit memo cannot be changed"),
]  # fmt: skip


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for name, table, condition, message in RULES:
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE UPDATE ON {table} "
                    f"FOR EACH ROW WHEN {condition} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    f"""
                    CREATE OR REPLACE FUNCTION {name}_refuse() RETURNS trigger AS $$
                    BEGIN
                        IF {condition} THEN
                            RAISE EXCEPTION '{message}' USING ERRCODE = '23000';
                        END IF;
                        RETURN NEW;
                    END;
                    $$ LANGUAGE plpgsql;
                    """
                )
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {name}_refuse();"
                )


def remove(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for name, table, _, _ in RULES:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
