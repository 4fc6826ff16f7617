"""The billing calendar and the fiscal-year close.

A month bills only once it has begun (in the agency's time zone); a fiscal year closes when
its true-up posts, and from then on nothing is dated into it (usage, requests, runs,
payments, memos) until the agency administrator reopens it, with a reason, in the audit
trail. Every write that dates something into a year asks :func:`ensure_open` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.permissions import Action
from edcoop.members.models import Agency
from edcoop.services.fiscal import fiscal_year_of, fiscal_year_periods
from edcoop.services.models import Service, ServiceYear
from edcoop.services.perm import require

from .models import BillingRun, YearClose


def agency_today(agency: Agency) -> date:
    return timezone.now().astimezone(agency.zone).date()


def current_month(agency: Agency) -> date:
    return agency_today(agency).replace(day=1)


def ensure_begun(agency: Agency, period: date, field: str = "period") -> None:
    """Refuse a month that has not begun yet (it would bill what has not happened)."""
    if period > current_month(agency):
        raise ValidationError(
            {field: f"{period:%B %Y} has not begun yet; a month is billed once it has started."}
        )


def year_closed(agency: Agency, fiscal_year: int) -> bool:
    return YearClose.objects.filter(agency=agency, fiscal_year=fiscal_year, closed=True).exists()


def ensure_open(agency: Agency, fiscal_year: int, field: str, what: str) -> None:
    """Refuse ``what`` dated into a closed fiscal year."""
    if year_closed(agency, fiscal_year):
        raise ValidationError(
            {
                field: f"FY{fiscal_year} is closed: {what} can no longer be dated into it. The "
                "agency administrator can reopen the year (with a reason) to correct it."
            }
        )


def ensure_open_on(agency: Agency, day: date, field: str, what: str) -> None:
    ensure_open(agency, fiscal_year_of(day, agency.fiscal_year_start_month), field, what)


@dataclass
class ChecklistItem:
    label: str
    done: bool
    detail: str = ""


def checklist(agency: Agency, fiscal_year: int) -> list[ChecklistItem]:
    """What the true-up needs: every month posted, every charged service's actual cost."""
    from .models import InvoiceLine

    periods = fiscal_year_periods(fiscal_year, agency.fiscal_year_start_month)
    posted = set(
        BillingRun.objects.filter(
            agency=agency,
            kind=BillingRun.Kind.MONTHLY,
            status=BillingRun.Status.POSTED,
            period__in=periods,
        ).values_list("period", flat=True)
    )
    missing_months = [p for p in periods if p not in posted]
    items = [
        ChecklistItem(
            "Every month of the year is posted",
            not missing_months,
            "Not posted: " + ", ".join(f"{p:%B %Y}" for p in missing_months)
            if missing_months
            else f"{len(periods)} months posted",
        )
    ]
    charged = set(
        InvoiceLine.objects.filter(
            invoice__agency=agency,
            invoice__fiscal_year=fiscal_year,
            invoice__status="issued",
        )
        .values_list("service_id", flat=True)
        .distinct()
    )
    with_cost = set(
        ServiceYear.objects.filter(
            service__agency=agency, fiscal_year=fiscal_year, actual_cost__isnull=False
        ).values_list("service_id", flat=True)
    )
    lacking = list(
        Service.objects.filter(pk__in=charged - with_cost)
        .order_by("code")
        .values_list("code", flat=True)
    )
    items.append(
        ChecklistItem(
            "The actual cost of every service charged this year is entered",
            not lacking,
            "Missing: " + ", ".join(lacking) if lacking else f"{len(charged)} services",
        )
    )
    drafts = BillingRun.objects.filter(
        agency=agency, fiscal_year=fiscal_year, status=BillingRun.Status.DRAFT
    ).count()
    items.append(
        ChecklistItem(
            "No draft run is waiting",
            not drafts,
            f"{drafts} draft run(s) to post or recompute" if drafts else "",
        )
    )
    return items


def ready_for_true_up(agency: Agency, fiscal_year: int) -> bool:
    return all(item.done for item in checklist(agency, fiscal_year))


def close(*, user: Any, agency: Agency, fiscal_year: int) -> YearClose:
    """Close the year (called by the true-up's posting, inside its transaction)."""
    now = timezone.now()
    by = user if getattr(user, "is_authenticated", False) else None
    row, created = YearClose.objects.select_for_update().get_or_create(
        agency=agency,
        fiscal_year=fiscal_year,
        defaults={"closed": True, "closed_at": now, "closed_by": by},
    )
    if not created:
        if row.closed:
            raise ValidationError({"fiscal_year": f"FY{fiscal_year} is already closed."})
        row.closed, row.closed_at, row.closed_by = True, now, by
        row.save()
    audit.record(
        "billing.year.close",
        row,
        agency_id=agency.pk,
        label=f"FY{fiscal_year} closed",
        changes={"fiscal_year": fiscal_year, "closed": [False, True]},
    )
    return row


@transaction.atomic
def year_reclose(*, user: Any, agency: Agency, fiscal_year: int) -> YearClose:
    """Close a reopened year again (its true-up is already posted)."""
    require(user, Action.BILLING_RUN, agency)
    if not BillingRun.objects.filter(
        agency=agency,
        kind=BillingRun.Kind.TRUE_UP,
        fiscal_year=fiscal_year,
        status=BillingRun.Status.POSTED,
    ).exists():
        raise ValidationError({"fiscal_year": f"FY{fiscal_year} closes by posting its true-up."})
    return close(user=user, agency=agency, fiscal_year=fiscal_year)


@transaction.atomic
def year_reopen(*, user: Any, agency: Agency, fiscal_year: int, reason: str) -> YearClose:
    """Reopen a closed year to correct it: the agency administrator only, with a reason."""
    require(user, Action.BILLING_REOPEN, agency)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the year is reopened."})
    if len(reason) > 500:
        raise ValidationError({"reason": "At most 500 characters."})
    row = (
        YearClose.objects.select_for_update().filter(agency=agency, fiscal_year=fiscal_year).first()
    )
    if row is None or not row.closed:
        raise ValidationError({"fiscal_year": f"FY{fiscal_year} is not closed."})
    row.closed = False
    row.reopened_at = timezone.now()
    row.reopened_by = user if getattr(user, "is_authenticated", False) else None
    row.reopen_reason = reason
    row.save()
    audit.record(
        "billing.year.reopen",
        row,
        agency_id=agency.pk,
        label=f"FY{fiscal_year} reopened",
        changes={"closed": [True, False], "reason": reason},
    )
    return row
