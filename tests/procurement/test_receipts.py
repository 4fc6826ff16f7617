"""Receipts commit without revealing: the attack of issue 8 (an auditor rebuilds the sealed
content from the audit trail and brute-forces the prices against the receipt hash) finds
nothing, while the supplier alone can verify its receipt with its secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from tests.api.conftest import _api_for
from tests.web.conftest import client_for

from edcoop.core.models import AuditEvent
from edcoop.procurement import opening, responses, sealing
from edcoop.procurement.models import BidLine, Response

from .conftest import OPENING, items, offer

pytestmark = pytest.mark.django_db

HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
# The attacker's grid: two prices in quarter-dollar steps up to $25 (10,201 pairs).
GRID = [f"{Decimal(q) / 4:.4f}" for q in range(0, 101)]


def _canonical(content: dict[str, Any]) -> bytes:
    # Rebuilt from the open-source code, as the attacker would.
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _guess(bid: Any, supplier_id: int | None, p1: str, p2: str,
           its: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    its = its or items(bid)
    content = {
        "solicitation": bid.number,
        "lines": [
            {"item_id": its["1.01"].pk, "item": "1.01", "unit_price": p1, "tiers": [],
             "max_quantity": None},
            {"item_id": its["1.02"].pk, "item": "1.02", "unit_price": p2, "tiers": [],
             "max_quantity": None},
        ],
        "spend_discounts": [],
        "alternates": "", "exceptions": "", "attestations": ["non_collusion"],
        "acknowledged_addenda": [], "attachments": [],
    }  # fmt: skip
    if supplier_id is not None:
        content["supplier_id"] = supplier_id
    return content


def _brute_force(bid: Any, supplier_id: int, readable: str) -> set[tuple[str, str, bool]]:
    """Every price pair whose rebuilt content matches a hash the attacker can read, trying
    the plain SHA-256 and an HMAC keyed with every other 64-hex string it can read."""
    seen = set(HEX64.findall(readable))
    keys = [bytes.fromhex(h) for h in seen]
    found = set()
    its = items(bid)
    for p1 in GRID:
        for p2 in GRID:
            for sid, draft in ((supplier_id, False), (None, True)):
                data = _canonical(_guess(bid, sid, p1, p2, its))
                if hashlib.sha256(data).hexdigest() in seen:
                    found.add((p1, p2, draft))
                for key in keys:
                    if hmac.new(key, data, hashlib.sha256).hexdigest() in seen:
                        found.add((p1, p2, draft))
    return found


def _everything_staff_can_read(north: Any, bid: Any) -> str:
    """The audit-trail page for the auditor and the admin, the API for the auditor, and
    every column of every audit event and response row except the ciphertext (operator)."""
    parts = []
    for role in ("auditor", "agency_admin"):
        page = client_for(north.users[role]).get(reverse("members:audit", args=["north"]))
        assert page.status_code == 200
        parts.append(page.content.decode())
        api = _api_for(north.users[role])
        listing = api.get(f"/agencies/north/solicitations/{bid.pk}/responses")
        parts.append(listing.content.decode())
        for r in Response.objects.all():
            parts.append(
                api.get(f"/agencies/north/solicitations/{bid.pk}/responses/{r.pk}").content.decode()
            )
    parts += [json.dumps(list(AuditEvent.objects.values()), default=str)]
    clear = [f.attname for f in Response._meta.concrete_fields if f.name != "sealed"]
    parts += [json.dumps(list(Response.objects.values(*clear)), default=str)]
    return "\n".join(parts)


def test_the_audit_trail_does_not_reveal_sealed_prices(north, bid):
    rep = north.users["supplier_rep"]
    data = offer(bid, {"1.01": "12.25", "1.02": "21.75"})
    responses.response_save_draft(user=rep, solicitation=bid, supplier=north.supplier, data=data)
    receipt = responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                        data=data)  # fmt: skip
    readable = _everything_staff_can_read(north, bid)
    assert receipt.sha256 in readable  # the hash is public: it is what the supplier can cite
    assert receipt.secret not in readable
    assert _brute_force(bid, north.supplier.pk, readable) == set()
    # The attack itself is right: against a version-1 receipt it finds both prices.
    legacy = sealing.receipt_hash(_guess(bid, north.supplier.pk, "12.2500", "21.7500"), None)
    assert _brute_force(bid, north.supplier.pk, readable + legacy) == {
        ("12.2500", "21.7500", False)
    }


def test_the_supplier_alone_holds_the_secret_and_verifies_its_receipt(
    north, bid, django_capture_on_commit_callbacks
):
    rep = north.users["supplier_rep"]
    with django_capture_on_commit_callbacks(execute=True):
        receipt = responses.response_submit(
            user=rep, solicitation=bid, supplier=north.supplier,
            data=offer(bid, {"1.01": "12.25", "1.02": "21.75"}),
        )  # fmt: skip
    assert receipt.receipt_version == 2 and len(bytes.fromhex(receipt.secret)) >= 16
    url = reverse("procurement:receipt", args=["north", north.supplier.pk, bid.pk,
                                               receipt.response_id])  # fmt: skip
    page = client_for(rep).get(url).content.decode()
    assert receipt.secret in page and receipt.sha256 in page
    # What docs/procurement.md tells the supplier to do with the page's canonical JSON.
    canonical = re.search(r"<pre class=\"mono\">(.*?)</pre>", page, re.S)
    assert canonical is not None
    text = canonical.group(1).replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    mac = hmac.new(bytes.fromhex(receipt.secret), text.encode(), hashlib.sha256).hexdigest()
    assert mac == receipt.sha256
    # The e-mailed receipt carries the hash, not the secret.
    body = "\n".join(m.body for m in mail.outbox)
    assert receipt.sha256 in body and receipt.secret not in body
    # Nobody on the agency's side gets the receipt page.
    for role in ("agency_admin", "auditor", "procurement_officer"):
        assert client_for(north.users[role]).get(url).status_code in (403, 404)


def test_a_retry_with_the_same_content_gets_the_same_receipt_and_secret(north, bid):
    rep = north.users["supplier_rep"]
    data = offer(bid, {"1.01": "12.25", "1.02": "21.75"})
    first = responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                      data=data, idempotency_key="k1")  # fmt: skip
    again = responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                      data=data, idempotency_key="k1")  # fmt: skip
    assert again == first and Response.objects.filter(status="submitted").count() == 1


def test_version_1_receipts_still_open_and_verify(north, bid, clock):
    """A response sealed before receipt secrets (plain SHA-256) opens as it was."""
    content = _guess(bid, north.supplier.pk, "12.2500", "21.7500")
    raw = sealing.canonical(content)
    Response.objects.create(
        solicitation=bid, supplier=north.supplier, status="submitted", is_current=True,
        version=1, sealed=sealing.seal(raw), content_sha256=hashlib.sha256(raw).hexdigest(),
        receipt_version=1, received_at=clock.now,
    )  # fmt: skip
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    prices = sorted(str(p) for p in BidLine.objects.values_list("unit_price", flat=True))
    assert prices == ["12.2500", "21.7500"]
