"""The solicitation pages: public, agency console, supplier portal, member survey."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from tests.web.conftest import assert_audited, assert_csp_clean, client_for

from edcoop.core.models import AuditEvent
from edcoop.procurement import files, opening, responses
from edcoop.procurement.models import Response, ResponseAttachment

from .conftest import NOW, OPENING, build_bid, items, offer

ROLES = ["agency_admin", "procurement_officer", "business_office", "evaluator", "auditor",
         "member_admin", "member_buyer", "member_finance", "supplier_rep"]  # fmt: skip


def _submit(north, s, prices):
    return responses.response_submit(user=north.users["supplier_rep"], solicitation=s,
                                    supplier=north.supplier, data=offer(s, prices))  # fmt: skip


def test_public_pages_without_login(north, bid, client):
    for url in (reverse("procurement:public_list", args=["north"]),
                reverse("procurement:public_detail", args=["north", bid.pk])):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 200
        assert_csp_clean(r.content.decode())
        assert "IFB-2026-01" in r.content.decode()


def test_draft_is_not_public(north, clock, client):
    s = build_bid(north, publish=False)
    assert client.get(reverse("procurement:public_detail", args=["north", s.pk])).status_code == 404
    staff = client_for(north.users["supplier_rep"])
    assert staff.get(reverse("procurement:public_detail", args=["north", s.pk])).status_code == 404


@pytest.mark.parametrize("fmt", ["", "?format=csv", "?format=xlsx"])
def test_tabulation_is_sealed_before_opening(north, bid, client, fmt):
    _submit(north, bid, {"2.01": "0.2875"})
    r = client.get(reverse("procurement:tabulation", args=["north", bid.pk]) + fmt)
    assert r.status_code == 404
    assert b"0.2875" not in r.content and b"North Paper" not in r.content


@pytest.mark.parametrize("role", ["agency_admin", "procurement_officer", "evaluator", "auditor"])
def test_console_cannot_read_a_sealed_response_and_the_attempt_is_audited(north, bid, role):
    receipt = _submit(north, bid, {"2.01": "0.2875"})
    c = client_for(north.users[role])
    detail = c.get(reverse("procurement:detail", args=["north", bid.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "North Paper Co" in body and "0.2875" not in body
    assert_csp_clean(body)
    r = c.get(reverse("procurement:response", args=["north", bid.pk, receipt.response_id]))
    assert r.status_code == 403
    assert b"0.2875" not in r.content
    event = assert_audited("response.sealed_read_refused", north.users[role])
    assert event.object_id == str(receipt.response_id)


def test_attachment_download_is_sealed(north, bid):
    responses.response_submit(
        user=north.users["supplier_rep"], solicitation=bid, supplier=north.supplier,
        data=offer(bid, {"2.01": "0.29"}),
        uploads=[files.Upload("prices.pdf", "application/pdf", b"%PDF-1.4 secret")],
    )  # fmt: skip
    r = Response.objects.get(is_current=True)
    a = r.attachments.get()
    url = reverse("procurement:response_attachment", args=["north", bid.pk, r.pk, a.pk])
    resp = client_for(north.users["agency_admin"]).get(url)
    assert resp.status_code == 403 and b"secret" not in resp.content
    # The refusal names the response, not the file; no column holds the name in clear.
    event = AuditEvent.objects.filter(action="response.sealed_read_refused").last()
    assert event is not None and "prices" not in json.dumps(event.changes) + event.object_label
    row = ResponseAttachment.objects.values().get()
    assert not any(b"prices" in bytes(v) if isinstance(v, bytes | memoryview) else
                   "prices" in str(v) for v in row.values())  # fmt: skip
    own = client_for(north.users["supplier_rep"]).get(url)
    assert own.status_code == 200 and own.content == b"%PDF-1.4 secret"  # its own file


def test_admin_shows_no_sealed_content(north, bid, admin_client):
    _submit(north, bid, {"2.01": "0.2875"})
    r = Response.objects.get(is_current=True)
    for url in (reverse("admin:procurement_response_changelist"),
                reverse("admin:procurement_response_change", args=[r.pk])):  # fmt: skip
        page = admin_client.get(url)
        assert page.status_code == 200
        assert b"0.2875" not in page.content


def test_opened_tabulation_page_csv_and_xlsx(north, bid, clock, client):
    _submit(north, bid, {"1.01": "31.25", "1.02": "52.10", "2.01": "0.2875"})
    clock.set(OPENING)
    opening.solicitation_open(user=north.users["procurement_officer"], solicitation=bid)
    url = reverse("procurement:tabulation", args=["north", bid.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert_csp_clean(body)
    assert "0.2875" in body and "$95.74" in body and "Lowest" in body
    csv = client.get(url + "?format=csv").content.decode("utf-8-sig")
    assert "North Paper Co,0.2875,95.74" in csv
    xlsx = load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content))
    rows = list(xlsx.active.values)
    assert rows[0][0] == "Lot" and any(
        r[6] == Decimal("0.2875") or r[6] == 0.2875 for r in rows[1:]
    )
    officer = client_for(north.users["evaluator"])
    r = Response.objects.get(is_current=True)
    detail = officer.get(reverse("procurement:response", args=["north", bid.pk, r.pk]))
    assert detail.status_code == 200 and b"0.2875" in detail.content


@pytest.mark.parametrize("role", ROLES)
def test_console_role_matrix(north, bid, role):
    c = client_for(north.users[role])
    r = c.get(reverse("procurement:detail", args=["north", bid.pk]))
    staff = role in ROLES[:5]
    assert r.status_code == (200 if staff else 403)
    create = c.get(reverse("procurement:create", args=["north"]))
    assert create.status_code == (200 if role in {"agency_admin", "procurement_officer"} else 403)


def test_other_agency_is_404(north, nation, bid):
    c = client_for(nation.users["agency_admin"])
    assert c.get(reverse("procurement:detail", args=["north", bid.pk])).status_code == 404
    assert c.get(reverse("procurement:list", args=["north"])).status_code == 404
    rep = client_for(nation.users["supplier_rep"])
    url = reverse("procurement:respond", args=["north", north.supplier.pk, bid.pk])
    assert rep.get(url).status_code == 404


def test_officer_creates_a_draft_with_local_times(north, clock):
    c = client_for(north.users["procurement_officer"])
    r = c.post(reverse("procurement:create", args=["north"]), {
        "number": "RFQ-9", "title": "Bus parts", "kind": "rfq", "eligibility": "service_area",
        "responses_due_at": "2026-03-08T02:30", "opening_at": "2026-03-09T10:00",
    })  # fmt: skip
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="id_responses_due_at_error"' in body and "does not exist" in body
    r = c.post(reverse("procurement:create", args=["north"]), {
        "number": "RFQ-9", "title": "Bus parts", "kind": "rfq", "eligibility": "service_area",
        "responses_due_at": "2026-03-20T14:00", "opening_at": "2026-03-20T15:00",
    })  # fmt: skip
    assert r.status_code == 302
    s = north.agency.solicitations.get(number="RFQ-9")
    assert s.responses_due_at.isoformat() == "2026-03-20T18:00:00+00:00"  # EDT
    assert_audited("solicitation.create", north.users["procurement_officer"])


def test_supplier_saves_a_draft_then_submits_through_the_portal(north, bid):
    rep = client_for(north.users["supplier_rep"])
    url = reverse("procurement:respond", args=["north", north.supplier.pk, bid.pk])
    page = rep.get(url)
    assert page.status_code == 200
    assert_csp_clean(page.content.decode())
    its = items(bid)
    form = {f"price_{its['2.01'].pk}": "0.31", "action": "draft"}
    assert rep.post(url, form).status_code == 302
    assert Response.objects.get(status="draft")
    form.update({"action": "submit", "idempotency_key": "abc", f"price_{its['1.01'].pk}": "30"})
    bad = rep.post(url, form)
    body = bad.content.decode()
    assert bad.status_code == 400 and f'id="id_price_{its["1.02"].pk}_error"' in body
    assert "Non-collusive" in body
    form.update({f"price_{its['1.02'].pk}": "50", "attestations": ["non_collusion"]})
    ok = rep.post(url, form)
    assert ok.status_code == 302
    again = rep.post(url, form)  # a double click: same idempotency key
    assert again.status_code == 302 and again["Location"] == ok["Location"]
    assert Response.objects.filter(status="submitted").count() == 1
    receipt = rep.get(ok["Location"])
    r = Response.objects.get(is_current=True)
    assert r.content_sha256 in receipt.content.decode()
    assert_audited("response.submit", north.users["supplier_rep"])


def test_late_submission_is_refused_by_the_page(north, bid, clock):
    rep = client_for(north.users["supplier_rep"])
    url = reverse("procurement:respond", args=["north", north.supplier.pk, bid.pk])
    clock.set(bid.responses_due_at)
    r = rep.post(url, {f"price_{items(bid)['2.01'].pk}": "1", "action": "submit",
                       "attestations": ["non_collusion"]})  # fmt: skip
    assert r.status_code == 400 and not Response.objects.exists()


def test_member_buyer_commits_quantities(north, clock):
    s = build_bid(north, publish=False)
    s.survey_deadline = NOW + timedelta(days=1)
    s.save()
    buyer = client_for(north.users["member_buyer"])
    iid = north.institution.pk
    assert buyer.get(reverse("procurement:surveys", args=["north", iid])).status_code == 200
    url = reverse("procurement:survey", args=["north", iid, s.pk])
    page = buyer.get(url)
    assert page.status_code == 200
    assert_csp_clean(page.content.decode())
    r = buyer.post(url, {f"qty_{items(s)['1.01'].pk}": "120"})
    assert r.status_code == 302
    assert_audited("demand.commit", north.users["member_buyer"])
    other = reverse("procurement:survey", args=["north", north.institutions[1].pk, s.pk])
    assert buyer.get(other).status_code == 404
    assert client_for(north.users["member_finance"]).get(url).status_code == 403


def test_demand_table_keeps_each_items_unit_and_adds_no_cases_to_half_pints(north, clock):
    s = build_bid(north, publish=False)
    s.survey_deadline = NOW + timedelta(days=1)
    s.save()
    buyer = client_for(north.users["member_buyer"])
    url = reverse("procurement:survey", args=["north", north.institution.pk, s.pk])
    its = items(s)
    buyer.post(url, {f"qty_{its['1.01'].pk}": "120", f"qty_{its['2.01'].pk}": "5000"})
    body = client_for(north.users["procurement_officer"]).get(
        reverse("procurement:detail", args=["north", s.pk])).content.decode()  # fmt: skip
    assert "120 case" in body and "5,000 each" in body
    assert "Total quantity" not in body and "5,120" not in body
