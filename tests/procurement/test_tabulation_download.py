"""Attack on the public tabulation's download: a solicitation's number is free text
("IFB 2026/04"); a character a sheet's name may not hold made the XLSX a 500 for everyone,
and quotes in it broke the download's file name."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from .conftest import approve, build_bid, second_supplier
from .test_evaluation import opened

PRICES = {"1.01": "30.00", "1.02": "55.00", "2.01": "0.2900"}


def test_any_number_downloads(north, clock):
    approve(north, north.supplier)
    bid = build_bid(north, number='IFB 2026/04: "copy" [paper]*?\\')
    other, rep = second_supplier(north)
    opened(north, bid, clock, [(north.supplier, north.users["supplier_rep"], PRICES, False),
                               (other, rep, PRICES, False)])  # fmt: skip
    anyone = Client(raise_request_exception=False)
    url = reverse("procurement:tabulation", args=["north", bid.pk])
    for fmt in ("xlsx", "csv"):
        got = anyone.get(url, {"format": fmt})
        assert got.status_code == 200, fmt
        disposition = got["Content-Disposition"]
        assert disposition.startswith("attachment; filename=") and f".{fmt}" in disposition
        assert disposition.count('"') - disposition.count('\\"') == 2, disposition
    sheet = load_workbook(io.BytesIO(anyone.get(url, {"format": "xlsx"}).content)).active
    assert sheet.title.startswith("north-IFB 2026-04- ")
    assert {sheet.cell(r, 6).value for r in range(2, sheet.max_row + 1)} == {
        "North Paper Co", "Second Paper Co"}  # fmt: skip
