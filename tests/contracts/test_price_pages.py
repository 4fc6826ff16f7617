"""The supplier's portal page and API for price-list versions, and the agency's decision page:
the supplier sees its own contracts' versions only; members and other agencies see none."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from tests.api.conftest import BASE
from tests.api.conftest import _api_for as api_for
from tests.web.conftest import client_for

from edcoop.contracts.models import Contract, ContractItem, PriceListVersion

from .test_tables import COLUMNS, workbook

TODAY = timezone.localdate().isoformat()


def test_the_supplier_uploads_on_its_page_and_the_officer_decides(
    north: Any, paper: Contract
) -> None:
    rep = client_for(north.users["supplier_rep"])
    url = f"/a/north/contracts/{paper.pk}/price-lists/"
    assert rep.get(url).status_code == 200
    data = workbook(COLUMNS, ["A-1", "Letter", "ream", 4.1], ["A-2", "Legal", "ream", 5])
    done = rep.post(url, {"effective_on": TODAY, "file": SimpleUploadedFile("p.xlsx", data)})
    assert done.status_code == 302
    v = PriceListVersion.objects.get()
    assert v.status == "pending" and v.row_count == 2 and v.file_name == "p.xlsx"
    page = rep.get(f"{url}{v.number}/")
    assert b"2 items added" in page.content and b"Approve" not in page.content
    assert rep.post(f"{url}{v.number}/", {"decision": "approve"}).status_code == 403
    bad = rep.post(url, {"effective_on": TODAY, "file": SimpleUploadedFile(
        "p.csv", b"sku,description,unit,unit_price\nA-1,,ream,1\n")})  # fmt: skip
    assert b"line 2: description: This field is required." in bad.content
    officer = client_for(north.users["procurement_officer"])
    page = officer.get(f"{url}{v.number}/")
    assert b"Approve version 1" in page.content
    refused = officer.post(f"{url}{v.number}/", {"decision": "reject", "reason": ""})
    assert refused.status_code == 200 and PriceListVersion.objects.get().status == "pending"
    assert officer.post(f"{url}{v.number}/", {"decision": "approve"}).status_code == 302
    assert ContractItem.objects.filter(contract=paper).count() == 2
    again = officer.post(f"{url}{v.number}/", {"decision": "approve"})
    assert again.status_code == 200 and b"already approved" in again.content


def test_members_and_other_agencies_do_not_see_versions(north: Any, nation: Any,
                                                        paper: Contract) -> None:  # fmt: skip
    url = f"/a/north/contracts/{paper.pk}/price-lists/"
    for user in (north.users["member_buyer"], north.users["member_admin"]):
        assert client_for(user).get(url).status_code in (403, 404)
    assert client_for(nation.users["procurement_officer"]).get(url).status_code in (403, 404)
    assert client_for(nation.users["supplier_rep"]).get(url).status_code in (403, 404)


def test_the_api(north: Any, nation: Any, paper: Contract) -> None:
    rep = api_for(north.users["supplier_rep"])
    path = f"/agencies/north/contracts/{paper.pk}/price-lists"
    made = rep.client.post(BASE + path, {"effective_on": TODAY, "file": SimpleUploadedFile(
        "p.csv", b"sku,description,unit,unit_price\nA-1,Pens,box,1.5\n")},
        headers=rep._headers())  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "pending" and body["diff"]["added"] == 1
    bad = rep.client.post(BASE + path, {"effective_on": TODAY, "file": SimpleUploadedFile(
        "p.csv", b"sku,description,unit,unit_price\nA-1,Pens,box,1e20\n")},
        headers=rep._headers())  # fmt: skip
    assert bad.status_code == 400 and "line 2: unit_price" in bad.content.decode()
    assert [v["number"] for v in rep.get(path).json()] == [1]
    assert rep.post(f"{path}/1/approve").status_code == 403
    officer = api_for(north.users["procurement_officer"])
    assert officer.post(f"{path}/1/reject", {"reason": "Wrong units"}).json()["status"] == (
        "rejected")
    assert officer.post(f"{path}/1/approve").status_code == 400
    assert api_for(nation.users["supplier_rep"]).get(path).status_code == 404
    assert api_for(north.users["member_buyer"]).get(path).status_code in (403, 404)
