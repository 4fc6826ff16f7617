"""Fixtures shared by the whole suite: a small installation with two agencies.

Agency ``north`` (a NY-style regional BOCES) and agency ``nation`` (a national cooperative)
share one database; each has members, a supplier and one user per role, so every test can
ask "can X see Y" across the tenant boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from tests import snapshot

from edcoop.core import guards
from edcoop.members import services
from edcoop.members.models import Agency, Institution, Membership, Role, Supplier


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Argon2 is the production hasher (tested in test_settings); tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


PASSWORD = "correct horse battery staple"


# The demo installation, built once per session ---------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _migrated_snapshot(request: Any, django_db_blocker: Any) -> snapshot.Snapshot | None:
    """The test database as migrations left it, taken before any test empties it (a flush
    removes the rows migrations load, e.g. the shipped compliance rules): ``demo_db`` builds
    the demo on it, as `make demo` builds on a migrated database. Taken only when a test
    collected asks for ``demo_db``."""
    if not any("demo_db" in getattr(item, "fixturenames", ()) for item in request.session.items):
        return None
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        return snapshot.take()


_DEMO: dict[str, snapshot.Snapshot] = {}


@pytest.fixture
def demo_db(transactional_db: None, _migrated_snapshot: snapshot.Snapshot | None) -> None:
    """The demo installation (`make demo`'s), in the database for this test alone.

    ``demo.build()`` costs about a minute, so it runs once per session, in the first test
    that asks, on the migrated database; the built database is taken (tests/snapshot.py) and
    every later test gets it back whole before it starts. The test is transactional (the
    live server reads what it writes) and the database is emptied after it as after any
    transactional test, so no test sees what another wrote."""
    from edcoop import demo

    built = _DEMO.get("demo")
    if built is not None:
        built.restore()
        return
    if _migrated_snapshot is not None:
        _migrated_snapshot.restore()
    demo.build()
    if hasattr(mail, "outbox"):
        mail.outbox.clear()  # the build's own mail is nobody's test
    _DEMO["demo"] = snapshot.take()


@contextmanager
def _triggers_skipped() -> Iterator[None]:
    """What a table owner or superuser can do: on PostgreSQL, replica mode skips every
    trigger (the attack itself); on SQLite, drop them and put them back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
    else:
        with guards.lifted(connection):
            yield


@pytest.fixture
def owner_bypass() -> Callable[[], AbstractContextManager[None]]:
    """``with owner_bypass(): ...`` writes past the database's guards, as an owner can."""
    return _triggers_skipped


def _rebuild_chain(
    *,
    delete_seq: int,
    rehash: Callable[[Any], str],
    edit: Callable[[Any], None] = lambda event: None,
    head: Callable[[Any], None] = lambda head: None,
) -> None:
    """The attack on the audit chain: delete one event, ``edit`` the others, renumber and
    ``rehash`` every one, and move the chain head (``head`` may forge more of it), all
    straight in the database past its guards."""
    from edcoop.core import audit
    from edcoop.core.models import AuditEvent, AuditHead

    kept = [e for e in AuditEvent.objects.order_by("seq") if e.seq != delete_seq]
    prev = audit.GENESIS
    with _triggers_skipped(), transaction.atomic():
        AuditEvent.objects.filter(seq=delete_seq).delete()
        for new_seq, event in enumerate(kept, 1):
            event.seq, event.prev_hash = new_seq, prev
            edit(event)
            event.hash = rehash(event)
            AuditEvent.objects.filter(pk=event.pk).update(
                seq=event.seq, prev_hash=event.prev_hash, hash=event.hash, changes=event.changes,
                hash_version=event.hash_version, key_id=event.key_id,
            )  # fmt: skip
            prev = event.hash
        forged = AuditHead.objects.get(pk=1)
        forged.last_seq, forged.last_hash = len(kept), prev
        head(forged)
        AuditHead.objects.filter(pk=1).update(
            last_seq=forged.last_seq, last_hash=forged.last_hash,
            legacy_seq=forged.legacy_seq, key_id=forged.key_id, mac=forged.mac,
        )  # fmt: skip


@pytest.fixture
def rebuild_chain() -> Callable[..., None]:
    return _rebuild_chain


@dataclass
class Tenant:
    agency: Agency
    institutions: list[Institution]
    supplier: Supplier
    users: dict[str, Any] = field(default_factory=dict)

    @property
    def institution(self) -> Institution:
        return self.institutions[0]


def make_user(username: str) -> Any:
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD
    )


def make_tenant(slug: str, *, kind: str, state: str, time_zone: str) -> Tenant:
    agency = services.agency_create(
        slug=slug, name=f"{slug.title()} Agency", kind=kind, state=state, time_zone=time_zone
    )
    institutions = []
    for i in range(2):
        m = services.membership_apply(
            agency=agency,
            application=services.Application(
                name=f"{slug.title()} District {i + 1}",
                kind=Institution.Kind.PUBLIC_K12,
                state=state,
                contact_email="",
            ),
        )
        m.status = Membership.Status.ACTIVE
        m.save()
        institutions.append(m.institution)
    supplier = services.supplier_register(
        agency=agency, legal_name=f"{slug.title()} Paper Co", tax_id=f"1{len(slug)}-1234567"
    )
    tenant = Tenant(agency=agency, institutions=institutions, supplier=supplier)
    for role in Role:
        user = make_user(f"{slug}-{role.value}")
        scope: dict[str, Any] = {}
        if role.value.startswith("member_"):
            scope["institution"] = institutions[0]
        if role == Role.SUPPLIER_REP:
            scope["supplier"] = supplier
        services.role_assign(user=None, agency=agency, person=user, role=role, **scope)
        tenant.users[role.value] = user
    services.membership_year_set(
        user=tenant.users["agency_admin"],
        membership=institutions[0].membership,
        fiscal_year=2026,
        enrollment=1200,
        rwada=Decimal("1180.50"),
        aid_ratio=Decimal("0.6150"),
        full_value=Decimal("812345678.00"),
    )
    return tenant


@pytest.fixture
def north(db: None) -> Tenant:
    return make_tenant("north", kind="regional", state="NY", time_zone="America/New_York")


@pytest.fixture
def nation(db: None) -> Tenant:
    return make_tenant("nation", kind="national", state="MN", time_zone="America/Chicago")
