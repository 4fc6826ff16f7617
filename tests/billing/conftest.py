"""A small billing year on the ``north`` agency: five services (one per charge method), both
districts subscribed for FY2027, usage for September 2026.

The clock is pinned to 30 November 2026 (noon in New York) while the year is in use: months
bill only once they have begun, so the tests must not depend on the day they run."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from edcoop.members import services as member_services
from edcoop.services import services as svc

TODAY = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def year(north: Any) -> Any:
    with time_machine.travel(TODAY, tick=True):
        yield _year(north)


def _year(north: Any) -> Any:
    admin = north.users["agency_admin"]
    a, b = north.institutions
    for inst, rwada in ((a, D("1000.00")), (b, D("3000.00"))):
        member_services.membership_year_set(
            user=admin, membership=inst.membership, fiscal_year=2027, enrollment=900,
            rwada=rwada, aid_ratio=D("0.5000"), full_value=D("1000000.00"),
        )  # fmt: skip
    s = {}
    s["rate"] = svc.service_create(
        user=admin, agency=north.agency, code="300.010", name="Speech therapy",
        coser_group="300", unit="hour", charge_method="rate", unit_rate=D("45.0000"),
    )  # fmt: skip
    s["usage"] = svc.service_create(
        user=admin, agency=north.agency, code="500.100", name="Instructional technology",
        coser_group="500A", unit="device", charge_method="pool_by_usage", capacity=D("100"),
    )  # fmt: skip
    s["share"] = svc.service_create(
        user=admin, agency=north.agency, code="001.000", name="Administration",
        coser_group="001", charge_method="pool_by_share", share_basis="rwada", aidable=False,
    )  # fmt: skip
    s["flat"] = svc.service_create(
        user=admin, agency=north.agency, code="601.200", name="Data privacy",
        coser_group="600", charge_method="flat", flat_amount=D("1200.00"),
        admin_fee_pct=D("15"),
    )  # fmt: skip
    s["seats"] = svc.service_create(
        user=admin, agency=north.agency, code="500.200", name="Workshops",
        coser_group="500B", unit="seat", charge_method="committed_seats", unit_rate=D("100"),
    )  # fmt: skip
    svc.service_year_set(user=admin, service=s["usage"], fiscal_year=2027, budget=D("12000.00"))
    svc.service_year_set(
        user=admin, service=s["share"], fiscal_year=2027, budget=D("120000.00"),
        positions=[("Director", D("90000.00"), D("1"))],
    )  # fmt: skip
    for inst in (a, b):
        for key in s:
            svc.subscription_set(user=admin, institution=inst, service=s[key], fiscal_year=2027,
                                 quantity=D("12"))  # fmt: skip
    sept = date(2026, 9, 1)
    svc.usage_record(user=admin, institution=a, service=s["rate"], period=sept, quantity=D("10"))
    svc.usage_record(user=admin, institution=a, service=s["usage"], period=sept, quantity=D("1"))
    svc.usage_record(user=admin, institution=b, service=s["usage"], period=sept, quantity=D("2"))
    svc.usage_record(user=admin, institution=a, service=s["seats"], period=sept, quantity=D("1"))
    return SimpleNamespace(admin=admin, a=a, b=b, s=s, sept=sept, tenant=north)


@pytest.fixture
def posted(year: Any) -> Any:
    """September 2026 computed and posted: one issued invoice per district."""
    from edcoop.billing.runs import billing_run_compute, billing_run_post

    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    return billing_run_post(user=year.admin, run=run)
