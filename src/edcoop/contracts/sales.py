"""Suppliers' quarterly sales reports, their reconciliation against EdCoop's purchase orders,
and the admin fee invoiced on them.

A report covers one contract and one calendar quarter and is required even with no sales (an
empty report says so). It is due ``report_due_days`` (45 by default, per agency) after the
quarter ends. Rows are checked all or nothing, each refusal naming its line. Filing issues
the admin fee invoice: the contract's fee percentage of the reported sales, to the cent.
A filed report does not change: an amendment files a new version of the quarter (the old
one kept), reconciled afresh, with a fee invoice adjusting what earlier versions invoiced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edcoop.core import audit, tabular
from edcoop.core.decimals import DecimalInputError, column, parse_decimal
from edcoop.core.inputs import has_nul
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Agency, Institution, LetterheadVersion

from . import pricing
from .models import (
    AdminFeeInvoice,
    Contract,
    ContractSettings,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesReport,
    SalesReportLine,
    add_months,
    quarter_end,
    supplier_bill_to,
)
from .services import next_in_series

COLUMNS = ["member", "sku", "quantity", "unit_price", "invoice_date"]
MAX_ROWS = 1_000_000
MAX_ERRORS = 200
FEE_TERMS_DAYS = 30
QTY = column(SalesReportLine, "quantity", minimum=Decimal("0.0001"))
PRICE = column(SalesReportLine, "unit_price")
AMOUNT = column(SalesReportLine, "amount")
TOTAL = column(SalesReport, "total_sales")


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def due_on(agency: Agency, year: int, quarter: int) -> date:
    return quarter_end(year, quarter) + timedelta(days=ContractSettings.of(agency).report_due_days)


@dataclass(frozen=True)
class Row:
    """One reported sale, already checked."""

    line: int
    institution_id: int
    sku: str
    quantity: Decimal
    unit_price: Decimal
    invoice_date: date

    @property
    def amount(self) -> Decimal:
        return pricing.extend(self.quantity, self.unit_price)


def _members(agency: Agency) -> dict[str, int]:
    """How a report may name a member: its id, NCES, IPEDS or BEDS code, or its exact name."""
    out: dict[str, int] = {}
    for pk, name, nces, ipeds, beds in Institution.objects.filter(agency=agency).values_list(
        "pk", "name", "nces_id", "ipeds_id", "beds_code"
    ):
        out[name.lower()] = pk
        for code in (nces, ipeds, beds):
            if code:
                out[code] = pk
        out[str(pk)] = pk
    return out


def parse_rows(
    contract: Contract, year: int, quarter: int,
    raw_rows: Iterable[Mapping[str, Any] | tabular.Row], *, first_line: int = 1,
) -> list[Row]:  # fmt: skip
    """Check every row (a file's, from :func:`read_file`, or the API's sales, counted from
    ``first_line``); raise a ValidationError listing each bad one by line."""
    members = _members(contract.agency)
    skus = set(contract.items.values_list("sku", flat=True))
    open_catalogue = contract.pricing == Contract.Pricing.DISCOUNT
    first, last = quarter_start(year, quarter), quarter_end(year, quarter)
    rows: list[Row] = []
    errors: list[str] = []
    for n, raw in enumerate(raw_rows, first_line):
        where = raw.label if isinstance(raw, tabular.Row) else f"line {n}"
        n = raw.number if isinstance(raw, tabular.Row) else n
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(f"{where}: a report has at most {MAX_ROWS:,} rows")
            break
        if len(errors) >= MAX_ERRORS:
            errors.append("... further lines not checked")
            break
        if isinstance(raw, tabular.Row) and raw.problems:
            errors.append(f"{where}: " + "; ".join(raw.problems))
            continue
        problems: list[str] = []
        values = {k: str(raw.get(k) if raw.get(k) is not None else "").strip() for k in COLUMNS}
        if any(has_nul(v) for v in values.values()):
            errors.append(f"{where}: contains a NUL character")
            continue
        member = members.get(values["member"]) or members.get(values["member"].lower())
        if member is None:
            problems.append(f"member: {values['member'][:60]!r} is not a member of the agency")
        sku = values["sku"][:60]
        if not sku:
            problems.append("sku: is required")
        elif sku not in skus and not open_catalogue:
            problems.append(f"sku: {sku!r} is not on contract {contract.number}")
        parsed: dict[str, Decimal] = {}
        for name, bounds in (("quantity", QTY), ("unit_price", PRICE)):
            try:
                parsed[name] = parse_decimal(values[name], bounds)
            except DecimalInputError as exc:
                problems.append(f"{name}: {exc}")
        try:
            day = date.fromisoformat(values["invoice_date"])
        except ValueError:
            problems.append(f"invoice_date: {values['invoice_date'][:24]!r} is not a date "
                            "(YYYY-MM-DD)")  # fmt: skip
        else:
            if not first <= day <= last:
                problems.append(f"invoice_date: {day.isoformat()} is outside {year} Q{quarter}")
        if len(parsed) == 2 and pricing.extend(parsed["quantity"],
                                               parsed["unit_price"]) > AMOUNT.largest:
            # Each number fits its column; their product may not fit the line's amount.
            problems.append(f"quantity x unit_price: the amount is too large: at most "
                            f"{AMOUNT.largest:,} a line")  # fmt: skip
        if problems or member is None:
            errors.append(f"{where}: " + "; ".join(problems))
            continue
        rows.append(Row(n, member, sku, parsed["quantity"], parsed["unit_price"], day))
    total = sum((r.amount for r in rows), Decimal(0))
    if not errors and total > TOTAL.largest:
        errors.append(f"the sales total {total:,} is too large: a quarter's report holds at "
                      f"most {TOTAL.largest:,}")  # fmt: skip
    if errors:
        raise ValidationError({"rows": errors})
    return rows


def read_file(data: bytes | str | IO[bytes]) -> list[tabular.Row]:
    """A report file's rows, CSV or XLSX (columns member,sku,quantity,unit_price,
    invoice_date), each knowing its line or row; checked by :func:`parse_rows`."""
    return list(tabular.read_table(data, required=COLUMNS, optional=None, max_rows=MAX_ROWS))


def _fee_number(agency: Agency, year: int) -> str:
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    return next_in_series(AdminFeeInvoice.objects.filter(agency=agency), f"AF-{year}-")


@transaction.atomic
def report_file(*, user: Any, contract: Contract, year: int, quarter: int,
                rows: Sequence[Mapping[str, Any] | tabular.Row], first_line: int = 1,
                today: date | None = None) -> SalesReport:  # fmt: skip
    """File the quarter's report (``rows`` empty: no sales) and issue its fee invoice."""
    if not can(user, Action.SALES_REPORT_FILE, contract.agency):  # else the supplier's own
        require(user, Action.SALES_REPORT_FILE, contract.agency, supplier=contract.supplier)
    now = timezone.now()
    if today is not None:  # the demo's and tests' clock: filed that day, at noon
        now = datetime.combine(today, time(12), tzinfo=contract.agency.zone)
    today = now.astimezone(contract.agency.zone).date()
    if quarter not in (1, 2, 3, 4) or not 2000 <= year <= 2100:
        raise ValidationError({"quarter": "Give a year from 2000 to 2100 and a quarter 1-4."})
    if quarter_end(year, quarter) >= today:
        raise ValidationError({"quarter": f"{year} Q{quarter} has not ended yet."})
    if quarter_end(year, quarter) < contract.starts_on or quarter_start(year, quarter) > (
        contract.current_end()
    ):
        raise ValidationError({"quarter": f"Contract {contract.number} was not in force in "
                                          f"{year} Q{quarter}."})  # fmt: skip
    if SalesReport.objects.filter(contract=contract, year=year, quarter=quarter).exists():
        raise ValidationError({"quarter": f"The {year} Q{quarter} report is already filed; a "
                                          "filed report does not change."})  # fmt: skip
    checked = parse_rows(contract, year, quarter, rows, first_line=first_line)
    return _file(user, contract, year, quarter, checked, now, today)


def _file(user: Any, contract: Contract, year: int, quarter: int, checked: Sequence[Row],
          now: datetime, today: date, amends: SalesReport | None = None,
          reason: str = "") -> SalesReport:  # fmt: skip
    """Write a checked report (or an amendment's new version) and issue its fee invoice: the
    fee on the reported sales, less what earlier versions of the quarter already invoiced."""
    items = dict(contract.items.values_list("sku", "pk"))
    total = sum((r.amount for r in checked), Decimal("0.00"))
    report = SalesReport.objects.create(
        agency=contract.agency, contract=contract, year=year, quarter=quarter,
        filed_at=now, filed_by=user if getattr(user, "pk", None) else None,
        total_sales=total, line_count=len(checked),
        version=amends.version + 1 if amends else 1, amends=amends, reason=reason)  # fmt: skip
    SalesReportLine.objects.bulk_create(
        (SalesReportLine(report=report, line=r.line, institution_id=r.institution_id,
                         item_id=items.get(r.sku), sku=r.sku, quantity=r.quantity,
                         unit_price=r.unit_price, amount=r.amount, invoice_date=r.invoice_date)
         for r in checked), batch_size=5000)  # fmt: skip
    # An amendment keeps the rate the quarter was first invoiced at.
    pct = amends.fee_invoice.fee_pct if amends else contract.admin_fee_pct
    invoiced = AdminFeeInvoice.objects.filter(
        report__contract=contract, report__year=year, report__quarter=quarter
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    fee = AdminFeeInvoice.objects.create(
        agency=contract.agency, report=report, supplier=contract.supplier,
        number=_fee_number(contract.agency, today.year), sales=total,
        fee_pct=pct, amount=pricing.fee(total, pct) - invoiced,
        issued_on=today, due_on=today + timedelta(days=FEE_TERMS_DAYS),
        letterhead=LetterheadVersion.issue(contract.agency),
        bill_to=supplier_bill_to(contract.supplier))  # fmt: skip
    changes: dict[str, Any] = {
        "contract": [None, contract.number], "quarter": [None, f"{year} Q{quarter}"],
        "lines": [None, len(checked)], "total_sales": [None, total]}  # fmt: skip
    if amends is not None:
        changes.update({"amends": [None, amends.pk], "version": [amends.version, report.version],
                        "total_sales": [amends.total_sales, total], "reason": [None, reason]})
    audit.record("sales_report.amend" if amends else "sales_report.file", report,
                 changes=changes)  # fmt: skip
    audit.record_create("admin_fee_invoice.issue", fee)
    return report


@transaction.atomic
def report_amend(*, user: Any, report: SalesReport,
                 rows: Sequence[Mapping[str, Any] | tabular.Row], reason: str,
                 first_line: int = 1, today: date | None = None) -> SalesReport:  # fmt: skip
    """Correct a filed report with a new version holding every row of the quarter (``rows``
    empty: no sales after all). The old version and its fee invoice stay as they were; the
    new version's invoice adjusts the fee (a negative amount credits the supplier)."""
    contract = report.contract
    if not can(user, Action.SALES_REPORT_FILE, contract.agency):  # else the supplier's own
        require(user, Action.SALES_REPORT_FILE, contract.agency, supplier=contract.supplier)
    why = (reason or "").strip()
    if not why or has_nul(why) or len(why) > 500:
        raise ValidationError({"reason": "Say why the report is amended (at most 500 "
                                         "characters)."})  # fmt: skip
    report = SalesReport.objects.select_for_update().get(pk=report.pk)
    later = SalesReport.objects.filter(amends=report).first()
    if later is not None:
        raise ValidationError({"report": f"Version {report.version} was already amended "
                                         f"by version {later.version}; amend the "
                                         "latest."})  # fmt: skip
    now = timezone.now()
    if today is not None:
        now = datetime.combine(today, time(12), tzinfo=contract.agency.zone)
    today = now.astimezone(contract.agency.zone).date()
    checked = parse_rows(contract, report.year, report.quarter, rows, first_line=first_line)
    return _file(user, contract, report.year, report.quarter, checked, now, today,
                 amends=report, reason=why)  # fmt: skip


def current_reports() -> Any:
    """Reports no later version amends (the quarter's figures in force)."""
    return SalesReport.objects.filter(amended_by__isnull=True)


# Reconciliation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    institution_id: int
    sku: str
    reported_quantity: Decimal
    ordered_quantity: Decimal
    reported_amount: Decimal
    ordered_amount: Decimal

    @property
    def kind(self) -> str:
        if not self.ordered_quantity:
            return "reported, no EdCoop order"
        if not self.reported_quantity:
            return "ordered in EdCoop, not reported"
        return "quantities or amounts differ"


Key = tuple[int, str]


def differences(reported: Iterable[tuple[Key, Decimal, Decimal]],
                ordered: Iterable[tuple[Key, Decimal, Decimal]]) -> list[Difference]:  # fmt: skip
    """Pure: sum (member, sku) quantities and amounts on each side; list every key where they
    differ, in key order."""
    sums: dict[Key, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for key, qty, amount in reported:
        sums[key][0] += qty
        sums[key][2] += amount
    for key, qty, amount in ordered:
        sums[key][1] += qty
        sums[key][3] += amount
    return [Difference(k[0], k[1], *v) for k, v in sorted(sums.items())
            if v[0] != v[1] or v[2] != v[3]]  # fmt: skip


def reconcile(report: SalesReport) -> list[Difference]:
    """The report against EdCoop's purchase orders under the contract in the quarter (sent,
    received or closed; ordered in the quarter)."""
    reported = ((((i, s), q, a)) for i, s, q, a in report.lines.values_list(
        "institution_id", "sku", "quantity", "amount").iterator(chunk_size=5000))  # fmt: skip
    lines = PurchaseOrderLine.objects.filter(
        order__contract=report.contract,
        order__status__in=[PurchaseOrder.Status.SENT, PurchaseOrder.Status.RECEIVED,
                           PurchaseOrder.Status.CLOSED],
        order__ordered_on__range=(quarter_start(report.year, report.quarter),
                                  report.period_end),
    ).values_list("order__institution_id", "item__sku", "description", "quantity",
                  "amount")  # fmt: skip
    ordered = (((i, sku or desc[:60]), q, a) for i, sku, desc, q, a in lines)
    return differences(reported, ordered)


# Late and missing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    contract: Contract
    year: int
    quarter: int
    due: date
    report: SalesReport | None

    @property
    def state(self) -> str:
        if self.report is None:
            return "missing"
        filed = self.report.filed_at.astimezone(self.contract.agency.zone).date()
        return "late" if filed > self.due else "on time"


def expected_reports(agency: Agency, today: date, contracts: Iterable[Contract] | None = None,
                     ) -> list[Expected]:  # fmt: skip
    """Every quarter whose report is due by ``today``, filed or not, for each contract."""
    days = ContractSettings.of(agency).report_due_days
    # Lateness is the first filing's; an amendment does not make a quarter late or on time.
    filed = {(r.contract_id, r.year, r.quarter): r
             for r in SalesReport.objects.filter(agency=agency, version=1)}  # fmt: skip
    out = []
    rows = contracts if contracts is not None else Contract.objects.filter(agency=agency)
    for contract in rows:
        end = min(contract.current_end(), contract.terminated_on or date.max)
        q_first = date(contract.starts_on.year, 3 * ((contract.starts_on.month - 1) // 3) + 1, 1)
        while q_first <= end:
            year, quarter = q_first.year, (q_first.month - 1) // 3 + 1
            due = quarter_end(year, quarter) + timedelta(days=days)
            if due >= today:
                break
            out.append(Expected(contract, year, quarter, due,
                                filed.get((contract.pk, year, quarter))))  # fmt: skip
            q_first = add_months(q_first, 3)
    return out
