"""A member's annual report is read by the member's administrator and finance officer, who
are not the agency's staff: it shows what the public may see of a solicitation, never how
many sealed responses came in before the opening nor an award before its notice."""

from __future__ import annotations

from tests.procurement.conftest import offer
from tests.procurement.test_evaluation import officer, recommended, three  # noqa: F401

from edcoop.governance import annual
from edcoop.procurement import awarding, responses
from edcoop.services.fiscal import fiscal_year_of


def _line(report):
    (line,) = report.solicitations
    return line


def test_a_members_report_counts_no_sealed_response(north, bid, clock):
    responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                              supplier=north.supplier,
                              data=offer(bid, {"1.01": "30.00", "1.02": "50.00",
                                               "2.01": "0.2500"}))  # fmt: skip
    year = fiscal_year_of(bid.published_at.astimezone(north.agency.zone).date(),
                          north.agency.fiscal_year_start_month)  # fmt: skip
    assert _line(annual.annual_report(north.agency, year)).responses == 1  # the agency's own
    member = annual.annual_report(north.agency, year, north.institutions[0])
    assert _line(member).responses is None


def test_a_members_report_shows_an_award_only_once_noticed(north, three, clock):  # noqa: F811
    bid, _second, third = three
    award = recommended(north, bid, third)
    year = fiscal_year_of(bid.published_at.astimezone(north.agency.zone).date(),
                          north.agency.fiscal_year_start_month)  # fmt: skip
    member = _line(annual.annual_report(north.agency, year, north.institutions[0]))
    assert member.award == "" and member.responses == 3  # opened: the count is public
    assert "Recommended" in _line(annual.annual_report(north.agency, year)).award
    award = awarding.award_approve(user=north.users["agency_admin"], award=award,
                                   board_resolution="2026-41",
                                   board_date=clock.now.astimezone(north.agency.zone).date())
    assert _line(annual.annual_report(north.agency, year, north.institutions[0])).award == ""
    awarding.award_notice(user=officer(north), award=award)
    member = _line(annual.annual_report(north.agency, year, north.institutions[0]))
    assert member.award.startswith("Notice of award sent")
