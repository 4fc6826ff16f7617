"""``edcoop billing simulate``: the engine on a self-contained JSON description (no database).
The format is in docs/billing.md."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from edcoop.services.fiscal import fiscal_year_of

from .allocation import EngineError, Participation, ServiceSpec, Usage, compute_charges


def _dec(value: Any, where: str) -> Decimal:
    if isinstance(value, float | bool) or value is None:
        raise EngineError(f'{where}: write numbers as strings, e.g. "12.50"')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise EngineError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise EngineError(f"{where}: {value!r} is not a number")
    return number


def simulate(spec: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise EngineError("the input must be a JSON object")
    members: dict[str, dict[str, Decimal | int | None]] = {}
    for i, m in enumerate(spec.get("members", [])):
        key = str(m.get("id", "")).strip()
        if not key:
            raise EngineError(f"members[{i}]: id is required")
        members[key] = {
            name: _dec(m[name], f"member {key}: {name}")
            for name in ("rwada", "enrollment", "full_value")
            if m.get(name) is not None
        }
    services: list[ServiceSpec] = []
    participations: list[Participation] = []
    for i, s in enumerate(spec.get("services", [])):
        code = str(s.get("code", "")).strip()
        if not code:
            raise EngineError(f"services[{i}]: code is required")
        where = f"service {code}"
        services.append(ServiceSpec(
            code=code, method=str(s.get("method", "")), name=str(s.get("name", "")),
            rate=_dec(s.get("rate", "0"), f"{where}: rate"),
            pool=_dec(s.get("pool", "0"), f"{where}: pool"),
            basis=str(s.get("basis", "rwada")),
            flat=_dec(s.get("flat", "0"), f"{where}: flat"),
            admin_fee_pct=_dec(s.get("admin_fee_pct", "0"), f"{where}: admin_fee_pct"),
        ))  # fmt: skip
        for member in s.get("participants", []):
            participations.append(Participation(str(member), code))
        for member, qty in (s.get("commitments") or {}).items():
            participations.append(
                Participation(str(member), code, _dec(qty, f"{where}: commitment of {member}"))
            )
    fiscal_year = spec.get("fiscal_year")
    start = int(spec.get("fiscal_year_start_month", 7))
    usage: list[Usage] = []
    for i, u in enumerate(spec.get("usage", [])):
        ref = str(u.get("ref") or f"usage[{i}]")
        member, service = str(u.get("member", "")), str(u.get("service", ""))
        period = u.get("period")
        if fiscal_year is not None and period is not None:
            from datetime import date

            try:
                year, month = (int(p) for p in str(period).split("-"))
                fy = fiscal_year_of(date(year, month, 1), start)
            except ValueError:
                raise EngineError(f"{ref}: period {period!r} is not YYYY-MM") from None
            if fy != int(fiscal_year):
                raise EngineError(f"{ref}: period {period} is outside FY{fiscal_year}")
        usage.append(Usage(member, service, _dec(u.get("quantity"), f"{ref}: quantity"), ref))
    charges = compute_charges(services=services, participations=participations, usage=usage,
                              basis=members, members=set(members))  # fmt: skip
    return {
        "charges": [
            {"member": c.member, "service": c.service, "kind": c.kind, "amount": f"{c.amount:.2f}"}
            for c in charges
        ],
        "total": f"{sum((c.amount for c in charges), Decimal(0)):.2f}",
    }
