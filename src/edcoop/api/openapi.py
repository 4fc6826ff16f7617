"""The OpenAPI document says what every operation answers, errors included.

Ninja documents only the success answers an operation declares; this generator adds, to
every operation, the error answers the API gives (their JSON shape is ``Error``) and marks
the public operations (no credentials needed) with an empty security requirement, which is
how OpenAPI says "authentication optional". schemathesis (tests/api/test_schemathesis.py)
holds the document to it: any status not listed here fails the run.
"""

from __future__ import annotations

from typing import Any

from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from .auth import Anonymous

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

ERRORS: dict[int, str] = {
    400: "A rule of the domain refused the input (a page size or filter too, where a rule "
    "decides); `errors` maps each field to its messages.",
    401: "No credentials where they are needed, or a bad, revoked or malformed token "
    "(`WWW-Authenticate: Bearer`).",
    403: "The record is yours to see but the action is not, or a session call without its "
    "CSRF token.",
    404: "No such record, agency or page of a list, or not in your scope (another agency's "
    "records answer exactly like records that do not exist).",
    409: "A retry that reuses an idempotency key with different content.",
    413: "The request body is larger than this operation takes (docs/api.md#limits).",
    422: "The request does not match the schema (unknown field, wrong type, text too long, "
    "a NUL character, a date outside 1900-2999, a number the field cannot hold); `errors` "
    "lists each problem with its field and location.",
    429: "Too many requests without credentials from your address; `Retry-After` says when "
    "to try again.",
}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "One readable sentence."},
        "errors": {
            "description": "400: {field: [messages]}; 422: [{field, loc, msg, type}].",
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": "array",
                                                            "items": {"type": "string"}}},
                {"type": "array", "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"},
                                   "loc": {"type": "array", "items": {"type": "string"}},
                                   "msg": {"type": "string"}, "type": {"type": "string"}},
                }},
            ],
        },
    },
}  # fmt: skip

PUBLIC_NOTE = "**Public**: no credentials needed (a caller who sends them acts as that user)."


def is_public(operation: Operation) -> bool:
    """No credentials needed: no auth at all (``auth=None``), or anonymous allowed."""
    callbacks = operation.auth_callbacks or []
    return not callbacks or any(isinstance(cb, Anonymous) for cb in callbacks)


def error_codes(operation: Operation) -> list[int]:
    codes = [400, 401, 403, 404, 422]
    if WRITES & {m.upper() for m in operation.methods}:
        codes += [413, 429]
    return codes


class EdCoopOpenAPISchema(OpenAPISchema):
    def operation_details(self, operation: Operation) -> dict[str, Any]:
        result = super().operation_details(operation)
        responses = result.setdefault("responses", {})
        for code in error_codes(operation):
            responses.setdefault(code, {"description": ERRORS[code]})
        for code, answer in responses.items():
            if int(code) in ERRORS:
                answer["description"] = ERRORS[int(code)]
                answer["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                }
        if is_public(operation):
            result["security"] = [{}, *result.get("security", [])]
            result["x-public"] = True
            result["description"] = PUBLIC_NOTE + "\n\n" + result.get("description", "")
        return result

    def get_components(self) -> dict[str, Any]:
        # After every path: the one Error shape, whatever an operation declared for it.
        self.schemas["Error"] = ERROR_SCHEMA
        return super().get_components()
