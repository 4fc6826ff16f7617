"""A published copy-paper bid in agency ``north``, with one approved supplier and helpers to
move the server clock (``clock``) past its deadline and opening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.conftest import make_user

from edcoop.members import services as member_services
from edcoop.members.models import Role, Supplier
from edcoop.procurement import drafting, publication, timing
from edcoop.procurement.responses import LineInput, ResponseInput

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=10)
OPENING = DUE + timedelta(hours=1)


class Clock:
    def __init__(self, monkeypatch: Any) -> None:
        self.now = NOW
        monkeypatch.setattr(timing, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    return Clock(monkeypatch)


def approve(tenant: Any, supplier: Supplier) -> Supplier:
    return member_services.supplier_set_status(
        user=tenant.users["agency_admin"], supplier=supplier, status="active"
    )


def build_bid(tenant: Any, *, number: str = "IFB-2026-01", publish: bool = True,
              basis: str = "all_or_none") -> Any:  # fmt: skip
    admin = tenant.users["procurement_officer"]
    s = drafting.solicitation_create(
        user=admin, agency=tenant.agency, number=number, title="Copy paper and milk",
        kind="ifb", category="Paper", required_attestations=["non_collusion"],
        questions_due_at=NOW + timedelta(days=5), responses_due_at=DUE, opening_at=OPENING,
    )  # fmt: skip
    paper = drafting.lot_add(user=admin, solicitation=s, title="Copy paper", award_basis=basis)
    milk = drafting.lot_add(user=admin, solicitation=s, title="Milk", award_basis="per_item")
    drafting.item_add(user=admin, lot=paper, number="1.01", description="Copy paper 8.5x11",
                      unit="case", estimated_quantity=Decimal("1000"))  # fmt: skip
    drafting.item_add(user=admin, lot=paper, number="1.02", description="Copy paper 11x17",
                      unit="case", estimated_quantity=Decimal("100"))  # fmt: skip
    drafting.item_add(user=admin, lot=milk, number="2.01", description="Milk 1% half pint",
                      unit="each", estimated_quantity=Decimal("333"))  # fmt: skip
    if publish:
        s = publication.solicitation_publish(user=admin, solicitation=s)
    return s


def items(s: Any) -> dict[str, Any]:
    return {i.number: i for i in s.items.all()}


def offer(s: Any, prices: dict[str, str], **extra: Any) -> ResponseInput:
    its = items(s)
    data = ResponseInput(
        lines=[LineInput(its[n].pk, p) for n, p in prices.items()],
        attestations=["non_collusion"],
        acknowledged_addenda=[a.number for a in s.addenda.all()],
    )
    for k, v in extra.items():
        setattr(data, k, v)
    return data


def second_supplier(tenant: Any, name: str = "Second Paper Co", ein: str = "22-7654321") -> Any:
    supplier = member_services.supplier_register(agency=tenant.agency, legal_name=name, tax_id=ein)
    approve(tenant, supplier)
    rep = make_user(f"rep-{ein}")
    member_services.role_assign(user=None, agency=tenant.agency, person=rep,
                                role=Role.SUPPLIER_REP, supplier=supplier)  # fmt: skip
    return supplier, rep


@pytest.fixture
def bid(north: Any, clock: Clock) -> Any:
    approve(north, north.supplier)
    return build_bid(north)
