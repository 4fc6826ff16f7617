"""What every app's API shares on the way in and out: decimals (as strings, "1180.50", never
floats), request bodies checked at the door (``In``), the error shape. Each app's own schemas
live in its ``api.py``."""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar

from django.db.models import Model
from ninja import Schema
from pydantic import (
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from edcoop.core.inputs import NUL_MESSAGE, column_length, has_nul, moment_problem

# Decimals ---------------------------------------------------------------------------------


def _quantized(places: int) -> Any:
    quantum = Decimal(1).scaleb(-places)
    return lambda value: str(Decimal(value).quantize(quantum))


def _decimal_schema(places: int, example: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "decimal",
        "pattern": rf"^-?\d+\.\d{{{places}}}$",
        "examples": [example],
    }


def _no_float(value: Any) -> Any:
    if isinstance(value, float | bool):
        raise ValueError('send decimals as JSON strings, e.g. "0.6150", never as numbers')
    return value


# Written with exactly their field's decimal places, as JSON strings.
Money = Annotated[
    Decimal,
    PlainSerializer(_quantized(2), return_type=str),
    WithJsonSchema(_decimal_schema(2, "1180.50")),
]
Ratio = Annotated[
    Decimal,
    PlainSerializer(_quantized(4), return_type=str),
    WithJsonSchema(_decimal_schema(4, "0.6150")),
]
DecimalIn = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["1180.50"]}),
]


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """Enum members (from choice fields) as their plain string values, for the services."""

    def one(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    return {key: one(value) for key, value in data.items()}


def _declare_lengths(schema: dict[str, Any], cls: type) -> None:
    """OpenAPI: each text field's maxLength, as ``In._at_the_door`` enforces it."""
    for name, prop in schema.get("properties", {}).items():
        length = cls.max_length(name)  # type: ignore[attr-defined]
        for branch in [prop, *prop.get("anyOf", [])]:
            if length is not None and branch.get("type") == "string":
                branch["maxLength"] = length


class In(Schema):
    """Request bodies. A misspelt field is an error, not silently dropped, and every field
    is refused (422, naming it) when it holds a NUL character, is a date outside the years
    1900-2999, or is text longer than its column: ``columns`` names the models whose
    same-named text columns bound the fields, ``lengths`` any other bound. Text is never
    cut to fit."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_declare_lengths)
    columns: ClassVar[tuple[type[Model], ...]] = ()
    lengths: ClassVar[dict[str, int]] = {}

    @classmethod
    def max_length(cls, name: str) -> int | None:
        return cls.lengths.get(name) or column_length(cls.columns, name)

    @field_validator("*", mode="after")
    @classmethod
    def _at_the_door(cls, value: Any, info: ValidationInfo) -> Any:
        if has_nul(value):
            raise ValueError(NUL_MESSAGE)
        problem = moment_problem(value)
        if problem:
            raise ValueError(problem)
        length = cls.max_length(info.field_name or "")
        if length is not None and isinstance(value, str) and len(value) > length:
            raise ValueError(
                f"is {len(value):,} characters long; at most {length} are kept, so it is "
                "refused rather than cut"
            )
        return value


def null_is_empty(empty: Any) -> Any:
    return BeforeValidator(lambda value: empty if value is None else value)


# PATCH: an optional field sent as null is cleared, exactly like "" (or [] for a list).
Clearable = Annotated[str | None, null_is_empty("")]
# PATCH: the default of a field that may be left out (and is then kept) but is never null.
KEEP: Any = None


class Error(Schema):
    """Every error answer (the OpenAPI document spells out ``errors``: api.openapi)."""

    detail: str
    errors: Any = None
