"""Reads for the member and supplier pages: querysets already narrowed to what the user may
see (through ``permissions``), then filtered as the page asks."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from edcoop.core import permissions
from edcoop.core.models import AuditEvent

from .models import Agency, Membership, Supplier


def membership_search(
    qs: QuerySet[Membership],
    *,
    q: str = "",
    status: str = "",
    kind: str = "",
    component: str = "",
    service_area: Any = None,
    state: str = "",
) -> QuerySet[Membership]:
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(institution__name__icontains=q)
            | Q(institution__nces_id__startswith=q)
            | Q(institution__ipeds_id__startswith=q)
            | Q(institution__beds_code__startswith=q)
        )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(institution__kind=kind)
    if component in {"yes", "no"}:
        qs = qs.filter(component=component == "yes")
    if service_area is not None:
        qs = qs.filter(service_area=service_area)
    if state:
        qs = qs.filter(institution__state=state)
    return qs


def supplier_search(qs: QuerySet[Supplier], *, q: str = "", status: str = "") -> QuerySet[Supplier]:
    q = q.strip()
    if q:
        qs = qs.filter(Q(legal_name__icontains=q) | Q(dba__icontains=q))
    if status:
        qs = qs.filter(status=status)
    return qs


def audit_events_for(
    user: Any,
    agency: Agency,
    *,
    action: str = "",
    actor: str = "",
    record: str = "",
    since: Any = None,
    until: Any = None,
) -> QuerySet[AuditEvent]:
    """This agency's events, newest first (auditors and agency admins only), narrowed by
    action, actor, record and the agency's calendar days ``since``/``until`` (inclusive)."""
    qs = permissions.audit_events_for(user, agency).order_by("-seq")
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if record:
        qs = qs.filter(object_label__icontains=record)
    if since:
        qs = qs.filter(at__gte=datetime.combine(since, time.min, tzinfo=agency.zone))
    if until:
        qs = qs.filter(
            at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=agency.zone)
        )
    return qs


def audit_actions(agency: Agency) -> list[str]:
    return list(
        AuditEvent.objects.filter(agency_id=agency.pk)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
