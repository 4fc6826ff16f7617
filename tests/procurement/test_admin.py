"""An operator cannot move a published solicitation's deadline or opening in the Django
admin (issue 8): bidders were told those times; only an addendum changes them."""

from __future__ import annotations

from edcoop.procurement.models import Solicitation

from .conftest import DUE, OPENING, build_bid


def test_a_published_solicitations_timeline_is_read_only_in_the_admin(bid, admin_client):
    url = f"/admin/procurement/solicitation/{bid.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="responses_due_at_0"' not in page and 'name="opening_at_0"' not in page
    forged = {
        "responses_due_at_0": "2026-03-03",
        "responses_due_at_1": "09:00:00",
        "opening_at_0": "2026-03-03",
        "opening_at_1": "10:00:00",
        "title": "Moved",
    }
    admin_client.post(url, forged)
    after = Solicitation.objects.get(pk=bid.pk)
    assert (after.responses_due_at, after.opening_at, after.title) == (
        DUE,
        OPENING,
        "Copy paper and milk",
    )
    assert admin_client.get(f"/admin/procurement/solicitation/{bid.pk}/delete/").status_code == 403


def test_a_draft_stays_editable_in_the_admin(north, clock, admin_client):
    draft = build_bid(north, number="IFB-2026-09", publish=False)
    page = admin_client.get(f"/admin/procurement/solicitation/{draft.pk}/change/").content
    assert b'name="responses_due_at_0"' in page and b'name="opening_at_0"' in page
