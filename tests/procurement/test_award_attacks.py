"""Attack on what an award shows before its notice: a recommendation cancelled before its
notice was shown in the supplier portal as if noticed. And what held: the public tabulation
and its downloads name no award before the notice."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from tests.web.conftest import client_for

from edcoop.procurement import awarding

from .test_evaluation import officer, recommended, three  # noqa: F401 (fixtures)


def _portal(north, bid):
    return reverse("procurement:award_notice", args=["north", north.supplier.pk, bid.pk])


def test_a_cancelled_recommendation_never_noticed_stays_the_agencys(north, three, clock):  # noqa: F811
    bid, _second, third = three
    award = recommended(north, bid, third)
    rep = client_for(north.users["supplier_rep"])
    assert rep.get(_portal(north, bid)).status_code == 404  # recommended: not yet public
    awarding.award_cancel(user=officer(north), award=award, reason="Wrong tie pick.")
    page = rep.get(_portal(north, bid))
    assert page.status_code == 404, "a cancelled recommendation was shown as a notice"
    assert b"Third Paper Co" not in page.content
    # A new recommendation beside the cancelled one: still nothing until its notice.
    recommended(north, bid, third)
    assert rep.get(_portal(north, bid)).status_code == 404


def test_the_public_tabulation_names_no_award_before_the_notice(north, three, clock):  # noqa: F811
    """Held: the Awarded and Award basis columns stay empty through recommendation and the
    board's approval."""
    bid, _second, third = three
    award = recommended(north, bid, third)
    awarding.award_approve(user=north.users["agency_admin"], award=award,
                           board_resolution="R-1", board_date=clock.now.date())  # fmt: skip
    anyone = client_for(None)
    url = reverse("procurement:tabulation", args=["north", bid.pk])
    for fmt in ("csv",):
        body = anyone.get(url, {"format": fmt}).content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(body)))
        assert rows and all(r["Awarded"] == "" and r["Award basis"] == "" for r in rows)
    page = anyone.get(url).content.decode()
    assert "R-1" not in page and "Lowest responsible bidder." not in page
