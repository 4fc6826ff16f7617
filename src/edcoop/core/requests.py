"""Each request's identity and arrival time, and the log lines that carry them.

``RequestMiddleware`` runs before every other middleware except the health probes. It
stamps ``request.received_at`` (the moment the application received the request, before
any lock, queue or database work inside it: the time a bid submission is judged by, see
docs/deploy.md "Fair deadlines"), gives the request an id (the caller's ``X-Request-ID``
when it is a sensible token, else a new one) that every log line written while it runs
carries and the answer returns, and logs one line per request. ``JsonFormatter`` writes
log records as one JSON object a line, for the journal or a log collector.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
logger = logging.getLogger("edcoop.request")


def _now() -> datetime:
    return timezone.now()


def received_at(request: Any) -> datetime | None:
    """When the application received ``request`` (None for one that went around the
    middleware, such as a view called directly)."""
    return getattr(request, "received_at", None)


class RequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # First thing: before any lock, queue or query inside the application.
        request.received_at = _now()  # type: ignore[attr-defined]
        started = time.perf_counter()
        given = request.headers.get(HEADER, "")
        rid = given if _ACCEPTED.fullmatch(given) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            logger.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"method": request.method, "path": request.path,
                       "status": response.status_code,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
            )  # fmt: skip
            return response
        finally:
            request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # Django logs an error answer after the middleware returned: its record names
            # the request.
            given = getattr(getattr(record, "request", None), "request_id", "")
            record.request_id = given or request_id.get()
        return True


# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, any extra
    fields, and the traceback of an exception as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
