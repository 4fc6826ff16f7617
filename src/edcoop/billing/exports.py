"""Files a business office sends and files: the general-ledger file of posted invoices and
memos per district (by the GL account each service is booked to), and the per-district,
per-service BOCES-aid figures behind the aid claim. CSV or XLSX (``core.views``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse

from edcoop.core.views import export_response
from edcoop.members.models import Agency, Institution

from . import aid
from .models import CreditMemo, CreditMemoLine, Invoice, InvoiceLine, MoneySum

GL_HEADER = ["District", "BEDS code", "Document", "Kind", "Date", "Period", "GL account",
             "Service code", "Service", "Debit", "Credit"]  # fmt: skip
UNMAPPED = "(unmapped)"


def gl_rows(
    agency: Agency, fiscal_year: int, institution: Institution | None = None
) -> Iterator[list[Any]]:
    """One row per document and service: invoices and debit memos debit the district's
    account for the service, credit memos credit it."""
    lines = InvoiceLine.objects.filter(
        invoice__agency=agency, invoice__fiscal_year=fiscal_year,
        invoice__status=Invoice.Status.ISSUED,
    )  # fmt: skip
    memo_lines = CreditMemoLine.objects.filter(memo__agency=agency, memo__fiscal_year=fiscal_year)
    if institution is not None:
        lines = lines.filter(invoice__institution=institution)
        memo_lines = memo_lines.filter(memo__institution=institution)
    rows: list[tuple[Any, ...]] = []
    for name, beds, fy, number, issued, period, account, code, service, amount in (
        lines.values("invoice_id", "service_id").annotate(t=MoneySum("amount")).values_list(
            "invoice__institution__name", "invoice__institution__beds_code",
            "invoice__fiscal_year", "invoice__number", "invoice__issued_on",
            "invoice__period", "service__gl_account", "service__code", "service__name", "t")
    ):  # fmt: skip
        rows.append((name, beds, f"{fy}-{number:05d}", "Invoice", issued, f"{period:%Y-%m}",
                     account or UNMAPPED, code, service, amount, None))  # fmt: skip
    for name, beds, kind, fy, number, issued, account, code, service, amount in (
        memo_lines.values("memo_id", "service_id").annotate(t=MoneySum("amount")).values_list(
            "memo__institution__name", "memo__institution__beds_code", "memo__kind",
            "memo__fiscal_year", "memo__number", "memo__issued_on", "service__gl_account",
            "service__code", "service__name", "t")
    ):  # fmt: skip
        credit = kind == CreditMemo.Kind.CREDIT
        rows.append((name, beds, f"{'CM' if credit else 'DM'}{fy}-{number:05d}",
                     "Credit memo" if credit else "Debit memo", issued, "",
                     account or UNMAPPED, code, service, None if credit else amount,
                     amount if credit else None))  # fmt: skip
    rows.sort(key=lambda r: (r[0], r[4], r[2], r[7]))
    for r in rows:
        yield list(r)


def gl_response(
    agency: Agency, fiscal_year: int, fmt: str, *, institution: Institution | None = None
) -> HttpResponse:
    who = f"-{institution.beds_code or institution.pk}" if institution else ""
    return export_response(fmt, f"{agency.slug}-gl-fy{fiscal_year}{who}", GL_HEADER,
                           gl_rows(agency, fiscal_year, institution))  # fmt: skip


def unmapped_services(agency: Agency, fiscal_year: int) -> list[str]:
    """Services billed this year with no GL account: the file says "(unmapped)" for them."""
    return sorted(set(
        InvoiceLine.objects.filter(invoice__agency=agency, invoice__fiscal_year=fiscal_year,
                                   invoice__status=Invoice.Status.ISSUED,
                                   service__gl_account="").values_list("service__code",
                                                                       flat=True)
    ))  # fmt: skip


AID_HEADER = ["District", "BEDS code", "Purchases in", "Aid year", "Aid ratio",
              "Aid ratio data years", "Category", "Service code", "Service", "Net charges",
              "Aidable", "Why not aidable / what is estimated", "Approved share of cost",
              "Approved cost", "Aid", "Estimate"]  # fmt: skip


def aid_response(agency: Agency, fiscal_year: int, fmt: str) -> HttpResponse:
    estimate = aid.aid_estimate(agency, fiscal_year)
    beds = dict(Institution.objects.filter(agency=agency).values_list("pk", "beds_code"))

    def rows() -> Iterator[list[Any]]:
        for m in estimate.members:
            for s in m.services:
                yield [m.name, beds.get(m.institution_id, ""), f"FY{fiscal_year}",
                       f"FY{estimate.aid_year}", m.aid_ratio, m.ratio_data_years,
                       aid.CATEGORY_LABELS[s.category], s.code, s.name, s.charges,
                       "yes" if s.aidable else "no", s.reason, s.approved_ratio, s.approved,
                       s.aid, "estimate" if s.estimate else ""]  # fmt: skip

    return export_response(fmt, f"{agency.slug}-boces-aid-fy{fiscal_year}", AID_HEADER, rows())
