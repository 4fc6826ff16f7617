"""A protest still pending when the officer cancels the noticed award is decided on the
record, but its decision does not cancel the award a second time: the award keeps the
reason it was cancelled for, and the trail one cancellation."""

from __future__ import annotations

from edcoop.core.models import AuditEvent
from edcoop.procurement import awarding

from .test_evaluation import officer, recommended, three  # noqa: F401 (fixtures)


def test_deciding_a_protest_of_a_cancelled_award_keeps_its_cancellation(north, three, clock):  # noqa: F811
    bid, _second, third = three
    award = recommended(north, bid, third)
    award = awarding.award_approve(user=north.users["agency_admin"], award=award,
                                   board_resolution="2026-41", board_date=clock.now.date())
    award = awarding.award_notice(user=officer(north), award=award)
    protest = awarding.protest_file(user=north.users["supplier_rep"], award=award,
                                    supplier=north.supplier, grounds="Certification attached.")
    awarding.award_cancel(user=officer(north), award=award, reason="The board rescinded it.")
    awarding.protest_decide(user=officer(north), protest=protest, outcome="changed",
                            decision="Moot: the award was cancelled.")
    award.refresh_from_db()
    assert award.status == "cancelled" and award.cancelled_reason == "The board rescinded it."
    assert AuditEvent.objects.filter(action="award.cancel").count() == 1
