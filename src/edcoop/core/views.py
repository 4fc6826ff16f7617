"""Public pages (home, an agency's page), the agency dashboard, and the helpers every list
page uses: server-side sorting, pagination and CSV export (see docs/ui.md)."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from . import formatting, permissions
from .charts import Bar, bar_chart
from .permissions import Action

PAGE_SIZE = 50


# Where a signed-in user works ---------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    agency: Any
    label: str
    url: str


def destinations_for(user: Any) -> list[Destination]:
    """Every starting page the user has: an agency console, a member portal, a supplier portal."""
    from edcoop.members.models import AGENCY_ROLES, MEMBER_ROLES, RoleAssignment

    seen: set[str] = set()
    result: list[Destination] = []
    assignments = (
        RoleAssignment.objects.filter(user=user)
        .select_related("agency", "institution", "supplier")
        .order_by("agency__name", "role")
    )
    for ra in assignments:
        agency = ra.agency
        if ra.role in AGENCY_ROLES:
            dest = Destination(agency, f"{agency.name}: agency console",
                               reverse("agency", args=[agency.slug]))  # fmt: skip
        elif ra.role in MEMBER_ROLES and ra.institution is not None:
            dest = Destination(
                agency,
                f"{agency.name}: {ra.institution.name}",
                reverse("members:portal", args=[agency.slug, ra.institution_id]),
            )
        elif ra.supplier is not None:
            dest = Destination(
                agency,
                f"{agency.name}: {ra.supplier}",
                reverse("members:supplier_portal", args=[agency.slug, ra.supplier_id]),
            )
        else:
            continue
        if dest.url not in seen:
            seen.add(dest.url)
            result.append(dest)
    return result


def home(request: HttpRequest) -> HttpResponse:
    from edcoop.members.models import Agency

    if request.user.is_authenticated:
        destinations = destinations_for(request.user)
        if len(destinations) == 1:
            return redirect(destinations[0].url)
        return render(request, "core/chooser.html", {"destinations": destinations})
    agencies = Agency.objects.filter(accepting_applications=True).order_by("name")
    return render(request, "core/home.html", {"agencies": agencies})


def agency_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's public page; its staff see their home here instead: the next step first,
    then what else waits for their role (``core.tasks``), then the agency's figures."""
    from edcoop.members.models import Agency, Institution, Membership, Supplier

    agency = get_object_or_404(Agency, slug=slug)
    user = request.user
    if not permissions.can(user, Action.AGENCY_CONSOLE, agency):
        mine = [d for d in destinations_for(user) if d.agency.pk == agency.pk] if (
            user.is_authenticated) else []  # fmt: skip
        return render(request, "core/agency_public.html", {"agency": agency, "mine": mine})

    counts: dict[str, int] = {}
    by_kind: list[Bar] = []
    if permissions.can(user, Action.MEMBERSHIP_LIST, agency):
        memberships = Membership.objects.filter(agency=agency)
        counts["active_members"] = memberships.filter(status=Membership.Status.ACTIVE).count()
        kinds = dict(Institution.Kind.choices)
        by_kind = [
            Bar(kinds.get(row["institution__kind"], row["institution__kind"]), row["n"])
            for row in memberships.filter(status=Membership.Status.ACTIVE)
            .values("institution__kind")
            .annotate(n=Count("pk"))
            .order_by("-n", "institution__kind")
        ]
        counts["applications"] = memberships.filter(status=Membership.Status.APPLICANT).count()
    if permissions.can(user, Action.SUPPLIER_LIST, agency):
        suppliers = Supplier.objects.filter(agency=agency)
        counts["suppliers"] = suppliers.filter(status=Supplier.Status.ACTIVE).count()
        counts["supplier_applicants"] = suppliers.filter(status=Supplier.Status.APPLICANT).count()
    from .pages import allowed
    from .tasks import tasks_for

    tasks = tasks_for(user, agency)
    return render(
        request,
        "core/dashboard.html",
        {
            "agency": agency,
            "counts": counts,
            "tasks": tasks,
            "may": allowed(
                user,
                agency,
                Action.MEMBERSHIP_DECIDE,
                Action.SUPPLIER_DECIDE,
                Action.BILLING_VIEW,
                Action.SOLICITATION_VIEW,
                Action.SERVICE_VIEW,
                Action.AGENCY_SETTINGS,
            ),
            "can_audit": permissions.can(user, Action.AUDIT_VIEW, agency),
            "by_kind": by_kind,
            "by_kind_chart": bar_chart(
                "Active members by kind",
                by_kind,
                describe=f"{counts.get('active_members', 0)} active members; the table below "
                "gives the number of each kind.",
            )
            if by_kind
            else "",
            "undelivered": undelivered_mail(agency.pk),
        },
    )


def undelivered_mail(agency_id: int) -> list[Any]:
    """The agency's e-mail the worker gave up on (core.mail), newest first: 30 days' worth."""
    from datetime import timedelta

    from django.utils import timezone

    from .mail import EMAIL
    from .models import Job

    since = timezone.now() - timedelta(days=30)
    return list(Job.objects.filter(agency_id=agency_id, kind=EMAIL, status=Job.Status.FAILED,
                                   created_at__gte=since).order_by("-created_at")[:20])  # fmt: skip


# Lists: sorting, pagination, CSV --------------------------------------------------------------


@dataclass
class Column:
    """A table column. ``sort`` is the ordering field ("" for an unsortable column)."""

    key: str
    label: str
    sort: str = ""
    numeric: bool = False
    aria_sort: str = ""
    url: str = ""
    next_label: str = ""


def sort_columns(
    request: HttpRequest, columns: Sequence[Column], default: str
) -> tuple[list[str], list[Column]]:
    """Read ``?sort=key`` / ``?sort=-key``; return the ordering and the columns with their
    header links (which keep the other query parameters and go back to page 1)."""
    requested = request.GET.get("sort", default)
    key = requested.lstrip("-")
    by_key = {c.key: c for c in columns if c.sort}
    if key not in by_key:
        requested, key = default, default.lstrip("-")
    descending = requested.startswith("-")
    for column in columns:
        if not column.sort:
            continue
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("format", None)
        if column.key == key:
            column.aria_sort = "descending" if descending else "ascending"
            params["sort"] = column.key if descending else f"-{column.key}"
            column.next_label = "ascending" if descending else "descending"
        else:
            column.aria_sort = "none"
            params["sort"] = column.key
            column.next_label = "ascending"
        column.url = "?" + params.urlencode()
    field = by_key[key].sort
    ordering = [f"-{field}" if descending else field]
    return ordering, list(columns)


class ListPageNotFound(Http404):
    """``?page=`` names no page of the list: the 404 page says so and links to page 1."""

    def __init__(self, message: str, first_page_url: str) -> None:
        super().__init__(message)
        self.first_page_url = first_page_url


def paginate(request: HttpRequest, items: QuerySet[Any], per_page: int = PAGE_SIZE) -> Page:
    """The requested page of ``items``. A page that does not exist (past the last, zero,
    not a number, ``99999999999999999999``) is a 404 saying how many pages there are; it
    never reaches the database as an offset it cannot hold."""
    raw = request.GET.get("page", "").strip() or "1"
    paginator = Paginator(items, per_page)
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
    if not 1 <= number <= paginator.num_pages:
        params = request.GET.copy()
        params.pop("page", None)
        pages = paginator.num_pages
        raise ListPageNotFound(
            f"This list has no page {raw[:20]}: it has {pages} page{'s' if pages != 1 else ''}.",
            "?" + params.urlencode(),
        )
    return paginator.page(number)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: an unreachable database is a 503 that says so (no page that needs
    the database: no navigation, no sign-in state); anything else Django's 500."""
    from django.views import defaults

    from .health import DATABASE_DOWN, is_database_down
    from .middleware import is_api

    exc = sys.exc_info()[1]
    if exc is not None and is_database_down(exc):
        if is_api(request):
            response: HttpResponse = JsonResponse({"detail": DATABASE_DOWN}, status=503)
        else:
            response = HttpResponse(
                "<!doctype html><html lang=en><meta charset=utf-8><title>Unavailable</title>"
                f"<h1>Unavailable for a moment</h1><p>{DATABASE_DOWN}</p></html>",
                status=503,
            )
        response["Retry-After"] = "30"
        return response
    if is_api(request):
        return JsonResponse({"detail": "Internal error"}, status=500)
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page; for a list page that does not exist, it says why and links to page 1."""
    context: dict[str, Any] = {}
    if isinstance(exception, ListPageNotFound):
        context = {"detail": exception.args[0], "first_page_url": exception.first_page_url}
    return render(request, "404.html", context, status=404)


EXPORT_FORMATS = ("csv", "xlsx")


def export_format(request: HttpRequest) -> str | None:
    """``csv`` or ``xlsx`` when the list is asked for as a download (``?format=...``)."""
    fmt = request.GET.get("format")
    return fmt if fmt in EXPORT_FORMATS else None


def export_urls(request: HttpRequest) -> dict[str, str]:
    """The current list (filters and sort kept, all pages) as each download format."""
    urls = {}
    for fmt in EXPORT_FORMATS:
        params = request.GET.copy()
        params.pop("page", None)
        params["format"] = fmt
        urls[fmt] = "?" + params.urlencode()
    return urls


# What makes Excel, LibreOffice or Sheets read a cell as a formula: the four signs in their
# ASCII and full-width forms (Excel folds U+FF1D to =), after any leading spaces or line breaks.
_FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_LEADING = " \t\r\n\x0b\x0c\u00a0\u3000"


# The control characters XML 1.0 cannot hold (tab and line breaks it can): an XLSX cell
# with one cannot be written at all, so a supplier named "Acme\x07" broke every export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_cell(value: Any) -> Any:
    """Defuse spreadsheet formulas: a cell a user typed must never run in a spreadsheet.
    A text cell that starts with a line break or tab, or whose first visible character is a
    formula sign, is written with a leading apostrophe, which spreadsheets show as text.
    A control character no spreadsheet file can hold is written as U+FFFD."""
    if isinstance(value, str) and value:
        value = _NOT_XML.sub("\ufffd", value)
        visible = value.lstrip(_LEADING)
        if value[0] in "\t\r\n" or visible[:1] in _FORMULA_SIGNS:
            return "'" + value
    return "" if value is None else value


# What a sheet's name may not hold (Excel's rule, which openpyxl enforces): a solicitation
# numbered "IFB 2026/04" made its tabulation's workbook a 500.
_SHEET_NAME = re.compile(r"[\\/?*\[\]:\x00-\x1f]")


def _attachment(filename: str, suffix: str) -> str:
    """The download's header, whatever the name holds (quotes, line breaks, accents)."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", filename)
    return content_disposition_header(True, f"{name}.{suffix}") or "attachment"


def export_response(
    fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """One list, downloaded as CSV or as an Excel workbook (``filename`` without suffix).

    Numbers and Decimals stay numbers in the workbook, so totals can be summed there.
    """
    if fmt == "xlsx":
        from openpyxl import Workbook

        # Write-only: rows stream out, so a long list does not sit in memory twice.
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=_SHEET_NAME.sub("-", filename)[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = _attachment(filename, "xlsx")
        workbook.save(response)
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(filename, "csv")
    response.write("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return response


def _is_number(value: Any) -> bool:
    return isinstance(value, Decimal | int | float) and not isinstance(value, bool)


def _csv_cell(value: Any) -> Any:
    """str(Decimal("5E+3")) is "5E+3": numbers are written fixed-point."""
    return formatting.plain(value) if _is_number(value) else spreadsheet_cell(value)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A number stays a number, in a format that never shows an exponent."""
    if not _is_number(value):
        return spreadsheet_cell(value)
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = formatting.excel_format(value)
    return cell


# Background jobs --------------------------------------------------------------------------


@login_required
def job_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A job's progress, then its result. ``?format=json`` feeds the page's progress bar."""
    agency = permissions.agency_for_user(request.user, slug)
    job = permissions.get_or_404(permissions.jobs_for(request.user, agency), pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"status": job.status, "status_label": job.get_status_display(), "done": job.done,
             "total": job.total, "percent": job.percent, "finished": job.finished}
        )  # fmt: skip
    return render(
        request,
        "core/job.html",
        {"agency": agency, "job": job, "back_url": job.params.get("back_url", "")},
    )
