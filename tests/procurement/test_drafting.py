"""Building a draft (edit and delete lots, items, documents; frozen once published, changes
only by addendum), idempotency conflicts, and attachments checked by their content."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from tests.web.conftest import assert_audited, assert_csp_clean, client_for

from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.procurement import demand, drafting, files, publication, responses
from edcoop.procurement.files import Upload
from edcoop.procurement.models import DemandCommitment, Document, LineItem, Lot, Response

from .conftest import NOW, build_bid, items, offer

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}


def ooxml(kind: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types><Override '
                   f'PartName="/main.xml" ContentType="{MAIN[kind]}"/></Types>')  # fmt: skip
        z.writestr("main.xml", "<x/>")
    return buf.getvalue()


def odf(mimetype: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", mimetype)
        z.writestr("content.xml", "<x/>")
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    return buf.getvalue()


@pytest.fixture
def officer(north):
    return north.users["procurement_officer"]


@pytest.fixture
def draft(north, clock):
    return build_bid(north, publish=False)


def _events(action):
    return AuditEvent.objects.filter(action=action)


# Editing a draft ------------------------------------------------------------------------------


def test_officer_edits_and_deletes_lots_and_items_of_a_draft(north, draft, officer):
    paper, milk = list(draft.lots.order_by("number"))
    drafting.lot_update(user=officer, lot=paper, title="Copy paper, recycled",
                        award_basis="per_lot")  # fmt: skip
    paper.refresh_from_db()
    assert (paper.title, paper.award_basis) == ("Copy paper, recycled", "per_lot")
    event = _events("lot.update").get()
    assert event.changes["award_basis"] == ["all_or_none", "per_lot"]

    item = items(draft)["1.02"]
    drafting.item_update(user=officer, item=item, lot=milk, number="2.02",
                         description="Milk, chocolate", unit="each",
                         estimated_quantity=Decimal("50"))  # fmt: skip
    item.refresh_from_db()
    assert (item.lot_id, item.number, item.estimated_quantity) == (milk.pk, "2.02", Decimal("50"))
    assert _events("line_item.update").get().changes["number"] == ["1.02", "2.02"]
    with pytest.raises(ValidationError) as e:  # numbers stay unique in the solicitation
        drafting.item_update(user=officer, item=item, lot=milk, number="2.01",
                             description="x", unit="each")  # fmt: skip
    assert "number" in e.value.message_dict

    drafting.item_delete(user=officer, item=item)
    assert not LineItem.objects.filter(pk=item.pk).exists()
    assert _events("line_item.delete").get().changes["number"] == ["2.02", None]

    drafting.lot_delete(user=officer, lot=milk)
    assert not Lot.objects.filter(pk=milk.pk).exists()
    assert not LineItem.objects.filter(number="2.01").exists()  # its items go with it
    assert _events("lot.delete").get().changes["items"] == [["2.01"], None]
    assert audit.verify() == []


def test_deleting_an_item_deletes_members_commitments_and_says_so(north, draft, officer):
    draft.survey_deadline = NOW + timedelta(days=1)
    draft.save()
    item = items(draft)["1.01"]
    demand.demand_commit(user=north.users["member_buyer"], solicitation=draft,
                           institution=north.institution,
                           quantities={item.pk: Decimal("120")})  # fmt: skip
    page = client_for(officer).get(
        reverse("procurement:item_delete", args=["north", draft.pk, item.pk])
    )
    assert "1 member(s) committed" in page.content.decode()
    drafting.item_delete(user=officer, item=item)
    assert not DemandCommitment.objects.exists()
    assert _events("line_item.delete").get().changes["commitments"] == [1, None]


def test_officer_edits_and_removes_documents_of_a_draft(north, draft, officer):
    doc = drafting.document_add(user=officer, solicitation=draft, title="Specs",
                                upload=Upload("specs.pdf", "text/html", PDF))  # fmt: skip
    assert doc.content_type == "application/pdf"  # the extension's type, not the client's
    revised = Upload("specs-v2.txt", "text/plain", b"Revised specs\n")
    drafting.document_update(user=officer, document=doc, title="Specifications v2",
                             upload=revised)  # fmt: skip
    doc.refresh_from_db()
    assert (doc.title, doc.filename, doc.content_type) == ("Specifications v2", "specs-v2.txt",
                                                            "text/plain")  # fmt: skip
    assert bytes(doc.content) == b"Revised specs\n"
    assert _events("document.update").get().changes["filename"] == ["specs.pdf", "specs-v2.txt"]
    drafting.document_delete(user=officer, document=doc)
    assert not Document.objects.exists()
    assert _events("document.delete").get().changes["filename"] == ["specs-v2.txt", None]
    assert audit.verify() == []


@pytest.mark.parametrize("role", ["evaluator", "auditor", "business_office", "member_buyer",
                                  "supplier_rep"])  # fmt: skip
def test_only_officers_edit_a_draft(north, draft, role):
    user = north.users[role]
    lot = draft.lots.first()
    item = draft.items.first()
    with pytest.raises(PermissionDenied):
        drafting.lot_update(user=user, lot=lot, title="x", award_basis="per_item")
    with pytest.raises(PermissionDenied):
        drafting.lot_delete(user=user, lot=lot)
    with pytest.raises(PermissionDenied):
        drafting.item_delete(user=user, item=item)
    assert Lot.objects.filter(pk=lot.pk).exists() and LineItem.objects.filter(pk=item.pk).exists()


def test_published_solicitation_is_frozen_except_by_addendum(north, clock, officer):
    s = build_bid(north, publish=False)
    doc = drafting.document_add(user=officer, solicitation=s, title="Specs",
                                upload=Upload("specs.pdf", "application/pdf", PDF))  # fmt: skip
    s = publication.solicitation_publish(user=officer, solicitation=s)
    lot, item = s.lots.first(), s.items.first()
    before = AuditEvent.objects.count()
    refusals = [
        lambda: drafting.lot_add(user=officer, solicitation=s, title="More"),
        lambda: drafting.lot_update(user=officer, lot=lot, title="x", award_basis="per_item"),
        lambda: drafting.lot_delete(user=officer, lot=lot),
        lambda: drafting.item_add(user=officer, lot=lot, number="9.99", description="x",
                                  unit="each"),
        lambda: drafting.item_update(user=officer, item=item, lot=lot, number=item.number,
                                     description="Changed", unit=item.unit),
        lambda: drafting.item_delete(user=officer, item=item),
        lambda: drafting.document_add(user=officer, solicitation=s, title="Late",
                                      upload=Upload("late.pdf", "application/pdf", PDF)),
        lambda: drafting.document_update(user=officer, document=doc, title="Changed"),
        lambda: drafting.document_delete(user=officer, document=doc),
    ]  # fmt: skip
    for attempt in refusals:
        with pytest.raises(ValidationError, match="issue an addendum instead"):
            attempt()
    assert AuditEvent.objects.count() == before
    assert s.lots.count() == 2 and s.items.count() == 3 and s.documents.get().title == "Specs"
    item.refresh_from_db()
    assert item.description != "Changed"
    # An addendum is the way: numbered, and it may carry a document.
    rev = Upload("specs-rev.pdf", "application/pdf", PDF)
    addendum = publication.addendum_issue(user=officer, solicitation=s, title="Revised specs",
                                       body="Replaces section 3.", upload=rev)  # fmt: skip
    added = s.documents.get(addendum=addendum)
    assert addendum.number == 1 and added.title == "Addendum 1: Revised specs"
    assert _events("addendum.issue").get().changes["document"][1]["filename"] == "specs-rev.pdf"


def test_frozen_pages_say_so(north, bid, officer):
    c = client_for(officer)
    lot, item = bid.lots.first(), bid.items.first()
    detail = c.get(reverse("procurement:detail", args=["north", bid.pk])).content.decode()
    assert "change only by addendum" in detail
    assert reverse("procurement:item_edit", args=["north", bid.pk, item.pk]) not in detail
    r = c.get(reverse("procurement:lot_edit", args=["north", bid.pk, lot.pk]), follow=True)
    assert r.redirect_chain and "change only by addendum" in r.content.decode()
    r = c.post(reverse("procurement:item_delete", args=["north", bid.pk, item.pk]), {})
    assert r.status_code == 200 and "issue an addendum instead" in r.content.decode()
    assert LineItem.objects.filter(pk=item.pk).exists()


# The pages ------------------------------------------------------------------------------------


def test_edit_and_delete_pages(north, draft, officer):
    c = client_for(officer)
    detail = c.get(reverse("procurement:detail", args=["north", draft.pk])).content.decode()
    lot, item = draft.lots.order_by("number").first(), items(draft)["1.01"]
    assert reverse("procurement:item_edit", args=["north", draft.pk, item.pk]) in detail
    assert reverse("procurement:lot_delete", args=["north", draft.pk, lot.pk]) in detail
    assert_csp_clean(detail)

    url = reverse("procurement:item_edit", args=["north", draft.pk, item.pk])
    page = c.get(url)
    assert page.status_code == 200 and 'value="Copy paper 8.5x11"' in page.content.decode()
    assert_csp_clean(page.content.decode())
    bad = c.post(url, {"lot": lot.pk, "number": "1.02", "description": "x", "unit": "case"})
    assert bad.status_code == 200 and 'id="id_number_error"' in bad.content.decode()
    assert 'href="#id_number"' in bad.content.decode()
    ok = c.post(url, {"lot": lot.pk, "number": "1.01", "description": "Copy paper, letter",
                      "unit": "case", "estimated_quantity": "900"})  # fmt: skip
    assert ok.status_code == 302
    item.refresh_from_db()
    assert item.description == "Copy paper, letter" and item.estimated_quantity == 900
    assert_audited("line_item.update", officer)

    url = reverse("procurement:lot_edit", args=["north", draft.pk, lot.pk])
    assert c.post(url, {"title": "Paper", "award_basis": "per_item"}).status_code == 302
    assert_audited("lot.update", officer)

    url = reverse("procurement:lot_delete", args=["north", draft.pk, lot.pk])
    confirm = c.get(url)
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "2 line item(s) are deleted" in body
    assert 'class="button-danger"' in body and "Cancel" in body
    assert_csp_clean(body)
    assert Lot.objects.filter(pk=lot.pk).exists()  # a GET changes nothing
    assert c.post(url, {}).status_code == 302
    assert not Lot.objects.filter(pk=lot.pk).exists()
    assert_audited("lot.delete", officer)


def test_document_pages(north, draft, officer):
    c = client_for(officer)
    doc = drafting.document_add(user=officer, solicitation=draft, title="Specs",
                                upload=Upload("specs.pdf", "application/pdf", PDF))  # fmt: skip
    url = reverse("procurement:document_edit", args=["north", draft.pk, doc.pk])
    assert_csp_clean(c.get(url).content.decode())
    fake = io.BytesIO(b"<html>not a pdf</html>")
    fake.name = "specs.pdf"
    bad = c.post(url, {"title": "Specs", "file": fake})
    assert bad.status_code == 200 and 'id="id_file_error"' in bad.content.decode()
    assert "specs.pdf: the content is not a PDF" in bad.content.decode()
    assert c.post(url, {"title": "Specifications"}).status_code == 302
    doc.refresh_from_db()
    assert doc.title == "Specifications" and bytes(doc.content) == PDF  # file kept
    assert_audited("document.update", officer)
    url = reverse("procurement:document_delete", args=["north", draft.pk, doc.pk])
    assert "Remove document" in c.get(url).content.decode()
    assert c.post(url, {}).status_code == 302 and not Document.objects.exists()
    assert_audited("document.delete", officer)


@pytest.mark.parametrize(("role", "status"), [("agency_admin", 200), ("evaluator", 403),
                                              ("auditor", 403), ("supplier_rep", 403)])  # fmt: skip
def test_edit_pages_role_matrix(north, draft, role, status):
    item = draft.items.first()
    c = client_for(north.users[role])
    for name in ("item_edit", "item_delete"):
        assert c.get(reverse(f"procurement:{name}", args=["north", draft.pk, item.pk])
                     ).status_code == status  # fmt: skip


def test_another_agencys_draft_is_404(north, nation, draft):
    item = draft.items.first()
    c = client_for(nation.users["procurement_officer"])
    for slug in ("north", "nation"):
        r = c.get(reverse("procurement:item_edit", args=[slug, draft.pk, item.pk]))
        assert r.status_code == 404


# Idempotency ----------------------------------------------------------------------------------


def _submit(north, s, prices, **kw):
    return responses.response_submit(user=north.users["supplier_rep"], solicitation=s,
                                    supplier=north.supplier, data=offer(s, prices),
                                    **kw)  # fmt: skip


def test_same_key_different_content_is_refused(north, bid, clock):
    first = _submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1")
    clock.set(NOW + timedelta(seconds=5))
    with pytest.raises(responses.IdempotencyConflict) as e:
        _submit(north, bid, {"2.01": "0.28"}, idempotency_key="k-1")
    assert "different" in str(e.value) and e.value.previous.pk == first.response_id
    with pytest.raises(responses.IdempotencyConflict):  # an extra attachment is a change too
        _submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1",
                uploads=[Upload("a.pdf", "application/pdf", PDF)])  # fmt: skip
    assert Response.objects.count() == 1
    assert _submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1") == first
    # After the deadline an identical retry still gets its receipt; a changed one does not.
    clock.set(bid.responses_due_at)
    assert _submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1") == first
    with pytest.raises(responses.IdempotencyConflict):
        _submit(north, bid, {"2.01": "0.30"}, idempotency_key="k-1")
    assert Response.objects.count() == 1


def test_same_key_on_another_solicitation_is_refused(north, bid, clock):
    other = build_bid(north, number="IFB-2026-02")
    _submit(north, bid, {"2.01": "0.29"}, idempotency_key="k-1")
    with pytest.raises(responses.IdempotencyConflict, match="another solicitation"):
        _submit(north, other, {"2.01": "0.29"}, idempotency_key="k-1")


def test_page_resubmitted_with_changed_prices_gets_a_form_error(north, bid):
    rep = client_for(north.users["supplier_rep"])
    url = reverse("procurement:respond", args=["north", north.supplier.pk, bid.pk])
    price = f"price_{items(bid)['2.01'].pk}"
    form = {"action": "submit", "idempotency_key": "page-1", price: "0.31",
            "attestations": ["non_collusion"]}  # fmt: skip
    assert rep.post(url, form).status_code == 302
    form[price] = "0.30"  # the back button, a change, the same page's key
    again = rep.post(url, form)
    body = again.content.decode()
    assert again.status_code == 400 and "already submitted" in body
    assert "error-summary" in body
    assert 'value="page-1"' not in body  # a fresh key: submitting again sends a revision
    assert Response.objects.count() == 1
    fresh = body.split('name="idempotency_key" value="')[1].split('"')[0]
    form["idempotency_key"] = fresh
    assert rep.post(url, form).status_code == 302
    assert Response.objects.get(is_current=True).version == 2


# Attachments by content -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), [
    ("offer.pdf", PDF), ("logo.png", PNG), ("photo.jpg", JPEG), ("photo.jpeg", JPEG),
    ("prices.xlsx", ooxml("xlsx")), ("letter.docx", ooxml("docx")), ("old.doc", OLE2),
    ("old.xls", OLE2), ("text.odt", odf("application/vnd.oasis.opendocument.text")),
    ("sheet.ods", odf("application/vnd.oasis.opendocument.spreadsheet")),
    ("prices.csv", "item,price\n1.01,café\n".encode()), ("notes.txt", b"\xef\xbb\xbfHello\n"),
])  # fmt: skip
def test_real_files_are_accepted(name, data):
    files.check_upload(Upload(name, "application/octet-stream", data))


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("offer.pdf", b"<html><script>x</script></html>", "PDF"),
    ("logo.png", JPEG, "PNG"),
    ("photo.jpg", PNG, "JPEG"),
    ("prices.xlsx", ooxml("docx"), "Excel (.xlsx)"),
    ("letter.docx", ooxml("xlsx"), "Word (.docx)"),
    ("letter.docx", plain_zip(), "Word (.docx)"),
    ("prices.xlsx", b"PK\x03\x04 truncated", "Excel (.xlsx)"),
    ("text.odt", odf("application/vnd.oasis.opendocument.spreadsheet"), "OpenDocument text"),
    ("old.doc", PDF, "Word (.doc)"),
    ("prices.csv", b"item,price\n1.01,\xff\xfe\n", "UTF-8 CSV text"),
    ("notes.txt", b"MZ\x00\x00binary", "UTF-8 text"),
])  # fmt: skip
def test_mismatched_content_is_refused_naming_the_file(name, data, kind):
    with pytest.raises(ValidationError) as e:
        files.check_upload(Upload(name, "application/octet-stream", data))
    message = e.value.message_dict["attachments"][0]
    assert message.startswith(f"{name}: the content is not a {kind} file")


def test_submission_with_a_disguised_file_stores_nothing(north, bid):
    with pytest.raises(ValidationError, match=r"evil\.pdf: the content is not a PDF"):
        _submit(north, bid, {"2.01": "0.29"},
                uploads=[Upload("evil.pdf", "application/pdf", b"MZ\x90\x00")])  # fmt: skip
    assert not Response.objects.exists()
    with pytest.raises(ValidationError, match=r"evil\.png"):
        responses.response_save_draft(user=north.users["supplier_rep"], solicitation=bid,
                                     supplier=north.supplier, data=offer(bid, {"2.01": "1"}),
                                     uploads=[Upload("evil.png", "image/png", PDF)])  # fmt: skip
    assert not Response.objects.exists()
