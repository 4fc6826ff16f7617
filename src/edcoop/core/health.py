"""Health of a running server, for load balancers, orchestrators and operators.

``/healthz``: the process is up and answering (touches no database). ``/readyz``: it can
serve: the database answers, every migration is applied, the sealing key decrypts the
newest sealed response and the audit key verifies the signed head of the audit chain. Both
answer JSON before any other middleware runs, so neither the host check, the HTTPS
redirect, sign-in nor a rate limit stands between them and the checker.
``problems()`` is also what ``edcoop check --deploy`` and ``edcoop serve`` refuse on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from cryptography.fernet import InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("edcoop.health")
DATABASE_DOWN = (
    "The database cannot be reached just now, so nothing was saved. Try again in a minute."
)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_database_down(exc: BaseException) -> bool:
    """The database cannot be reached (or no pooled connection came free in time)."""
    from django.db import InterfaceError, OperationalError
    from psycopg_pool import PoolTimeout

    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout)


def _sealing_problem() -> str | None:
    from edcoop.procurement import sealing
    from edcoop.procurement.models import Response

    try:
        fernet = sealing.fernet()
    except ImproperlyConfigured as exc:
        return str(exc)
    token = Response.objects.order_by("-pk").values_list("sealed", flat=True).first()
    if token:
        try:
            fernet.decrypt(bytes(token))
        except InvalidToken:
            return (
                "EDCOOP_SEALING_KEY does not decrypt the newest sealed response: it is not "
                "the key (or one of the keys) this database was sealed with"
            )
    return None


def _audit_problem() -> str | None:
    from . import audit, auditkeys
    from .models import AuditHead

    try:
        auditkeys.keys()
    except ImproperlyConfigured as exc:
        return str(exc)
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq and not audit.head_signed(head):
        return (
            "EDCOOP_AUDIT_KEY does not verify the head of the audit trail: it is not the key "
            "(or one of the keys) this database's trail was keyed with"
        )
    return None


def problems(*, detail: bool = True) -> list[str]:
    """Why this process cannot serve, each in one line; empty when it can. ``detail=False``
    leaves out the driver's words (a host name, a port), for answers anyone may read."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        plan = MigrationExecutor(connection).migration_plan(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    except DatabaseError as exc:
        logger.warning("not ready: the database cannot be reached: %s", first_line(exc))
        return ["the database cannot be reached" + (f": {first_line(exc)}" if detail else "")]
    found = []
    if plan:
        found.append(f"{len(plan)} migration(s) not applied: run `edcoop migrate`")
        return found  # the tables the key checks read may not exist yet
    try:
        found += [p for p in (_sealing_problem(), _audit_problem()) if p]
    except DatabaseError as exc:
        found.append("the database cannot be read" + (f": {first_line(exc)}" if detail else ""))
    return found


def healthz() -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz() -> HttpResponse:
    try:
        found = problems(detail=False)
    except Exception:  # a readiness probe answers, whatever happened
        logger.exception("readiness check failed")
        found = ["the readiness check failed; the server's log says why"]
    if found:
        return JsonResponse({"status": "unavailable", "problems": found}, status=503)
    return JsonResponse({"status": "ok"})


class HealthMiddleware:
    """First in MIDDLEWARE: answers the two probes before anything else looks at them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz()
        if request.path_info == "/readyz" and request.method in ("GET", "HEAD"):
            return readyz()
        return self.get_response(request)
