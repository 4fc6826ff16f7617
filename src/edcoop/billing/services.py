"""Payments and credit memos (the billing run and true-up live in ``runs``/``yearend``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.permissions import Action
from edcoop.members.models import Institution
from edcoop.services.perm import require

from .models import CreditMemo, Invoice, Payment
from .runs import _next_numbers


@transaction.atomic
def credit_memo_issue(*, user: Any, invoice: Invoice, amount: Decimal, reason: str) -> CreditMemo:
    """Correct an issued invoice: a new numbered document that reduces what is owed on it."""
    require(user, Action.BILLING_ADJUST, invoice.agency)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.issued:
        raise ValidationError({"invoice": "Only an issued invoice can be credited."})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": "A credit must be more than zero."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the invoice is corrected."})
    credited = CreditMemo.objects.filter(invoice=invoice).aggregate(t=Sum("amount"))["t"] or 0
    if amount + credited > invoice.total:
        raise ValidationError(
            {"amount": f"At most {invoice.total - credited} can still be credited on it."}
        )
    today = timezone.now().astimezone(invoice.agency.zone).date()
    (number,) = _next_numbers(invoice.agency_id, "CM", invoice.fiscal_year, 1)
    memo = CreditMemo(
        agency=invoice.agency, invoice=invoice, institution=invoice.institution,
        fiscal_year=invoice.fiscal_year, number=number, issued_on=today, amount=amount,
        reason=reason.strip(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )  # fmt: skip
    memo.full_clean()
    memo.save()
    audit.record_create("credit_memo.issue", memo)
    return memo


@transaction.atomic
def payment_record(
    *,
    user: Any,
    institution: Institution,
    amount: Decimal,
    received_on: date,
    reference: str = "",
    invoice: Invoice | None = None,
) -> Payment:
    agency = institution.agency
    require(user, Action.BILLING_ADJUST, agency)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": "A payment must be more than zero."})
    if invoice is not None and (invoice.institution_id != institution.pk or not invoice.issued):
        raise ValidationError({"invoice": "Choose an issued invoice of this member."})
    payment = Payment(
        agency=agency, institution=institution, invoice=invoice, amount=amount,
        received_on=received_on, reference=reference.strip(),
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )  # fmt: skip
    payment.full_clean()
    payment.save()
    audit.record_create("payment.record", payment)
    return payment
