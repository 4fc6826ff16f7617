"""Resolving compliance flags: the agency records a review (decision, note, date, who); the
same evidence computed again stays resolved, changed evidence is a new flag; audited; shown
on the monitor and in the annual report; only the agency's reviewers may record one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from tests.contracts.conftest import make_contract

from edcoop.contracts import orders, services
from edcoop.contracts.orders import LineInput
from edcoop.core.models import AuditEvent
from edcoop.governance import annual, monitor
from edcoop.governance import services as governance
from edcoop.governance.models import FlagReview

TODAY = timezone.localdate()
pytestmark = pytest.mark.django_db


@pytest.fixture
def uncompeted(north):
    # The agency's own contract: another government's would also be piggybacking (GML §103(16)
    # lapsed on 2026-06-30), a second flag on each order.
    contract = make_contract(north, number="C-SOLE", solicitation_method="", solicited_on=None,
                             solicitation_reference="", lead_agency=north.agency.name,
                             starts_on=TODAY - timedelta(days=400),
                             ends_on=TODAY + timedelta(days=365))  # fmt: skip
    services.item_save(user=north.users["procurement_officer"], contract=contract, sku="DESK",
                       description="Teacher desk", unit="each", unit_price="1000.00")  # fmt: skip
    return contract


def _buy(north, contract, qty, days_ago):
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=contract, lines=[LineInput(quantity=qty, sku="DESK")],
                                ordered_on=TODAY - timedelta(days=days_ago))  # fmt: skip
    return orders.order_approve(user=north.users["member_finance"], order=order)


def _split(north):
    return next(f for f in monitor.flags_for(north.agency) if f.kind == "split")


def test_a_reviewed_flag_stays_resolved_until_its_evidence_changes(north, uncompeted):
    _buy(north, uncompeted, "12", 40)
    _buy(north, uncompeted, "9", 10)
    flag = _split(north)
    review = governance.flag_review(
        user=north.users["procurement_officer"], agency=north.agency, flag_key=flag.key,
        decision="explained", note="Two different furniture projects, board-approved.")  # fmt: skip
    assert review.reviewed_on == timezone.now().astimezone(north.agency.zone).date()
    event = AuditEvent.objects.filter(action="flag.review").get()
    assert event.changes["decision"] == [None, "explained"]
    again = monitor.with_reviews(north.agency, monitor.flags_for(north.agency))
    assert next(f for f in again if f.kind == "split").review == review
    # A third order joins the split: new evidence, a new open flag.
    _buy(north, uncompeted, "2", 5)
    now = monitor.with_reviews(north.agency, [_split(north)])
    assert now[0].key != flag.key and now[0].review is None


def test_refusals_name_the_field_and_change_nothing(north, uncompeted):
    _buy(north, uncompeted, "25", 3)
    key = next(f for f in monitor.flags_for(north.agency) if f.kind == "over_threshold").key
    officer = north.users["procurement_officer"]
    for kwargs, field in [
        ({"decision": "ignored", "note": "x"}, "decision"),
        ({"decision": "explained", "note": " \x00 "}, "note"),
        ({"decision": "explained", "note": "x" * 100_000}, "note"),
        ({"decision": "explained", "note": "x", "flag_key": "0" * 64}, "flag"),
        ({"decision": "explained", "note": "x", "reviewed_on": date(1, 1, 1)}, "reviewed_on"),
        ({"decision": "explained", "note": "x", "reviewed_on": TODAY + timedelta(days=2)},
         "reviewed_on"),
    ]:  # fmt: skip
        with pytest.raises(ValidationError) as err:
            governance.flag_review(user=officer, agency=north.agency,
                                   **{"flag_key": key, **kwargs})  # fmt: skip
        assert field in err.value.message_dict
    assert not FlagReview.objects.exists()
    governance.flag_review(user=officer, agency=north.agency, flag_key=key, decision="referred",
                           note="To the board.")  # fmt: skip
    with pytest.raises(ValidationError) as err:  # a double submit
        governance.flag_review(user=officer, agency=north.agency, flag_key=key,
                               decision="referred", note="To the board.")  # fmt: skip
    assert "already reviewed" in str(err.value) and FlagReview.objects.count() == 1


def test_only_the_agencys_reviewers_record_a_review(north, nation, uncompeted):
    _buy(north, uncompeted, "25", 3)
    key = next(f for f in monitor.flags_for(north.agency) if f.kind == "over_threshold").key
    for role in ("auditor", "member_admin", "member_finance", "member_buyer", "supplier_rep",
                 "evaluator"):  # fmt: skip
        with pytest.raises(PermissionDenied):
            governance.flag_review(user=north.users[role], agency=north.agency, flag_key=key,
                                   decision="explained", note="x")  # fmt: skip
    with pytest.raises((PermissionDenied, ValidationError)):
        governance.flag_review(user=nation.users["procurement_officer"], agency=north.agency,
                               flag_key=key, decision="explained", note="x")  # fmt: skip
    url = "/a/north/compliance/monitor/review/"
    body = {"flag": key, "decision": "explained", "note": "x"}
    auditor = Client()
    auditor.force_login(north.users["auditor"])
    assert auditor.post(url, body).status_code == 403
    outsider = Client()
    outsider.force_login(nation.users["procurement_officer"])
    assert outsider.post(url, body).status_code == 404
    assert not FlagReview.objects.exists()
    office = Client()
    office.force_login(north.users["business_office"])
    page = office.get("/a/north/compliance/monitor/").content.decode()
    forms = page.count("Record the review")
    assert forms >= 1
    assert office.post(url, body).status_code == 302
    page = office.get("/a/north/compliance/monitor/").content.decode()
    assert "Resolved: Explained (no breach)" in page
    assert page.count("Record the review") == forms - 1
    # The member whose order it is sees the resolution, and no form.
    finance = Client()
    finance.force_login(north.users["member_finance"])
    mine = finance.get("/a/north/compliance/monitor/").content.decode()
    assert "Resolved: Explained" in mine and "Record the review" not in mine


def test_the_annual_report_lists_flags_raised_and_resolved_in_the_year(north, uncompeted):
    from edcoop.services.fiscal import fiscal_year_of

    _buy(north, uncompeted, "25", 3)
    flag = next(f for f in monitor.flags_for(north.agency) if f.kind == "over_threshold")
    governance.flag_review(
        user=north.users["procurement_officer"], agency=north.agency, flag_key=flag.key,
        decision="corrected", note="Rebid in June.")  # fmt: skip
    year = fiscal_year_of(TODAY, north.agency.fiscal_year_start_month)
    report = annual.annual_report(north.agency, year)
    raised = [f for f in report.flags if f.kind == "over_threshold"]
    assert raised and raised[0].review is not None
    assert [r.note for r in report.resolved] == ["Rebid in June."]
    tables = {t.title: t for t in annual.tables(report)}
    assert tables["Flags resolved"].rows[0][3] == "Corrected"
    assert tables["Compliance"].rows[0][5].startswith("Corrected on")
    member = annual.annual_report(north.agency, year, north.institution)
    assert [r.note for r in member.resolved] == ["Rebid in June."]
    other = annual.annual_report(north.agency, year, north.institutions[1])
    assert other.resolved == [] and other.flags == []
    earlier = annual.annual_report(north.agency, year - 1)
    assert earlier.resolved == [] and not [f for f in earlier.flags if f.kind == "over_threshold"]
