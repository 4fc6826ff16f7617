"""The public records page: what anyone reads, what only the business office posts, and
that nothing sealed or withdrawn shows."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.procurement.test_services import submit
from tests.web.conftest import ALL_ROLES, client_for

from edcoop.core.models import AuditEvent
from edcoop.governance.models import PublicDocument

PDF = b"%PDF-1.4\n% adopted budget\n"


def post(client: Any, **extra: Any) -> Any:
    return client.post("/a/north/transparency/documents/new/", {
        "kind": "adopted_budget", "fiscal_year": "2027", "title": "FY2027 adopted budget",
        "file": SimpleUploadedFile("budget.pdf", PDF, content_type="application/pdf"), **extra,
    })  # fmt: skip


def test_anyone_reads_the_page_and_nothing_sealed_shows(north: Any, bid: Any) -> None:
    submit(north, bid, {"2.01": "0.2875"})
    body = client_for(None).get("/a/north/transparency/").content.decode()
    assert "IFB-2026-01" in body and "0.2875" not in body
    assert "No bids have been opened yet" in body
    assert "/api/v1/ocds/releases?agency=north" in body


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_business_office_and_admin_post(north: Any, role: str) -> None:
    response = post(client_for(north.users[role]))
    expected = 302 if role in {"agency_admin", "business_office"} else 403
    assert response.status_code == expected


def test_posted_then_withdrawn(north: Any, nation: Any) -> None:
    office = client_for(north.users["business_office"])
    assert post(office).status_code == 302
    document = PublicDocument.objects.get(agency=north.agency)
    assert AuditEvent.objects.filter(action="public_document.post").count() == 1
    anon = client_for(None)
    assert b"FY2027 adopted budget" in anon.get("/a/north/transparency/").content
    download = anon.get(f"/a/north/transparency/documents/{document.pk}/")
    assert download.status_code == 200 and download.content == PDF
    # Another agency's page never lists it, and its URL under another agency is 404.
    assert anon.get(f"/a/nation/transparency/documents/{document.pk}/").status_code == 404
    # A file that is not what its name says is refused, and nothing is posted.
    fake = post(office, file=SimpleUploadedFile("budget.pdf", b"MZ\x90\x00",
                                                content_type="application/pdf"))  # fmt: skip
    assert fake.status_code == 200 and "not a PDF" in fake.content.decode()
    assert PublicDocument.objects.count() == 1
    empty = office.post(f"/a/north/transparency/documents/{document.pk}/withdraw/",
                        {"reason": " "})  # fmt: skip
    assert empty.status_code == 200
    office.post(f"/a/north/transparency/documents/{document.pk}/withdraw/",
                {"reason": "Posted the draft by mistake."})  # fmt: skip
    assert b"FY2027 adopted budget" not in anon.get("/a/north/transparency/").content
    assert anon.get(f"/a/north/transparency/documents/{document.pk}/").status_code == 404


def test_contracts_in_force_show_with_who_may_use_them(
    north: Any, django_assert_max_num_queries: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from tests.contracts.conftest import make_contract

    today = timezone.localdate()
    make_contract(north, number="C-NOW", starts_on=today - timedelta(days=30),
                  ends_on=today + timedelta(days=300), admin_fee_pct="2.75")  # fmt: skip
    make_contract(north, number="C-GONE", starts_on=today - timedelta(days=800),
                  ends_on=today - timedelta(days=400), renewal_options=0)  # fmt: skip
    anyone = client_for(None)
    body = anyone.get("/a/north/transparency/").content.decode()
    assert "C-NOW" in body and "C-GONE" not in body
    assert "Members anywhere (national)" in body and "IFB (sealed bid)" in body
    assert "2.75" not in body  # the admin fee is not the public's
    for i in range(5):
        make_contract(north, number=f"C-MORE-{i}", starts_on=today - timedelta(days=3),
                      ends_on=today + timedelta(days=30))  # fmt: skip
    with django_assert_max_num_queries(25):  # no query per contract
        body = anyone.get("/a/north/transparency/").content.decode()
    assert "C-MORE-4" in body


def test_an_award_shows_once_noticed(north: Any, bid: Any, clock: Any) -> None:
    from django.utils import timezone

    from edcoop.procurement.models import Award

    award = Award.objects.create(solicitation=bid, method=Award.Method.LOWEST_PRICE,
                                 basis="Lowest responsive responsible bidder on every line.",
                                 recommended_at=timezone.now())  # fmt: skip
    anyone = client_for(None)
    assert (
        "Lowest responsive responsible" not in anyone.get("/a/north/transparency/").content.decode()
    )
    award.status, award.noticed_at, award.board_resolution = "noticed", timezone.now(), "2026-41"
    award.save()
    body = anyone.get("/a/north/transparency/").content.decode()
    assert "Lowest responsive responsible bidder on every line." in body and "2026-41" in body


def test_the_public_pages_cost_the_same_queries_for_more_bids(north: Any, clock: Any) -> None:
    """Fast: the public records page and the bid list read a fixed number of queries, never one
    (or more) per solicitation, award or document."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from tests.procurement.conftest import build_bid

    from edcoop.procurement.models import Award

    def cost() -> dict[str, int]:
        out = {}
        for url in ("/a/north/transparency/", "/a/north/bids/"):
            with CaptureQueriesContext(connection) as queries:
                assert client_for(None).get(url).status_code == 200
            out[url] = len(queries.captured_queries)
        return out

    def more(number: str) -> None:
        bid = build_bid(north, number=number)
        now = timezone.now()
        Award.objects.create(solicitation=bid, method=Award.Method.LOWEST_PRICE,
                             basis=f"Low bid on {number}.", status="noticed",
                             recommended_at=now, noticed_at=now)  # fmt: skip

    more("IFB-2026-01")
    one = cost()
    for i in range(2, 6):
        more(f"IFB-2026-0{i}")
    assert cost() == one
    body = client_for(None).get("/a/north/transparency/").content.decode()
    assert all(f"Low bid on IFB-2026-0{i}." in body for i in range(1, 6))  # every award shown


def test_a_visitor_writes_nothing(north: Any) -> None:
    """Read-only: every write of the public pages asks a visitor to sign in, and nothing
    changes."""
    from edcoop.governance import services
    from edcoop.governance.models import SavingsStudy

    office = client_for(north.users["business_office"])
    assert post(office).status_code == 302
    document = PublicDocument.objects.get(agency=north.agency)
    study = services.study_create(
        user=north.users["business_office"], agency=north.agency, title="Study",
        service_name="CBO", fiscal_year=2026, basis="equal", shared_cost="1000",
        aidable=False, sensitivity_pct="10",
    )  # fmt: skip
    events = AuditEvent.objects.count()
    visitor = client_for(None)
    assert post(visitor).status_code == 302
    for url in (f"/a/north/transparency/documents/{document.pk}/withdraw/",
                "/a/north/studies/new/", f"/a/north/studies/{study.pk}/publish/",
                f"/a/north/studies/{study.pk}/copy/", f"/a/north/studies/{study.pk}/edit/"):
        answer = visitor.post(url, {"reason": "x", "title": "Mine", "service_name": "x"})
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"], url
    assert AuditEvent.objects.count() == events
    assert PublicDocument.objects.filter(agency=north.agency).count() == 1
    assert SavingsStudy.objects.get(pk=study.pk).status == "draft"
    assert SavingsStudy.objects.count() == 1
