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
