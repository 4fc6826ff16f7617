"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Each app's endpoints live in its own ``<app>/api.py`` and are mounted here; this package
keeps what they share: tokens (``services``, ``models``), ``auth``, ``errors``, ``lookups``,
``pagination``, ``openapi`` and the shared ``schemas``. Handlers are thin: parse with a
schema, look the record up through ``edcoop.core.permissions``, call one service, return a
schema. See docs/api.md.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router
from ninja.openapi.schema import OpenAPISchema

from . import auth, errors
from .openapi import EdCoopOpenAPISchema


def _json_405(view: Any) -> Any:
    """Ninja answers a known path with the wrong method in plain text; make it JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            json_response = JsonResponse(
                {"detail": f"Method {request.method} not allowed here; use {allowed}."},
                status=405,
            )
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapper


class EdCoopAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Every operation's error answers and whether it is public (api.openapi)."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return EdCoopOpenAPISchema(self, path_prefix)

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_405(pattern.callback)
        return patterns


api = EdCoopAPI(
    title="EdCoop API",
    version="1",
    description=(
        "The JSON API of an EdCoop installation. Authenticate with "
        "`Authorization: Bearer <token>` (tokens: `edcoop token create`) or the browser "
        'session. Decimals are strings. Errors are `{"detail": ..., "errors": ...}` '
        "with the statuses each operation lists. See docs/api.md."
    ),
    urls_namespace="api",
    auth=auth.REQUIRED,
)
errors.install(api)

# Agencies, institutions, memberships and suppliers (their routers live in members).
from edcoop.members import api as members_api  # noqa: E402

for router in members_api.routers:
    api.add_router("", router)

# Cooperative procurement (its router lives in its app).
from edcoop.procurement import api as procurement_api  # noqa: E402

api.add_router("", procurement_api.router)

# Shared services and billing (its router lives in its app).
from edcoop.billing import api as billing_api  # noqa: E402

api.add_router("", billing_api.router)

# Governance (its router lives in its app).
from edcoop.governance import api as governance_api  # noqa: E402

api.add_router("", governance_api.router)

# Contracts and purchasing (its router lives in its app).
from edcoop.contracts import api as contracts_api  # noqa: E402

api.add_router("", contracts_api.router)

fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown(request: HttpRequest, rest: str) -> None:
    """Anything under /api/v1/ no route matched: a JSON 404, like every other error. Added
    last, so it only sees what every other pattern missed."""
    raise Http404(rest)


api.add_router("", fallback)
