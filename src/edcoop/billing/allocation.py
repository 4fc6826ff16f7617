"""The allocation engine: pure Python on plain values, no database.

``split_cents`` divides an amount in cents among weighted keys so that the parts sum back to
the whole exactly (largest-remainder method, ties to the key that sorts first).
``compute_charges`` turns one billing period's members, basis figures, services, pools,
participations and usage into charges, one per member and service (plus an administrative
fee line where the service carries one). The billing run, the year-end true-up, the budget
estimate and ``edcoop billing simulate`` all call it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import MAX_PREC, Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import Any, TypeVar

from edcoop.core.money import CENT, UNIT_PRICE, quantize_money

K = TypeVar("K", bound=Hashable)

HUNDRED = Decimal(100)
ZERO = Decimal(0)

METHODS = ("rate", "pool_by_usage", "pool_by_share", "flat", "committed_seats")
BASES = ("rwada", "enrollment", "full_value", "equal")
# How an invoice line names the basis of a share (the codes above stay in data and JSON).
BASIS_WORDS = {
    "rwada": "share of pool by RWADA",
    "enrollment": "share of pool by enrollment",
    "full_value": "share of pool by full value",
    "equal": "equal share of pool",
}


def _scaled_ints(weights: list[Any]) -> list[int]:
    """Weights as integers on one common scale (Decimals shifted by their most places)."""
    kinds = set(map(type, weights))
    if kinds <= {int}:
        return weights
    if not kinds <= {int, Decimal}:
        bad = next(k for k in kinds if k not in (int, Decimal))
        raise ValueError(f"weights must be int or Decimal, not {bad.__name__}")
    # An exact sum carries the smallest exponent of its terms: the common scale.
    with localcontext(Context(prec=MAX_PREC, traps=[Inexact])):
        exponent = sum(weights, Decimal(0)).as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        scale = Decimal(10) ** places
        return [int(w * scale) for w in weights]


def split_cents(total_cents: int, weights: Mapping[K, int | Decimal]) -> dict[K, int]:
    """Split ``total_cents`` in proportion to ``weights``; the parts sum to it exactly.

    Each key first gets the floor of its exact share; the cents left over go one each to the
    keys with the largest remainders, ties to the key that sorts first. Zero weights get 0.
    A negative total is split as its absolute value and negated.

    Raises ``ValueError`` on a negative (or non-finite) weight, or when every weight is zero
    and the total is not.
    """
    keys = list(weights)
    values = list(weights.values())
    if not values:
        if total_cents:
            raise ValueError("cannot split a non-zero amount among no keys")
        return {}
    try:
        lowest, highest = min(values), max(values)
    except (InvalidOperation, TypeError):
        raise ValueError("every weight must be a number") from None
    if lowest < 0:
        key = next(k for k, w in zip(keys, values, strict=True) if w < 0)
        raise ValueError(f"weight of {key!r} is negative ({weights[key]})")
    if isinstance(highest, Decimal) and not highest.is_finite():
        raise ValueError("every weight must be finite")
    if total_cents < 0:
        return {k: -v for k, v in split_cents(-total_cents, weights).items()}
    ints = _scaled_ints(values)
    whole = sum(ints)
    if whole == 0:
        if total_cents:
            raise ValueError("cannot split a non-zero amount when every weight is zero")
        return dict.fromkeys(keys, 0)
    if len(ints) >= VECTOR_FROM and total_cents * max(ints) < INT64_SAFE and whole < INT64_SAFE:
        return _split_vectorised(total_cents, keys, ints, whole)
    return _split_exact(total_cents, keys, ints, whole)


def _split_exact(total_cents: int, keys: list[Any], ints: list[int], whole: int) -> dict:
    """The largest-remainder split in plain Python integers (any size)."""
    products = [total_cents * w for w in ints]
    shares = [p // whole for p in products]
    left = total_cents - sum(shares)
    if left:
        rems = [p % whole for p in products]
        # The left-th largest remainder is the threshold: every key above it gets a cent,
        # then the keys tied on it, in the keys' sort order, while cents are left.
        threshold = sorted(rems, reverse=True)[left - 1]
        tied = []
        for i, r in enumerate(rems):
            if r > threshold:
                shares[i] += 1
                left -= 1
            elif r == threshold:
                tied.append(i)
        if left:
            try:
                tied.sort(key=lambda i: keys[i])
            except TypeError:
                tied.sort(key=lambda i: str(keys[i]))
            for i in tied[:left]:
                shares[i] += 1
    return dict(zip(keys, shares, strict=True))


# Large splits run in numpy on int64, exactly the same arithmetic as the Python path, where
# every product total x weight fits in 63 bits (checked first; otherwise Python's big ints).
VECTOR_FROM = 2000
INT64_SAFE = 2**62


def _split_vectorised(total_cents: int, keys: list[Any], ints: list[int], whole: int) -> dict:
    import numpy as np

    products = np.asarray(ints, dtype=np.int64) * total_cents
    shares = products // whole
    left = total_cents - int(shares.sum())
    if left:
        rems = products % whole
        # The left-th largest remainder is the threshold (a partition, not a sort): keys
        # above it get a cent, then the keys tied on it in their sort order.
        threshold = np.partition(rems, rems.size - left)[rems.size - left]
        above = rems > threshold
        shares += above
        left -= int(above.sum())
        if left:
            tied = np.flatnonzero(rems == threshold).tolist()
            try:
                tied.sort(key=lambda i: keys[i])
            except TypeError:
                tied.sort(key=lambda i: str(keys[i]))
            shares[tied[:left]] += 1
    return dict(zip(keys, shares.tolist(), strict=True))


def to_cents(amount: Decimal) -> int:
    return int(quantize_money(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / HUNDRED).quantize(CENT)  # exact: cents / 100 never rounds


# The charge engine ----------------------------------------------------------------------


class EngineError(ValueError):
    """Bad input for the engine; the message names the record."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service's terms for the period being charged.

    ``pool`` is the period's cost pool (pool methods); ``flat`` the charge per participating
    member for the period; ``rate`` the unit rate (rate, committed_seats)."""

    code: str
    method: str
    name: str = ""
    rate: Decimal = ZERO
    pool: Decimal = ZERO
    basis: str = "rwada"
    flat: Decimal = ZERO
    admin_fee_pct: Decimal = ZERO


@dataclass(frozen=True)
class Participation:
    member: Any
    service: str
    committed: Decimal = ZERO


@dataclass(frozen=True)
class Usage:
    member: Any
    service: str
    quantity: Decimal
    ref: str = ""


@dataclass
class Charge:
    member: Any
    service: str
    amount: Decimal
    kind: str = "service"  # or "admin_fee"
    quantity: Decimal = ZERO
    basis: str = ""
    share: Decimal | None = None  # the member's fraction of the pool, 6 places
    rate: Decimal | None = None
    meta: dict[str, Any] = field(default_factory=dict)


SHARE_PLACES = Decimal("0.000001")


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(SHARE_PLACES) if whole else None


def compute_charges(
    *,
    services: Sequence[ServiceSpec],
    participations: Iterable[Participation] = (),
    usage: Iterable[Usage] = (),
    basis: Mapping[Any, Mapping[str, Decimal | int | None]] | None = None,
    members: Iterable[Any] | None = None,
) -> list[Charge]:
    """Every charge of one period, in service order then member order.

    ``basis[member][figure]`` gives the yearly basis figures (rwada, enrollment, full_value)
    for pool_by_share services. ``members`` (optional) is the set of known members; usage or
    participation naming anyone else is an error.
    """
    by_code = {s.code: s for s in services}
    if len(by_code) != len(services):
        raise EngineError("two services share one code")
    for s in services:
        if s.method not in METHODS:
            raise EngineError(f"service {s.code}: unknown charge method {s.method!r}")
        if s.method == "pool_by_share" and s.basis not in BASES:
            raise EngineError(f"service {s.code}: unknown share basis {s.basis!r}")
        for name in ("rate", "pool", "flat", "admin_fee_pct"):
            if getattr(s, name) < 0:
                raise EngineError(f"service {s.code}: {name} is negative")
    known = set(members) if members is not None else None
    basis = basis or {}

    def check_member(member: Any, what: str) -> None:
        if known is not None and member not in known:
            raise EngineError(f"{what}: unknown member {member!r}")

    used: dict[str, dict[Any, Decimal]] = defaultdict(dict)
    for u in usage:
        if u.service not in by_code:
            raise EngineError(
                f"usage {u.ref or ''} for {u.member!r}: unknown service {u.service!r}".replace(
                    "  ", " "
                )
            )
        check_member(u.member, f"usage of {u.service}")
        if u.quantity < 0:
            raise EngineError(
                f"usage of {u.service} by {u.member!r}: negative quantity {u.quantity}"
            )
        row = used[u.service]
        row[u.member] = row.get(u.member, ZERO) + u.quantity
    committed: dict[str, dict[Any, Decimal]] = defaultdict(dict)
    for p in participations:
        if p.service not in by_code:
            raise EngineError(f"participation of {p.member!r}: unknown service {p.service!r}")
        check_member(p.member, f"participation in {p.service}")
        if p.committed < 0:
            raise EngineError(f"participation of {p.member!r} in {p.service}: negative commitment")
        row = committed[p.service]
        row[p.member] = row.get(p.member, ZERO) + p.committed

    out: list[Charge] = []
    for s in services:
        uses = used.get(s.code, {})
        commits = committed.get(s.code, {})
        charges = _charge_service(s, uses, commits, basis)
        for c in charges:
            out.append(c)
            if s.admin_fee_pct and c.amount:
                fee = quantize_money(c.amount * s.admin_fee_pct / HUNDRED)
                out.append(
                    Charge(member=c.member, service=s.code, amount=fee, kind="admin_fee",
                           basis=f"{s.admin_fee_pct.normalize():f}% administrative fee "
                           f"on ${c.amount:,}")
                )  # fmt: skip
    return out


def _sorted_members(members: Iterable[Any]) -> list[Any]:
    try:
        return sorted(members)
    except TypeError:
        return sorted(members, key=str)


def _charge_service(
    s: ServiceSpec,
    uses: dict[Any, Decimal],
    commits: dict[Any, Decimal],
    basis: Mapping[Any, Mapping[str, Decimal | int | None]],
) -> list[Charge]:
    if s.method == "rate":
        return [
            Charge(m, s.code, quantize_money(q * s.rate), quantity=q, basis="usage x rate",
                   rate=s.rate)
            for m, q in ((m, uses[m]) for m in _sorted_members(uses))
        ]  # fmt: skip
    if s.method == "flat":
        return [
            Charge(m, s.code, quantize_money(s.flat), quantity=Decimal(1), basis="flat per member",
                   rate=s.flat)
            for m in _sorted_members(commits)
        ]  # fmt: skip
    if s.method == "pool_by_usage":
        total = sum(uses.values(), ZERO)
        if not total or not s.pool:
            return []
        parts = split_cents(to_cents(s.pool), {m: uses[m] for m in _sorted_members(uses)})
        unit = (s.pool / total).quantize(UNIT_PRICE)
        return [
            Charge(m, s.code, from_cents(c), quantity=uses[m], basis="share of pool by usage",
                   share=_share(uses[m], total), rate=unit)
            for m, c in parts.items()
        ]  # fmt: skip
    if s.method == "pool_by_share":
        if not commits or not s.pool:
            return []
        weights: dict[Any, Decimal] = {}
        for m in _sorted_members(commits):
            if s.basis == "equal":
                weights[m] = Decimal(1)
                continue
            figure = basis.get(m, {}).get(s.basis)
            if figure is None:
                raise EngineError(
                    f"service {s.code}: member {m!r} has no {s.basis} figure for the share basis"
                )
            weights[m] = Decimal(figure)
        whole = sum(weights.values(), ZERO)
        if not whole:
            raise EngineError(f"service {s.code}: every participant's {s.basis} figure is zero")
        parts = split_cents(to_cents(s.pool), weights)
        return [
            Charge(m, s.code, from_cents(c), quantity=weights[m],
                   basis=BASIS_WORDS[s.basis], share=_share(weights[m], whole))
            for m, c in parts.items()
        ]  # fmt: skip
    # committed_seats
    members = _sorted_members(set(uses) | set(commits))
    total_use = sum(uses.values(), ZERO)
    total_commit = sum(commits.values(), ZERO)
    if total_commit and total_use < total_commit:
        # Total use fell below total commitments: the committed pool is prorated by use
        # (by commitment when nobody used any).
        pool = quantize_money(total_commit * s.rate)
        weights = {m: (uses.get(m, ZERO) if total_use else commits.get(m, ZERO)) for m in members}
        parts = split_cents(to_cents(pool), weights)
        label = "committed pool prorated by use" if total_use else "committed pool by commitment"
        whole = total_use or total_commit
        return [
            Charge(m, s.code, from_cents(parts[m]), quantity=uses.get(m, ZERO), basis=label,
                   share=_share(weights[m], whole), rate=s.rate,
                   meta={"committed": commits.get(m, ZERO)})
            for m in members if parts[m] or uses.get(m)
        ]  # fmt: skip
    # Everyone pays actual use at the rate: extra use billed, shortfalls reduced to use.
    return [
        Charge(m, s.code, quantize_money(uses.get(m, ZERO) * s.rate), quantity=uses.get(m, ZERO),
               basis="use x rate (committed seats)", rate=s.rate,
               meta={"committed": commits.get(m, ZERO)})
        for m in members if uses.get(m)
    ]  # fmt: skip
