"""Every text field says and keeps its limit: a free-text column declares one (forms get
``maxlength`` and "At most N characters." before the person types; ``full_clean`` refuses
longer text), every text field of an API body declares ``maxLength`` in the OpenAPI document
and longer text is refused with a 422 naming the field, never cut. At and past the limit for
a representative few, by form and by API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.core.validators import MaxLengthValidator
from django.db import models
from django.test import Client
from tests.web.conftest import client_for

from edcoop.members.forms import EdCoopForm
from edcoop.members.models import Agency, Membership
from edcoop.procurement.models import Solicitation

# Text the product writes itself (copies, logs, indexes), never typed into a field.
WRITTEN_BY_THE_PRODUCT = {
    "billing.Invoice.bill_to", "billing.Invoice.remit_to",  # copied when issued
    "contracts.AdminFeeInvoice.bill_to",  # copied from the supplier when issued
    "contracts.PurchaseOrder.bill_to", "contracts.PurchaseOrder.vendor",  # copied when
    "contracts.PurchaseOrder.contract_text",  # approved, from bounded fields
    "billing.Invoice.payment_instructions", "billing.AidRule.unconfirmed",  # seeded rules
    "members.LetterheadVersion.address", "members.LetterheadVersion.remit_to",  # copied
    "members.LetterheadVersion.payment_instructions",
    "core.Job.error",  # a background job's failure, as the worker caught it
}  # fmt: skip


def free_text_columns() -> list[models.TextField[Any, Any]]:
    return [
        field
        for model in apps.get_models()
        if model.__module__.startswith("edcoop.")
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.editable
        and f"{model._meta.label}.{field.name}" not in WRITTEN_BY_THE_PRODUCT
    ]  # fmt: skip


def test_every_free_text_column_declares_and_keeps_a_limit() -> None:
    unbounded = [
        f"{f.model._meta.label}.{f.name}"
        for f in free_text_columns()
        if not f.max_length
        or not any(isinstance(v, MaxLengthValidator) and v.limit_value == f.max_length
                   for v in f.validators)
    ]
    assert unbounded == [], "free text without a declared, validated limit"


def every_form() -> list[type[Any]]:
    import edcoop.urls  # noqa: F401  (every view, so every form module, is imported)

    seen, todo = [], [EdCoopForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            seen.append(sub)
            todo.append(sub)
    return seen


def test_every_long_text_form_field_has_a_limit() -> None:
    from django import forms

    unbounded = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in every_form()
        for name, field in form.base_fields.items()
        if isinstance(field.widget, forms.Textarea) and not getattr(field, "max_length", None)
    ]
    assert unbounded == []


def _strings_without_max_length(schema: dict[str, Any], defs: dict[str, Any],
                                where: str, seen: set[str]) -> list[str]:  # fmt: skip
    """The string properties (anywhere inside ``schema``) that declare no maxLength."""
    out: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return out
        seen.add(name)
        return _strings_without_max_length(defs[name], defs, name, seen)
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        out += _strings_without_max_length(branch, defs, where, seen)
    if schema.get("type") == "array":
        out += _strings_without_max_length(schema.get("items", {}), defs, f"{where}[]", seen)
    for prop, sub in schema.get("properties", {}).items():
        # Free text: a string that no format (date, decimal), choice list or pattern bounds.
        texts = [b for b in [sub, *sub.get("anyOf", [])] if b.get("type") == "string"
                 and not (b.get("format") or b.get("enum") or b.get("pattern"))]
        if any("maxLength" not in b for b in texts):
            out.append(f"{where}.{prop}")
        out += _strings_without_max_length(sub, defs, f"{where}.{prop}", seen)
    return out


def test_every_text_field_of_an_api_body_declares_its_max_length(db: None) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    defs = doc["components"]["schemas"]
    missing: list[str] = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                missing += _strings_without_max_length(body["schema"], defs,
                                                       f"{method} {path}", set())  # fmt: skip
    assert sorted(set(missing)) == [], "\n".join(sorted(set(missing)))


# At and past the limit -------------------------------------------------------------------


def test_the_join_form_says_the_limit_and_refuses_one_past_it(north: Any) -> None:
    limit = Membership._meta.get_field("notes").max_length
    assert limit == 2000
    client = Client()
    page = client.get("/a/north/join/").content.decode()
    field = re.search(r'<textarea[^>]*name="notes"[^>]*>', page)
    assert field and f'maxlength="{limit}"' in field.group(0)
    assert "At most 2,000 characters." in page  # said before typing
    form = {"name": "Hilltop CSD", "kind": "public_k12", "state": "NY", "county": "Oneida",
            "city": "Utica", "contact_name": "Pat Clerk", "contact_email": "pat@hilltop.example",
            "website": ""}  # fmt: skip
    refused = client.post("/a/north/join/", {**form, "notes": "n" * (limit + 1)})
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "Anything we should know" in body and "at most 2000 characters" in body
    assert not Membership.objects.filter(institution__name="Hilltop CSD").exists()
    taken = client.post("/a/north/join/", {**form, "notes": "n" * limit})
    assert taken.status_code == 302, taken.content.decode()[:2000]
    assert len(Membership.objects.get(institution__name="Hilltop CSD").notes) == limit


def test_agency_settings_refuse_a_long_how_to_pay_naming_it(north: Any) -> None:
    from tests.web.test_agency_settings import URL, form

    limit = Agency._meta.get_field("payment_instructions").max_length
    client = client_for(north.users["agency_admin"])
    assert "At most 2,000 characters." in client.get(URL).content.decode()
    refused = client.post(URL, form(payment_instructions="p" * (limit + 1))).content.decode()
    assert "How to pay" in refused and "at most 2000 characters" in refused
    assert Agency.objects.get(pk=north.agency.pk).payment_instructions == ""
    assert client.post(URL, form(payment_instructions="p" * limit)).status_code == 302
    assert len(Agency.objects.get(pk=north.agency.pk).payment_instructions) == limit


def test_the_model_refuses_what_no_form_checked(north: Any) -> None:
    """A service's save runs full_clean: the limit holds off the forms too (CLI, imports)."""
    from django.core.exceptions import ValidationError

    from edcoop.members import services

    with pytest.raises(ValidationError) as exc:
        services.agency_update(user=north.users["agency_admin"], agency=north.agency,
                               address="a" * 501)  # fmt: skip
    assert "address" in exc.value.message_dict
    assert Agency.objects.get(pk=north.agency.pk).address == ""


def test_the_api_declares_and_refuses_past_the_limit(north: Any) -> None:
    from tests.api.conftest import Api, _api_for

    doc = Client().get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["ApplicationIn"]["properties"]["notes"]["maxLength"] == 2000
    assert schemas["SolicitationIn"]["properties"]["description"]["maxLength"] == 20000
    anon = Api()
    body = {"name": "Hilltop CSD", "kind": "public_k12", "state": "NY"}
    r = anon.post("/agencies/north/applications", {**body, "notes": "n" * 2001})
    assert r.status_code == 422 and "notes" in r.content.decode()
    assert "refused rather than cut" in r.content.decode()
    assert not Membership.objects.filter(institution__name="Hilltop CSD").exists()
    r = anon.post("/agencies/north/applications", {**body, "notes": "n" * 2000})
    assert r.status_code in (201, 202), r.content
    officer = _api_for(north.users["procurement_officer"])
    draft = {"number": "IFB-LONG-1", "title": "Milk"}
    r = officer.post("/agencies/north/solicitations", {**draft, "description": "d" * 20001})
    assert r.status_code == 422 and "description" in r.content.decode()
    assert not Solicitation.objects.filter(number="IFB-LONG-1").exists()
    r = officer.post("/agencies/north/solicitations", {**draft, "description": "d" * 20000})
    assert r.status_code == 201, r.content
    assert len(Solicitation.objects.get(number="IFB-LONG-1").description) == 20000
