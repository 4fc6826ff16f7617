"""The agency console: members, applications, suppliers and the audit trail (staff only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from edcoop.core import permissions
from edcoop.core.job_kinds import AUDIT_VERIFY
from edcoop.core.jobs import job_start
from edcoop.core.models import Job
from edcoop.core.pages import agency_or_404, allowed, posted
from edcoop.core.permissions import Action
from edcoop.core.views import (
    Column,
    export_format,
    export_response,
    export_urls,
    paginate,
    sort_columns,
)

from .. import logos, selectors, services
from ..forms import (
    AgencySettingsForm,
    ApproveForm,
    AuditFilterForm,
    CheckpointForm,
    DatesForm,
    ImportForm,
    InstitutionForm,
    MemberFilterForm,
    OptionalReasonForm,
    ReasonForm,
    StatusForm,
    SupplierFilterForm,
    YearForm,
    add_service_errors,
)
from ..jobs import INSTITUTION_IMPORT
from ..models import Agency, Membership, Supplier, SupplierChangeRequest
from ._common import supplier_or_404

# Members ------------------------------------------------------------------------------------

MEMBER_COLUMNS = [
    Column("name", "Institution", "institution__name"),
    Column("kind", "Kind", "institution__kind"),
    Column("county", "County", "institution__county"),
    Column("state", "State", "institution__state"),
    Column("status", "Status", "status"),
    Column("component", "Component"),
    Column("service_area", "Service area", "service_area__name"),
    Column("joined", "Joined", "joined_on"),
]


@login_required
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_LIST)
    qs = permissions.memberships_for(request.user, agency)
    form = MemberFilterForm(request.GET or None, agency=agency)
    if form.is_valid():
        qs = selectors.membership_search(qs, **form.cleaned_data)
    ordering, columns = sort_columns(request, [Column(**vars(c)) for c in MEMBER_COLUMNS], "name")
    qs = qs.order_by(*ordering, "institution__name", "pk")
    if fmt := export_format(request):
        return export_response(
            fmt,
            f"{agency.slug}-members",
            ["Institution", "Kind", "County", "City", "State", "NCES ID", "IPEDS ID",
             "BEDS code", "Status", "Component", "Service area", "Joined on"],
            (
                [m.institution.name, m.institution.get_kind_display(), m.institution.county,
                 m.institution.city, m.institution.state, m.institution.nces_id,
                 m.institution.ipeds_id, m.institution.beds_code, m.get_status_display(),
                 "yes" if m.component else "no", m.service_area.name if m.service_area else "",
                 m.joined_on.isoformat() if m.joined_on else ""]
                for m in qs.iterator()
            ),
        )  # fmt: skip
    return render(
        request,
        "members/member_list.html",
        {
            "agency": agency,
            "form": form,
            "columns": columns,
            "page": paginate(request, qs),
            "export_urls": export_urls(request),
            **allowed(request.user, agency, Action.INSTITUTION_IMPORT),
            "filtered": bool(form.is_valid() and any(form.cleaned_data.values())),
        },
    )


@login_required
def applications(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_LIST)
    qs = (
        permissions.memberships_for(request.user, agency)
        .filter(status=Membership.Status.APPLICANT)
        .order_by("applied_at", "pk")
    )
    return render(
        request,
        "members/applications.html",
        {
            "agency": agency,
            "page": paginate(request, qs),
            **allowed(request.user, agency, Action.MEMBERSHIP_DECIDE),
        },
    )


def _membership(request: HttpRequest, agency: Agency, pk: int) -> Membership:
    return permissions.get_or_404(permissions.memberships_for(request.user, agency), pk=pk)


def _render_detail(
    request: HttpRequest, agency: Agency, membership: Membership, year_form: Any = None
) -> HttpResponse:
    status_actions = []
    decide = permissions.can(request.user, Action.MEMBERSHIP_DECIDE, agency)
    if decide:
        for status, label in _STATUS_LABELS.items():
            if status in _STATUS_MOVES.get(membership.status, ()):
                status_actions.append({"status": status.value, "label": label})
    latest = membership.years.order_by("-fiscal_year").first()
    return render(
        request,
        "members/member_detail.html",
        {
            "agency": agency,
            "membership": membership,
            "institution": membership.institution,
            "years": membership.years.order_by("-fiscal_year"),
            "year_form": year_form
            or YearForm(initial={"fiscal_year": (latest.fiscal_year + 1) if latest else None}),
            "status_actions": status_actions,
            **allowed(
                request.user,
                agency,
                Action.MEMBERSHIP_DECIDE,
                Action.MEMBERSHIP_EDIT,
                Action.INSTITUTION_EDIT,
                Action.AUDIT_VIEW,
                Action.BILLING_VIEW,
                Action.BILLING_ADJUST,
            ),
        },
    )


# What staff may offer from each status (the service has the final word).
_STATUS_MOVES: dict[str, set[str]] = {
    Membership.Status.ACTIVE: {Membership.Status.SUSPENDED, Membership.Status.WITHDRAWN},
    Membership.Status.SUSPENDED: {Membership.Status.ACTIVE, Membership.Status.WITHDRAWN},
    Membership.Status.WITHDRAWN: {Membership.Status.ACTIVE},
}
_STATUS_LABELS = {
    Membership.Status.SUSPENDED: "Suspend",
    Membership.Status.WITHDRAWN: "Withdraw",
    Membership.Status.ACTIVE: "Reactivate",
}


@login_required
def member_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_LIST)
    return _render_detail(request, agency, _membership(request, agency, pk))


@login_required
def member_year(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Add a fiscal year's figures, or correct them (same year again)."""
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_LIST)
    membership = _membership(request, agency, pk)
    permissions.require(request.user, Action.MEMBERSHIP_EDIT, agency)
    if request.method != "POST":
        return redirect("members:detail", agency.slug, membership.pk)
    form = YearForm(request.POST)
    if form.is_valid():
        try:
            services.membership_year_set(
                user=request.user, membership=membership, **form.cleaned_data
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(
                request, f"Saved the figures for FY{form.cleaned_data['fiscal_year']}."
            )
            return redirect("members:detail", agency.slug, membership.pk)
    return _render_detail(request, agency, membership, year_form=form)


@login_required
def member_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_LIST)
    membership = _membership(request, agency, pk)
    institution = membership.institution
    permissions.require(request.user, Action.INSTITUTION_EDIT, agency, institution=institution)
    fields = set(InstitutionForm.base_fields)
    initial = {name: getattr(institution, name) for name in fields}
    form = InstitutionForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_update(
                user=request.user, institution=institution, **form.cleaned_data
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Saved the changes to {institution.name}.")
            return redirect("members:detail", agency.slug, membership.pk)
    return render(
        request,
        "members/institution_edit.html",
        {"agency": agency, "form": form, "institution": institution,
         "cancel_url": membership_url(agency, membership)},
    )  # fmt: skip


def membership_url(agency: Agency, membership: Membership) -> str:
    return reverse("members:detail", args=[agency.slug, membership.pk])


@login_required
def member_approve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_DECIDE)
    membership = _membership(request, agency, pk)
    form = ApproveForm(posted(request), agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_approve(user=request.user, membership=membership,
                                        **form.cleaned_data)  # fmt: skip
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            note = " A welcome e-mail is on its way to the contact." if (
                membership.contact_email) else ""  # fmt: skip
            messages.success(request, f"{membership.institution.name} is now a member.{note}")
            return redirect("members:applications", agency.slug)
    return render(request, "members/approve.html",
                  {"agency": agency, "membership": membership, "form": form})  # fmt: skip


@login_required
def member_decline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_DECIDE)
    membership = _membership(request, agency, pk)
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_decline(
                user=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Declined the application of {membership.institution}.")
            return redirect("members:applications", agency.slug)
    return render(request, "members/decline.html",
                  {"agency": agency, "membership": membership, "form": form})  # fmt: skip


@login_required
def member_status(request: HttpRequest, slug: str, pk: int, status: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_DECIDE)
    membership = _membership(request, agency, pk)
    if status not in {s.value for s in _STATUS_LABELS}:
        raise Http404("No such status.")
    label = _STATUS_LABELS[Membership.Status(status)]
    form = StatusForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_set_status(
                user=request.user, membership=membership, status=status,
                effective_on=form.cleaned_data["effective_on"],
            )  # fmt: skip
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            membership.refresh_from_db()
            messages.success(
                request, f"{membership.institution} is now {membership.get_status_display()}."
            )
            return redirect("members:detail", agency.slug, membership.pk)
    return render(
        request,
        "members/status_confirm.html",
        {"agency": agency, "membership": membership, "form": form, "label": label,
         "new_status": Membership.Status(status).label,
         "cancel_url": membership_url(agency, membership)},
    )  # fmt: skip


@login_required
def member_dates(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The days a member is billed from and to (business office)."""
    agency = agency_or_404(request, slug, Action.MEMBERSHIP_EDIT)
    membership = _membership(request, agency, pk)
    form = DatesForm(posted(request), initial={"joined_on": membership.joined_on,
                                               "left_on": membership.left_on})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_dates_set(user=request.user, membership=membership,
                                          **form.cleaned_data)  # fmt: skip
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Saved the membership dates of {membership.institution}.")
            return redirect("members:detail", agency.slug, membership.pk)
    return render(request, "members/dates.html", {
        "agency": agency, "membership": membership, "form": form,
        "cancel_url": membership_url(agency, membership)})  # fmt: skip


# Suppliers ----------------------------------------------------------------------------------

SUPPLIER_COLUMNS = [
    Column("name", "Legal name", "legal_name"),
    Column("dba", "DBA", "dba"),
    Column("tax_id", "Tax ID"),
    Column("state", "State", "state"),
    Column("status", "Status", "status"),
]

# Target status -> (button label, reason required)
SUPPLIER_MOVES = {
    "approve": (Supplier.Status.ACTIVE, "Approve", False),
    "reinstate": (Supplier.Status.ACTIVE, "Reinstate", False),
    "suspend": (Supplier.Status.SUSPENDED, "Suspend", True),
    "debar": (Supplier.Status.DEBARRED, "Debar", True),
}


def _supplier_moves(supplier: Supplier) -> list[str]:
    status = supplier.status
    if status == Supplier.Status.APPLICANT:
        return ["approve", "debar"]
    if status == Supplier.Status.ACTIVE:
        return ["suspend", "debar"]
    if status in (Supplier.Status.SUSPENDED, Supplier.Status.INACTIVE):
        return ["reinstate", "debar"]
    return ["reinstate"]  # debarred


@login_required
def supplier_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SUPPLIER_LIST)
    qs = permissions.suppliers_for(request.user, agency)
    form = SupplierFilterForm(request.GET or None)
    if form.is_valid():
        qs = selectors.supplier_search(qs, **form.cleaned_data)
    ordering, columns = sort_columns(request, [Column(**vars(c)) for c in SUPPLIER_COLUMNS], "name")
    qs = qs.order_by(*ordering, "legal_name", "pk")
    if fmt := export_format(request):
        return export_response(
            fmt,
            f"{agency.slug}-suppliers",
            ["Legal name", "DBA", "Tax ID (masked)", "Certifications", "State", "E-mail",
             "Phone", "Status"],
            ([s.legal_name, s.dba, s.tax_id_masked, " ".join(s.certifications or []), s.state,
              s.email, s.phone, s.get_status_display()] for s in qs.iterator()),
        )  # fmt: skip
    return render(
        request,
        "members/supplier_list.html",
        {"agency": agency, "form": form, "columns": columns, "page": paginate(request, qs),
         "export_urls": export_urls(request),
         "filtered": bool(form.is_valid() and any(form.cleaned_data.values()))},
    )  # fmt: skip


@login_required
def supplier_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SUPPLIER_LIST)
    supplier = supplier_or_404(request, agency, pk)
    moves = []
    if permissions.can(request.user, Action.SUPPLIER_DECIDE, agency):
        moves = [{"move": m, "label": SUPPLIER_MOVES[m][1]} for m in _supplier_moves(supplier)]
    return render(
        request,
        "members/supplier_detail.html",
        {"agency": agency, "supplier": supplier, "moves": moves,
         "certifications": _cert_labels(supplier),
         "change_requests": supplier.change_requests.select_related("requested_by"),
         "can_decide": permissions.can(request.user, Action.SUPPLIER_DECIDE, agency)},
    )  # fmt: skip


@login_required
def supplier_change(request: HttpRequest, slug: str, pk: int, rid: int) -> HttpResponse:
    """Approve or reject a supplier's request to change its legal name, tax ID or
    certifications."""
    agency = agency_or_404(request, slug, Action.SUPPLIER_DECIDE)
    supplier = supplier_or_404(request, agency, pk)
    change = permissions.get_or_404(
        supplier.change_requests.filter(kind=SupplierChangeRequest.Kind.PROFILE), pk=rid
    )
    form = OptionalReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("decision") == "approve"
        try:
            services.supplier_change_decide(user=request.user, request=change, approve=approve,
                                            reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Change approved." if approve else "Change rejected.")
            return redirect("members:supplier_detail", agency.slug, supplier.pk)
    return render(
        request,
        "members/supplier_change.html",
        {"agency": agency, "supplier": supplier, "change": change, "form": form,
         "rows": _change_rows(change)},
    )  # fmt: skip


def _change_rows(change: SupplierChangeRequest) -> list[tuple[str, str, str]]:
    before, after = change.shown("before"), change.shown("after")
    labels = SupplierChangeRequest.LABELS
    return [(labels.get(n, n), before.get(n, ""), after[n]) for n in after]


def _cert_labels(supplier: Supplier) -> list[str]:
    labels = dict(Supplier.Certification.choices)
    return [str(labels.get(c, c)) for c in supplier.certifications or []]


@login_required
def supplier_status(request: HttpRequest, slug: str, pk: int, move: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.SUPPLIER_DECIDE)
    supplier = supplier_or_404(request, agency, pk)
    if move not in _supplier_moves(supplier):
        raise Http404("That step does not apply to this supplier.")
    status, label, reason_required = SUPPLIER_MOVES[move]
    form = (ReasonForm if reason_required else OptionalReasonForm)(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_set_status(user=request.user, supplier=supplier, status=status,
                                         reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            supplier.refresh_from_db()
            messages.success(request, f"{supplier} is now {supplier.get_status_display()}.")
            return redirect("members:supplier_detail", agency.slug, supplier.pk)
    return render(
        request,
        "members/supplier_status.html",
        {"agency": agency, "supplier": supplier, "form": form, "label": label,
         "new_status": Supplier.Status(status).label},
    )  # fmt: skip


# Audit trail --------------------------------------------------------------------------------


@login_required
def agency_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's own facts: letterhead, remit-to, terms, paper, membership terms."""
    agency = agency_or_404(request, slug, Action.AGENCY_SETTINGS)
    fields = services.AGENCY_SETTINGS_FIELDS
    form = AgencySettingsForm(posted(request), request.FILES or None,
                              initial={n: getattr(agency, n) for n in fields})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("logo", None)
        # One byte past the limit is enough for clean_logo to name the size.
        logo = upload.read(logos.MAX_BYTES + 1) if upload else None
        try:
            services.agency_update(user=request.user, agency=agency, logo=logo, **data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(
                request,
                "Saved the agency's settings. Documents issued from now on use them; those "
                "already issued keep the letterhead they were sent with.",
            )
            return redirect("members:settings", agency.slug)
    return render(request, "members/agency_settings.html", {
        "agency": agency, "form": form,
        "logo_src": logos.data_uri(bytes(agency.logo_png)) if agency.logo_png else "",
    })  # fmt: skip


@login_required
def audit_trail(request: HttpRequest, slug: str) -> HttpResponse:
    agency = agency_or_404(request, slug, Action.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None, actions=selectors.audit_actions(agency))
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    with_checkpoint = request.method == "POST" and "checkpoint" in request.POST.get("check", "")
    checkpoint_form = CheckpointForm(posted(request) if with_checkpoint else None,
                                     request.FILES or None)  # fmt: skip
    if request.method == "POST" and (not with_checkpoint or checkpoint_form.is_valid()):
        # Verifying walks the whole chain, so it runs as a job with a progress page.
        params: dict[str, Any] = {"back_url": reverse("members:audit", args=[agency.slug])}
        if with_checkpoint:
            params["checkpoint"] = checkpoint_form.cleaned_data["checkpoint"]
        job = job_start(
            kind=AUDIT_VERIFY, user=request.user, agency_id=agency.pk, params=params,
            title="Verification of the audit trail"
            + (" against a checkpoint" if with_checkpoint else ""),
        )  # fmt: skip
        return redirect("job", agency.slug, job.pk)
    events = selectors.audit_events_for(request.user, agency, **filters)
    last_check = Job.objects.filter(kind=AUDIT_VERIFY, agency_id=agency.pk).first()
    return render(
        request,
        "members/audit.html",
        {"agency": agency, "form": form, "page": paginate(request, events),
         "last_check": last_check, "filtered": bool(filters), "checkpoint_form": checkpoint_form},
    )  # fmt: skip


@login_required
def member_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a CSV of institutions; the import runs in the background with progress."""
    agency = agency_or_404(request, slug, Action.INSTITUTION_IMPORT)
    form = ImportForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        back = reverse("members:list", args=[agency.slug])
        job = job_start(
            kind=INSTITUTION_IMPORT,
            title=f"Import of {form.filename}",
            user=request.user,
            agency_id=agency.pk,
            params={"csv": form.cleaned_data["file"], "back_url": back},
        )
        return redirect("job", agency.slug, job.pk)
    return render(request, "members/import.html", {"agency": agency, "form": form})
