"""A member's statement: issued invoices less credit memos and payments, with aging."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edcoop.members.models import Institution

from .models import CreditMemo, Invoice, Payment

ZERO = Decimal(0)
BUCKETS = ("current", "30", "60", "90+")
BUCKET_LABELS = {"current": "Current (under 30 days)", "30": "30-59 days",
                 "60": "60-89 days", "90+": "90 days or more"}  # fmt: skip


@dataclass
class OpenItem:
    invoice: Invoice
    credits: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        return self.invoice.total - self.credits - self.paid

    def age(self, as_of: date) -> int:
        return (as_of - (self.invoice.issued_on or as_of)).days


@dataclass
class Statement:
    institution: Institution
    as_of: date
    items: list[OpenItem] = field(default_factory=list)
    unapplied: Decimal = ZERO
    aging: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))

    @property
    def balance(self) -> Decimal:
        return sum((i.open for i in self.items), ZERO) - self.unapplied

    @property
    def aging_rows(self) -> list[tuple[str, Decimal]]:
        return [(BUCKET_LABELS[b], self.aging[b]) for b in BUCKETS]


def bucket(days: int) -> str:
    if days < 30:
        return "current"
    if days < 60:
        return "30"
    if days < 90:
        return "60"
    return "90+"


def statement(institution: Institution, as_of: date) -> Statement:
    """Payments naming an invoice go to it; others pay the oldest open invoices first."""
    invoices = list(
        Invoice.objects.filter(institution=institution, status=Invoice.Status.ISSUED,
                               issued_on__lte=as_of).order_by("issued_on", "number")
    )  # fmt: skip
    items = {inv.pk: OpenItem(inv) for inv in invoices}
    for memo in CreditMemo.objects.filter(institution=institution, issued_on__lte=as_of):
        if memo.invoice_id in items:
            items[memo.invoice_id].credits += memo.amount
    loose = ZERO
    for p in Payment.objects.filter(institution=institution, received_on__lte=as_of).order_by(
        "received_on", "pk"
    ):
        if p.invoice_id in items:
            items[p.invoice_id].paid += p.amount
        else:
            loose += p.amount
    for item in items.values():
        if loose <= 0:
            break
        applied = min(max(item.open, ZERO), loose)
        item.paid += applied
        loose -= applied
    result = Statement(institution=institution, as_of=as_of, items=list(items.values()),
                       unapplied=loose)  # fmt: skip
    for item in result.items:
        if item.open:
            result.aging[bucket(item.age(as_of))] += item.open
    return result
