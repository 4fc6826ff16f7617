"""Attacks on the agency's settings page: hostile logo files, fields at their limits, phone
numbers that grow when written the one way, and every role but the agency's admin."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from django.test import Client

from edcoop.members.models import Agency

from .conftest import ALL_ROLES, client_for
from .test_agency_settings import URL, form, image, upload


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds almost none of them."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))  # fmt: skip

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))  # fmt: skip


def _admin() -> Client:
    return Client(raise_request_exception=False)


def test_a_polyglot_logo_keeps_only_its_pixels(north: Any) -> None:
    """Held: a PNG carrying HTML and script after its end is re-encoded; none of it is kept."""
    client = client_for(north.users["agency_admin"])
    payload = b"<html><script>alert(document.cookie)</script></html>"
    sent = client.post(URL, {**form(), "logo": upload(image("PNG", (200, 80)) + payload)})
    assert sent.status_code == 302
    kept = bytes(Agency.objects.get(pk=north.agency.pk).logo_png)
    assert kept.startswith(b"\x89PNG") and b"script" not in kept


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),  # a 0-byte file
    (_png_header(100_000, 100_000), "not a PNG or JPEG"),  # a decompression bomb
    (_png_header(4000, 4001), "at most 4000"),
    # Cut short: refused although weasyprint, once imported, sets Pillow's process-wide
    # LOAD_TRUNCATED_IMAGES, after which Pillow itself would pad it with grey.
    (image("PNG", (200, 80))[:-30], "cut short"),
    (image("JPEG", (200, 80))[:-30], "cut short"),
])  # fmt: skip
def test_hostile_logos_are_refused_by_name(north: Any, data: bytes, reason: str) -> None:
    import weasyprint  # noqa: F401 (as in production: the cut-short cases must survive it)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    client = _admin()
    client.force_login(north.users["agency_admin"])
    sent = client.post(URL, {**form(), "logo": upload(data)})
    assert sent.status_code == 200 and reason in sent.content.decode(), reason
    assert bytes(Agency.objects.get(pk=north.agency.pk).logo_png) == b""


LONG_PHONE = "+33142685300ext12345678901234567890"  # 35 typed, 43 written the one way


@pytest.mark.parametrize("phone", [
    LONG_PHONE,
    "+86 139 1234 5678 ext 12345678901234567890",
])  # fmt: skip
def test_a_phone_never_outgrows_its_column(north: Any, phone: str) -> None:
    client = _admin()
    client.force_login(north.users["agency_admin"])
    sent = client.post(URL, form(phone=phone))
    agency = Agency.objects.get(pk=north.agency.pk)
    if sent.status_code == 302:
        assert len(agency.phone) <= 40, agency.phone
    else:
        assert sent.status_code == 200 and 'id="id_phone_error"' in sent.content.decode()
        assert agency.phone != phone


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != "agency_admin"])
def test_no_other_role_saves_the_settings_or_a_logo(north: Any, nation: Any, role: str) -> None:
    """Held: agency.settings is the agency admin's alone, and another agency's admin's never."""
    for user in (north.users[role], nation.users["agency_admin"]):
        sent = client_for(user).post(URL, {**form(name="Hijacked"),
                                           "logo": upload(image("PNG", (200, 80)))})  # fmt: skip
        assert sent.status_code in (403, 404), (role, user)
    agency = Agency.objects.get(pk=north.agency.pk)
    assert agency.name != "Hijacked" and bytes(agency.logo_png) == b""


def test_fields_at_and_over_their_limits(north: Any) -> None:
    """Held: at the limit is kept; one past is refused by name; nothing changes."""
    client = _admin()
    client.force_login(north.users["agency_admin"])
    over = client.post(URL, form(name="N" * 201, address="a" * 501, payment_instructions="p" * 2001,
                                 website="https://" + "w" * 300 + ".example.org"))  # fmt: skip
    body = over.content.decode()
    assert over.status_code == 200
    for field in ("name", "address", "payment_instructions", "website"):
        assert f'id="id_{field}_error"' in body, field
    assert Agency.objects.get(pk=north.agency.pk).name == "North Agency"
    at = client.post(URL, form(name="N" * 200, address="a" * 500))
    assert at.status_code == 302
    assert Agency.objects.get(pk=north.agency.pk).name == "N" * 200
    bad_month = client.post(URL, form(fiscal_year_start_month="13"))
    assert bad_month.status_code == 200 and 'id="id_fiscal_year_start_month_error"' in (
        bad_month.content.decode())  # fmt: skip


def test_a_phone_that_outgrows_its_column_is_refused_to_anyone_joining(north: Any) -> None:
    """The join form is open to everyone: on PostgreSQL the 42-character phone was a 500."""
    from tests.web.test_join_and_decide import GOOD

    from edcoop.members.models import Membership

    anyone = Client(raise_request_exception=False)
    sent = anyone.post("/a/north/join/", {**GOOD, "contact_phone": LONG_PHONE})
    assert sent.status_code == 200 and "contact_phone" in sent.content.decode()
    assert not Membership.objects.filter(institution__name=GOOD["name"]).exists()


def test_a_supplier_cannot_store_a_phone_past_its_column_through_the_api(north: Any) -> None:
    from tests.api.conftest import _api_for as api_for

    rep = api_for(north.users["supplier_rep"])
    rep.client.raise_request_exception = False
    answer = rep.patch(f"/agencies/north/suppliers/{north.supplier.pk}", {"phone": LONG_PHONE})
    assert answer.status_code in (400, 422) and "phone" in answer.content.decode()
    north.supplier.refresh_from_db()
    assert len(north.supplier.phone) <= 40
