"""The OpenAPI document and the interactive docs, under the site's strict CSP."""

from __future__ import annotations

import json
import re

from django.test import Client

EXPECTED_PATHS = {
    "/api/v1/me": {"get"},
    "/api/v1/agencies": {"get"},
    "/api/v1/agencies/{slug}": {"get"},
    "/api/v1/agencies/{slug}/institutions": {"get"},
    "/api/v1/agencies/{slug}/institutions/{institution_id}": {"get", "patch"},
    "/api/v1/agencies/{slug}/memberships": {"get"},
    "/api/v1/agencies/{slug}/memberships/{membership_id}": {"get"},
    "/api/v1/agencies/{slug}/memberships/{membership_id}/approve": {"post"},
    "/api/v1/agencies/{slug}/memberships/{membership_id}/decline": {"post"},
    "/api/v1/agencies/{slug}/memberships/{membership_id}/status": {"post"},
    "/api/v1/agencies/{slug}/memberships/{membership_id}/dates": {"put"},
    "/api/v1/agencies/{slug}/memberships/{membership_id}/years/{fiscal_year}": {"put"},
    "/api/v1/agencies/{slug}/applications": {"post"},
    "/api/v1/agencies/{slug}/suppliers": {"get", "post"},
    "/api/v1/agencies/{slug}/suppliers/{supplier_id}": {"get", "patch"},
    "/api/v1/agencies/{slug}/suppliers/{supplier_id}/status": {"post"},
    "/api/v1/agencies/{slug}/suppliers/{supplier_id}/change-requests": {"get"},
    "/api/v1/agencies/{slug}/suppliers/{supplier_id}/change-requests/{request_id}/decision": {
        "post"
    },
    "/api/v1/agencies/{slug}/supplier-contact/confirm": {"post"},
}

# Cooperative procurement (edcoop.procurement.api).
S = "/api/v1/agencies/{slug}/solicitations"
EXPECTED_PATHS |= {
    S: {"get", "post"},
    S + "/{sid}": {"get"},
    S + "/{sid}/lots": {"post"},
    S + "/{sid}/items": {"post"},
    S + "/{sid}/criteria": {"post"},
    S + "/{sid}/publish": {"post"},
    S + "/{sid}/status": {"post"},
    S + "/{sid}/open": {"post"},
    S + "/{sid}/addenda": {"post"},
    S + "/{sid}/questions": {"post"},
    S + "/{sid}/questions/{qid}/answer": {"post"},
    S + "/{sid}/demand": {"get"},
    S + "/{sid}/demand/{institution_id}": {"put"},
    S + "/{sid}/responses": {"get", "post"},
    S + "/{sid}/responses/{rid}": {"get"},
    S + "/{sid}/responses/withdraw": {"post"},
    S + "/{sid}/tabulation": {"get"},
    S + "/{sid}/ocds": {"get"},
    S + "/{sid}/findings": {"get"},
    S + "/{sid}/findings/propose": {"post"},
    S + "/{sid}/findings/{fid}": {"post"},
    S + "/{sid}/award": {"get", "post"},
    S + "/{sid}/award/preview": {"get"},
    S + "/{sid}/award/approve": {"post"},
    S + "/{sid}/award/{step}": {"post"},
}

# Shared services and billing (edcoop.billing.api).
B = "/api/v1/agencies/{slug}"
EXPECTED_PATHS |= {
    B + "/services": {"get"},
    B + "/subscriptions": {"get"},
    B + "/subscriptions/{subscription_id}/dates": {"put"},
    B + "/usage": {"get", "post"},
    B + "/billing/runs": {"get"},
    B + "/invoices": {"get"},
    B + "/invoices/{invoice_id}": {"get"},
    B + "/invoices/{invoice_id}/lines/{line_id}/memos": {"post"},
    B + "/payments": {"get", "post"},
    B + "/payments/{payment_id}": {"get"},
    B + "/payments/{payment_id}/reverse": {"post"},
    B + "/memberships/{membership_id}/statement": {"get"},
    B + "/compliance/check": {"get"},
    "/api/v1/ocds/releases": {"get"},
    # Contracts and purchasing
    B + "/contracts": {"get"},
    B + "/contracts/{contract_id}": {"get"},
    B + "/contracts/{contract_id}/sales-reports": {"post"},
    B + "/contracts/{contract_id}/price-lists": {"get", "post"},
    B + "/contracts/{contract_id}/price-lists/{number}": {"get"},
    B + "/contracts/{contract_id}/price-lists/uploads/{job_id}": {"get"},
    B + "/contracts/{contract_id}/price-lists/{number}/approve": {"post"},
    B + "/contracts/{contract_id}/price-lists/{number}/reject": {"post"},
    B + "/fee-invoices/{invoice_id}/payments": {"post"},
    B + "/sales-reports/{report_id}/amendments": {"post"},
    B + "/orders": {"post"},
    B + "/orders/{order_id}": {"get"},
    B + "/orders/{order_id}/{step}": {"post"},
    B + "/sales-reports/{report_id}": {"get"},
}


def test_openapi_json_lists_every_path(db):
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = json.loads(r.content)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "EdCoop API"
    assert {p: set(ops) for p, ops in doc["paths"].items()} == EXPECTED_PATHS
    schemes = doc["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_openapi_documents_decimals_as_strings_and_never_the_clear_tax_id(db):
    doc = Client().get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    year = schemas["MembershipYearOut"]["properties"]
    assert year["aid_ratio"]["anyOf"][0]["type"] == "string"
    assert "tax_id" not in schemas["SupplierOut"]["properties"]
    assert "tax_id_masked" in schemas["SupplierOut"]["properties"]


def test_docs_page_loads_only_local_assets_under_the_strict_csp(db):
    client = Client()
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = r.content.decode()
    # No inline script that would run (the JSON settings block is data, not script) and no
    # inline style; every asset from this site.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, body in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not body.strip()
    assert "<style" not in html and "style=" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_unknown_api_paths_are_json_404(db):
    r = Client().get("/api/v1/no/such/thing")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found."}


PUBLIC = {
    ("get", "/api/v1/agencies"), ("get", "/api/v1/agencies/{slug}"),
    ("post", "/api/v1/agencies/{slug}/applications"), ("post", "/api/v1/agencies/{slug}/suppliers"),
    ("get", S), ("get", S + "/{sid}"), ("get", S + "/{sid}/tabulation"),
    ("get", S + "/{sid}/ocds"), ("get", "/api/v1/ocds/releases"),
}  # fmt: skip


def test_every_operation_lists_its_error_answers_and_their_shape(db):
    doc = Client().get("/api/v1/openapi.json").json()
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"] and "errors" in error["properties"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            expected = {"400", "401", "403", "404", "422"}
            if method != "get":
                expected |= {"413", "429"}
            assert expected <= codes, (method, path, codes)
            for code in expected:
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error"
    submit = doc["paths"][S + "/{sid}/responses"]["post"]["responses"]
    assert "409" in submit


def test_public_operations_do_not_claim_to_need_authentication(db):
    doc = Client().get("/api/v1/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            public = (method, path) in PUBLIC
            assert op.get("x-public", False) == public, (method, path)
            assert ({} in op["security"]) == public, (method, path)
            assert op["security"][-1] or public  # token and session otherwise


# The members' operations live in edcoop.members.api; they keep the operationIds (and tags)
# they were published with from edcoop.api.<module>: clients generate names from them.
# (The first tag of each; a few carry "public" too.)
PUBLISHED_MEMBERS_OPERATIONS = {
    "agencies": {"agency_list": "agencies", "agency_detail": "agencies", "me": "me"},
    "institutions": {
        "institution_list": "institutions",
        "institution_detail": "institutions",
        "institution_update": "institutions",
    },
    "memberships": {
        "membership_list": "memberships",
        "membership_detail": "memberships",
        "membership_approve": "memberships",
        "membership_decline": "memberships",
        "membership_set_status": "memberships",
        "membership_dates_set": "memberships",
        "membership_year_set": "memberships",
        "membership_apply": "public",
    },
    "suppliers": {
        "supplier_list": "suppliers",
        "supplier_register": "suppliers",
        "supplier_detail": "suppliers",
        "supplier_update": "suppliers",
        "supplier_change_list": "suppliers",
        "supplier_change_decide": "suppliers",
        "supplier_contact_confirm": "suppliers",
        "supplier_set_status": "suppliers",
    },
}


def test_members_operations_keep_their_published_ids_and_tags(db):
    doc = Client().get("/api/v1/openapi.json").json()
    ops = [op for path_ops in doc["paths"].values() for op in path_ops.values()]
    tags = {op["operationId"]: op["tags"] for op in ops}
    assert len(tags) == len(ops)  # every operationId unique
    for module, names in PUBLISHED_MEMBERS_OPERATIONS.items():
        for name, tag in names.items():
            assert tags[f"edcoop_api_{module}_{name}"][0] == tag
