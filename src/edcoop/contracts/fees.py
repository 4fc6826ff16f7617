"""Admin fee invoices after issue: the supplier's payments against them, and the invoice as
a document (a tagged PDF on the agency's paper, drawn with billing's letterhead and style).

An invoice is paid in one or more payments (amount, date received, the supplier's
reference). ``paid_on`` is the day the payments reach the amount. A payment above what is
still due is refused naming ``amount``; the reference is required, and one already recorded
on the invoice is refused. A form or API call sent twice records one payment: the form
carries a one-time key, the API caller sends its own (``request_key`` or the
``Idempotency-Key`` header), and the same key with the same payment gets the first payment
back (the same key with a different payment: :class:`KeyConflict`). An adjustment
that credits the supplier (an amended report with lower sales) takes no payments. Invoices
never change once issued: an amended sales report issues an adjustment invoice beside the
original.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.billing.documents import letterhead_of
from edcoop.billing.pdf import document_html, render_pdf
from edcoop.core import audit, formatting
from edcoop.core.inputs import has_nul
from edcoop.core.permissions import Action, require

from . import pricing
from .models import AdminFeeInvoice, AdminFeePayment
from .services import number


def paid(invoice: AdminFeeInvoice) -> Decimal:
    total = invoice.payments.aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


def open_amount(invoice: AdminFeeInvoice) -> Decimal:
    return max(invoice.amount - paid(invoice), Decimal("0.00"))


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        raise ValidationError({"received_on": "Give the date received as YYYY-MM-DD."}) from None


class KeyConflict(ValidationError):
    """A request key already recorded a different payment on the invoice (the API: 409)."""


@transaction.atomic
def fee_payment_record(*, user: Any, invoice: AdminFeeInvoice, amount: Any, received_on: Any,
                       reference: str = "", request_key: str = "") -> AdminFeePayment:  # fmt: skip
    """Record a supplier's payment of (part of) an admin fee invoice. With ``request_key``
    (the form's one-time key, an API caller's idempotency key), the same request sent again
    returns the payment it recorded the first time, marked ``repeated``, and records
    nothing."""
    require(user, Action.BILLING_ADJUST, invoice.agency)
    invoice = AdminFeeInvoice.objects.select_for_update().get(pk=invoice.pk)
    key = (request_key or "").strip()
    if has_nul(key) or len(key) > 100:
        raise ValidationError({"request_key": "At most 100 characters of text."})
    first = invoice.payments.filter(request_key=key).first() if key else None
    if first is not None:
        return _repeated(first, amount, received_on, reference)
    if invoice.amount <= 0:
        raise ValidationError({"amount": f"{invoice.number} credits the supplier "
                                         f"{formatting.money(-invoice.amount)}; nothing is "
                                         "paid on it."})  # fmt: skip
    value = number(amount, AdminFeePayment, "amount", minimum=Decimal("0.01"))
    day = _day(received_on)
    today = timezone.localdate()
    if day > today:
        raise ValidationError({"received_on": "The payment cannot be received in the future."})
    if day < invoice.issued_on:
        raise ValidationError({"received_on": f"{invoice.number} was issued on "
                                              f"{formatting.day(invoice.issued_on)}; a payment "
                                              "cannot come before it."})  # fmt: skip
    ref = (reference or "").strip()
    # Required: the supplier's check or transfer number is what makes a payment sent twice
    # (a double-clicked form, a retried API call) recognisable as the same payment.
    if not ref or has_nul(ref) or len(ref) > 100:
        raise ValidationError({"reference": "Give the supplier's check or transfer reference "
                                            "(at most 100 characters)."})  # fmt: skip
    if invoice.payments.filter(reference=ref).exists():
        raise ValidationError({"reference": f"A payment with reference {ref!r} is already "
                                            f"recorded on {invoice.number}."})  # fmt: skip
    due = open_amount(invoice)
    if due <= 0:
        raise ValidationError({"amount": f"{invoice.number} is already paid in full."})
    if value > due:
        raise ValidationError({"amount": f"{formatting.money(value)} is more than the "
                                         f"{formatting.money(due)} still due on "
                                         f"{invoice.number}."})  # fmt: skip
    payment = AdminFeePayment.objects.create(
        invoice=invoice, amount=value, received_on=day, reference=ref, request_key=key,
        recorded_by=user if getattr(user, "pk", None) else None)  # fmt: skip
    changes: dict[str, Any] = {"invoice": [None, invoice.number], "amount": [None, value],
                               "received_on": [None, day], "reference": [None, ref]}  # fmt: skip
    if value == due:
        invoice.paid_on = day
        invoice.save(update_fields=["paid_on"])
        changes["paid_on"] = [None, day]
    audit.record("admin_fee_invoice.payment", invoice, agency_id=invoice.agency_id,
                 changes=changes)  # fmt: skip
    return payment


def _repeated(first: AdminFeePayment, amount: Any, received_on: Any,
              reference: str) -> AdminFeePayment:  # fmt: skip
    """The payment a key recorded, if this request asks for the same payment."""
    try:
        same = (number(amount, AdminFeePayment, "amount") == first.amount
                and _day(received_on) == first.received_on
                and (reference or "").strip() == first.reference)  # fmt: skip
    except ValidationError:
        same = False
    if not same:
        raise KeyConflict({"request_key": (
            f"This key already recorded a payment of {formatting.money(first.amount)} "
            f"received {formatting.day(first.received_on)} (reference {first.reference!r}) "
            f"on {first.invoice.number}; send a different payment with a new key.")})  # fmt: skip
    first.repeated = True
    return first


def fee_invoice_html(invoice: AdminFeeInvoice) -> str:
    report = invoice.report
    supplier = invoice.supplier
    letterhead = letterhead_of(invoice)  # as issued
    return document_html("contracts/fee_invoice_pdf.html", {
        "invoice": invoice, "agency": invoice.agency, "letterhead": letterhead,
        "report": report, "contract": report.contract, "supplier": supplier,
        "bill_to": invoice.bill_to_lines,  # as issued
        "remit_to": letterhead.remit_to_lines,
        "payments": list(invoice.payments.order_by("received_on", "pk")),
        "paid": paid(invoice), "open": open_amount(invoice),
        "fee_due": pricing.fee(invoice.sales, invoice.fee_pct),
        "earlier": list(AdminFeeInvoice.objects.filter(
            report__contract=report.contract, report__year=report.year,
            report__quarter=report.quarter, report__version__lt=report.version,
        ).order_by("report__version")),
    })  # fmt: skip


def fee_invoice_pdf(invoice: AdminFeeInvoice) -> bytes:
    """The invoice as a tagged PDF (billing's pipeline: PDF/UA-1, the agency's paper size)."""
    return render_pdf(fee_invoice_html(invoice))
