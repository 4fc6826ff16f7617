"""Price-list versions: the supplier uploads, the agency sees what changes and approves or
rejects with a reason; approved versions take effect on their date and never change; no
one else's contract is reachable."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from edcoop.contracts import orders, pricelists
from edcoop.contracts.models import Contract, ContractItem, PriceListRow, PriceListVersion
from edcoop.contracts.orders import LineInput
from edcoop.core.models import AuditEvent
from edcoop.members import services as member_services
from edcoop.members.models import Role

from .conftest import make_contract

HEADER = "sku,description,unit,unit_price,category,list_price,tiers\n"
TODAY = timezone.localdate()


def _upload(tenant: Any, contract: Contract, body: str, role: str = "supplier_rep",
            on: date = TODAY, user: Any = None) -> PriceListVersion:  # fmt: skip
    return pricelists.upload_version(user=user or tenant.users[role], contract=contract,
                                     data=HEADER + body, effective_on=on)  # fmt: skip


def test_the_supplier_uploads_the_agency_sees_the_diff_and_approves(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    v = _upload(north, paper, "CP-8511,Copy paper,ream,4.20,Paper,,100:3.90\n"
                              "CP-9000,Toner,each,60,Toner,,\n")  # fmt: skip
    assert v.status == "pending" and v.number == 1 and v.row_count == 2
    # pending: members still buy at the price in force
    assert str(ContractItem.objects.get(sku="CP-8511").unit_price) == "4.1000"
    diff = pricelists.version_diff(v)
    assert (diff.added, diff.removed, diff.changed, diff.increases) == (1, 0, 1, 1)
    assert [r.sku for r in diff.added_rows] == ["CP-9000"]
    assert [(r.sku, str(r.old_price), str(r.unit_price)) for r in diff.changed_rows] == [
        ("CP-8511", "4.1000", "4.2000")]  # fmt: skip
    with pytest.raises(PermissionDenied):  # the supplier cannot approve its own list
        pricelists.version_approve(user=north.users["supplier_rep"], version=v)
    pricelists.version_approve(user=north.users["procurement_officer"], version=v)
    item = ContractItem.objects.get(sku="CP-8511")
    assert str(item.unit_price) == "4.2000" and item.tiers.count() == 1
    assert ContractItem.objects.filter(contract=paper).count() == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"price_list.upload", "price_list.approve", "price_list.in_effect"} <= actions
    with pytest.raises(ValidationError, match="already approved"):  # double submit
        pricelists.version_approve(user=north.users["procurement_officer"], version=v)
    with pytest.raises(ValidationError, match="already approved"):
        pricelists.version_reject(user=north.users["procurement_officer"], version=v,
                                  reason="too late")  # fmt: skip


def test_a_rejection_needs_a_reason_and_changes_nothing(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    v = _upload(north, paper, "CP-8511,Copy paper,ream,9.99,,,\n")
    officer = north.users["procurement_officer"]
    with pytest.raises(ValidationError, match="Say why"):
        pricelists.version_reject(user=officer, version=v, reason="  ")
    with pytest.raises(ValidationError, match="2,000"):
        pricelists.version_reject(user=officer, version=v, reason="x\x00")
    pricelists.version_reject(user=officer, version=v, reason="Price rises need 60 days' notice.")
    v.refresh_from_db()
    assert v.status == "rejected" and v.reason.startswith("Price rises")
    assert str(ContractItem.objects.get(sku="CP-8511").unit_price) == "4.1000"


def test_a_future_version_takes_effect_on_its_date_and_orders_use_it(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    later = TODAY + timedelta(days=30)
    v = _upload(north, paper, "CP-8511,Copy paper,ream,3.95,,,\n", on=later)
    pricelists.version_approve(user=north.users["procurement_officer"], version=v, today=TODAY)
    assert str(ContractItem.objects.get(sku="CP-8511").unit_price) == "4.1000"
    assert pricelists.in_effect(paper, TODAY) is None
    assert pricelists.in_effect(paper, later) == v
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=paper, lines=[LineInput("1", sku="CP-8511")],
                                ordered_on=later)  # fmt: skip
    assert str(order.lines.get().unit_price) == "3.9500"
    v.refresh_from_db()  # an order dated later does not bring the list in early for others
    assert v.applied_at is None
    assert str(ContractItem.objects.get(sku="CP-8511").unit_price) == "4.1000"
    pricelists.bring_into_effect(paper, later)
    v.refresh_from_db()
    assert v.applied_at is not None
    assert str(ContractItem.objects.get(sku="CP-8511").unit_price) == "3.9500"
    assert PriceListRow.objects.filter(version=v).count() == 1  # history kept


def test_double_upload_and_dates(north: Any, paper: Contract) -> None:
    body = "A-1,Pens,box,1\n"
    _upload(north, paper, body)
    with pytest.raises(ValidationError, match="already pending as version 1"):
        _upload(north, paper, body)
    with pytest.raises(ValidationError, match="today or later"):
        _upload(north, paper, body, on=TODAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="ends on"):
        _upload(north, paper, body, on=date(2099, 1, 1))
    assert PriceListVersion.objects.count() == 1


def test_other_suppliers_members_and_agencies_are_refused(
    north: Any, nation: Any, paper: Contract
) -> None:
    other = member_services.supplier_register(agency=north.agency, legal_name="Rival Paper",
                                              tax_id="98-7654321")  # fmt: skip
    rival = get_user("north-rival")
    member_services.role_assign(user=None, agency=north.agency, person=rival,
                                role=Role.SUPPLIER_REP, supplier=other)  # fmt: skip
    for user in (rival, north.users["member_buyer"], north.users["member_admin"],
                 north.users["business_office"], nation.users["procurement_officer"],
                 nation.users["supplier_rep"]):  # fmt: skip
        with pytest.raises(PermissionDenied):
            _upload(north, paper, "A-1,Pens,box,1\n", user=user)
    v = _upload(north, paper, "A-1,Pens,box,1\n")
    for user in (rival, nation.users["procurement_officer"], north.users["member_admin"]):
        with pytest.raises(PermissionDenied):
            pricelists.version_approve(user=user, version=v)
    assert not pricelists.may_upload(rival, paper)
    assert pricelists.may_upload(north.users["supplier_rep"], paper)


def test_a_refused_upload_leaves_no_version(north: Any, paper: Contract) -> None:
    with pytest.raises(ValidationError):
        _upload(north, paper, "A-1,Pens,box,1\nA-2,,box,1\n")
    assert not PriceListVersion.objects.exists() and not PriceListRow.objects.exists()


def test_awarded_prices_are_a_ceiling(north: Any) -> None:
    contract = make_contract(north, number="C-2026-009")
    Contract.objects.filter(pk=contract.pk).update(source=Contract.Source.AWARD)
    contract.refresh_from_db()
    v = _upload(north, contract, "A-1,Pens,box,1\n")
    diff = pricelists.version_diff(v)
    assert diff.over_award == 0


def get_user(username: str) -> Any:
    from tests.conftest import make_user

    return make_user(username)


def test_the_diff_and_approval_ask_not_exists_never_not_in(
    north: Any, paper: Contract, ream: ContractItem
) -> None:
    # PostgreSQL runs NOT IN (SELECT ...) as a hash only while the subquery fits in work_mem
    # (about 100,000 SKUs at the default 4 MB); a million-row list was compared row by row
    # with every row and its diff never ended. NOT EXISTS is an anti-join at any size.
    v = _upload(north, paper, "CP-9000,Toner,each,60,Toner,,\n")
    with CaptureQueriesContext(connection) as queries:
        diff = pricelists.version_diff(v)
        pricelists.version_approve(user=north.users["procurement_officer"], version=v)
    assert (diff.added, diff.removed) == (1, 1)
    assert [i.sku for i in diff.removed_items] == ["CP-8511"]
    assert ContractItem.objects.get(sku="CP-8511").withdrawn_on == TODAY
    not_in = [q["sql"] for q in queries.captured_queries
              if re.search(r"NOT \([^()]*\bIN \(SELECT", q["sql"])]  # fmt: skip
    assert not not_in


def test_a_large_list_leaves_fresh_planner_statistics(
    north: Any, paper: Contract, ream: ContractItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without them (autovacuum late or off) PostgreSQL took a million freshly staged rows for
    # a few hundred and planned the diff's anti-join as a nested loop over every item: hours.
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's concern here")
    monkeypatch.setattr(pricelists, "BATCH", 2)  # "large": more rows than one batch
    with CaptureQueriesContext(connection) as queries:
        v = _upload(north, paper, "CP-8511,Copy paper,ream,4.20,Paper,,\n"
                                  "CP-9000,Toner,each,60,Toner,,\n"
                                  "CP-9001,Pens,box,5,Pens,,\n")  # fmt: skip
        pricelists.version_approve(user=north.users["procurement_officer"], version=v)
    assert [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")] == [
        "ANALYZE contracts_pricelistrow", "ANALYZE contracts_contractitem"]  # fmt: skip
