"""What ``edcoop audit verify`` checks of billing's records against the audit trail.

Database triggers (``billing.guards``) refuse changes to issued documents; these checks find
any that happened anyway (a table owner who skipped the triggers, a restored backup, a
database without them): every issued invoice still equals the sum of its lines and the total
its ``invoice.issue`` event recorded; invoice and credit-memo numbers run from 1 to the
series' counter with no gap, per agency, series and fiscal year; every credit memo and
payment still matches the event that recorded it, and every such event's record exists.

A new billing record that must never change gets its line here (``records_match_events``
for anything written with ``audit.record_create``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Max, Sum

from edcoop.core.integrity import Tally, events_by_object, integrity_check, records_match_events
from edcoop.core.money import quantize_money

from .models import CreditMemo, DocumentCounter, Invoice, Payment

SERIES = {"INV": "invoice", "CM": "credit memo", "DM": "debit memo"}


def _invoice_label(fiscal_year: int, number: int | None) -> str:
    return f"invoice {fiscal_year}-{number or 0:05d}"


@integrity_check("billing.invoices")
def issued_invoices(tally: Tally) -> None:
    events = events_by_object(tally, "invoice.issue", Invoice)
    rows = (
        tally.scope(Invoice.objects.filter(status=Invoice.Status.ISSUED))
        .annotate(line_sum=Sum("lines__amount"), line_count=Count("lines"))
        .values_list("pk", "agency_id", "fiscal_year", "number", "total", "line_sum",
                     "line_count")
        .order_by("pk")
    )  # fmt: skip
    for pk, agency_id, fy, number, total, line_sum, line_count in rows.iterator(chunk_size=2000):
        label = _invoice_label(fy, number)
        tally.count(agency_id, "issued invoices")
        tally.count(agency_id, "invoice lines", line_count)
        # SQLite sums decimals as floating point: back to cents before comparing.
        lines = quantize_money(Decimal(str(line_sum))) if line_sum is not None else Decimal(0)
        if lines != total:
            tally.problem(agency_id, f"{label}: its lines sum to {lines} but its total is {total}")
        event = events.pop(str(pk), None)
        if event is None:
            tally.problem(agency_id, f"{label} has no audit event (invoice.issue): it was "
                                     "issued outside EdCoop")  # fmt: skip
            continue
        recorded = event.changes if isinstance(event.changes, dict) else {}
        if str(recorded.get("number")) != f"{fy}-{number:05d}":
            tally.problem(agency_id, f"{label}: event #{event.seq} issued it as number "
                                     f"{recorded.get('number')}", event.seq)  # fmt: skip
        try:
            audited = Decimal(str(recorded.get("total")))
        except ArithmeticError:
            audited = None
        if audited != total:
            tally.problem(agency_id, f"{label}: its total is {total} but event #{event.seq} "
                                     f"recorded {recorded.get('total')}", event.seq)  # fmt: skip
    for _, event in events.items():
        number = (event.changes or {}).get("number") if isinstance(event.changes, dict) else None
        tally.problem(event.agency_id, f"invoice {number} issued by event #{event.seq} no longer "
                                       "exists as an issued invoice", event.seq)  # fmt: skip


@integrity_check("billing.numbering")
def numbering_without_gaps(tally: Tally) -> None:
    sources = {
        "INV": tally.scope(Invoice.objects.filter(number__isnull=False)),
        "CM": tally.scope(CreditMemo.objects.filter(kind=CreditMemo.Kind.CREDIT)),
        "DM": tally.scope(CreditMemo.objects.filter(kind=CreditMemo.Kind.DEBIT)),
    }
    for series, queryset in sources.items():
        noun = SERIES[series]
        used = {
            (row["agency_id"], row["fiscal_year"]): (row["n"], row["top"])
            for row in queryset.values("agency_id", "fiscal_year")
            .annotate(n=Count("pk"), top=Max("number"))
            .order_by()
        }
        counters = {
            (row["agency_id"], row["fiscal_year"]): row["last"]
            for row in tally.scope(DocumentCounter.objects.filter(series=series)).values(
                "agency_id", "fiscal_year", "last"
            )
        }
        for agency_id, fy in sorted(set(used) | set(counters)):
            n, top = used.get((agency_id, fy), (0, 0))
            last = counters.get((agency_id, fy), 0)
            # Numbers are unique per agency, series and year, so n == top == last means the
            # series holds exactly 1..last.
            if n == top == last:
                continue
            numbers = set(queryset.filter(agency_id=agency_id, fiscal_year=fy)
                          .values_list("number", flat=True))  # fmt: skip
            missing = [k for k in range(1, max(last, top) + 1) if k not in numbers]
            if missing:
                shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
                detail = f"has a gap: no {noun} {shown} ({n} of {last} numbers used)"
            else:
                detail = f"runs past its counter ({n} numbered, counter at {last})"
            tally.problem(agency_id, f"{noun} numbering of FY{fy} {detail}")


@integrity_check("billing.credit_memos")
def credit_memos_match_their_events(tally: Tally) -> None:
    for kind in CreditMemo.Kind:
        records_match_events(
            tally, CreditMemo.objects.filter(kind=kind), action=f"{kind.value}_memo.issue",
            what=f"{kind.value} memos",
            fields=("agency", "kind", "invoice", "institution", "fiscal_year", "number",
                    "amount"),
            label=lambda memo: f"{memo.get_kind_display().lower()} {memo.display_number}",
        )  # fmt: skip


@integrity_check("billing.applications")
def applications_within_their_sources(tally: Tally) -> None:
    """No payment or credit memo is applied beyond its amount, and no invoice is paid or
    credited beyond what it asks (its total and debit memos): applications are only ever
    added, so more than that means rows written behind the product's back."""
    from .models import CreditApplication

    for source, noun in (("payment", "payment"), ("memo", "credit memo")):
        rows = (
            tally.scope(CreditApplication.objects.filter(**{f"{source}__isnull": False}))
            .values(f"{source}_id", "agency_id", f"{source}__amount")
            .annotate(t=Sum("amount"))
            .order_by()
        )
        for row in rows:
            tally.count(row["agency_id"], "applications")
            applied = quantize_money(Decimal(str(row["t"])))
            if applied > row[f"{source}__amount"]:
                tally.problem(row["agency_id"], f"{noun} #{row[f'{source}_id']} is applied "
                              f"{applied}, more than its {row[f'{source}__amount']}")  # fmt: skip


@integrity_check("billing.payments")
def payments_match_their_events(tally: Tally) -> None:
    records_match_events(
        tally, Payment.objects.all(), action="payment.record", what="payments",
        fields=("agency", "institution", "invoice", "received_on", "amount"),
        label=lambda p: f"payment #{p.pk}" + (f" ({p.reference})" if p.reference else ""),
    )  # fmt: skip
