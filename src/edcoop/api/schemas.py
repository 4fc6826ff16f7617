"""What goes in and out of the API. Decimals travel as strings ("1180.50"), never floats."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from django.db.models import Model
from ninja import Schema
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from edcoop.core.decimals import api_decimal, column
from edcoop.core.inputs import NUL_MESSAGE, column_length, has_nul, moment_problem
from edcoop.members.models import Institution, Membership, MembershipYear, Supplier

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


def _null_is_empty(empty: Any) -> Any:
    return BeforeValidator(lambda value: empty if value is None else value)


# PATCH: an optional field sent as null is cleared, exactly like "" (or [] for a list).
Clearable = Annotated[str | None, _null_is_empty("")]
# PATCH: the default of a field that may be left out (and is then kept) but is never null.
KEEP: Any = None


class Error(Schema):
    """Every error answer (the OpenAPI document spells out ``errors``: api.openapi)."""

    detail: str
    errors: Any = None


# Agencies ---------------------------------------------------------------------------------


class AgencyOut(Schema):
    slug: str
    name: str
    kind: str
    state: str
    time_zone: str
    fiscal_year_start_month: int
    website: str
    email: str
    accepting_applications: bool
    roles: list[str] = Field(
        default_factory=list, description="The caller's roles in this agency (none if anonymous)."
    )


class RoleOut(Schema):
    agency: str
    role: str
    institution_id: int | None
    supplier_id: int | None


class MeOut(Schema):
    username: str
    email: str
    roles: list[RoleOut]


# Institutions -----------------------------------------------------------------------------


class InstitutionOut(Schema):
    id: int
    name: str
    kind: str
    state: str
    county: str
    city: str
    nces_id: str
    ipeds_id: str
    beds_code: str
    website: str
    membership_id: int | None
    membership_status: str | None

    @staticmethod
    def resolve_membership_id(obj: Institution) -> int | None:
        m = getattr(obj, "membership", None)
        return m.pk if m is not None else None

    @staticmethod
    def resolve_membership_status(obj: Institution) -> str | None:
        m = getattr(obj, "membership", None)
        return m.status if m is not None else None


class InstitutionPatch(In):
    """Fields left out are kept; null clears an optional field; name, kind and state
    cannot be null."""

    columns = (Institution,)
    name: str = KEEP
    kind: Institution.Kind = KEEP
    state: str = KEEP
    county: Clearable = None
    city: Clearable = None
    nces_id: Clearable = None
    ipeds_id: Clearable = None
    beds_code: Clearable = None
    website: Clearable = None


class InstitutionRef(Schema):
    id: int
    name: str


# Memberships ------------------------------------------------------------------------------


class ServiceAreaRef(Schema):
    id: int
    name: str


class MembershipYearOut(Schema):
    fiscal_year: int
    enrollment: int | None
    rwada: Money | None
    aid_ratio: Ratio | None
    full_value: Money | None


class MembershipOut(Schema):
    id: int
    institution: InstitutionRef
    status: str
    component: bool
    service_area: ServiceAreaRef | None
    joined_on: date | None
    left_on: date | None
    applied_at: datetime | None
    decided_at: datetime | None
    contact_name: str
    contact_title: str
    contact_email: str
    contact_phone: str
    notes: str


class MembershipDetail(MembershipOut):
    years: list[MembershipYearOut]

    @staticmethod
    def resolve_years(obj: Membership) -> list[Any]:
        return list(obj.years.order_by("-fiscal_year"))


class ApproveIn(In):
    component: bool = False
    service_area_id: int | None = None


class DeclineIn(In):
    reason: str


class MembershipStatusIn(In):
    status: Membership.Status
    effective_on: date | None = Field(
        None, description="Suspend or withdraw: the last day of membership (billing stops "
        "after that month); reinstate after a closed year: the day it rejoins. Default today.",
    )  # fmt: skip


class MembershipDatesIn(In):
    joined_on: date = Field(..., description="Billing starts with this month.")
    left_on: date | None = Field(
        None, description="A suspended or withdrawn member's last day (billing stops after "
        "that month); null for an active member.",
    )  # fmt: skip


if TYPE_CHECKING:
    Rwada = Decimal
    AidRatio = Decimal
    FullValue = Decimal
else:
    Rwada = api_decimal(column(MembershipYear, "rwada"), "1180.50")
    AidRatio = api_decimal(column(MembershipYear, "aid_ratio", maximum=Decimal(1)), "0.6150")
    FullValue = api_decimal(column(MembershipYear, "full_value"), "812345678.00")


class YearIn(In):
    """The whole year's figures (PUT): a figure left out is recorded as unknown."""

    enrollment: int | None = Field(None, ge=0, le=2_147_483_647)
    rwada: Rwada | None = None
    aid_ratio: AidRatio | None = None
    full_value: FullValue | None = None


class ApplicationIn(In):
    columns = (Institution, Membership)
    name: str
    kind: Institution.Kind
    state: str = Field(description="Two-letter code, e.g. NY.")
    county: str = ""
    city: str = ""
    nces_id: str = ""
    ipeds_id: str = ""
    beds_code: str = ""
    website: str = ""
    contact_name: str = ""
    contact_title: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""


class ApplicationOut(Schema):
    membership_id: int
    institution_id: int
    status: str


class ReceivedOut(Schema):
    """The public's answer to an application or a registration, new or not: a public form
    never says who is already registered (their contact is told by e-mail instead)."""

    status: str = "received"
    detail: str


# Suppliers --------------------------------------------------------------------------------


class SupplierOut(Schema):
    """The tax ID only ever leaves masked."""

    id: int
    legal_name: str
    dba: str
    tax_id_masked: str
    certifications: list[str]
    status: str
    state: str
    email: str
    phone: str
    website: str


class SupplierUpdateOut(SupplierOut):
    """The profile after a PATCH, and what became a request instead of a change: a
    representative's new legal name, tax ID or certifications wait for the agency, a new
    e-mail for its confirmation from that mailbox."""

    notices: list[str] = Field(default_factory=list)


class SupplierChangeOut(Schema):
    """A supplier's request to change its identity or contact; the tax ID masked."""

    id: int
    kind: str
    status: str
    requested: dict[str, str]
    current: dict[str, str]
    requested_at: datetime
    decided_at: datetime | None
    reason: str

    @staticmethod
    def resolve_requested(obj: Any) -> dict[str, str]:
        return dict(obj.shown("after"))

    @staticmethod
    def resolve_current(obj: Any) -> dict[str, str]:
        return dict(obj.shown("before"))


class SupplierChangeDecisionIn(In):
    approve: bool
    reason: str = Field("", max_length=2000, description="Required to reject.")


class SupplierContactConfirmIn(In):
    token: str = Field(max_length=500, description="From the link mailed to the new address.")


class SupplierIn(In):
    columns = (Supplier,)
    legal_name: str
    tax_id: str = Field(description="EIN, e.g. 12-3456789. Never returned in clear.")
    dba: str = ""
    certifications: list[Supplier.Certification] = Field(default_factory=list)
    state: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


class SupplierPatch(In):
    """Fields left out are kept; null clears an optional field; the legal name and tax ID
    cannot be null."""

    columns = (Supplier,)
    legal_name: str = KEEP
    tax_id: str = KEEP
    dba: Clearable = None
    certifications: Annotated[list[Supplier.Certification] | None, _null_is_empty([])] = None
    state: Clearable = None
    email: Clearable = None
    phone: Clearable = None
    website: Clearable = None


class SupplierStatusIn(In):
    status: Supplier.Status
    reason: str = ""
