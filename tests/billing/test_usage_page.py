"""The usage entry form: one month's usage of a service by a member."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.web.conftest import ALL_ROLES, assert_audited, assert_csp_clean, client_for

from edcoop.services import services as svc
from edcoop.services.models import UsageRecord

URL = "/a/north/services/usage/new/"


def _usage(year, **overrides):
    data = {"institution": year.a.pk, "service": year.s["rate"].pk, "period": "2026-10",
            "quantity": "12.5", "external_ref": "SPEECH-2026-10-A", "note": ""}  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ALL_ROLES)
def test_usage_form_role_matrix(year, role):
    response = client_for(year.tenant.users[role]).get(URL)
    assert response.status_code == (200 if role in {"agency_admin", "business_office"} else 403)
    if response.status_code == 200:
        assert_csp_clean(response.content.decode())


def test_other_agency_is_404(year, nation):
    assert client_for(nation.users["agency_admin"]).get(URL).status_code == 404
    # Another agency's member or service is not a valid choice here either.
    before = UsageRecord.objects.count()
    response = client_for(nation.users["agency_admin"]).post(
        "/a/nation/services/usage/new/", _usage(year))  # fmt: skip
    assert 'id="id_institution_error"' in response.content.decode()
    assert UsageRecord.objects.count() == before


def test_business_office_records_usage(year):
    user = year.tenant.users["business_office"]
    response = client_for(user).post(URL, _usage(year), follow=True)
    body = response.content.decode()
    assert "Recorded 12.5 hour of 300.010" in body
    record = UsageRecord.objects.get(external_ref="SPEECH-2026-10-A")
    assert (record.institution, record.quantity, f"{record.period:%Y-%m}") == (
        year.a, Decimal("12.5"), "2026-10")
    assert_audited("usage.record", user)


@pytest.mark.parametrize("typed", ["2026-10", "10/2026", "Oct 2026", "October 2026", " oct. 2026"])
def test_the_month_as_people_type_it(year, typed):
    """"Nov 2026" used to be cut to "Nov 202" by a 7-character limit and refused."""
    response = client_for(year.tenant.users["business_office"]).post(
        URL, {**_usage(year), "period": typed}, follow=True)  # fmt: skip
    assert "Recorded 12.5 hour" in response.content.decode(), typed
    record = UsageRecord.objects.get(external_ref="SPEECH-2026-10-A")
    assert f"{record.period:%Y-%m}" == "2026-10"


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("quantity", {"quantity": "-1"}, "cannot be negative"),
        ("period", {"period": "Ju 2026"}, "not a month"),
        ("period", {"period": "Octember 2026"}, "not a month"),
        ("period", {"period": "13/2026"}, "not a month"),
        ("period", {"period": "2026-13"}, "not a month"),
        ("period", {"period": "2026-09"}, "already billed"),
        ("service", {"service": "pool"}, "no subscription"),
        ("quantity", {"service": "usage", "quantity": "98"}, "beyond capacity"),
        ("external_ref", {"external_ref": "DUP"}, "already recorded"),
    ],
)  # fmt: skip
def test_bad_usage_names_the_field_and_writes_nothing(year, posted, field, overrides, message):
    october = year.sept.replace(month=10)
    svc.usage_record(user=None, institution=year.b, service=year.s["rate"], period=october,
                     quantity=Decimal(1), external_ref="DUP")  # fmt: skip
    if overrides.get("service") == "pool":
        unsold = svc.service_create(
            user=None, agency=year.tenant.agency, code="999.000", name="Unsold",
            coser_group="600", charge_method="rate", unit_rate=Decimal(1),
        )  # fmt: skip
        overrides["service"] = unsold.pk
    elif overrides.get("service") == "usage":
        overrides["service"] = year.s["usage"].pk
    before = UsageRecord.objects.count()
    response = client_for(year.tenant.users["agency_admin"]).post(URL, _usage(year, **overrides))
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and f'href="#id_{field}"' in body
    assert message.lower() in body.lower()
    assert UsageRecord.objects.count() == before
