from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from . import permissions
from .permissions import Action


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The agencies the signed-in user works in, the agency of this page, and its menu.

    ``nav`` lists only the pages the user may open in the current agency (per role: the
    console for agency staff, "My institution" for member users, "My company" for supplier
    representatives); ``aria-current`` marks the one being shown.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_agencies": [], "current_agency": None, "nav": []}
    agencies = list(permissions.agencies_for(user))
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match is not None else None
    if slug is None and len(agencies) == 1:
        slug = agencies[0].slug
    current = next((a for a in agencies if a.slug == slug), None)
    nav = _nav(user, current, request.path) if current is not None else []
    return {"my_agencies": agencies, "current_agency": current, "nav": nav}


def _nav(user: Any, agency: Any, path: str) -> list[dict[str, Any]]:
    from edcoop.members.models import MEMBER_ROLES, SUPPLIER_ROLES

    s = agency.slug
    items: list[tuple[str, str]] = []
    if permissions.can(user, Action.AGENCY_CONSOLE, agency):
        items.append(("Dashboard", reverse("agency", args=[s])))
        if permissions.can(user, Action.MEMBERSHIP_LIST, agency):
            items.append(("Members", reverse("members:list", args=[s])))
            items.append(("Applications", reverse("members:applications", args=[s])))
        if permissions.can(user, Action.SUPPLIER_LIST, agency):
            items.append(("Suppliers", reverse("members:suppliers", args=[s])))
        if permissions.can(user, Action.SERVICE_VIEW, agency):
            items.append(("Services", reverse("billing:services", args=[s])))
        if permissions.can(user, Action.BILLING_VIEW, agency):
            items.append(("Billing", reverse("billing:home", args=[s])))
            items.append(("Annual reports", reverse("governance:annual_report", args=[s])))
        if permissions.can(user, Action.SOLICITATION_VIEW, agency):
            items.append(("Solicitations", reverse("procurement:list", args=[s])))
        if permissions.can(user, Action.CONTRACT_VIEW, agency):
            items.append(("Contracts", reverse("contracts:catalogue", args=[s])))
        if permissions.can(user, Action.ORDER_VIEW, agency):
            items.append(("Purchase orders", reverse("contracts:orders", args=[s])))
            items.append(("Savings", reverse("contracts:savings", args=[s])))
            items.append(("Contracts dashboard", reverse("contracts:dashboard", args=[s])))
        if permissions.can(user, Action.SALES_REPORT_VIEW, agency):
            items.append(("Sales reports", reverse("contracts:reports", args=[s])))
        if permissions.can(user, Action.PATRONAGE_VIEW, agency):
            items.append(("Patronage", reverse("contracts:patronage", args=[s])))
        if permissions.can(user, Action.COMPLIANCE_VIEW, agency):
            items.append(("Compliance", reverse("governance:compliance", args=[s])))
        if permissions.can(user, Action.COMPLIANCE_MONITOR, agency):
            items.append(("Compliance monitor", reverse("governance:monitor", args=[s])))
        if permissions.can(user, Action.STUDY_VIEW, agency):
            items.append(("Savings studies", reverse("governance:studies", args=[s])))
        items.append(("Public records", reverse("governance:transparency", args=[s])))
        if permissions.can(user, Action.AUDIT_VIEW, agency):
            items.append(("Audit trail", reverse("members:audit", args=[s])))
    for ra in permissions.assignments(user, agency):
        if ra.role in MEMBER_ROLES and ra.institution_id:
            url = reverse("members:portal", args=[s, ra.institution_id])
            items.append(("My institution", url))
            if Action.DEMAND_COMMIT in permissions.MATRIX.get(ra.role, ()):
                url = reverse("procurement:surveys", args=[s, ra.institution_id])
                items.append(("Demand surveys", url))
            if permissions.can(user, Action.BILLING_VIEW, agency, institution=ra.institution):
                items.append(("Billing", reverse("billing:member", args=[s, ra.institution_id])))
                annual = reverse("governance:annual_report", args=[s])
                items.append(("Annual report", f"{annual}?member={ra.institution_id}"))
            if permissions.can(user, Action.COMPLIANCE_MONITOR, agency, institution=ra.institution):
                watch = reverse("governance:monitor", args=[s])
                items.append(("Compliance", f"{watch}?member={ra.institution_id}"))
            if Action.SERVICE_REQUEST_FILE in permissions.MATRIX.get(ra.role, ()):
                items.append(("Service requests", reverse("billing:requests", args=[s])))
            items.append(("Contracts", reverse("contracts:catalogue", args=[s])))
            items.append(("Purchase orders", reverse("contracts:orders", args=[s])))
            items.append(("Savings", reverse("contracts:savings", args=[s])))
            if Action.PATRONAGE_VIEW in permissions.MATRIX.get(ra.role, ()):
                items.append(("Patronage", reverse("contracts:patronage", args=[s])))
        elif ra.role in SUPPLIER_ROLES and ra.supplier_id:
            url = reverse("members:supplier_portal", args=[s, ra.supplier_id])
            items.append(("My company", url))
            if Action.RESPONSE_SUBMIT in permissions.MATRIX.get(ra.role, ()):
                items.append(("Bids", reverse("procurement:bids", args=[s, ra.supplier_id])))
            items.append(("Contracts", reverse("contracts:catalogue", args=[s])))
            items.append(("Sales reports", reverse("contracts:reports", args=[s])))
    result = []
    seen = set()
    dashboard = reverse("agency", args=[s])
    # The longest matching link is the current page (Members vs. Applications).
    best = max(
        (url for _, url in items if path.startswith(url) and (url != dashboard or path == url)),
        key=len,
        default=None,
    )
    for label, url in items:
        if url in seen:
            continue
        seen.add(url)
        result.append({"label": label, "url": url, "current": url == best})
    return result
