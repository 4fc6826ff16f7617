"""Cash receipts import (all or nothing, safe to re-run), the GL file and the aid figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from tests.web.conftest import client_for

from edcoop.billing import aid, statements
from edcoop.billing.models import Payment
from edcoop.billing.receipts import ReceiptsImportFailed, import_receipts
from edcoop.services import services as svc

GOOD = (
    "date,member,amount,reference\n"
    "2026-11-20,North District 1,\"1,000.00\",CHK 1\n"
    "2026-11-21,North District 2,$250,ACH 7\n"
)


def test_receipts_apply_oldest_first_and_rerun_safely(year, posted):
    agency = year.tenant.agency
    result = import_receipts(user=year.admin, agency=agency, data=GOOD.encode())
    assert (result.recorded, result.unchanged, result.total) == (2, 0, D("1250.00"))
    again = import_receipts(user=year.admin, agency=agency, data=GOOD.encode())
    assert (again.recorded, again.unchanged) == (0, 2)
    assert Payment.objects.count() == 2
    st = statements.statement(year.a, date(2026, 11, 30))
    assert st.paid == D("1000.00") and st.items[0].paid == D("1000.00")


@pytest.mark.parametrize(
    ("row", "problem"),
    [("2026-13-01,North District 1,10,R1", "not a date"),
     ("2026-12-24,North District 1,10,R1", "in the future"),
     ("2026-11-20,Nowhere,10,R1", "not a member"),
     ("2026-11-20,North District 1,1e20,R1", "exponent"),
     ("2026-11-20,North District 1,-5,R1", "at least"),
     ("2026-11-20,North District 1,10,", "reference is required"),
     ("2026-11-20,North District 1,1000.00,CHK 1", "appears twice")],
)  # fmt: skip
def test_a_bad_receipt_line_records_nothing(year, posted, row, problem):
    data = GOOD + row + "\n"
    with pytest.raises(ReceiptsImportFailed) as exc:
        import_receipts(user=year.admin, agency=year.tenant.agency, data=data.encode())
    assert any(e.startswith("line 4:") and problem in e for e in exc.value.errors), exc.value
    assert not Payment.objects.exists()


def test_gl_file_books_each_service_to_its_account(year, posted):
    svc.service_update(user=year.admin, service=year.s["rate"], gl_account="A2250.490")
    client = client_for(year.tenant.users["business_office"])
    csv = client.get("/a/north/billing/gl/2027/?format=csv").content.decode("utf-8-sig")
    assert "North District 1" in csv and "A2250.490" in csv and "(unmapped)" in csv
    row = next(r for r in csv.splitlines() if "A2250.490" in r)
    assert row.endswith(",450.00,")  # 10 hours x $45, a debit
    finance = client_for(year.tenant.users["member_finance"])
    own = finance.get(f"/a/north/billing/gl/2027/?member={year.a.pk}&format=csv")
    own = own.content.decode("utf-8-sig")
    assert "North District 1" in own and "North District 2" not in own
    assert client_for(year.tenant.users["member_finance"]).get(
        f"/a/north/billing/gl/2027/?member={year.b.pk}").status_code == 404  # fmt: skip


def test_aid_figures_download_per_district_and_service(year, posted):
    aid.aid_ratio_set(
        user=year.admin, agency=year.tenant.agency, institution_id=year.a.pk, aid_year=2028,
        ratio=D("0.5"), data_years="2025 FV / 2025-26 RWADA",
    )  # fmt: skip
    response = client_for(year.tenant.users["auditor"]).get(
        "/a/north/billing/year-end/2027/aid/?format=xlsx")  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    csv = client_for(year.tenant.users["auditor"]).get(
        "/a/north/billing/year-end/2027/aid/?format=csv").content.decode("utf-8-sig")  # fmt: skip
    assert "Administrative aid" in csv or "Services aid" in csv
    assert "shared by fewer than two districts" in csv and "FY2028" in csv
