"""Price lists imported from CSV: all or nothing, each bad line named; awarded prices are a
ceiling; only the procurement staff import."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.web.conftest import client_for

from edcoop.contracts import pricelists
from edcoop.contracts.models import Contract, ContractItem

HEADER = "sku,description,unit,unit_price,category,list_price,tiers\n"


def test_a_clean_file_is_saved_with_tiers(north: Any, paper: Contract) -> None:
    n = pricelists.import_price_list(
        user=north.users["procurement_officer"],
        contract=paper,
        data=HEADER + "A-1,Letter paper,ream,4.10,Paper,6.49,"
        "100:3.90;500:3.75\nA-2,Legal paper,ream,5.35,,,\n",
    )
    assert n == 2
    item = ContractItem.objects.get(contract=paper, sku="A-1")
    assert [(str(t.min_quantity), str(t.unit_price)) for t in item.tiers.all()] == [
        ("100.0000", "3.9000"), ("500.0000", "3.7500")]  # fmt: skip


def test_bad_lines_are_listed_and_nothing_is_saved(north: Any, paper: Contract) -> None:
    data = (
        HEADER + "A-1,Letter,ream,4.10,,,\nA-2,,ream,4.10,,,\nA-3,X,ream,-1,,,\n"
        "A-4,X,ream,4.10,,,100-3.90\nA-1,Again,ream,4.10,,,\nA-5,X,ream,4.10,,,100:5.00\n"
    )
    with pytest.raises(ValidationError) as exc:
        pricelists.import_price_list(user=north.users["procurement_officer"], contract=paper,
                                     data=data)  # fmt: skip
    errors = exc.value.message_dict["file"]
    assert errors[0] == "line 3: description: This field is required."
    assert errors[1].startswith("line 4: unit_price: Cannot be negative")
    assert errors[2] == "line 5: tiers: '100-3.90' is not quantity:price"
    assert errors[3] == "line 6: sku 'A-1' repeats an earlier line"
    assert errors[4].startswith("line 7: tiers[1].unit_price")
    assert not ContractItem.objects.exists()


def test_missing_columns_and_other_roles(north: Any, paper: Contract) -> None:
    with pytest.raises(ValidationError, match="missing column"):
        pricelists.import_price_list(user=north.users["procurement_officer"], contract=paper,
                                     data="sku,description\nA,B\n")  # fmt: skip
    with pytest.raises(PermissionDenied):
        pricelists.import_price_list(user=north.users["supplier_rep"], contract=paper,
                                     data=HEADER + "A-1,Letter,ream,4.10,,,\n")  # fmt: skip


def test_the_import_page(north: Any, paper: Contract) -> None:
    officer = client_for(north.users["procurement_officer"])
    url = f"/a/north/contracts/{paper.pk}/prices/"
    done = officer.post(url, {"file": SimpleUploadedFile(
        "p.csv", (HEADER + "A-1,Letter,ream,4.10,,,\n").encode())})  # fmt: skip
    assert done.status_code == 302 and ContractItem.objects.filter(sku="A-1").exists()
    assert client_for(north.users["member_buyer"]).get(url).status_code == 403
