"""May this member buy under this contract? Pure rules on plain values, one answer for the
catalogue filter, the contract page, and every purchase order.

- A member of the agency only, and only while its membership is active. Membership costs
  nothing and carries no minimum purchase: a member that never bought keeps full access.
- ``service_area``: the member is in the agency's service area (in one of the contract's
  areas, when it names any); ``national``: a member anywhere. A member whose membership
  records no service area is not in any area, so only national contracts are open to it
  (the agency sees such members on the contracts dashboard and assigns their area).
- ``eligible_kinds``: when set, the member's institution kind is among them.
- ``participants_only`` (a NY GML §119-o cooperative bid): only the members that took part.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class Terms:
    scope: str  # "service_area" or "national"
    kinds: Collection[str]
    areas: Collection[int]
    participants_only: bool
    participants: Collection[int]


@dataclass(frozen=True)
class Member:
    institution_id: int
    kind: str
    kind_label: str
    active: bool
    service_area_id: int | None


def refusals(terms: Terms, member: Member | None) -> list[str]:
    """Why ``member`` may not use the contract; empty when it may."""
    if member is None:
        return ["The institution is not a member of the agency."]
    out: list[str] = []
    if not member.active:
        out.append("The institution's membership is not active.")
    if terms.scope == "service_area":
        if member.service_area_id is None:
            out.append("The contract is limited to members in the agency's service area, and "
                       "this membership records no service area: the agency assigns one on "
                       "the membership (only national contracts are open until then).")  # fmt: skip
        elif terms.areas and member.service_area_id not in terms.areas:
            out.append("The contract does not cover this member's service area.")
    if terms.kinds and member.kind not in terms.kinds:
        out.append(f"The contract is not open to institutions of the kind "
                   f"'{member.kind_label}'.")  # fmt: skip
    if terms.participants_only and member.institution_id not in terms.participants:
        out.append("Only the members that took part in this cooperative bid (GML §119-o) may "
                   "buy under it.")  # fmt: skip
    return out
