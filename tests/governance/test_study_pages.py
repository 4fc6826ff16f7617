"""Savings studies through the pages: drafting, entering districts, publishing, reading."""

from decimal import Decimal
from typing import Any

import pytest
from tests.web.conftest import client_for

from edcoop.governance import services
from edcoop.governance.models import SavingsStudy


def study_with_districts(north: Any) -> SavingsStudy:
    office = north.users["business_office"]
    study = services.study_create(
        user=office, agency=north.agency, title="Sharing a Central Business Office",
        service_name="Central Business Office", fiscal_year=2026, basis="rwada",
        shared_cost=Decimal("90000.00"), aidable=True, sensitivity_pct=Decimal("10"),
    )  # fmt: skip
    return study


def test_business_office_drafts_fills_and_publishes(north: Any, nation: Any) -> None:
    client = client_for(north.users["business_office"])
    response = client.post("/a/north/studies/new/", {
        "title": "CBO study", "service_name": "Central Business Office", "fiscal_year": "2026",
        "basis": "equal", "shared_cost": "$90,000", "aidable": "on", "sensitivity_pct": "10",
    })  # fmt: skip
    assert response.status_code == 302
    study = SavingsStudy.objects.get(agency=north.agency)
    a, b = north.institutions
    form = {f"d{a.pk}-include": "on", f"d{a.pk}-fte": "1", f"d{a.pk}-salary": "60,000",
            f"d{a.pk}-benefits_pct": "40", f"d{b.pk}-include": "on", f"d{b.pk}-fte": "0.5",
            f"d{b.pk}-salary": "50000", f"d{b.pk}-software": "1e5"}  # fmt: skip
    bad = client.post(f"/a/north/studies/{study.pk}/districts/", form)
    assert bad.status_code == 200 and "exponent notation" in bad.content.decode()
    assert not study.districts.exists()
    form[f"d{b.pk}-software"] = "5000"
    assert client.post(f"/a/north/studies/{study.pk}/districts/", form).status_code == 302
    page = client.get(f"/a/north/studies/{study.pk}/").content.decode()
    # Equal shares of $90,000; district 2 has no aid ratio for FY2026, so no result yet.
    assert "cannot be computed yet" in page and "no aid ratio for FY2026" in page
    client.post(f"/a/north/studies/{study.pk}/edit/", {
        "title": "CBO study", "service_name": "Central Business Office", "fiscal_year": "2026",
        "basis": "equal", "shared_cost": "90000", "sensitivity_pct": "10",
    })  # fmt: skip  (aid off)
    page = client.get(f"/a/north/studies/{study.pk}/").content.decode()
    # In house: 84,000 and 30,000; shared 45,000 each: savings 39,000 and -15,000.
    assert "$84,000.00" in page and "$45,000.00" in page and "-$15,000.00" in page
    assert "$24,000.00" in page  # total saving
    # Nobody outside the agency's staff sees the draft.
    assert client_for(nation.users["agency_admin"]).get(
        f"/a/north/studies/{study.pk}/").status_code == 404  # fmt: skip
    assert client_for(None).get(f"/a/north/studies/{study.pk}/").status_code == 404
    client.post(f"/a/north/studies/{study.pk}/publish/")
    study.refresh_from_db()
    assert study.published
    public = client_for(None).get(f"/a/north/studies/{study.pk}/")
    assert public.status_code == 200 and "-$15,000.00" in public.content.decode()
    assert "Make a copy" not in public.content.decode()
    # A published study does not change.
    again = client.post(f"/a/north/studies/{study.pk}/districts/", form)
    assert "make a copy" in again.content.decode()


@pytest.mark.parametrize("role", ["auditor", "procurement_officer", "member_admin"])
def test_readers_do_not_edit(north: Any, role: str) -> None:
    study = study_with_districts(north)
    client = client_for(north.users[role])
    assert client.get(f"/a/north/studies/{study.pk}/edit/").status_code == 403
    expected = 404 if role == "member_admin" else 200  # drafts are the staff's
    assert client.get(f"/a/north/studies/{study.pk}/").status_code == expected
