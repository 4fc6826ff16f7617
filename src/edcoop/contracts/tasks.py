"""What waits in contracts and purchasing (``core.tasks``): a member's finance officer has
orders to approve; the procurement officer has contracts expiring within 90 days to renew or
rebid and suppliers' sales reports to chase; a supplier has its quarterly reports to file.
Each task is asked of ``permissions.can`` first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from edcoop.core import formatting
from edcoop.core.permissions import Action, can
from edcoop.core.tasks import Task
from edcoop.members.models import Agency

from .models import Contract, ContractSettings, PriceListVersion, PurchaseOrder, SalesReport
from .sales import expected_reports, quarter_end

AREA = "Contracts"
EXPIRING_DAYS = 90


def _today(agency: Agency) -> date:
    from edcoop.billing.closing import agency_today

    return agency_today(agency)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def contract_tasks(user: Any, agency: Agency) -> list[Task]:
    """Agency staff: price lists to decide, contracts to renew or rebid, sales reports not
    filed."""
    out: list[Task] = []
    today = _today(agency)
    slug = agency.slug
    if can(user, Action.CONTRACT_EDIT, agency):
        ending = [
            c for c in Contract.objects.filter(agency=agency, terminated_on__isnull=True)
            .select_related("supplier").order_by("ends_on", "pk")
            if c.status_on(today, EXPIRING_DAYS) == "expiring"
        ]  # fmt: skip
        pending = list(
            PriceListVersion.objects.filter(
                contract__agency=agency, status=PriceListVersion.Status.PENDING
            ).select_related("contract", "contract__supplier").order_by("uploaded_at", "pk")[:5]
        )
        for v in pending:
            out.append(Task(
                f"Approve or reject price list v{v.number} for {v.contract.number}",
                reverse("contracts:price_version", args=[slug, v.contract_id, v.number]),
                f"{v.contract.supplier} uploaded {_plural(v.row_count, 'item')} to take "
                f"effect {formatting.day(v.effective_on)}.",
                area=AREA,
            ))  # fmt: skip
        for c in ending[:5]:
            out.append(Task(
                f"Renew or rebid {c.number} before it ends {formatting.day(c.current_end())}",
                reverse("contracts:contract", args=[slug, c.pk]),
                f"{c.title} with {c.supplier}: "
                f"{_plural((c.current_end() - today).days, 'day')} left.",
                area=AREA,
            ))  # fmt: skip
    if can(user, Action.SALES_REPORT_VIEW, agency) and (
        can(user, Action.CONTRACT_EDIT, agency) or can(user, Action.PATRONAGE_RUN, agency)
    ):
        late = [e for e in expected_reports(agency, today) if e.report is None]
        if late:
            oldest = min(late, key=lambda e: e.due)
            out.append(Task(
                f"Chase {_plural(len(late), 'late sales report')}",
                reverse("contracts:reports", args=[slug]),
                f"The oldest, {oldest.contract.supplier} for {oldest.year} Q{oldest.quarter} "
                f"under {oldest.contract.number}, was due {formatting.day(oldest.due)}.",
                count=len(late), area=AREA,
            ))  # fmt: skip
    return out


def member_tasks(user: Any, agency: Agency, institution: Any) -> list[Task]:
    """A member's finance officer: draft orders above the agency's threshold to approve."""
    if not can(user, Action.ORDER_APPROVE, agency, institution=institution):
        return []
    threshold = ContractSettings.of(agency).approval_threshold
    waiting = PurchaseOrder.objects.filter(
        agency=agency, institution=institution, status=PurchaseOrder.Status.DRAFT,
        total__gt=threshold,
    ).order_by("ordered_on", "pk")  # fmt: skip
    return [
        Task(
            f"Approve purchase order {o.number} ({formatting.money(o.total)})",
            reverse("contracts:order", args=[agency.slug, o.pk]),
            f"Orders above {formatting.money(threshold)} wait for the finance officer; "
            f"drafted {formatting.day(o.ordered_on)}.",
            area=AREA,
        )
        for o in waiting[:5]
    ]


def supplier_tasks(user: Any, agency: Agency, supplier: Any) -> list[Task]:
    """A supplier's representative: quarterly sales reports late or coming due."""
    if not can(user, Action.SALES_REPORT_FILE, agency, supplier=supplier):
        return []
    today = _today(agency)
    days = ContractSettings.of(agency).report_due_days
    mine = list(Contract.objects.filter(agency=agency, supplier=supplier).order_by("number"))
    out: list[Task] = []
    for e in expected_reports(agency, today, mine):
        if e.report is None:
            out.append(Task(
                f"File the {e.year} Q{e.quarter} sales report for {e.contract.number}",
                reverse("contracts:report_new", args=[agency.slug, e.contract.pk]),
                f"It was due {formatting.day(e.due)}; a quarter without sales is reported "
                "too.", area=AREA,
            ))  # fmt: skip
    # The quarter just ended, whose report is not yet late.
    year, quarter = today.year, (today.month - 1) // 3  # the previous quarter
    if quarter == 0:
        year, quarter = year - 1, 4
    due = quarter_end(year, quarter) + timedelta(days=days)
    filed = set(SalesReport.objects.filter(contract__in=mine, year=year, quarter=quarter)
                .values_list("contract_id", flat=True))  # fmt: skip
    for c in mine:
        ran = c.starts_on <= quarter_end(year, quarter) and c.current_end() >= date(
            year, 3 * quarter - 2, 1)
        if ran and today <= due and c.pk not in filed:
            out.append(Task(
                f"File the {year} Q{quarter} sales report for {c.number}",
                reverse("contracts:report_new", args=[agency.slug, c.pk]),
                f"Due {formatting.day(due)}.", area=AREA,
            ))  # fmt: skip
    return out[:6]
