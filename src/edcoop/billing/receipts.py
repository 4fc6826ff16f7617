"""Cash receipts import: ``edcoop billing receipts FILE.csv --agency SLUG`` or the page.

Columns ``date, member, amount, reference`` (date YYYY-MM-DD; member as in the usage import:
BEDS code, NCES or IPEDS ID, or exact name; amount in dollars). All or nothing: every row is
checked and every problem reported with its line number before anything is written; then
each payment is recorded and applied (oldest open invoices first, the rest unapplied credit)
in one transaction. Safe to run again: a row already recorded (same member, reference, date
and amount) is skipped; the same member and reference with other values is an error.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from edcoop.core import audit
from edcoop.core.decimals import DecimalInputError, parse_decimal
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution
from edcoop.services.fiscal import fiscal_year_of
from edcoop.services.importers import member_index
from edcoop.services.perm import require

from . import closing
from .ledger import POSITIVE_MONEY, payment_record, payment_unapplied
from .models import Payment

REQUIRED = ["date", "member", "amount", "reference"]
MAX_ROWS = 50_000


class ReceiptsImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:3]) + ("; ..." if len(errors) > 3 else ""))
        self.errors = errors


@dataclass
class ReceiptsResult:
    lines: int = 0
    recorded: int = 0
    unchanged: int = 0
    total: Decimal = Decimal(0)
    unapplied: Decimal = Decimal(0)


def import_receipts(*, user: Any, agency: Agency, data: bytes | str) -> ReceiptsResult:
    require(user, Action.BILLING_ADJUST, agency)
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ReceiptsImportFailed(["the file is not UTF-8 text"]) from None
    if "\x00" in text:
        raise ReceiptsImportFailed(["the file contains NUL characters"])
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ReceiptsImportFailed([f"line 1: missing column(s): {', '.join(missing)}"])
    rows = [{(k or "").strip(): (v or "") for k, v in r.items() if isinstance(v, str)}
            for r in reader]  # fmt: skip
    if len(rows) > MAX_ROWS:
        raise ReceiptsImportFailed([f"more than {MAX_ROWS:,} rows; split the file"])
    members = member_index(agency)
    today = closing.agency_today(agency)
    existing = {
        (inst, ref): (day, amount)
        for inst, ref, day, amount in Payment.objects.filter(agency=agency).exclude(
            reference="").values_list("institution_id", "reference", "received_on", "amount")
    }  # fmt: skip
    closed: dict[int, bool] = {}
    errors: list[str] = []
    todo: list[tuple[int, date, Decimal, str]] = []
    seen: set[tuple[int, str]] = set()
    unchanged = 0
    for n, row in enumerate(rows, start=2):
        problems = []
        raw_day = row.get("date", "").strip()
        day = None
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            problems.append(f"date {raw_day[:20]!r} is not a date (YYYY-MM-DD)")
        if day is not None and day > today:
            problems.append(f"date {day} is in the future")
        key = row.get("member", "").strip()
        inst = members.get(key) or members.get(key.lower())
        if inst is None:
            problems.append(f"member {key[:40]!r} is not a member of {agency}")
        amount = None
        try:
            amount = parse_decimal(row.get("amount", ""), POSITIVE_MONEY, people=True)
        except DecimalInputError as exc:
            problems.append(f"amount {exc}")
        ref = row.get("reference", "").strip()
        if not ref:
            problems.append("reference is required (check or ACH number)")
        elif len(ref) > 100:
            problems.append("reference is longer than 100 characters")
        if problems or inst is None or day is None or amount is None:
            errors.extend(f"line {n}: {p}" for p in problems)
            continue
        fy = fiscal_year_of(day, agency.fiscal_year_start_month)
        if fy not in closed:
            closed[fy] = closing.year_closed(agency, fy)
        if closed[fy]:
            errors.append(f"line {n}: FY{fy} is closed; no payment can be dated into it")
            continue
        if (inst, ref) in seen:
            errors.append(f"line {n}: reference {ref!r} appears twice for this member")
            continue
        seen.add((inst, ref))
        if (inst, ref) in existing:
            if existing[(inst, ref)] == (day, amount):
                unchanged += 1
                continue
            errors.append(f"line {n}: reference {ref!r} is already recorded for this member "
                          "with another date or amount")  # fmt: skip
            continue
        todo.append((inst, day, amount, ref))
    if errors:
        raise ReceiptsImportFailed(errors)
    result = ReceiptsResult(lines=len(rows), unchanged=unchanged)
    institutions = {i.pk: i for i in Institution.objects.filter(pk__in={t[0] for t in todo})}
    with transaction.atomic():
        for inst, day, amount, ref in sorted(todo, key=lambda t: (t[1], t[0], t[3])):
            payment = payment_record(user=user, institution=institutions[inst], amount=amount,
                                     received_on=day, reference=ref)  # fmt: skip
            result.recorded += 1
            result.total += amount
            result.unapplied += payment_unapplied(payment)
        if result.recorded:
            audit.record("payment.import", None, agency_id=agency.pk,
                         label=f"{result.recorded} payments imported",
                         changes={"recorded": result.recorded, "unchanged": unchanged,
                                  "total": result.total})  # fmt: skip
    return result
