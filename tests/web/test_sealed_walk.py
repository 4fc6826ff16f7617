"""Sealed means sealed, on every route there is (issue 8).

Two suppliers have submitted sealed responses (prices, exceptions, an attachment) to a
published solicitation whose opening has not come. This test then requests every URL
pattern Django resolves and every operation of the API's OpenAPI document, as every demo
role and as nobody, filling path parameters from the fixture's real records, and follows
once every link the pages show. No answer may carry a sealed price, exception text or
attachment name (a supplier's representative may see its own, never its rival's), nor a
server error or a traceback; neither may the e-mails sent.

Routes are found, not listed: a route added tomorrow is walked tomorrow. The only routes
left out are in ``SKIP``, each with its reason; a pattern the walk cannot reach fails it.
Bounded for CI: at most ``MAX_COMBINATIONS`` fillings per pattern.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from tests.procurement.conftest import Clock, approve, build_bid, offer
from tests.routes import PARAM, walk

from edcoop.api import services as token_services
from edcoop.core.models import Job
from edcoop.members import services as member_services
from edcoop.members.models import Role
from edcoop.procurement import responses
from edcoop.procurement.files import Upload
from edcoop.procurement.models import ResponseAttachment

MAX_COMBINATIONS = 12

# Patterns not walked, with why. Everything else Django resolves is requested.
SKIP = {
    "admin/": "the Django admin is for installation operators, not a demo role; it shows a "
    "response's envelope only (tests/core/test_admin.py, tests/procurement/test_admin.py)",
    "api/": "walked through the OpenAPI document below, with each operation's method",
    "accounts/logout/": "would end the session of the role being walked",
}

OWN = {  # the fixture's supplier_rep may see these (its own response), nobody else
    "prices": {"1.01": "6142.8397", "1.02": "5318.2947", "2.01": "4927.1853"},
    "exceptions": "OWN-EXCEPTION-qzy delivery on Wednesdays only",
    "attachment": "own-secret-pricing-qzy.pdf",
    "blob": "OWN-BLOB",
}
RIVAL = {  # nobody may see these before the opening
    "prices": {"1.01": "8173.6429", "1.02": "9261.3487", "2.01": "7354.9281"},
    "exceptions": "RIVAL-EXCEPTION-qzx delivery on Tuesdays only",
    "attachment": "rival-secret-pricing-qzx.pdf",
    "blob": "RIVAL-BLOB",
}


def _markers(sealed: dict[str, Any]) -> list[str]:
    out = [sealed["exceptions"], sealed["exceptions"][:20], sealed["attachment"], sealed["blob"]]
    for price in sealed["prices"].values():
        whole, frac = price.split(".")
        grouped = f"{int(whole):,}"
        out += [price, f"{grouped}.{frac}", f"{whole}.{frac[:2]}", f"{grouped}.{frac[:2]}"]
    return out


ALWAYS_FORBIDDEN = ["Traceback (most recent call last)", "RIVAL-BLOB"]


def _fill(route: str, values: dict[str, list[Any]]) -> list[str]:
    names = [m.group("name") for m in PARAM.finditer(route)]
    choices = [values.get(name, values["_int"]) for name in names]
    urls = []
    for combo in itertools.islice(itertools.product(*choices), MAX_COMBINATIONS):
        filled = dict(zip(names, combo, strict=True))
        urls.append("/" + PARAM.sub(lambda m, f=filled: str(f[m.group("name")]), route))
    return urls


def _text(answer: Any) -> str:
    """What a person could read in the answer: text, or the files inside an XLSX/ZIP."""
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = " ".join(z.namelist())
            return names + " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if content[:5] == b"%PDF-":
        # No PDF text extractor is installed: the uncompressed parts only. No PDF route
        # carries response content before an opening (award report, invoices, orders).
        return content.decode("latin-1")
    return content.decode("utf-8", "replace")


@pytest.fixture
def sealed(north, monkeypatch, django_capture_on_commit_callbacks):
    Clock(monkeypatch)  # before the deadline: everything stays sealed
    approve(north, north.supplier)
    bid = build_bid(north)
    rival = member_services.supplier_register(
        agency=north.agency, legal_name="Rival Paper Co", tax_id="22-7654321",
        email="bids@rival.example",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        approve(north, rival)
    rival_rep = rival.staff.get().user
    with django_capture_on_commit_callbacks(execute=True):
        for supplier, user, data in ((north.supplier, north.users["supplier_rep"], OWN),
                                     (rival, rival_rep, RIVAL)):  # fmt: skip
            blob = b"%PDF-1.4 " + data["blob"].encode()
            responses.response_submit(
                user=user, solicitation=bid, supplier=supplier,
                data=offer(bid, data["prices"], exceptions=data["exceptions"]),
                uploads=[Upload(data["attachment"], "application/pdf", blob)],
            )  # fmt: skip
    assert bid.is_sealed
    return bid, rival


def _values(north: Any, bid: Any, rival: Any) -> dict[str, list[Any]]:
    rs = list(bid.responses.order_by("pk"))
    attachments = list(
        ResponseAttachment.objects.filter(response__in=rs).values_list("pk", flat=True)
    )
    suppliers = [north.supplier.pk, rival.pk]
    institution = north.institution
    jobs = list(Job.objects.filter(agency_id=north.agency.pk).values_list("pk", flat=True)[:3])
    return {
        "slug": ["north"],
        "pk": [bid.pk, *suppliers, institution.pk, institution.membership.pk, *jobs],
        "sid": [bid.pk, *suppliers],
        "rid": [r.pk for r in rs],
        "aid": attachments,
        "iid": [institution.pk],
        "doc": list(bid.documents.values_list("pk", flat=True)) or [1],
        "lot": list(bid.lots.values_list("pk", flat=True)),
        "item": list(bid.items.values_list("pk", flat=True)),
        "question": [1],
        "supplier_id": suppliers,
        "institution_id": [institution.pk],
        "membership_id": [institution.membership.pk],
        "fiscal_year": [2026],
        "_int": [1],
        "_str": ["x"],
    }


def _callers(north: Any) -> dict[str, tuple[Client, dict[str, str]]]:
    out = {"anonymous": (Client(), {})}
    for role in Role:
        user = north.users[role.value]
        client = Client()
        client.force_login(user)
        _, secret = token_services.token_create(user=user, name="walk")
        out[role.value] = (client, {"Authorization": f"Bearer {secret}"})
    return out


def test_nothing_sealed_leaks_from_any_route_as_any_role(north, sealed, settings):
    bid, rival = sealed
    settings.EDCOOP_RATE_API_ANONYMOUS = "1000000/h"  # walk the routes, not the limiter
    for name in dir(settings):
        if name.startswith("EDCOOP_RATE_"):
            setattr(settings, name, "1000000/h")
    values = _values(north, bid, rival)
    values.update({k: values["_str"] for k in ("move", "step", "status", "key", "token",
                                                 "uidb64", "rest")})  # fmt: skip
    forbidden_all = _markers(RIVAL) + ALWAYS_FORBIDDEN
    own_markers = _markers(OWN)
    callers = _callers(north)
    problems: list[str] = []
    reached: set[str] = set()
    requested = 0

    def check(role: str, method: str, url: str, answer: Any) -> None:
        nonlocal requested
        requested += 1
        if answer.status_code >= 500:
            problems.append(f"{role} {method} {url}: {answer.status_code}")
            return
        body = _text(answer)
        forbidden = forbidden_all if role == "supplier_rep" else forbidden_all + own_markers
        for marker in forbidden:
            if marker in body:
                problems.append(f"{role} {method} {url}: shows sealed {marker!r}")

    # 1. Every page pattern, GET, as every caller; then each link those pages show.
    pages = []
    for route, _pattern in walk():
        if any(route.startswith(skip) for skip in SKIP):
            continue
        urls = _fill(route, values)
        pages.append((route, urls))
    links: dict[str, set[str]] = {role: set() for role in callers}
    for route, urls in pages:
        for url in urls:
            for role, (client, _headers) in callers.items():
                answer = client.get(url)
                check(role, "GET", url, answer)
                reached.add(route)
                if answer.get("Content-Type", "").startswith("text/html"):
                    links[role] |= set(re.findall(r'href="(/a/[^"#]*)"', _text(answer)))
    for role, found in links.items():
        client = callers[role][0]
        for href in sorted(found):
            url = href.replace("&amp;", "&")
            if any(url.startswith("/" + skip) for skip in SKIP):
                continue
            check(role, "GET", url, client.get(url))

    # 2. Every API operation of the OpenAPI document, with its own method; writes get an
    # empty body (refusals must not leak either).
    doc = json.loads(Client().get("/api/v1/openapi.json").content)
    operations = 0
    for path, ops in doc["paths"].items():
        for method in ops:
            operations += 1
            for url in _fill(path.removeprefix("/").replace("{", "<").replace("}", ">"),
                             values):  # fmt: skip
                for role, (_client, headers) in callers.items():
                    client = Client()
                    if method == "get":
                        answer = client.get(url, headers=headers)
                    else:
                        answer = getattr(client, method)(
                            url, data="{}", content_type="application/json", headers=headers
                        )
                    check(role, method.upper(), url, answer)

    # 3. The e-mails sent (receipts, approvals, invitations), and the audit trail's rows.
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        for marker in forbidden_all + own_markers:
            if marker in text:
                problems.append(f"e-mail to {message.to}: shows sealed {marker!r}")
    from edcoop.core.models import AuditEvent

    trail = json.dumps(list(AuditEvent.objects.values("object_label", "changes")))
    for marker in forbidden_all + own_markers:
        if marker in trail:
            problems.append(f"audit trail: shows sealed {marker!r}")

    print(f"walked {requested} requests over {len(pages)} patterns and {operations} operations")
    assert not problems, "\n".join(problems[:40])
    assert {route for route, _ in pages} <= reached  # every pattern was requested
    assert operations > 50 and requested > 1000  # the walk really walked
    assert bid.responses.count() >= 2 and mail.outbox  # sealed records and mail existed
