"""Every error the API returns is JSON: ``{"detail": "<one readable line>", ...}``.

401 no or bad credentials; 403 a permission the caller lacks in their own agency; 404 not
found, which includes everything in an agency the caller has no role in; 400 a rule of the
domain refused the input (``errors`` maps each field to its messages); 422 the request does
not match the schema (``errors`` lists each problem with its location); 503 the database
cannot be reached just now (nothing was saved; ``Retry-After`` says when to try again); 500
never says more than "Internal error".
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from edcoop.core.health import DATABASE_DOWN, first_line, is_database_down

logger = logging.getLogger("edcoop.api")

# Where a request part is named in a 422 ``loc``; the parameter's own name follows for bodies.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def summary(errors: dict[str, list[str]]) -> str:
    """``"rwada: Ensure this value is greater than or equal to 0. aid_ratio: ..."``"""
    parts = []
    for field, messages in errors.items():
        text = " ".join(_sentence(m) for m in messages)
        parts.append(text if field == NON_FIELD_ERRORS else f"{field}: {text}")
    return " ".join(parts)


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "payload", "rwada")`` -> ``"rwada"``; ``("query", "kind")`` -> ``"kind"``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source, rest = parts[0], parts[1:]
        if source in {"body", "form"} and len(rest) > 1:
            rest = rest[1:]  # the handler's parameter name, meaningless to a client
        parts = rest or [source]
    return ".".join(parts)


def _plain_error(error: dict[str, Any]) -> dict[str, Any]:
    # Never echo the input back (a tax ID, a token); keep where and why.
    return {
        "field": field_name(error.get("loc", ())),
        "loc": [str(p) for p in error.get("loc", ())],
        "msg": str(error.get("msg", "")).removeprefix("Value error, "),
        "type": str(error.get("type", "")),
    }


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, data: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, data, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = (
            exc.message
            if exc.message != "Unauthorized"
            else ("Authentication required: send 'Authorization: Bearer <token>' or sign in.")
        )
        response = respond(request, {"detail": message}, 401)
        response["WWW-Authenticate"] = 'Bearer realm="edcoop"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, {"detail": exc.message}, exc.status_code)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, {"detail": str(exc) or "You may not do this here."}, 403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # One message for "does not exist" and "not yours to see": existence must not leak.
        return respond(request, {"detail": "Not found."}, 404)

    @api.exception_handler(DjangoValidationError)
    def refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = django_errors(exc)
        return respond(request, {"detail": summary(errors), "errors": errors}, 400)

    @api.exception_handler(SchemaValidationError)
    def malformed(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        errors = [_plain_error(e) for e in exc.errors]
        detail = " ".join(f"{e['field']}: {_sentence(e['msg'])}" for e in errors)
        return respond(request, {"detail": detail, "errors": errors}, 422)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # RequestSizeMiddleware answers first; this is the last line behind it.
        return respond(request, {"detail": "The request body is too large."}, 413)

    @api.exception_handler(Exception)
    def crashed(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_database_down(exc):
            logger.error("database unreachable on %s %s: %s", request.method, request.path,
                         first_line(exc))  # fmt: skip
            response = respond(request, {"detail": DATABASE_DOWN}, 503)
            response["Retry-After"] = "30"
            return response
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(request, {"detail": "Internal error"}, 500)
