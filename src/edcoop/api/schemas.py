"""What goes in and out of the API. Decimals travel as strings ("1180.50"), never floats."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from edcoop.members.models import Institution, Membership, Supplier

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


class In(Schema):
    """Request bodies: a misspelt field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    detail: str


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
    name: str | None = None
    kind: Institution.Kind | None = None
    state: str | None = None
    county: str | None = None
    city: str | None = None
    nces_id: str | None = None
    ipeds_id: str | None = None
    beds_code: str | None = None
    website: str | None = None


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


class YearIn(In):
    """The whole year's figures (PUT): a figure left out is recorded as unknown."""

    enrollment: int | None = None
    rwada: DecimalIn | None = None
    aid_ratio: DecimalIn | None = None
    full_value: DecimalIn | None = None


class ApplicationIn(In):
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


class SupplierIn(In):
    legal_name: str
    tax_id: str = Field(description="EIN, e.g. 12-3456789. Never returned in clear.")
    dba: str = ""
    certifications: list[Supplier.Certification] = Field(default_factory=list)
    state: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


class SupplierPatch(In):
    legal_name: str | None = None
    tax_id: str | None = None
    dba: str | None = None
    certifications: list[Supplier.Certification] | None = None
    state: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None


class SupplierStatusIn(In):
    status: Supplier.Status
    reason: str = ""
