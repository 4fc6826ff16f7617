"""``edcoop billing simulate``: the engine on a self-contained JSON description (no database).
The format is in docs/billing.md. Every number goes through ``core.decimals`` with the
bounds of the column it stands for; anything else wrong is one ``EngineError`` naming the
record (the command prints it on one line and exits with status 2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from edcoop.core.decimals import MONEY, QUANTITY, UNIT_PRICE, Bounds, DecimalInputError
from edcoop.core.decimals import parse_decimal as _parse
from edcoop.services.fiscal import fiscal_year_of

from .allocation import (
    BASES,
    METHODS,
    EngineError,
    Participation,
    ServiceSpec,
    Usage,
    compute_charges,
)

# The columns these figures land in (members.MembershipYear, services.Service).
RWADA = Bounds(12, 2)
ENROLLMENT = Bounds(10, 0)
FULL_VALUE = Bounds(16, 2)
FEE_PCT = Bounds(5, 2, Decimal(0), Decimal(100))
FIGURES = {"rwada": RWADA, "enrollment": ENROLLMENT, "full_value": FULL_VALUE}
MAX_TEXT = 100
USAGE_METHODS = ("rate", "pool_by_usage", "committed_seats")


def _dec(value: Any, bounds: Bounds, where: str) -> Decimal:
    try:
        return _parse(value, bounds)
    except DecimalInputError as exc:
        raise EngineError(f"{where} {exc}") from None


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise EngineError(f"{where} must be text")
    text = str(value).strip()
    if not text:
        raise EngineError(f"{where} is required")
    if len(text) > MAX_TEXT or "\x00" in text:
        raise EngineError(f"{where} must be at most {MAX_TEXT} characters of text")
    return text


def _list(spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = spec.get(key, [])
    if not isinstance(items, list):
        raise EngineError(f"{key} must be a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise EngineError(f"{key}[{i}] must be an object")
    return items


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise EngineError(f"{where} must be a whole number from {low} to {high}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise EngineError(f"{where} must be a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise EngineError(f"{where} must be a whole number from {low} to {high}")
    return number


def _period(value: Any, where: str) -> date:
    text = _text(value, where)
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise EngineError(f"{where} {text!r} is not a month (YYYY-MM)")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12 or year < 1900:
        raise EngineError(f"{where} {text!r} is not a month (YYYY-MM)")
    return date(year, month, 1)


def simulate(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise EngineError("the input must be a JSON object")
    fiscal_year = None
    if spec.get("fiscal_year") is not None:
        fiscal_year = _int(spec["fiscal_year"], "fiscal_year", 1990, 2100)
    start = _int(spec.get("fiscal_year_start_month", 7), "fiscal_year_start_month", 1, 12)
    members: dict[str, dict[str, Decimal | int | None]] = {}
    for i, m in enumerate(_list(spec, "members")):
        key = _text(m.get("id", ""), f"members[{i}]: id")
        if key in members:
            raise EngineError(f"members[{i}]: id {key!r} appears twice")
        members[key] = {
            name: _dec(m[name], bounds, f"member {key}: {name}")
            for name, bounds in FIGURES.items()
            if m.get(name) is not None
        }
    services: list[ServiceSpec] = []
    participations: list[Participation] = []
    codes: set[str] = set()
    for i, s in enumerate(_list(spec, "services")):
        code = _text(s.get("code", ""), f"services[{i}]: code")
        where = f"service {code}:"
        if code in codes:
            raise EngineError(f"services[{i}]: code {code!r} appears twice")
        codes.add(code)
        method = str(s.get("method", ""))
        if method not in METHODS:
            raise EngineError(f"{where} method must be one of {', '.join(METHODS)}")
        basis = str(s.get("basis", "rwada"))
        if method == "pool_by_share" and basis not in BASES:
            raise EngineError(f"{where} basis must be one of {', '.join(BASES)}")
        services.append(
            ServiceSpec(
                code=code,
                method=method,
                name=str(s.get("name", ""))[:MAX_TEXT],
                rate=_dec(s.get("rate", "0"), UNIT_PRICE, f"{where} rate"),
                pool=_dec(s.get("pool", "0"), MONEY, f"{where} pool"),
                basis=basis,
                flat=_dec(s.get("flat", "0"), MONEY, f"{where} flat"),
                admin_fee_pct=_dec(s.get("admin_fee_pct", "0"), FEE_PCT, f"{where} admin_fee_pct"),
            )
        )
        participants = s.get("participants", [])
        if not isinstance(participants, list):
            raise EngineError(f"{where} participants must be a list of member ids")
        seen: set[str] = set()
        for member in participants:
            key = _text(member, f"{where} participant")
            if key in seen:
                raise EngineError(f"{where} participant {key!r} appears twice")
            seen.add(key)
            participations.append(Participation(key, code))
        commitments = s.get("commitments") or {}
        if not isinstance(commitments, dict):
            raise EngineError(f"{where} commitments must be an object of member: quantity")
        for member, qty in commitments.items():
            key = _text(member, f"{where} commitment member")
            if key in seen:
                raise EngineError(f"{where} {key!r} both participates and commits")
            participations.append(
                Participation(key, code, _dec(qty, QUANTITY, f"{where} commitment of {key}"))
            )
    usage: list[Usage] = []
    specs = {s.code: s for s in services}
    for i, u in enumerate(_list(spec, "usage")):
        ref = _text(u.get("ref") or f"usage[{i}]", f"usage[{i}]: ref")
        member = _text(u.get("member", ""), f"{ref}: member")
        service = _text(u.get("service", ""), f"{ref}: service")
        if u.get("period") is not None:
            period = _period(u["period"], f"{ref}: period")
            if fiscal_year is not None and fiscal_year_of(period, start) != fiscal_year:
                raise EngineError(f"{ref}: period {period:%Y-%m} is outside FY{fiscal_year}")
        quantity = _dec(u.get("quantity"), QUANTITY, f"{ref}: quantity")
        by_code = specs.get(service)
        if by_code is not None and by_code.method not in USAGE_METHODS:
            raise EngineError(f"{ref}: service {service} is not billed by usage")
        if (
            by_code is not None
            and by_code.method != "pool_by_usage"
            and quantity * by_code.rate > MONEY.largest
        ):
            raise EngineError(f"{ref}: quantity x rate is more than a charge can hold")
        usage.append(Usage(member, service, quantity, ref))
    charges = compute_charges(
        services=services,
        participations=participations,
        usage=usage,
        basis=members,
        members=set(members),
    )
    return {
        "charges": [
            {"member": c.member, "service": c.service, "kind": c.kind, "amount": f"{c.amount:.2f}"}
            for c in charges
        ],
        "total": f"{sum((c.amount for c in charges), Decimal(0)):.2f}",
    }
