"""Usage import: all or nothing with line numbers; safe to run twice."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from tests.billing.conftest import year  # noqa: F401

from edcoop.services.importers import UsageImportFailed, import_usage
from edcoop.services.models import UsageRecord

GOOD = (
    "external_ref,member,service,period,quantity\n"
    "A-1,North District 1,300.010,2026-10,4\n"
    "A-2,North District 2,500.100,2026-10,3.5\n"
)


def test_import_is_idempotent_on_external_ref(year):  # noqa: F811
    agency = year.tenant.agency
    before = UsageRecord.objects.count()
    result = import_usage(user=year.admin, agency=agency, data=GOOD.encode())
    assert (result.created, result.unchanged) == (2, 0)
    again = import_usage(user=year.admin, agency=agency, data=GOOD.encode())
    assert (again.created, again.unchanged) == (0, 2)
    assert UsageRecord.objects.count() == before + 2
    assert UsageRecord.objects.get(external_ref="A-2").quantity == D("3.5")


def test_bad_rows_are_reported_by_line_and_nothing_is_written(year):  # noqa: F811
    bad = GOOD + (
        "A-3,Nowhere CSD,300.010,2026-10,1\n"
        "A-4,North District 1,999.999,2026-10,1\n"
        "A-5,North District 1,300.010,2026-10,-2\n"
        "A-6,North District 1,500.100,2026-10,500\n"
    )
    before = UsageRecord.objects.count()
    with pytest.raises(UsageImportFailed) as exc:
        import_usage(user=year.admin, agency=year.tenant.agency, data=bad.encode())
    text = "\n".join(exc.value.errors)
    assert "line 4: member 'Nowhere CSD'" in text
    assert "line 5: service '999.999'" in text
    assert "line 6: quantity cannot be negative" in text
    assert "beyond its capacity" in text
    assert UsageRecord.objects.count() == before


def test_usage_without_subscription_is_refused(year):  # noqa: F811
    from edcoop.services.models import Subscription

    Subscription.objects.filter(institution=year.b, service=year.s["rate"]).delete()
    data = "external_ref,member,service,period,quantity\nX,North District 2,300.010,2026-10,1\n"
    with pytest.raises(UsageImportFailed, match="no subscription"):
        import_usage(user=year.admin, agency=year.tenant.agency, data=data.encode())
