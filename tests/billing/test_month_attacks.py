"""Attacks on the month parser (the usage form's "Nov 2026", files' and the API's 2026-11):
a year outside what dates hold (0000) or outside the years the product takes was a 500."""

from __future__ import annotations

import pytest
from tests.api.conftest import _api_for as api_for
from tests.web.conftest import client_for

from edcoop.services.models import UsageRecord

URL = "/a/north/services/usage/new/"


def _usage(year, period):
    return {"institution": year.a.pk, "service": year.s["rate"].pk, "period": period,
            "quantity": "1", "external_ref": "ATTACK-1", "note": ""}  # fmt: skip


@pytest.mark.parametrize("typed", ["Nov 0000", "0000-11", "11/0000", "Dec 9999", "12/9999",
                                   "9999-12", "Jan 0001"])  # fmt: skip
def test_a_month_of_an_impossible_year_is_refused_on_the_form(year, typed):
    client = client_for(year.tenant.users["business_office"])
    client.raise_request_exception = False
    response = client.post(URL, _usage(year, typed))
    assert response.status_code == 200, typed
    assert 'id="id_period_error"' in response.content.decode()
    assert not UsageRecord.objects.filter(external_ref="ATTACK-1").exists()


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "0001-01"])
def test_the_api_refuses_those_months_by_name(year, period):
    api = api_for(year.tenant.users["business_office"])
    api.client.raise_request_exception = False
    listed = api.get("/agencies/north/usage", period=period)
    assert listed.status_code in (400, 422) and "period" in listed.content.decode(), period
    made = api.post("/agencies/north/usage", {
        "institution_id": year.a.pk, "service": year.s["rate"].code, "period": period,
        "quantity": "1", "external_ref": "ATTACK-2"})  # fmt: skip
    assert made.status_code in (400, 422) and "period" in made.content.decode(), period
    assert not UsageRecord.objects.filter(external_ref="ATTACK-2").exists()
