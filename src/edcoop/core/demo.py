"""What every app's demo builder shares: the demo password, the logins it prints, the people.

Each app's ``demo.py`` builds its own part of the story through that app's services and takes
its people from here, so no app's demo imports another's. ``edcoop.demo`` calls the builders
in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from edcoop.core import audit

if TYPE_CHECKING:
    from edcoop.members.models import Agency, Institution, Role, Supplier

PASSWORD = "edcoop-demo-2026"  # noqa: S105  (printed by make demo on purpose)
DEMO_ACTOR = audit.Actor(user_id=None, label="demo", source="system")


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    scope: str


def person(username: str, first: str, last: str) -> Any:
    """The demo user ``username`` (created with the demo password the first time)."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username, email=username, password=PASSWORD, first_name=first, last_name=last
        )
        audit.record("user.create", user, changes={"username": [None, username]})
    return user


def give(
    logins: list[Login],
    agency: Agency,
    username: str,
    name: str,
    role: Role,
    institution: Institution | None = None,
    supplier: Supplier | None = None,
) -> None:
    """Give the person ``username`` (``name``: first and last) a role, and list the login."""
    # Tenancy (agency, role assignment) still lives in members.
    from edcoop.members import services

    first, _, last = name.partition(" ")
    user = person(username, first, last)
    services.role_assign(
        user=None,
        agency=agency,
        person=user,
        role=role,
        institution=institution,
        supplier=supplier,
    )
    scope = institution.name if institution else supplier.legal_name if supplier else agency.name
    logins.append(Login(username, role.label, scope))


def logins() -> list[Login]:
    """The demo logins present in the database (for printing on every `make demo`)."""
    from edcoop.members.models import RoleAssignment

    out = []
    rows = RoleAssignment.objects.select_related("user", "agency", "institution", "supplier")
    for ra in rows.order_by("pk"):
        if ra.user.check_password(PASSWORD):
            scope = ra.institution or ra.agency
            label = ra.supplier.legal_name if ra.supplier else scope.name
            out.append(Login(ra.user.username, ra.get_role_display(), label))
    return out
