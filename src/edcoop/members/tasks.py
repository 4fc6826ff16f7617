"""What waits for the membership staff: applications and supplier registrations to decide
(``core.tasks``). Only those who may decide are asked to."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from edcoop.core.permissions import Action, can
from edcoop.core.tasks import Task

from .models import Agency, Membership, Supplier


def membership_tasks(user: Any, agency: Agency) -> list[Task]:
    out: list[Task] = []
    if can(user, Action.MEMBERSHIP_DECIDE, agency):
        n = Membership.objects.filter(agency=agency, status=Membership.Status.APPLICANT).count()
        if n:
            out.append(Task(
                f"Decide {n} membership application{'s' if n > 1 else ''}",
                reverse("members:applications", args=[agency.slug]),
                "Approve or decline; the contact hears the decision by e-mail.",
                count=n, area="Members",
            ))  # fmt: skip
    if can(user, Action.SUPPLIER_DECIDE, agency):
        n = Supplier.objects.filter(agency=agency, status=Supplier.Status.APPLICANT).count()
        if n:
            out.append(Task(
                f"Decide {n} supplier registration{'s' if n > 1 else ''}",
                reverse("members:suppliers", args=[agency.slug]) + "?status=applicant",
                "Approve a supplier before it can respond to bids.",
                count=n, area="Suppliers",
            ))  # fmt: skip
    return out
