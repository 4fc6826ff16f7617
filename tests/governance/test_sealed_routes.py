"""Generated from the governance URLconf: every page and download of the app, as every role
and as the public, while a bid is sealed, never shows its price or its ciphertext, and
never another agency's records. A new route is checked by being added to urls.py (a route
whose arguments this test cannot fill fails it, so it is never skipped silently)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse
from tests.procurement.conftest import offer
from tests.web.conftest import ALL_ROLES, client_for

from edcoop.governance import services
from edcoop.procurement import responses
from edcoop.procurement.models import Response

pytestmark = pytest.mark.django_db

PRICE = "27.1828"
DOWNLOADS = {
    "annual_report": ["", "?year=2026&format=xlsx", "?year=2026&format=pdf"],
    "audit_export": ["", "?since=2000-01-01&until=2100-01-01&format=zip",
                     "?since=2000-01-01&until=2100-01-01&format=xlsx"],
}  # fmt: skip


def _expand(body: bytes) -> bytes:
    """A ZIP's or workbook's members inflated, so the check reads what a user would."""
    if body[:2] != b"PK":
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


def _routes() -> list[URLPattern]:
    resolver = get_resolver()
    (app,) = [p for p in resolver.url_patterns if getattr(p, "namespace", "") == "governance"]
    return list(app.url_patterns)


def test_no_governance_route_shows_a_sealed_price(north: Any, nation: Any, bid: Any,
                                                  clock: Any) -> None:  # fmt: skip
    responses.response_submit(user=north.users["supplier_rep"], solicitation=bid,
                              supplier=north.supplier,
                              data=offer(bid, {"1.01": PRICE, "1.02": "40.00"}))  # fmt: skip
    sealed = bytes(Response.objects.get(is_current=True).sealed)[:48]
    study = services.study_create(
        user=north.users["business_office"], agency=north.agency, title="Study",
        service_name="CBO", fiscal_year=2026, basis="equal", shared_cost="1000",
        aidable=False, sensitivity_pct="10",
    )  # fmt: skip
    args = {"slug": "north", "pk": bid.pk, "key": "ny-gml103-purchase", "jurisdiction": "NY"}
    study_routes = {"study", "study_edit", "study_districts", "study_publish", "study_copy"}
    checked = 0
    for pattern in _routes():
        name = pattern.name or ""
        wanted = set(pattern.pattern.converters)
        if not wanted <= set(args):
            pytest.fail(f"governance:{name} takes {wanted - set(args)}: teach this test")
        kwargs = {k: args[k] for k in wanted}
        if name in study_routes:
            kwargs["pk"] = study.pk
        if name == "document":
            continue  # a posted public record: its own test posts and reads one
        base = reverse(f"governance:{name}", kwargs=kwargs)
        for suffix in DOWNLOADS.get(name, [""]):
            for role in [None, *ALL_ROLES]:
                client = client_for(north.users[role] if role else None)
                got = client.get(base + suffix)
                assert got.status_code < 500, (name, role, got.status_code)
                body = _expand(got.content)
                assert PRICE.encode() not in body, (name, suffix, role)
                assert sealed not in body, (name, suffix, role)
                assert b"Nation Agency" not in body, (name, suffix, role)
                checked += 1
    assert checked > 100
