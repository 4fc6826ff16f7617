"""Suppliers rename themselves after an opening (issue 8): a response shows the supplier's
name as it was when the response was sent, on every record made from it."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from edcoop.governance import ocds
from edcoop.members import services as member_services
from edcoop.members.models import SupplierChangeRequest
from edcoop.procurement import opening, responses
from edcoop.procurement.models import Response

from .conftest import OPENING, offer

PRICES = {"1.01": "31.25", "1.02": "52.10", "2.01": "0.2875"}


def _rename(north, name):
    rep = north.users["supplier_rep"]
    member_services.supplier_update(user=rep, supplier=north.supplier, legal_name=name)
    change = SupplierChangeRequest.objects.get(status="pending")
    member_services.supplier_change_decide(
        user=north.users["procurement_officer"], request=change, approve=True
    )
    north.supplier.refresh_from_db()
    assert north.supplier.legal_name == name


def test_a_rename_after_the_opening_does_not_rewrite_the_tabulation(north, bid, clock):
    rep = north.users["supplier_rep"]
    receipt = responses.response_submit(
        user=rep, solicitation=bid, supplier=north.supplier, data=offer(bid, PRICES)
    )
    clock.set(OPENING)
    opening.solicitation_open(user=north.users["procurement_officer"], solicitation=bid)
    _rename(north, "Renamed After Opening LLC")

    client = Client()
    url = reverse("procurement:tabulation", args=["north", bid.pk])
    for answer in (client.get(url), client.get(url + "?format=csv")):
        body = answer.content.decode("utf-8-sig")
        assert "North Paper Co" in body and "Renamed After Opening" not in body
    bid.refresh_from_db()
    release = ocds.release(bid)
    assert "Renamed After Opening" not in str(release)
    assert "North Paper Co" in str(release["parties"])

    response = Response.objects.get(is_current=True)
    assert response.supplier_legal_name == "North Paper Co"
    assert receipt.supplier == "North Paper Co"
    portal = Client()
    portal.force_login(rep)
    staff = Client()
    staff.force_login(north.users["evaluator"])
    pages = [
        portal.get(reverse("procurement:receipt",
                           args=["north", north.supplier.pk, bid.pk, response.pk])),
        staff.get(reverse("procurement:detail", args=["north", bid.pk])),
        staff.get(reverse("procurement:response", args=["north", bid.pk, response.pk])),
    ]  # fmt: skip
    for page in pages:
        assert page.status_code == 200
        assert "Renamed After Opening" not in page.content.decode()


def test_a_resubmission_after_an_approved_rename_carries_the_new_name(north, bid):
    rep = north.users["supplier_rep"]
    responses.response_submit(
        user=rep, solicitation=bid, supplier=north.supplier, data=offer(bid, PRICES)
    )
    _rename(north, "North Paper Company")
    again = responses.response_submit(
        user=rep, solicitation=bid, supplier=north.supplier, data=offer(bid, PRICES)
    )
    assert again.supplier == "North Paper Company"
    names = dict(Response.objects.values_list("version", "supplier_legal_name"))
    assert names == {1: "North Paper Co", 2: "North Paper Company"}
