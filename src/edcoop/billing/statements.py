"""A member's statement and the agency's receivables: issued invoices plus debit memos, less
what payments and credit memos were applied to them, aged by invoice date; what was paid
or credited beyond the invoices is unapplied credit, shown on its own line (never as a
negative aging bucket)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from edcoop.members.models import Agency, Institution

from .ledger import applied_by_invoice, debits_by_invoice
from .models import CreditApplication, CreditMemo, Invoice, MoneySum, Payment

ZERO = Decimal(0)
BUCKETS = ("current", "30", "60", "90+")
BUCKET_LABELS = {
    "current": "Current (under 30 days)",
    "30": "30-59 days",
    "60": "60-89 days",
    "90+": "90 days or more",
}


@dataclass
class OpenItem:
    invoice: Invoice
    debits: Decimal = ZERO
    credits: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        return self.invoice.total + self.debits - self.credits - self.paid

    def age(self, as_of: date) -> int:
        return (as_of - (self.invoice.issued_on or as_of)).days


@dataclass
class Statement:
    institution: Institution
    as_of: date
    items: list[OpenItem] = field(default_factory=list)
    unapplied: Decimal = ZERO
    aging: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    invoiced: Decimal = ZERO
    debited: Decimal = ZERO
    credited: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """What the member owes (negative: the agency owes it)."""
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


def _payments_as_of(as_of: date) -> Q:
    return Q(received_on__lte=as_of) & (
        Q(reversal__isnull=True) | Q(reversal__reversed_on__gt=as_of)
    )


def statement(institution: Institution, as_of: date) -> Statement:
    """The member's position on ``as_of``: each invoice's open amount, unapplied credit."""
    invoices = Invoice.objects.filter(
        institution=institution, status=Invoice.Status.ISSUED, issued_on__lte=as_of
    )
    ordered = list(invoices.order_by("issued_on", "number"))
    debits = debits_by_invoice(invoices, as_of)
    paid, credited = applied_by_invoice(invoices, as_of)
    items = [
        OpenItem(inv, debits.get(inv.pk, ZERO), credited.get(inv.pk, ZERO), paid.get(inv.pk, ZERO))
        for inv in ordered
    ]
    payments = (
        Payment.objects.filter(_payments_as_of(as_of), institution=institution).aggregate(
            t=MoneySum("amount")
        )["t"]
        or ZERO
    )
    credits = CreditMemo.objects.filter(
        institution=institution, kind=CreditMemo.Kind.CREDIT, issued_on__lte=as_of
    ).aggregate(t=MoneySum("amount"))["t"]
    credits = credits or ZERO
    applied = sum(paid.values(), ZERO) + sum(credited.values(), ZERO)
    result = Statement(
        institution=institution,
        as_of=as_of,
        items=items,
        unapplied=payments + credits - applied,
        invoiced=sum((i.invoice.total for i in items), ZERO),
        debited=sum(debits.values(), ZERO),
        credited=credits,
        paid=payments,
    )
    for item in items:
        if item.open:
            result.aging[bucket(item.age(as_of))] += item.open
    return result


@dataclass
class Receivables:
    """The agency's receivables on a day: open amounts by age, unapplied credit, members."""

    as_of: date
    aging: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    unapplied: Decimal = ZERO
    members_owing: int = 0
    members_in_credit: int = 0
    largest: list[tuple[str, int, Decimal]] = field(default_factory=list)

    @property
    def open(self) -> Decimal:
        return sum(self.aging.values(), ZERO)

    @property
    def net(self) -> Decimal:
        return self.open - self.unapplied

    @property
    def aging_rows(self) -> list[tuple[str, Decimal]]:
        return [(BUCKET_LABELS[b], self.aging[b]) for b in BUCKETS]


def payments_by_member(agency: Agency, as_of: date) -> dict[int, Decimal]:
    """Money each member paid up to ``as_of`` (received by then, not reversed by then)."""
    return dict(
        Payment.objects.filter(_payments_as_of(as_of), agency=agency)
        .values("institution_id")
        .annotate(t=MoneySum("amount"))
        .values_list("institution_id", "t")
    )


def credits_by_member(agency: Agency, as_of: date) -> dict[int, Decimal]:
    """Credit memos each member was issued up to ``as_of``."""
    return dict(
        CreditMemo.objects.filter(agency=agency, kind=CreditMemo.Kind.CREDIT, issued_on__lte=as_of)
        .values("institution_id")
        .annotate(t=MoneySum("amount"))
        .values_list("institution_id", "t")
    )


def receivables(agency: Agency, as_of: date) -> Receivables:
    """Agency-wide: a handful of grouped queries, not one statement per member."""
    invoices = Invoice.objects.filter(
        agency=agency, status=Invoice.Status.ISSUED, issued_on__lte=as_of
    )
    debits = debits_by_invoice(invoices, as_of)
    paid, credited = applied_by_invoice(invoices, as_of)
    out = Receivables(as_of=as_of)
    per_member: dict[int, Decimal] = defaultdict(Decimal)
    for pk, inst, total, issued in invoices.values_list(
        "pk", "institution_id", "total", "issued_on"
    ):
        open_ = total + debits.get(pk, ZERO) - paid.get(pk, ZERO) - credited.get(pk, ZERO)
        if open_:
            out.aging[bucket((as_of - (issued or as_of)).days)] += open_
            per_member[inst] += open_
    pay = payments_by_member(agency, as_of)
    cred = credits_by_member(agency, as_of)
    apps = dict(
        CreditApplication.objects.filter(
            Q(payment__isnull=True)
            | Q(payment__reversal__isnull=True)
            | Q(payment__reversal__reversed_on__gt=as_of),
            agency=agency,
            applied_on__lte=as_of,
        )
        .values("institution_id")
        .annotate(t=MoneySum("amount"))
        .values_list("institution_id", "t")
    )
    balances: dict[int, Decimal] = {}
    for inst in set(per_member) | set(pay) | set(cred):
        unapplied = pay.get(inst, ZERO) + cred.get(inst, ZERO) - apps.get(inst, ZERO)
        out.unapplied += unapplied
        balances[inst] = per_member.get(inst, ZERO) - unapplied
    out.members_owing = sum(1 for b in balances.values() if b > 0)
    out.members_in_credit = sum(1 for b in balances.values() if b < 0)
    top = sorted(((b, i) for i, b in balances.items() if b > 0), reverse=True)[:5]
    names = dict(Institution.objects.filter(pk__in=[i for _, i in top]).values_list("pk", "name"))
    out.largest = [(names.get(i, ""), i, b) for b, i in top]
    return out
