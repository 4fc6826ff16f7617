"""What members owe and paid: credit and debit memos on invoice lines, payments, their
reversals, and the applications of payments and credits to invoices.

Every row here is only ever added. A payment or credit memo is applied to invoices by new
``CreditApplication`` rows (the invoices it names first, then the oldest open invoices); what
is left is unapplied credit on the member's statement. A payment recorded by mistake is
reversed (``PaymentReversal``): its applications stop counting and the invoices reopen.
A credit memo the member chose to carry applies only to invoices of later fiscal years.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.decimals import MONEY, DecimalInputError, parse_decimal
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution
from edcoop.services.fiscal import fiscal_year_of, fiscal_year_start
from edcoop.services.perm import require

from . import closing
from .models import (
    CreditApplication,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    MoneySum,
    Payment,
    PaymentChoice,
    PaymentReversal,
    RefundChoice,
)
from .runs import _next_numbers

ZERO = Decimal(0)
POSITIVE_MONEY = MONEY.with_range(minimum=Decimal("0.01"))


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _money(value: Any, field: str) -> Decimal:
    try:
        return parse_decimal(value, POSITIVE_MONEY)
    except DecimalInputError as exc:
        raise ValidationError({field: f"Amount {exc}."}) from None


# Balances ------------------------------------------------------------------------------------


def _valid_applications(as_of: date | None = None) -> Q:
    """Applications that count (as of a day): not those of a reversed payment."""
    q = Q(payment__isnull=True) | Q(payment__reversal__isnull=True)
    if as_of is not None:
        q = (
            Q(payment__isnull=True)
            | Q(payment__reversal__isnull=True)
            | Q(payment__reversal__reversed_on__gt=as_of)
        )
        q &= Q(applied_on__lte=as_of)
    return q


def debits_by_invoice(invoices: Any, as_of: date | None = None) -> dict[int, Decimal]:
    qs = CreditMemo.objects.filter(invoice__in=invoices, kind=CreditMemo.Kind.DEBIT)
    if as_of is not None:
        qs = qs.filter(issued_on__lte=as_of)
    return dict(
        qs.values("invoice_id").annotate(t=MoneySum("amount")).values_list("invoice_id", "t")
    )


def applied_by_invoice(
    invoices: Any, as_of: date | None = None
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """(payments applied, credits applied) per invoice."""
    qs = CreditApplication.objects.filter(_valid_applications(as_of), invoice__in=invoices)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    credited: dict[int, Decimal] = defaultdict(Decimal)
    for inv, is_payment, amount in qs.values_list("invoice_id", "payment_id", "amount"):
        (paid if is_payment else credited)[inv] += amount
    return paid, credited


@dataclass(frozen=True)
class InvoiceBalance:
    """An invoice's total, what memos added, what payments and credits took off."""

    total: Decimal
    debits: Decimal = ZERO
    paid: Decimal = ZERO
    credited: Decimal = ZERO

    @property
    def applied(self) -> Decimal:
        return self.paid + self.credited

    @property
    def balance(self) -> Decimal:
        return self.total + self.debits - self.applied


def invoice_balances(invoices: Any, as_of: date | None = None) -> dict[int, InvoiceBalance]:
    """Each invoice's balance (in the queryset's order): the one place it is computed."""
    totals = dict(invoices.values_list("pk", "total"))
    debits = debits_by_invoice(invoices, as_of)
    paid, credited = applied_by_invoice(invoices, as_of)
    return {
        pk: InvoiceBalance(t, debits.get(pk, ZERO), paid.get(pk, ZERO), credited.get(pk, ZERO))
        for pk, t in totals.items()
    }


def open_amounts(institution_id: int) -> dict[int, Decimal]:
    """What is still owed on each issued invoice of the member (issue order)."""
    invoices = Invoice.objects.filter(institution_id=institution_id, status=Invoice.Status.ISSUED)
    balances = invoice_balances(invoices.order_by("issued_on", "number", "pk"))
    return {pk: b.balance for pk, b in balances.items()}


@dataclass
class Credit:
    """A payment or credit memo with something left to apply."""

    payment: Payment | None
    memo: CreditMemo | None
    left: Decimal
    chosen: tuple[int, ...] = ()  # the invoices a payment was for, in the order named

    @property
    def day(self) -> date:
        return self.payment.received_on if self.payment else self.memo.issued_on  # type: ignore[union-attr]

    @property
    def first(self) -> tuple[int, ...]:
        """The invoices this credit goes to before the oldest open ones."""
        if self.chosen:
            return self.chosen
        pk = (self.payment or self.memo).invoice_id  # type: ignore[union-attr]
        return (pk,) if pk else ()


def available_credits(institution_id: int) -> list[Credit]:
    """Payments (not reversed) and credit memos with an amount not yet applied, oldest
    first."""
    used_p = dict(
        CreditApplication.objects.filter(payment__institution_id=institution_id)
        .values("payment_id")
        .annotate(t=MoneySum("amount"))
        .values_list("payment_id", "t")
    )
    used_m = dict(
        CreditApplication.objects.filter(memo__institution_id=institution_id)
        .values("memo_id")
        .annotate(t=MoneySum("amount"))
        .values_list("memo_id", "t")
    )
    chosen: dict[int, list[int]] = defaultdict(list)
    for payment_id, invoice_id in PaymentChoice.objects.filter(
        payment__institution_id=institution_id
    ).order_by("payment_id", "rank").values_list("payment_id", "invoice_id"):
        chosen[payment_id].append(invoice_id)
    out = []
    for p in Payment.objects.filter(institution_id=institution_id, reversal__isnull=True):
        left = p.amount - used_p.get(p.pk, ZERO)
        if left > 0:
            out.append(Credit(p, None, left, tuple(chosen.get(p.pk, ()))))
    for m in CreditMemo.objects.filter(institution_id=institution_id, kind=CreditMemo.Kind.CREDIT):
        left = m.amount - used_m.get(m.pk, ZERO)
        if left > 0:
            out.append(Credit(None, m, left))
    out.sort(key=lambda c: (c.day, 0 if c.payment else 1, (c.payment or c.memo).pk))  # type: ignore[union-attr]
    return out


def members_with_credit(agency: Agency) -> set[int]:
    """Members holding a payment or credit memo (only they can have credit to apply)."""
    payers = Payment.objects.filter(agency=agency, reversal__isnull=True).values_list(
        "institution_id", flat=True
    )
    credited = CreditMemo.objects.filter(agency=agency, kind=CreditMemo.Kind.CREDIT).values_list(
        "institution_id", flat=True
    )
    return set(payers.distinct()) | set(credited.distinct())


def apply_credits(*, agency: Agency, institution_id: int, on: date | None = None) -> int:
    """Apply the member's unapplied payments and credits to its open invoices: the invoice a
    credit names first, then the oldest open invoices. Returns the applications written.
    Called inside the transaction of whatever created the credit or the invoice."""
    credits = available_credits(institution_id)
    if not credits:
        return 0
    invoices = {
        inv.pk: inv
        for inv in Invoice.objects.select_for_update()
        .filter(institution_id=institution_id, status=Invoice.Status.ISSUED)
        .order_by("issued_on", "number", "pk")
    }
    owed = {pk: amount for pk, amount in open_amounts(institution_id).items() if amount > 0}
    rows: list[CreditApplication] = []
    for credit in credits:
        carry_after = None
        if credit.memo is not None and credit.memo.disposition == CreditMemo.Disposition.CARRY:
            carry_after = credit.memo.fiscal_year
        first = credit.first
        order = [pk for pk in first if pk in owed] + [pk for pk in owed if pk not in first]
        for pk in order:
            if credit.left <= 0:
                break
            inv = invoices[pk]
            if carry_after is not None and inv.fiscal_year <= carry_after:
                continue
            amount = min(owed[pk], credit.left)
            if amount <= 0:
                continue
            owed[pk] -= amount
            credit.left -= amount
            rows.append(
                CreditApplication(
                    agency_id=inv.agency_id,
                    institution_id=institution_id,
                    invoice_id=pk,
                    payment=credit.payment,
                    memo=credit.memo,
                    amount=amount,
                    applied_on=max(credit.day, inv.issued_on or credit.day),
                )
            )
        owed = {pk: a for pk, a in owed.items() if a > 0}
        if not owed:
            break
    CreditApplication.objects.bulk_create(rows)
    return len(rows)


# Memos ---------------------------------------------------------------------------------------


def line_open(line: InvoiceLine) -> Decimal:
    """What can still be credited on an invoice line: its amount plus debits on it, less
    credits on it."""
    memo_lines = CreditMemoLine.objects.filter(invoice_line=line).values_list(
        "memo__kind", "amount"
    )
    out = line.amount
    for kind, amount in memo_lines:
        out += amount if kind == CreditMemo.Kind.DEBIT else -amount
    return out


def _issue(
    *,
    agency: Agency,
    institution: Institution,
    kind: str,
    fiscal_year: int,
    amount: Decimal,
    reason: str,
    user: Any,
    invoice: Invoice | None = None,
    source: str = CreditMemo.Source.MANUAL,
    disposition: str = CreditMemo.Disposition.APPLY,
    run: Any = None,
    issued_on: date | None = None,
) -> CreditMemo:
    series = "CM" if kind == CreditMemo.Kind.CREDIT else "DM"
    (number,) = _next_numbers(agency.pk, series, fiscal_year, 1)
    memo = CreditMemo(
        agency=agency,
        kind=kind,
        source=source,
        disposition=disposition,
        invoice=invoice,
        run=run,
        institution=institution,
        fiscal_year=fiscal_year,
        number=number,
        issued_on=issued_on or closing.agency_today(agency),
        amount=amount,
        reason=reason,
        created_by=_user(user),
    )
    memo.full_clean(exclude=["invoice", "run"])
    memo.save()
    return memo


@transaction.atomic
def memo_issue(
    *, user: Any, line: InvoiceLine, amount: Any, reason: str, kind: str = CreditMemo.Kind.CREDIT
) -> CreditMemo:
    """Correct one line of an issued invoice: a credit memo lowers what is owed on it (at
    most what is left on the line), a debit memo raises it. Numbered per fiscal year (CM,
    DM), applied at once, audited."""
    invoice = (
        Invoice.objects.select_for_update()
        .select_related("agency", "institution")
        .get(pk=line.invoice_id)
    )
    agency = invoice.agency
    require(user, Action.BILLING_ADJUST, agency)
    if kind not in CreditMemo.Kind.values:
        raise ValidationError({"kind": "Choose a credit or a debit memo."})
    if not invoice.issued:
        raise ValidationError({"line": "Only a line of an issued invoice can be corrected."})
    closing.ensure_open(agency, invoice.fiscal_year, "line", "memos")
    amount = _money(amount, "amount")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the invoice is corrected."})
    if len(reason) > 500 or "\x00" in reason:
        raise ValidationError({"reason": "At most 500 characters of text."})
    if kind == CreditMemo.Kind.CREDIT:
        left = line_open(line)
        if amount > left:
            raise ValidationError(
                {"amount": f"At most {left:,} can still be credited on this line."}
            )
    memo = _issue(
        agency=agency,
        institution=invoice.institution,
        kind=kind,
        fiscal_year=invoice.fiscal_year,
        amount=amount,
        reason=reason,
        user=user,
        invoice=invoice,
    )
    CreditMemoLine.objects.create(
        memo=memo,
        service_id=line.service_id,
        invoice_line=line,
        description=line.description,
        amount=amount,
    )
    audit.record_create(f"{kind}_memo.issue", memo)
    apply_credits(agency=agency, institution_id=invoice.institution_id, on=memo.issued_on)
    return memo


def payment_unapplied(payment: Payment) -> Decimal:
    """What of a payment is not applied to any invoice (its share of unapplied credit)."""
    applied = CreditApplication.objects.filter(payment=payment).aggregate(t=MoneySum("amount"))
    return payment.amount - (applied["t"] or ZERO)


# Payments ------------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    user: Any,
    institution: Institution,
    amount: Any,
    received_on: date,
    reference: str = "",
    invoice: Invoice | None = None,
    invoices: Sequence[Invoice] = (),
) -> Payment:
    """Record money received and apply it: the invoice named (or the ``invoices`` named, in
    that order) first, then the oldest open invoices; what is left is the member's unapplied
    credit (``payment_unapplied``)."""
    agency = institution.agency
    require(user, Action.BILLING_ADJUST, agency)
    amount = _money(amount, "amount")
    if not isinstance(received_on, date):
        raise ValidationError({"received_on": "Enter the date the payment was received."})
    today = closing.agency_today(agency)
    if received_on > today:
        raise ValidationError({"received_on": "A payment cannot be received in the future."})
    # Money arrives in this fiscal year or is recorded late from the last one (before its
    # close); a day before that is a typo (1900 for 2026), not a payment to post.
    last_year = fiscal_year_of(today, agency.fiscal_year_start_month) - 1
    earliest = fiscal_year_start(last_year, agency.fiscal_year_start_month)
    if received_on < earliest:
        raise ValidationError({"received_on": (
            f"A payment received on {received_on:%B} {received_on.day}, {received_on.year} "
            f"is before FY{last_year} began ({earliest:%B} {earliest.day}, {earliest.year}): "
            "payments are recorded in this fiscal year or the last one. Check the date."
        )})  # fmt: skip
    closing.ensure_open_on(agency, received_on, "received_on", "payments")
    reference = (reference or "").strip()
    if len(reference) > 100 or "\x00" in reference:
        raise ValidationError({"reference": "At most 100 characters of text."})
    named = ([invoice] if invoice is not None else []) + list(invoices)
    if len({i.pk for i in named}) != len(named):
        raise ValidationError({"invoices": "Name each invoice once."})
    if len(named) > 100:
        raise ValidationError({"invoices": "Name at most 100 invoices."})
    for chosen in named:
        if chosen.institution_id != institution.pk or not chosen.issued:
            raise ValidationError({"invoices" if invoices else "invoice":
                                   "Choose issued invoices of this member."})  # fmt: skip
    invoice = named[0] if named else None
    payment = Payment(
        agency=agency,
        institution=institution,
        invoice=invoice,
        amount=amount,
        received_on=received_on,
        reference=reference,
        recorded_by=_user(user),
        recorded_at=timezone.now(),
    )
    payment.full_clean()
    payment.save()
    if len(named) > 1:
        PaymentChoice.objects.bulk_create(
            PaymentChoice(payment=payment, invoice=inv, rank=rank)
            for rank, inv in enumerate(named, start=1)
        )
    changes = audit.diff(None, audit.snapshot(payment))
    if len(named) > 1:
        changes["invoices"] = [None, [inv.display_number for inv in named]]
    audit.record("payment.record", payment, changes=changes)
    apply_credits(agency=agency, institution_id=institution.pk, on=received_on)
    return payment


@transaction.atomic
def payment_reverse(
    *, user: Any, payment: Payment, reason: str, reversed_on: date | None = None
) -> PaymentReversal:
    """Undo a payment (returned check, wrong member): a new record; its applications stop
    counting and the invoices it paid are open again."""
    agency = payment.agency
    require(user, Action.BILLING_ADJUST, agency)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if PaymentReversal.objects.filter(payment=payment).exists():
        raise ValidationError({"payment": "This payment is already reversed."})
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise ValidationError({"reason": "Say why the payment is reversed (300 characters)."})
    day = reversed_on or closing.agency_today(agency)
    if day < payment.received_on:
        raise ValidationError({"reversed_on": "A reversal comes after the payment."})
    closing.ensure_open_on(agency, day, "reversed_on", "payment reversals")
    reversal = PaymentReversal(
        payment=payment, agency=agency, reversed_on=day, reason=reason, recorded_by=_user(user)
    )
    reversal.save()
    audit.record(
        "payment.reverse",
        payment,
        changes={"reversed_on": day, "reason": reason, "amount": payment.amount},
    )
    apply_credits(agency=agency, institution_id=payment.institution_id, on=day)
    return reversal


# The member's refund choice ----------------------------------------------------------------


@transaction.atomic
def refund_choose(
    *, user: Any, institution: Institution, fiscal_year: int, disposition: str
) -> RefundChoice:
    """The member decides: apply its year-end refunds to open invoices, or carry them to
    next year's invoices. Fixed once the year's true-up posts."""
    agency = institution.agency
    require(user, Action.BILLING_REFUND_CHOOSE, agency, institution=institution)
    if disposition not in CreditMemo.Disposition.values:
        raise ValidationError({"disposition": "Choose apply or carry."})
    closing.ensure_open(agency, fiscal_year, "disposition", "refund choices")
    row = (
        RefundChoice.objects.select_for_update()
        .filter(institution=institution, fiscal_year=fiscal_year)
        .first()
    )
    before = row.disposition if row else None
    if row is None:
        row = RefundChoice(agency=agency, institution=institution, fiscal_year=fiscal_year)
    row.disposition = disposition
    row.chosen_at = timezone.now()
    row.chosen_by = _user(user)
    row.save()
    audit.record(
        "refund_choice.set",
        row,
        agency_id=agency.pk,
        changes={"fiscal_year": fiscal_year, "disposition": [before, disposition]},
    )
    return row
