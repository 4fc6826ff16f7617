"""The opening handles each response on its own: a response that cannot be read is a
finding on the tabulation, never a failed opening; ``open-due`` goes on after a failure.
Run on SQLite and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.urls import reverse
from tests.api.conftest import _api_for

from edcoop.procurement import opening, responses, sealing
from edcoop.procurement.models import BidLine, Response, Solicitation

from .conftest import OPENING, build_bid, offer, second_supplier

pytestmark = pytest.mark.django_db


def _two_bids(north, bid):
    responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                              supplier=north.supplier,
                              data=offer(bid, {"1.01": "31.25", "1.02": "52.10"}))  # fmt: skip
    other, rep = second_supplier(north)
    responses.response_submit(user=rep, solicitation=bid, supplier=other,
                              data=offer(bid, {"1.01": "30.00", "1.02": "55"}))  # fmt: skip
    return Response.objects.get(supplier=north.supplier), Response.objects.get(supplier=other)


def _public_pages_answer(north, bid, client):
    tab = reverse("procurement:tabulation", args=["north", bid.pk])
    for url in (tab, tab + "?format=csv", tab + "?format=xlsx"):
        assert client.get(url).status_code == 200, url
    api = _api_for(north.users["auditor"])
    assert api.get(f"/agencies/north/solicitations/{bid.pk}/tabulation").status_code == 200
    assert api.get(f"/agencies/north/solicitations/{bid.pk}/ocds").status_code == 200
    return client.get(tab).content.decode()


def test_a_corrupt_ciphertext_is_a_finding_and_the_rest_opens(north, bid, clock, client):
    corrupt, good = _two_bids(north, bid)
    Response.objects.filter(pk=corrupt.pk).update(sealed=b"gAAAAAB-not-a-token")
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    corrupt.refresh_from_db()
    assert corrupt.responsive is False
    assert corrupt.nonresponsive_reasons == [
        "Could not be read: it cannot be decrypted with the sealing key."
    ]
    assert not BidLine.objects.filter(response=corrupt).exists()
    assert BidLine.objects.filter(response=good).count() == 2
    page = _public_pages_answer(north, bid, client)
    assert "Could not be read: it cannot be decrypted with the sealing key." in page
    csv = client.get(reverse("procurement:tabulation", args=["north", bid.pk]) + "?format=csv")
    assert "Could not be read: it cannot be decrypted" in csv.content.decode()


def test_an_out_of_range_stored_price_is_a_finding_not_a_500(north, bid, clock, client):
    """A response received before bounds at the door with a price no bid line can hold."""
    corrupt, good = _two_bids(north, bid)
    content = sealing.unseal_for(north.users["supplier_rep"], corrupt)
    content["lines"][0]["unit_price"] = "12345678901.0000"
    raw = sealing.canonical(content)
    Response.objects.filter(pk=corrupt.pk).update(
        sealed=sealing.seal(raw), content_sha256=sealing.digest(raw), receipt_version=1
    )
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    corrupt.refresh_from_db()
    assert corrupt.nonresponsive_reasons[0].startswith(
        "Could not be read: item 1.01 unit price is too large"
    )
    assert BidLine.objects.filter(response=good).count() == 2
    assert "Could not be read: item 1.01 unit price is too large" in _public_pages_answer(
        north, bid, client
    )


def test_a_response_that_does_not_match_its_receipt_is_a_finding(north, bid, clock):
    corrupt, _good = _two_bids(north, bid)
    Response.objects.filter(pk=corrupt.pk).update(content_sha256="0" * 64)
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    corrupt.refresh_from_db()
    assert corrupt.nonresponsive_reasons == [
        "Could not be read: its content does not match its receipt hash."
    ]


def test_no_readable_response_at_all_stops_the_opening_and_changes_nothing(
    north, bid, clock, settings
):
    from cryptography.fernet import Fernet

    _two_bids(north, bid)
    settings.EDCOOP_SEALING_KEY = Fernet.generate_key().decode()  # the wrong key
    clock.set(OPENING)
    with pytest.raises(ImproperlyConfigured, match="EDCOOP_SEALING_KEY"):
        opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    assert bid.status == "published" and bid.opened_at is None
    assert not BidLine.objects.exists()
    assert not Response.objects.filter(responsive__isnull=False).exists()


def test_open_due_opens_each_on_its_own_and_reports_a_failure(north, bid, clock):
    second = build_bid(north, number="IFB-2026-02")
    _two_bids(north, bid)
    responses.response_submit(user=north.users["supplier_rep"], solicitation=second,
                              supplier=north.supplier,
                              data=offer(second, {"1.01": "1", "1.02": "2"}))  # fmt: skip
    # Every response of the first solicitation is unreadable: it cannot open.
    Response.objects.filter(solicitation=bid).update(sealed=b"gAAAAAB-not-a-token")
    clock.set(OPENING)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("procurement", "open-due", stdout=out, stderr=err)
    assert failed.value.returncode == 1
    assert "opened north IFB-2026-02" in out.getvalue()
    assert "NOT opened north IFB-2026-01: No sealed response can be decrypted" in err.getvalue()
    assert Solicitation.objects.get(pk=second.pk).status == "opened"
    assert Solicitation.objects.get(pk=bid.pk).opened_at is None
