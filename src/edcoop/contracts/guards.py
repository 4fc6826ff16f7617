"""Database triggers behind the promise that an approved purchase order is issued: the
model's ``save`` refuses a change to what it was issued with (``ISSUED_ORDER_FIELDS``), and
these refuse the same to ``QuerySet.update``, raw SQL and a shell. Its status and delivery
stamps still move on (sent, received, closed, cancelled); a draft changes freely.

The condition reads as SQL on both SQLite and PostgreSQL (``COALESCE`` for the nullable
letterhead, so a NULL on either side still counts as a change)."""

from __future__ import annotations

from edcoop.core.guards import Rule

from .models import ISSUED_ORDER_FIELDS

_NULLABLE = {"letterhead_id": "0"}


def _changed(field: str) -> str:
    if field in _NULLABLE:
        default = _NULLABLE[field]
        return f"COALESCE(NEW.{field}, {default}) <> COALESCE(OLD.{field}, {default})"
    return f"NEW.{field} <> OLD.{field}"


ORDER_RULES = [
    Rule("contracts_order_issued", "contracts_purchaseorder", "UPDATE",
         "an approved purchase order keeps what it was issued with",
         f"OLD.status <> 'draft' AND ({' OR '.join(map(_changed, ISSUED_ORDER_FIELDS))})"),
]  # fmt: skip
