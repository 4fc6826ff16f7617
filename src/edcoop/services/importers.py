"""Import of monthly usage from CSV: ``edcoop usage import FILE.csv --agency SLUG``.

Columns: ``external_ref, member, service, period, quantity`` (``note`` optional). ``member``
is the institution's BEDS code, NCES ID, IPEDS ID or exact name; ``service`` the service
code; ``period`` YYYY-MM. All or nothing: every row is checked (subscription, capacity, a
billed month, a negative quantity) and every problem reported with its line number before
anything is written. Safe to run again: a row whose ``external_ref`` is already recorded with
the same values is skipped; with different values it is an error.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.decimals import MONEY, QUANTITY, DecimalInputError, parse_decimal
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution
from edcoop.services.perm import require

from .fiscal import fiscal_year_of, fiscal_year_periods, parse_period
from .models import Service, Subscription, UsageRecord
from .services import USAGE_METHODS

REQUIRED = ["external_ref", "member", "service", "period", "quantity"]
BATCH = 5000


class UsageImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:3]) + ("; ..." if len(errors) > 3 else ""))
        self.errors = errors


@dataclass
class UsageImportResult:
    lines: int = 0
    created: int = 0
    unchanged: int = 0


def member_index(agency: Agency) -> dict[str, int]:
    index: dict[str, int] = {}
    rows = Institution.objects.filter(agency=agency).values_list(
        "pk", "name", "beds_code", "nces_id", "ipeds_id"
    )
    for pk, name, beds, nces, ipeds in rows:
        index.setdefault(name.strip().lower(), pk)
        for code in (beds, nces, ipeds):
            if code:
                index[code] = pk
    return index


def import_usage(
    *,
    user: Any,
    agency: Agency,
    data: bytes | str,
    progress: Callable[[int, int], None] | None = None,
    confirm_duplicates: bool = False,
) -> UsageImportResult:
    """All or nothing; a row that repeats usage already recorded (or earlier in the file)
    under another reference is a probable double entry, refused unless confirmed."""
    require(user, Action.USAGE_RECORD, agency)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UsageImportFailed([f"line 1: missing column(s): {', '.join(missing)}"])
    rows = list(reader)
    total = len(rows)
    members = member_index(agency)
    services = {s.code: s for s in Service.objects.filter(agency=agency)}
    subs: dict[tuple[int, int, int], int] = {
        (i, s, fy): pk
        for pk, i, s, fy in Subscription.objects.filter(agency=agency).values_list(
            "pk", "institution_id", "service_id", "fiscal_year"
        )
    }
    start = agency.fiscal_year_start_month
    from edcoop.billing.models import BillingRun

    posted = set(
        BillingRun.objects.filter(agency=agency, kind=BillingRun.Kind.MONTHLY,
                                  status=BillingRun.Status.POSTED).values_list("period", flat=True)
    )  # fmt: skip
    refs = [(r.get("external_ref") or "").strip() for r in rows]
    existing: dict[str, tuple[int, int, date, Decimal]] = {}
    wanted = [r for r in refs if r]
    for i in range(0, len(wanted), BATCH):
        for old in UsageRecord.objects.filter(
            agency=agency, external_ref__in=wanted[i : i + BATCH]
        ).values_list("external_ref", "institution_id", "service_id", "period", "quantity"):
            existing[old[0]] = (old[1], old[2], old[3], old[4])

    from edcoop.billing.closing import current_month, year_closed
    from edcoop.billing.runs import month_bounds

    this_month = current_month(agency)
    closed: dict[int, bool] = {}
    sub_dates = {
        pk: (starts, ends)
        for pk, starts, ends in Subscription.objects.filter(agency=agency).exclude(
            starts_on__isnull=True, ends_on__isnull=True).values_list("pk", "starts_on", "ends_on")
    }  # fmt: skip
    periods_in_file = set()
    for row in rows:
        with contextlib.suppress(ValidationError):
            periods_in_file.add(parse_period(row.get("period") or ""))
    on_file = set(
        UsageRecord.objects.filter(agency=agency, period__in=periods_in_file).values_list(
            "institution_id", "service_id", "period", "quantity")
    )  # fmt: skip
    in_file: set[tuple[int, int, date, Decimal]] = set()
    flagged: list[str] = []
    errors: list[str] = []
    new: list[UsageRecord] = []
    seen: set[str] = set()
    pending: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    unchanged = 0
    now = timezone.now()
    for n, (row, ref) in enumerate(zip(rows, refs, strict=True), start=2):
        problems: list[str] = []
        if not ref:
            problems.append("external_ref is required")
        elif ref in seen:
            problems.append(f"external_ref {ref!r} appears twice in the file")
        seen.add(ref)
        member_key = (row.get("member") or "").strip()
        inst: int | None = members.get(member_key) or members.get(member_key.lower())
        if inst is None:
            problems.append(f"member {member_key!r} is not a member of {agency}")
        code = (row.get("service") or "").strip()
        service = services.get(code)
        if service is None:
            problems.append(f"service {code!r} is not in the catalog")
        period: date | None = None
        try:
            period = parse_period(row.get("period") or "")
        except ValidationError:
            problems.append(f"period {row.get('period')!r} is not a month (YYYY-MM)")
        quantity = None
        try:
            quantity = parse_decimal(row.get("quantity") or "", QUANTITY, people=True)
        except DecimalInputError as exc:
            problems.append(f"quantity {exc}")
        if service is not None and service.charge_method not in USAGE_METHODS:
            problems.append(f"service {code} is not billed by usage")
        if problems or inst is None or service is None or period is None or quantity is None:
            errors.extend(f"line {n}: {p}" for p in problems)
            continue
        if ref in existing:
            if existing[ref] == (inst, service.pk, period, quantity):
                unchanged += 1
                continue
            errors.append(f"line {n}: external_ref {ref!r} is already recorded with other values")
            continue
        fy = fiscal_year_of(period, start)
        sub = subs.get((inst, service.pk, fy))
        if sub is None:
            errors.append(f"line {n}: {member_key} has no subscription to {code} for FY{fy}")
            continue
        if period in posted:
            errors.append(f"line {n}: {period:%B %Y} is already billed")
            continue
        if period > this_month:
            errors.append(f"line {n}: {period:%B %Y} has not begun yet")
            continue
        if fy not in closed:
            closed[fy] = year_closed(agency, fy)
        if closed[fy]:
            errors.append(f"line {n}: FY{fy} is closed; no usage can be dated into it")
            continue
        twin = (inst, service.pk, period, quantity)
        if (twin in on_file or twin in in_file) and not confirm_duplicates:
            flagged.append(f"line {n}: the same usage ({quantity.normalize():f} of {code} "
                           f"for {member_key} in {period:%Y-%m}) is already "
                           + ("in this file" if twin in in_file else "recorded"))  # fmt: skip
        in_file.add(twin)
        first, last = month_bounds(period)
        if not service.available(first, last):
            errors.append(f"line {n}: {code} is not delivered in {period:%B %Y}")
            continue
        starts, ends = sub_dates.get(sub, (None, None))
        if (starts and starts > last) or (ends and ends < first):
            errors.append(f"line {n}: the subscription to {code} does not cover {period:%B %Y}")
            continue
        if service.charge_method != "pool_by_usage" and quantity * service.unit_rate > (
            MONEY.largest
        ):
            errors.append(f"line {n}: quantity x rate is more than an invoice line can hold")
            continue
        pending[(service.pk, fy)] += quantity
        new.append(UsageRecord(
            agency=agency, subscription_id=sub, institution_id=inst, service=service,
            period=period, quantity=quantity, external_ref=ref,
            note=(row.get("note") or "").strip()[:300], recorded_at=now,
        ))  # fmt: skip
        if progress and n % 2000 == 0:
            progress(n - 1, total * 2)
    for (service_pk, fy), qty in pending.items():
        service = next(s for s in services.values() if s.pk == service_pk)
        if service.capacity is None:
            continue
        used = UsageRecord.objects.filter(
            service=service, period__in=fiscal_year_periods(fy, start)
        ).aggregate(t=Sum("quantity"))["t"] or Decimal(0)
        if used + qty > service.capacity:
            errors.append(
                f"service {service.code}: FY{fy} usage would reach {(used + qty).normalize():f} "
                f"{service.unit}, beyond its capacity of {service.capacity.normalize():f}"
            )
    if flagged and not errors:
        errors = [
            *flagged,
            "probable double entries: check them, then import again with "
            "--confirm-duplicates (or tick the box) to record them anyway",
        ]
    if errors:
        raise UsageImportFailed(errors)
    with transaction.atomic():
        for i in range(0, len(new), BATCH):
            UsageRecord.objects.bulk_create(new[i : i + BATCH])
            if progress:
                progress(total + i + len(new[i : i + BATCH]), total * 2)
        if new:
            audit.record(
                "usage.import", None, agency_id=agency.pk, label=f"{len(new)} usage records",
                changes={"created": len(new), "unchanged": unchanged,
                         "quantity": str(sum((u.quantity for u in new), Decimal(0)))},
            )  # fmt: skip
    if progress:
        progress(total * 2, total * 2)
    return UsageImportResult(lines=total, created=len(new), unchanged=unchanged)
