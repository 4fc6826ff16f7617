"""Attack on every download through a name anyone may type: a supplier registering (no
sign-in) as "Bell\x07 Supplies" put a control character XML cannot hold into the agency's
supplier list, its audit trail and the public tabulation; each XLSX was a 500."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from tests.procurement.conftest import approve, build_bid, clock, second_supplier  # noqa: F401
from tests.procurement.test_evaluation import opened

from edcoop.members import services as member_services

NAME = "Bell\x07Vertical\x0bTab\x1b Supplies"


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return " ".join(str(c.value) for s in book.worksheets for row in s.iter_rows()
                    for c in row if c.value is not None)  # fmt: skip


def test_staff_exports_and_the_audit_trail(north):
    member_services.supplier_register(agency=north.agency, legal_name=NAME, tax_id="77-1234567")
    admin = _client(north.users["agency_admin"])
    got = admin.get("/a/north/suppliers/", {"format": "xlsx"})
    assert got.status_code == 200
    assert "Bell\ufffdVertical\ufffdTab\ufffd Supplies" in _xlsx_text(got.content)
    assert admin.get("/a/north/suppliers/", {"format": "csv"}).status_code == 200
    trail = _client(north.users["auditor"]).get("/a/north/audit/export/", {
        "since": "2000-01-01", "until": "2100-01-01", "format": "xlsx"})  # fmt: skip
    assert trail.status_code == 200 and "Bell\ufffdVertical" in _xlsx_text(trail.content)


def test_the_public_tabulation(north, clock):  # noqa: F811
    approve(north, north.supplier)
    bid = build_bid(north)
    other, rep = second_supplier(north, NAME, "77-7654321")
    prices = {"1.01": "30.00", "1.02": "55.00", "2.01": "0.2900"}
    opened(north, bid, clock, [(north.supplier, north.users["supplier_rep"], prices, False),
                               (other, rep, prices, False)])  # fmt: skip
    url = reverse("procurement:tabulation", args=["north", bid.pk])
    got = _client().get(url, {"format": "xlsx"})
    assert got.status_code == 200 and "Bell\ufffdVertical" in _xlsx_text(got.content)
