"""Supplier registration and decisions, and the member and supplier portals."""

from __future__ import annotations

from typing import Any

from django.test import Client

from edcoop.core.models import AuditEvent
from edcoop.members.models import Supplier

from .conftest import ALL_ROLES, assert_audited, assert_csp_clean, client_for

CLEAR_TAX_ID = "15-1234567"  # north's supplier (see tests/conftest.py)


def test_supplier_pages_never_show_the_clear_tax_id(north: Any) -> None:
    assert north.supplier.tax_id == CLEAR_TAX_ID
    sup = north.supplier.pk
    urls = ["/a/north/suppliers/", f"/a/north/suppliers/{sup}/", "/a/north/suppliers/?format=csv",
            f"/a/north/supplier/{sup}/", f"/a/north/supplier/{sup}/edit/", "/a/north/audit/",
            f"/a/north/suppliers/{sup}/approve/"]  # fmt: skip
    seen_masked = False
    for role in ALL_ROLES:
        client = client_for(north.users[role])
        for url in urls:
            response = client.get(url)
            body = response.content.decode("utf-8-sig")
            assert CLEAR_TAX_ID not in body and "151234567" not in body, (role, url)
            seen_masked |= response.status_code == 200 and "**-***4567" in body
    assert seen_masked


def test_public_supplier_registration(north: Any) -> None:
    client = Client()
    body = client.get("/a/north/suppliers/register/").content.decode()
    assert "<legend>Certifications</legend>" in body  # checkboxes grouped and named
    assert_csp_clean(body)
    url = "/a/north/suppliers/register/"
    bad_data = {"legal_name": "Bus Co", "tax_id": "123456789", "email": "sales@bus.example"}
    bad = client.post(url, bad_data).content.decode()
    assert 'id="id_tax_id_error"' in bad and "An EIN looks like 12-3456789." in bad
    assert not Supplier.objects.filter(legal_name="Bus Co").exists()
    response = client.post(
        "/a/north/suppliers/register/",
        {"legal_name": "Bus Co", "dba": "", "tax_id": "98-7654321", "email": "sales@bus.example",
         "certifications": ["wbe", "small"], "state": "NY", "phone": "", "website": ""},
    )  # fmt: skip
    assert response.status_code == 302
    supplier = Supplier.objects.get(legal_name="Bus Co")
    assert supplier.status == "applicant" and supplier.certifications == ["wbe", "small"]
    event = AuditEvent.objects.filter(action="supplier.register").order_by("-seq").first()
    assert event is not None and "98-7654321" not in str(event.changes)
    # The same EIN again: the same thanks (nothing revealed), nothing created.
    again_data = {"legal_name": "Bus Co 2", "tax_id": "98-7654321", "email": "b@bus.example"}
    again = client.post(url, again_data)
    assert again.status_code == 302 and again.url == response.url
    assert Supplier.objects.filter(tax_id="98-7654321").count() == 1


def test_supplier_decisions_need_a_reason_to_debar(north: Any) -> None:
    officer = north.users["procurement_officer"]
    client = client_for(officer)
    sup = north.supplier
    detail = client.get(f"/a/north/suppliers/{sup.pk}/").content.decode()
    assert f"/a/north/suppliers/{sup.pk}/approve/" in detail
    client.post(f"/a/north/suppliers/{sup.pk}/approve/", {"reason": ""})
    sup.refresh_from_db()
    assert sup.status == "active"
    assert_audited("supplier.status", officer)
    body = client.post(f"/a/north/suppliers/{sup.pk}/debar/", {"reason": ""}).content.decode()
    assert 'id="id_reason_error"' in body
    sup.refresh_from_db()
    assert sup.status == "active"
    client.post(f"/a/north/suppliers/{sup.pk}/debar/", {"reason": "False certification"})
    sup.refresh_from_db()
    assert sup.status == "debarred"
    event = assert_audited("supplier.status", officer)
    assert event.changes["reason"] == [None, "False certification"]
    # A step that does not apply is not offered, nor accepted.
    assert client.post(f"/a/north/suppliers/{sup.pk}/approve/").status_code == 404
    # The business office reads suppliers but does not decide.
    office = client_for(north.users["business_office"])
    assert "/reinstate/" not in office.get(f"/a/north/suppliers/{sup.pk}/").content.decode()
    assert office.post(f"/a/north/suppliers/{sup.pk}/reinstate/").status_code == 403


def test_supplier_rep_edits_own_profile(north: Any) -> None:
    rep = north.users["supplier_rep"]
    client = client_for(rep)
    page = client.get(f"/a/north/supplier/{north.supplier.pk}/").content.decode()
    assert "North Paper Co" in page and "Applicant" in page and "Edit profile" in page
    response = client.post(
        f"/a/north/supplier/{north.supplier.pk}/edit/",
        {"legal_name": "North Paper Company", "email": "bids@northpaper.example",
         "certifications": ["mwbe"], "tax_id": "99-9999999", "state": "NY"},
    )  # fmt: skip
    assert response.status_code == 302
    north.supplier.refresh_from_db()
    # Who the supplier is changes only when the agency approves (tests/members/
    # test_supplier_identity.py follows the whole flow); the state changes at once.
    assert north.supplier.legal_name == "North Paper Co"
    assert north.supplier.certifications == []
    assert north.supplier.state == "NY"
    assert north.supplier.tax_id == CLEAR_TAX_ID  # "tax_id" is not a field of this form
    assert_audited("supplier.update", rep)
    page = client.get(f"/a/north/supplier/{north.supplier.pk}/").content.decode()
    assert "Requested changes" in page and "Legal name: North Paper Company" in page
    assert "MWBE" in page and "Pending" in page


def test_member_portal_shows_the_institution(north: Any) -> None:
    client = client_for(north.users["member_finance"])
    body = client.get(f"/a/north/institution/{north.institution.pk}/").content.decode()
    assert "North District 1" in body and "Active" in body
    assert "FY2026" in body and "$812,345,678.00" in body and "0.6150" in body
    assert "Edit website" not in body  # finance reads only
    assert_csp_clean(body)


def test_member_admin_edits_website_city_county_only(north: Any) -> None:
    admin = north.users["member_admin"]
    client = client_for(admin)
    url = f"/a/north/institution/{north.institution.pk}/edit/"
    form = client.get(url).content.decode()
    assert 'name="website"' in form and 'name="name"' not in form
    response = client.post(url, {"website": "https://north1.example.org", "city": "Fulton",
                                 "county": "Oswego", "name": "Hacked"})  # fmt: skip
    assert response.status_code == 302
    north.institution.refresh_from_db()
    assert north.institution.city == "Fulton" and north.institution.name == "North District 1"
    assert_audited("institution.update", admin)
    bad = client.post(url, {"website": "not a url"}).content.decode()
    assert 'id="id_website_error"' in bad
    buyer = client_for(north.users["member_buyer"])
    assert buyer.post(url, {"city": "Elsewhere"}).status_code == 403
    north.institution.refresh_from_db()
    assert north.institution.city == "Fulton"
