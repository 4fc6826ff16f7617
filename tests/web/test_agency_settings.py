"""The agency's own facts are set on its settings page, by its administrator only, audited,
and used by the next invoices and the public pages."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from edcoop.core.models import AuditEvent
from edcoop.members.models import Agency

from .conftest import client_for

URL = "/a/north/settings/"


def form(**over: Any) -> dict[str, Any]:
    data = {
        "name": "North BOCES", "email": "ar@north.example.org", "phone": "(585) 555-0100",
        "website": "", "address": "1 Main St\nNorth, NY 14400", "tax_id": "16-1234567",
        "remit_to": "PO Box 9\nNorth, NY 14400", "payment_instructions": "Checks to North BOCES.",
        "payment_terms_days": "45", "paper_size": "letter", "fiscal_year_start_month": "7",
        "membership_terms": "Component districts share the budget by RWADA.",
        "accepting_applications": "on",
    }  # fmt: skip
    data.update(over)
    return data


def test_only_the_agency_admin_opens_it(north: Any, nation: Any) -> None:
    assert client_for(north.users["agency_admin"]).get(URL).status_code == 200
    for role in ("business_office", "procurement_officer", "auditor", "member_admin",
                 "supplier_rep"):  # fmt: skip
        assert client_for(north.users[role]).get(URL).status_code in (403, 404), role
    assert client_for(nation.users["agency_admin"]).get(URL).status_code in (403, 404)
    assert client_for(north.users["business_office"]).post(URL, form()).status_code in (403, 404)
    assert Agency.objects.get(pk=north.agency.pk).payment_terms_days == 30


def test_saving_updates_the_facts_and_the_audit_trail(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    response = client.post(URL, form())
    assert response.status_code == 302
    agency = Agency.objects.get(pk=north.agency.pk)
    assert agency.payment_terms_days == 45 and agency.remit_to.startswith("PO Box 9")
    event = AuditEvent.objects.filter(action="agency.update").latest("pk")
    assert event.changes["payment_terms_days"] == [30, 45]
    assert "share the budget by RWADA" in client.get("/a/north/join/").content.decode()


def test_bad_terms_are_refused_by_name_and_nothing_changes(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    body = client.post(URL, form(payment_terms_days="400", tax_id="x" * 30)).content.decode()
    assert "Payment terms (days)" in body and "365" in body
    assert 'value="400"' in body  # what was typed stays
    assert Agency.objects.get(pk=north.agency.pk).payment_terms_days == 30


def image(kind: str = "PNG", size: tuple[int, int] = (1200, 300)) -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, (31, 59, 92)).save(out, format=kind)
    return out.getvalue()


def upload(data: bytes, name: str = "logo.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_logo_is_kept_shrunk_as_png_audited_and_only_on_its_agencys_letterhead(
    north: Any, nation: Any
) -> None:
    from PIL import Image

    from edcoop.core.templatetags.edcoop_ui import logo_src

    client = client_for(north.users["agency_admin"])
    jpeg = image("JPEG", (2400, 600))
    assert client.post(URL, {**form(), "logo": upload(jpeg, "logo.jpg", "image/jpeg")}
                       ).status_code == 302  # fmt: skip
    agency = Agency.objects.get(pk=north.agency.pk)
    kept = Image.open(BytesIO(bytes(agency.logo_png)))
    assert kept.format == "PNG" and kept.size == (600, 150)  # shrunk to the letterhead's need
    event = AuditEvent.objects.filter(action="agency.update").latest("pk")
    assert event.changes["logo"][0] is None and len(event.changes["logo"][1]) == 16
    page = client.get(URL).content.decode()
    assert "data:image/png;base64," in page  # the settings page shows the logo now in use
    assert logo_src(agency).startswith("data:image/png;base64,")
    assert logo_src(Agency.objects.get(pk=nation.agency.pk)) == ""
    # Saving again without a file keeps the logo; "remove" drops it, audited.
    client.post(URL, form())
    assert bytes(Agency.objects.get(pk=north.agency.pk).logo_png) == bytes(agency.logo_png)
    client.post(URL, {**form(), "remove_logo": "on"})
    assert bytes(Agency.objects.get(pk=north.agency.pk).logo_png) == b""
    assert AuditEvent.objects.filter(action="agency.update").latest("pk").changes["logo"][1] is None


def test_svg_text_and_huge_images_are_refused_by_name_and_nothing_changes(north: Any) -> None:
    client = client_for(north.users["agency_admin"])
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    gif = image("GIF", (100, 40))
    cases = [
        (upload(svg, "logo.svg", "image/svg+xml"), "not a PNG or JPEG"),
        (upload(b"just text", "logo.png"), "not a PNG or JPEG"),
        (upload(gif, "logo.gif", "image/gif"), "GIF is not taken"),
        (upload(image("PNG", (5000, 20))), "at most 4000"),
        (upload(image("PNG", (8, 8))), "at least 16"),
        (upload(b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024)), "at most 2 MB"),
    ]
    for file, reason in cases:
        response = client.post(URL, {**form(payment_terms_days="60"), "logo": file})
        body = response.content.decode()
        assert response.status_code == 200 and reason in body, reason
        assert "Logo" in body
    agency = Agency.objects.get(pk=north.agency.pk)
    assert bytes(agency.logo_png) == b"" and agency.payment_terms_days == 30


def test_fiscal_year_start_is_set_here_until_anything_is_counted_by_it(north: Any) -> None:
    from edcoop.billing.models import BillingRun

    client = client_for(north.users["agency_admin"])
    assert "Fiscal year begins in" in client.get(URL).content.decode()
    assert client.post(URL, form(fiscal_year_start_month="9")).status_code == 302
    assert Agency.objects.get(pk=north.agency.pk).fiscal_year_start_month == 9
    event = AuditEvent.objects.filter(action="agency.update").latest("pk")
    assert event.changes["fiscal_year_start_month"] == [7, 9]
    body = client.post(URL, form(fiscal_year_start_month="13")).content.decode()
    assert "Fiscal year begins in" in body and "Select a valid choice" in body
    BillingRun.objects.create(agency=north.agency, fiscal_year=2027, period="2026-09-01",
                              created_at="2026-09-30T12:00:00Z")
    body = client.post(URL, form(fiscal_year_start_month="7")).content.decode()
    assert "cannot change" in body and "billing runs" in body
    assert Agency.objects.get(pk=north.agency.pk).fiscal_year_start_month == 9
