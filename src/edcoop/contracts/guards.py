"""Database triggers behind the promise that an approved purchase order is issued: the
models' ``save``/``delete`` refuse it first (naming the order), and these refuse the same to
``QuerySet.update``/``delete``, ``bulk_create``, raw SQL and a shell.

- an order past draft: no change to what it was issued with (``ISSUED_ORDER_FIELDS``), no
  DELETE (cancelling it is the change that exists); its status, delivery stamps and notes
  still move on (sent, received, closed, cancelled);
- its lines: no new line, no DELETE, no change but the goods received
  (``FROZEN_LINE_FIELDS``: every column but ``received_quantity``);
- on PostgreSQL, no TRUNCATE of either table.

A draft and its lines change freely. The conditions read as SQL on both SQLite and
PostgreSQL: a nullable column counts as changed when either side is NULL and the other is
not (``NEW.x <> OLD.x`` alone is NULL then, which lets the row through)."""

from __future__ import annotations

from django.db.models import Model

from edcoop.core.guards import Rule

from .models import FROZEN_LINE_FIELDS, ISSUED_ORDER_FIELDS, PurchaseOrder, PurchaseOrderLine


def _nullable(model: type[Model]) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields if f.null}


def _changed(field: str, nullable: set[str]) -> str:
    if field in nullable:
        return (f"(NEW.{field} <> OLD.{field} "
                f"OR (NEW.{field} IS NULL) <> (OLD.{field} IS NULL))")  # fmt: skip
    return f"NEW.{field} <> OLD.{field}"


def _any_changed(fields: tuple[str, ...], model: type[Model]) -> str:
    nullable = _nullable(model)
    return " OR ".join(_changed(f, nullable) for f in fields)


ORDERS = "contracts_purchaseorder"
LINES = "contracts_purchaseorderline"
_ISSUED_PARENT = "(SELECT status FROM contracts_purchaseorder WHERE id = {row}.order_id) <> 'draft'"

ORDER_RULES = [
    Rule("contracts_order_issued", ORDERS, "UPDATE",
         "an approved purchase order keeps what it was issued with",
         f"OLD.status <> 'draft' AND ({_any_changed(ISSUED_ORDER_FIELDS, PurchaseOrder)})"),
    Rule("contracts_order_issued_delete", ORDERS, "DELETE",
         "an approved purchase order cannot be deleted; cancel it", "OLD.status <> 'draft'"),
    Rule("contracts_order_line_issued", LINES, "UPDATE",
         "lines of an approved purchase order cannot be changed",
         f"({_ISSUED_PARENT.format(row='OLD')} "
         f"AND ({_any_changed(FROZEN_LINE_FIELDS, PurchaseOrderLine)})) "
         f"OR (NEW.order_id <> OLD.order_id AND {_ISSUED_PARENT.format(row='NEW')})"),
    Rule("contracts_order_line_issued_delete", LINES, "DELETE",
         "lines of an approved purchase order cannot be deleted",
         _ISSUED_PARENT.format(row="OLD")),
    Rule("contracts_order_line_issued_insert", LINES, "INSERT",
         "an approved purchase order cannot gain lines", _ISSUED_PARENT.format(row="NEW")),
    *(Rule(f"{table}_no_truncate", table, "TRUNCATE", "purchase orders cannot be truncated")
      for table in (ORDERS, LINES)),
]  # fmt: skip
