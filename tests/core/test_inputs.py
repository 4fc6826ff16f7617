"""Attacks at the door that are not numbers: NUL characters (PostgreSQL refuses them in
text), moments in year 1 or 9999 (they overflow when moved between time zones), text longer
than its column, and JSON null in a PATCH. Each is refused with the field named, in pages,
forms, query strings and the API alike, and nothing is written."""

from __future__ import annotations

import html

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from tests.web.conftest import assert_csp_clean, client_for

from edcoop.core.inputs import CheckedInputsMixin
from edcoop.members.models import Institution, Membership, Supplier, SupplierChangeRequest

APPLICATION = {"name": "Hilltop CSD", "kind": "public_k12", "state": "NY"}


# NUL characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/agencies/north/applications", {**APPLICATION, "name": "Hill\x00top"}, "name"),
        ("/agencies/north/applications", {**APPLICATION, "notes": "\x00"}, "notes"),
        ("/agencies/north/suppliers", {"legal_name": "A\x00B", "tax_id": "12-3456780"},
         "legal_name"),
    ],
)  # fmt: skip
def test_nul_in_a_public_api_body_is_422_naming_the_field(north, anon, state, path, body, field):
    before = state()
    r = anon.post(path, body)
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["field"] == field
    assert "NUL" in r.json()["detail"]
    assert state() == before


def test_nul_in_a_patch_and_in_a_list_item_is_refused(north, api_for, state):
    admin = api_for(north.users["agency_admin"])
    before = state()
    r = admin.patch(f"/agencies/north/institutions/{north.institution.pk}", {"city": "a\x00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "city"
    r = admin.post("/agencies/north/solicitations", {"number": "N-1", "title": "T",
                                                     "eligible_kinds": ["public_k12\x00"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "eligible_kinds"
    assert state() == before


def test_nul_in_a_query_parameter_or_the_address_is_refused(north, api_for):
    admin = api_for(north.users["agency_admin"])
    r = admin.get("/agencies/north/institutions", q="a\x00")
    assert r.status_code == 400
    assert r.json() == {"detail": "The query parameter 'q' contains a NUL character "
                                  "(\\u0000), which is not text."}  # fmt: skip
    r = admin.client.get("/api/v1/agencies/no%00rth/institutions", headers=admin._headers())
    assert r.status_code == 404
    page = client_for(north.users["agency_admin"]).get("/a/north/members/", {"q": "x\x00"})
    assert page.status_code == 400
    assert "contains a NUL character" in page.content.decode()
    assert_csp_clean(page.content.decode())


def test_nul_in_a_public_form_is_refused_naming_the_field(north):
    before = Institution.objects.count()
    r = Client().post(reverse("members:join", args=["north"]), {
        "name": "Hill\x00top", "kind": "public_k12", "state": "NY", "contact_name": "Dana",
        "contact_email": "dana@hilltop.example"})  # fmt: skip
    assert r.status_code == 400
    assert "The field 'name' contains a NUL character" in html.unescape(r.content.decode())
    assert Institution.objects.count() == before


def test_every_edcoop_form_field_refuses_nul_and_far_dates():
    class Sample(CheckedInputsMixin, forms.Form):
        kind = forms.ChoiceField(choices=[("a\x00", "odd")])
        when = forms.DateTimeField()
        day = forms.DateField()

    form = Sample({"kind": "a\x00", "when": "9999-12-31 23:59", "day": "0001-01-01"})
    assert not form.is_valid()
    assert "NUL" in form.errors["kind"][0]
    assert "between the years 1900 and 2999" in form.errors["when"][0]
    assert "between the years 1900 and 2999" in form.errors["day"][0]


# Moments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"])
def test_a_far_moment_in_the_api_is_422_naming_the_field(north, api_for, moment):
    r = api_for(north.users["procurement_officer"]).post(
        "/agencies/north/solicitations",
        {"number": "F-1", "title": "Far", "responses_due_at": moment},
    )
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["field"] == "responses_due_at"
    assert not north.agency.solicitations.filter(number="F-1").exists()


@pytest.mark.parametrize("local", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_far_moment_in_a_form_is_a_field_error(north, local):
    c = client_for(north.users["procurement_officer"])
    r = c.post(reverse("procurement:create", args=["north"]), {
        "number": "F-2", "title": "Far", "kind": "rfq", "eligibility": "service_area",
        "responses_due_at": local, "opening_at": "2026-03-20T15:00",
    })  # fmt: skip
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="id_responses_due_at_error"' in body
    assert "between the years 1900 and 2999" in body
    assert not north.agency.solicitations.filter(number="F-2").exists()


# Lengths -----------------------------------------------------------------------------------


def test_a_100000_character_name_is_refused_not_cut(north, anon, state):
    before = state()
    r = anon.post("/agencies/north/applications", {**APPLICATION, "name": "x" * 100_000})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["field"] == "name"
    assert "100,000 characters long; at most 200" in err["msg"]
    assert "xxxxxxxxxx" not in r.content.decode()  # never echoed back
    assert state() == before


@pytest.mark.parametrize(
    ("field", "limit"),
    [("nces_id", 12), ("contact_name", 200), ("contact_email", 254), ("website", 200)],
)
def test_every_text_field_is_bounded_by_its_column(north, anon, field, limit):
    r = anon.post("/agencies/north/applications", {**APPLICATION, field: "1" * (limit + 1)})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


def test_lengths_are_declared_in_openapi(db):
    doc = Client().get("/api/v1/openapi.json").json()
    props = doc["components"]["schemas"]["ApplicationIn"]["properties"]
    assert props["name"]["maxLength"] == 200
    assert props["nces_id"]["maxLength"] == 12
    assert props["contact_phone"]["maxLength"] == 40
    patch = doc["components"]["schemas"]["SupplierPatch"]["properties"]
    assert {"type": "string", "maxLength": 200} in patch["dba"]["anyOf"]


# JSON null in a PATCH ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["county", "city", "website", "nces_id", "ipeds_id",
                                   "beds_code"])  # fmt: skip
def test_null_clears_an_optional_institution_field(north, api_for, field):
    inst = north.institution
    Institution.objects.filter(pk=inst.pk).update(
        county="Erie", city="Buffalo", website="https://x.example", nces_id="3600001",
        ipeds_id="123456", beds_code="123456789012")  # fmt: skip
    r = api_for(north.users["agency_admin"]).patch(
        f"/agencies/north/institutions/{inst.pk}", {field: None}
    )
    assert r.status_code == 200, r.content
    assert r.json()[field] == ""
    assert getattr(Institution.objects.get(pk=inst.pk), field) == ""


@pytest.mark.parametrize("field", ["dba", "phone", "website", "state"])
def test_null_clears_an_optional_supplier_field(north, api_for, field):
    Supplier.objects.filter(pk=north.supplier.pk).update(
        dba="NPC", email="a@b.example", phone="(585) 555-0140", website="https://n.example",
        state="NY")
    r = api_for(north.users["supplier_rep"]).patch(
        f"/agencies/north/suppliers/{north.supplier.pk}", {field: None})
    assert r.status_code == 200, r.content
    assert r.json()[field] == ""


def test_null_contact_email_is_refused_naming_the_field(north, api_for):
    # Logins and notices go to the contact: a supplier cannot be left without one.
    Supplier.objects.filter(pk=north.supplier.pk).update(email="a@b.example")
    r = api_for(north.users["supplier_rep"]).patch(
        f"/agencies/north/suppliers/{north.supplier.pk}", {"email": None})
    assert r.status_code == 400 and "email" in r.json()["errors"]
    assert Supplier.objects.get(pk=north.supplier.pk).email == "a@b.example"


def test_null_certifications_become_a_request_the_agency_decides(north, api_for):
    # Certifications decide who was awarded what: clearing them waits for the agency.
    Supplier.objects.filter(pk=north.supplier.pk).update(certifications=["wbe"])
    r = api_for(north.users["supplier_rep"]).patch(
        f"/agencies/north/suppliers/{north.supplier.pk}", {"certifications": None})
    assert r.status_code == 200 and r.json()["certifications"] == ["wbe"]
    request = SupplierChangeRequest.objects.get(supplier=north.supplier)
    assert request.status == SupplierChangeRequest.Status.PENDING
    assert request.after.get("certifications") == []


@pytest.mark.parametrize(
    ("kind", "field"),
    [("institutions", "name"), ("institutions", "kind"), ("institutions", "state"),
     ("suppliers", "legal_name"), ("suppliers", "tax_id")],
)  # fmt: skip
def test_null_in_a_required_field_is_422(north, api_for, state, kind, field):
    pk = north.institution.pk if kind == "institutions" else north.supplier.pk
    api = api_for(north.users["agency_admin"])
    before = state()
    r = api.patch(f"/agencies/north/{kind}/{pk}", {field: None})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert state() == before


# Numbers of members (core.decimals at the door) -----------------------------------------


@pytest.mark.parametrize("raw", ["-0", "-0.00", "١٢", "1_000", "1E+3", "NaN", "1" * 40])
@pytest.mark.parametrize("field", ["rwada", "full_value", "aid_ratio"])
def test_odd_numbers_for_yearly_figures_are_refused_by_the_api(north, api_for, state, raw,
                                                              field):
    m = north.institution.membership
    api = api_for(north.users["business_office"])
    before = state()
    r = api.put(
        f"/agencies/north/memberships/{m.pk}/years/2027", {field: raw}
    )
    assert r.status_code == 422, (raw, r.content)
    assert r.json()["errors"][0]["field"] == field
    assert state() == before


@pytest.mark.parametrize("raw", ["-0", "١٢", "1_000", "1e3"])
def test_odd_numbers_for_yearly_figures_are_refused_by_the_form(north, raw):
    m = Membership.objects.get(institution=north.institution)
    c = client_for(north.users["business_office"])
    r = c.post(reverse("members:year", args=["north", m.pk]),
               {"fiscal_year": "2027", "rwada": raw})  # fmt: skip
    assert r.status_code == 200
    assert 'id="id_rwada_error"' in r.content.decode()
    assert not m.years.filter(fiscal_year=2027).exists()


def test_form_accepts_what_people_type(north):
    m = Membership.objects.get(institution=north.institution)
    c = client_for(north.users["business_office"])
    r = c.post(reverse("members:year", args=["north", m.pk]),
               {"fiscal_year": "2027", "rwada": "1,180.50", "full_value": "$812,345,678"})
    assert r.status_code == 302
    year = m.years.get(fiscal_year=2027)
    assert (str(year.rwada), str(year.full_value)) == ("1180.50", "812345678.00")


def test_the_import_refuses_nul_unicode_digits_and_far_dates(north):
    from edcoop.members.importers import ImportFailed, import_institutions

    header = "name,kind,state,joined_on,fiscal_year,rwada\n"
    rows = ("Ok CSD,public_k12,NY,0001-01-01,,\n"
            "Nul\x00 CSD,public_k12,NY,,,\n"
            "Digits CSD,public_k12,NY,,٢٠٢٦,12\n"
            "Rwada CSD,public_k12,NY,,2026,١٢\n")  # fmt: skip
    with pytest.raises(ImportFailed) as failed:
        import_institutions(user=north.users["agency_admin"], agency=north.agency,
                            data=header + rows)  # fmt: skip
    errors = failed.value.errors
    assert "joined_on must be between the years 1900 and 2999" in errors[0]
    assert "name contains a NUL character" in errors[1]
    assert "fiscal_year (e.g. 2026) is required" in errors[2]
    assert "rwada '١٢' is not a number" in errors[3]
    assert not Institution.objects.filter(name="Ok CSD").exists()


def test_solicitation_text_is_bounded_by_its_columns(north, api_for):
    r = api_for(north.users["procurement_officer"]).post(
        "/agencies/north/solicitations", {"number": "N" * 41, "title": "T"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "number"
