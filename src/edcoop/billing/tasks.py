"""What waits for the business office: the month to bill, drafts to review and post,
overdue invoices, payments not yet applied (``core.tasks``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from edcoop.core import formatting
from edcoop.core.permissions import Action, can
from edcoop.core.tasks import Task
from edcoop.members.models import Agency
from edcoop.services.fiscal import fiscal_year_of, fiscal_year_periods

from . import closing, ledger, statements
from .models import BillingRun, Invoice

AREA = "Billing"


def month_to_bill(agency: Agency) -> Any:
    """The first month of the current fiscal year that has begun and has no billing run."""
    today = closing.agency_today(agency)
    fy = fiscal_year_of(today, agency.fiscal_year_start_month)
    if closing.year_closed(agency, fy):
        return None
    billed = set(
        BillingRun.objects.filter(
            agency=agency, kind=BillingRun.Kind.MONTHLY, fiscal_year=fy
        ).values_list("period", flat=True)
    )
    for period in fiscal_year_periods(fy, agency.fiscal_year_start_month):
        if period <= today and period not in billed:
            return period
    return None


def overdue(agency: Agency) -> tuple[int, Decimal]:
    """Issued invoices past their due date with something still owed: how many, how much."""
    today = closing.agency_today(agency)
    late = Invoice.objects.filter(agency=agency, status=Invoice.Status.ISSUED, due_on__lt=today)
    owed = [b.balance for b in ledger.invoice_balances(late).values() if b.balance > 0]
    return len(owed), sum(owed, Decimal(0))


def billing_tasks(user: Any, agency: Agency) -> list[Task]:
    if not can(user, Action.BILLING_VIEW, agency):
        return []
    slug = agency.slug
    out: list[Task] = []
    if can(user, Action.BILLING_RUN, agency):
        drafts = BillingRun.objects.filter(agency=agency, status=BillingRun.Status.DRAFT)
        for run in drafts.order_by("period", "pk")[:3]:
            out.append(Task(
                f"Review and post the {formatting.month(run.period)} billing run",
                reverse("billing:run", args=[slug, run.pk]),
                f"Draft of {run.invoices.count()} invoices, {formatting.money(run.total)}.",
                area=AREA,
            ))  # fmt: skip
        period = month_to_bill(agency)
        if period is not None and not drafts.filter(period=period).exists():
            out.append(Task(
                f"Compute the {formatting.month(period)} billing run",
                reverse("billing:home", args=[slug]),
                "The month has begun and has not been billed.", area=AREA,
            ))  # fmt: skip
    if not can(user, Action.BILLING_ADJUST, agency):
        return out  # following up and applying money is the business office's work
    count, amount = overdue(agency)
    if count:
        out.append(Task(
            "Follow up overdue invoices", reverse("billing:invoices", args=[slug]),
            f"{count} invoices past their due date, {formatting.money(amount)} still owed.",
            count=count, area=AREA,
        ))  # fmt: skip
    owed = statements.receivables(agency, closing.agency_today(agency))
    if n := owed.members_in_credit:
        out.append(Task(
            "Apply or refund unapplied payments", reverse("billing:home", args=[slug]),
            f"{n} member{' holds' if n == 1 else 's hold'} {formatting.money(owed.unapplied)} "
            "of payments and credits not applied to an invoice.",
            count=n, area=AREA,
        ))  # fmt: skip
    return out


def member_tasks(user: Any, agency: Agency, institution: Any) -> list[Task]:
    """A member's finance staff: the invoices still to pay."""
    if not can(user, Action.BILLING_VIEW, agency, institution=institution):
        return []
    owed = {pk: amount for pk, amount in ledger.open_amounts(institution.pk).items() if amount > 0}
    if not owed:
        return []
    oldest = Invoice.objects.filter(pk__in=owed).order_by("due_on", "pk").first()
    today = closing.agency_today(agency)
    when = "was due" if oldest and oldest.due_on and oldest.due_on < today else "is due"
    return [Task(
        f"Pay {formatting.money(sum(owed.values(), Decimal(0)))} on {len(owed)} "
        f"invoice{'s' if len(owed) > 1 else ''}",
        reverse("billing:member", args=[agency.slug, institution.pk]),
        f"The oldest, {oldest.display_number}, {when} {formatting.day(oldest.due_on)}."
        if oldest else "", count=len(owed), area=AREA,
    )]  # fmt: skip
