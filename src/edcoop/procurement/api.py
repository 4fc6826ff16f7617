"""The solicitations API (mounted from ``edcoop.api.urls``). Thin handlers: a schema in,
a scoped lookup, one service, a schema out. A sealed response's contents are a 403 for every
caller but its own supplier, and the attempt is audited; another agency's records are 404."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from edcoop.api import auth, lookups
from edcoop.api.schemas import DecimalIn, Error, In, Money
from edcoop.core import permissions
from edcoop.core.decimals import MONEY, QUANTITY, api_decimal
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Supplier

from . import (
    awarding,
    demand,
    drafting,
    evaluation,
    files,
    opening,
    publication,
    questions,
    responses,
    sealing,
    selectors,
    timing,
)
from .models import (
    Addendum,
    Document,
    LineItem,
    Lot,
    Question,
    Response,
    Solicitation,
    StatusChange,
)

router = Router(tags=["procurement"])

UnitPrice = Any  # documented as a decimal string with 4 places below


def _price(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.0001")))


# Schemas -------------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    number: str
    description: str
    unit: str
    specifications: str
    estimated_quantity: Money


class LotOut(Schema):
    id: int
    number: int
    title: str
    award_basis: str
    items: list[ItemOut]


class AddendumOut(Schema):
    number: int
    title: str
    body: str
    issued_at: datetime


class AnswerOut(Schema):
    question: str
    answer: str
    answered_at: datetime | None


class SolicitationOut(Schema):
    id: int
    number: str
    title: str
    kind: str
    category: str
    lead_agency: str
    status: str
    eligibility: str
    eligible_kinds: list[str]
    open_to_all_eligible: bool
    required_attestations: list[str]
    survey_deadline: datetime | None
    published_at: datetime | None
    questions_due_at: datetime | None
    responses_due_at: datetime | None
    opening_at: datetime | None
    opened_at: datetime | None


class SolicitationDetail(SolicitationOut):
    lots: list[LotOut]
    addenda: list[AddendumOut]
    answers: list[AnswerOut]


class SolicitationIn(In):
    columns = (Solicitation,)
    number: str
    title: str
    kind: Solicitation.Kind = Solicitation.Kind.IFB
    category: str = ""
    lead_agency: str = ""
    description: str = ""
    eligibility: Solicitation.Eligibility = Solicitation.Eligibility.SERVICE_AREA
    eligible_kinds: list[str] = []
    open_to_all_eligible: bool = False
    required_attestations: list[str] = []
    survey_deadline: datetime | None = None
    questions_due_at: datetime | None = None
    responses_due_at: datetime | None = None
    opening_at: datetime | None = None


class LotIn(In):
    columns = (Lot,)
    title: str
    award_basis: Lot.AwardBasis = Lot.AwardBasis.PER_ITEM


class CriterionIn(In):
    name: str = Field(max_length=200)
    weight: DecimalIn = Field(description="Percent; the weights of an RFP add up to 100.")
    is_price: bool = Field(False, description="The price criterion: computed, not scored.")


class ItemIn(In):
    columns = (LineItem,)
    lot_id: int
    number: str
    description: str
    unit: str
    specifications: str = ""
    estimated_quantity: DecimalIn = Decimal("0")


class AddendumIn(In):
    columns = (Addendum,)
    title: str
    body: str
    new_responses_due_at: datetime | None = None


class StatusIn(In):
    columns = (StatusChange,)
    status: str = Field(max_length=20,
                        description="under_evaluation or cancelled (awarded: by the final award)")
    note: str = ""


class QuestionIn(In):
    columns = (Question,)
    supplier_id: int
    text: str


class AnswerIn(In):
    columns = (Question,)
    public_text: str = ""
    answer: str


class DemandIn(In):
    quantities: dict[int, DecimalIn] = Field(description="item id -> estimated annual quantity")


class DemandItemOut(Schema):
    item_id: int
    number: str
    total: Money
    by_member: dict[str, Money]


# Bid prices and tier quantities are refused at the door (422 naming the field) when the
# column cannot hold them or they make no sense (1E+30, -0, 1_000, other scripts' digits).
if TYPE_CHECKING:
    BidPrice = Decimal
    TierQuantity = Decimal
    DiscountTotal = Decimal
    DiscountPercent = Decimal
else:
    BidPrice = api_decimal(responses.PRICE, "0.2875")
    TierQuantity = api_decimal(QUANTITY, "500")
    DiscountTotal = api_decimal(MONEY, "50000")
    DiscountPercent = api_decimal(responses.PERCENT, "2.5")


class TierIn(In):
    min_quantity: TierQuantity
    unit_price: BidPrice


class LineIn(In):
    item_id: int
    unit_price: BidPrice
    tiers: list[TierIn] = []
    max_quantity: TierQuantity | None = Field(
        None, description="The most of this item the supplier will supply; null: no limit."
    )


class SpendDiscountIn(In):
    min_total: DiscountTotal = Field(description="The award total from which the step applies.")
    percent: DiscountPercent = Field(description="Percent off the supplier's whole award "
                                     "(above 0, below 100).")  # fmt: skip


class AttachmentIn(In):
    columns = (Document,)  # a file's name and type, bounded as a solicitation document's
    # A file of at most MAX_ATTACHMENT_BYTES, in base64.
    lengths = {"content_base64": -(-files.MAX_ATTACHMENT_BYTES // 3) * 4}
    filename: str
    content_type: str = "application/octet-stream"
    content_base64: str


class ResponseIn(In):
    columns = (Response,)  # the idempotency key
    lengths = {"alternates": responses.RESPONSE_TEXT, "exceptions": responses.RESPONSE_TEXT}
    supplier_id: int
    lines: list[LineIn]
    spend_discounts: list[SpendDiscountIn] = Field(
        [], description="Steps of a percentage off the supplier's whole award once it reaches "
        "min_total; the highest step reached applies. Sealed with the prices."
    )  # fmt: skip
    alternates: str = ""
    exceptions: str = ""
    attestations: list[str] = []
    acknowledged_addenda: list[int] = []
    attachments: list[AttachmentIn] = []
    idempotency_key: str = Field("", description="A retry with the same key and content returns "
                                 "the first receipt and creates nothing; the same key with "
                                 "different content is refused (409).")  # fmt: skip


class SupplierIn(In):
    supplier_id: int


class ReceiptOut(Schema):
    response_id: int
    supplier: str
    solicitation: str
    version: int
    received_at: datetime
    sha256: str = Field(
        description="The receipt hash: HMAC-SHA256 of the canonical content "
        "keyed with `secret` (receipt_version 2)."
    )
    receipt_version: int
    secret: str = Field(
        description="The receipt secret (hex), the supplier's alone: keep it "
        "with the receipt to verify the hash after the opening."
    )


class EnvelopeOut(Schema):
    """What the agency may see of a response before the opening: that it exists."""

    id: int
    supplier_id: int
    supplier: str
    status: str
    version: int
    received_at: datetime
    responsive: bool | None


class ResponseContentOut(EnvelopeOut):
    sha256: str
    content: dict[str, Any] | None = Field(
        description="Null for a response never opened (withdrawn or replaced): see `not_opened`."
    )
    not_opened: str = Field("", description='e.g. "Withdrawn, not opened"; empty when opened.')


class CellOut(Schema):
    supplier: str
    unit_price: str | None
    extended: str | None
    lowest: bool
    max_quantity: str | None = Field(None, description="The supplier's capacity for the item.")


class RowOut(Schema):
    item: str
    description: str
    unit: str
    estimated_quantity: str
    bids: list[CellOut]


class NotOpenedOut(Schema):
    supplier: str
    version: int
    status: str = Field(description='"Withdrawn, not opened" or "Replaced by a later '
                        'submission, not opened"')


class TabulationOut(Schema):
    solicitation: str
    opened_at: datetime
    suppliers: list[dict[str, Any]]
    rows: list[RowOut]
    not_opened: list[NotOpenedOut] = []


# Lookups ---------------------------------------------------------------------------------------


def _agency(request: HttpRequest, slug: str) -> Agency:
    """Public operations: any agency by slug (its published records only, unless staff)."""
    found = Agency.objects.filter(slug=slug).order_by().first()  # slug is unique
    if found is None:
        raise Http404("No such agency.")
    return found


def _solicitation(request: HttpRequest, slug: str, sid: int, *,
                  to_respond: bool = False) -> Solicitation:  # fmt: skip
    # The agency and the solicitation in one read; then the rule of
    # permissions.solicitations_for for that row: 404 for what the caller may not see.
    # ``to_respond``: the submission path's read, cut to the agency columns it uses.
    s = (responses.solicitation_to_respond(slug, sid) if to_respond
         else Solicitation.objects.select_related("agency").filter(agency__slug=slug, pk=sid)
         .order_by().first())  # fmt: skip
    if s is None:
        _agency(request, slug)  # "No such agency." when that is what is missing
    if s is None or not permissions.solicitation_visible(lookups.caller(request), s):
        raise Http404("No such record.")
    return s


def _staff_solicitation(request: HttpRequest, slug: str, sid: int) -> Solicitation:
    agency = lookups.agency(request, slug)
    return selectors.solicitation_for(lookups.caller(request), agency, sid)


def _supplier(request: HttpRequest, agency: Agency, supplier_id: int) -> Supplier:
    return permissions.supplier_for(lookups.caller(request), agency, supplier_id)


def _detail(s: Solicitation) -> dict[str, Any]:
    out = SolicitationOut.from_orm(s).dict()
    out["lots"] = [
        {"id": lot.pk, "number": lot.number, "title": lot.title, "award_basis": lot.award_basis,
         "items": list(lot.items.all())}
        for lot in s.lots.prefetch_related("items")
    ]  # fmt: skip
    out["addenda"] = list(s.addenda.all())
    out["answers"] = [{"question": q.public_text, "answer": q.answer, "answered_at": q.answered_at}
                      for q in selectors.public_questions(s)]  # fmt: skip
    return out


# Solicitations --------------------------------------------------------------------------------


@router.get("/agencies/{slug}/solicitations", response=list[SolicitationOut], auth=auth.OPTIONAL,
            tags=["procurement", "public"])  # fmt: skip
def solicitation_list(request: HttpRequest, slug: str) -> QuerySet[Solicitation]:
    """Published solicitations (anyone); the agency's staff also see drafts."""
    agency = _agency(request, slug)
    return permissions.solicitations_for(lookups.caller(request), agency).order_by("number", "pk")


@router.get("/agencies/{slug}/solicitations/{sid}", response=SolicitationDetail,
            auth=auth.OPTIONAL, tags=["procurement", "public"])  # fmt: skip
def solicitation_detail(request: HttpRequest, slug: str, sid: int) -> dict[str, Any]:
    return _detail(_solicitation(request, slug, sid))


@router.post("/agencies/{slug}/solicitations", response={201: SolicitationOut})
def solicitation_create(request: HttpRequest, slug: str, payload: SolicitationIn) -> Any:
    agency = lookups.agency(request, slug)
    data = payload.dict()
    data["kind"], data["eligibility"] = data["kind"].value, data["eligibility"].value
    s = drafting.solicitation_create(user=lookups.caller(request), agency=agency, **data)
    return Status(201, s)


@router.post("/agencies/{slug}/solicitations/{sid}/lots", response={201: dict[str, int]})
def lot_add(request: HttpRequest, slug: str, sid: int, payload: LotIn) -> Any:
    s = _staff_solicitation(request, slug, sid)
    lot = drafting.lot_add(user=lookups.caller(request), solicitation=s, title=payload.title,
                           award_basis=payload.award_basis.value)  # fmt: skip
    return Status(201, {"id": lot.pk, "number": lot.number})


@router.post("/agencies/{slug}/solicitations/{sid}/criteria", response={201: dict[str, int]})
def criterion_add(request: HttpRequest, slug: str, sid: int, payload: CriterionIn) -> Any:
    """An RFP's evaluation criterion, while a draft."""
    s = _staff_solicitation(request, slug, sid)
    c = drafting.criterion_add(user=lookups.caller(request), solicitation=s, **payload.dict())
    return Status(201, {"id": c.pk})


@router.post("/agencies/{slug}/solicitations/{sid}/items", response={201: ItemOut})
def item_add(request: HttpRequest, slug: str, sid: int, payload: ItemIn) -> Any:
    s = _staff_solicitation(request, slug, sid)
    lot = permissions.get_or_404(s.lots.all(), pk=payload.lot_id)
    data = payload.dict()
    data.pop("lot_id")
    return Status(201, drafting.item_add(user=lookups.caller(request), lot=lot, **data))


@router.post("/agencies/{slug}/solicitations/{sid}/publish", response=SolicitationOut)
def publish(request: HttpRequest, slug: str, sid: int) -> Solicitation:
    s = _staff_solicitation(request, slug, sid)
    return publication.solicitation_publish(user=lookups.caller(request), solicitation=s)


@router.post("/agencies/{slug}/solicitations/{sid}/status", response=SolicitationOut)
def set_status(request: HttpRequest, slug: str, sid: int, payload: StatusIn) -> Solicitation:
    s = _staff_solicitation(request, slug, sid)
    return publication.solicitation_set_status(user=lookups.caller(request), solicitation=s,
                                            status=payload.status, note=payload.note)  # fmt: skip


@router.post("/agencies/{slug}/solicitations/{sid}/open", response=SolicitationOut)
def open_responses(request: HttpRequest, slug: str, sid: int) -> Solicitation:
    """The public opening (at or after the opening time)."""
    s = _staff_solicitation(request, slug, sid)
    return opening.solicitation_open(user=lookups.caller(request), solicitation=s)


@router.post("/agencies/{slug}/solicitations/{sid}/addenda", response={201: AddendumOut})
def addendum_issue(request: HttpRequest, slug: str, sid: int, payload: AddendumIn) -> Any:
    s = _staff_solicitation(request, slug, sid)
    a = publication.addendum_issue(user=lookups.caller(request), solicitation=s, **payload.dict())
    return Status(201, a)


@router.post("/agencies/{slug}/solicitations/{sid}/questions", response={201: dict[str, int]})
def question_ask(request: HttpRequest, slug: str, sid: int, payload: QuestionIn) -> Any:
    """A supplier's representative asks privately; the answer is published anonymised."""
    agency = lookups.agency(request, slug)
    s = _solicitation(request, slug, sid)
    supplier = _supplier(request, agency, payload.supplier_id)
    q = questions.question_ask(user=lookups.caller(request), solicitation=s, supplier=supplier,
                              text=payload.text)  # fmt: skip
    return Status(201, {"id": q.pk})


@router.post("/agencies/{slug}/solicitations/{sid}/questions/{qid}/answer", response=AnswerOut)
def question_answer(request: HttpRequest, slug: str, sid: int, qid: int, payload: AnswerIn) -> Any:
    s = _staff_solicitation(request, slug, sid)
    q = permissions.get_or_404(s.questions.all(), pk=qid)
    q = questions.question_answer(user=lookups.caller(request), question=q, **payload.dict())
    return {"question": q.public_text, "answer": q.answer, "answered_at": q.answered_at}


# Demand survey ---------------------------------------------------------------------------------


@router.get("/agencies/{slug}/solicitations/{sid}/demand", response=list[DemandItemOut])
def demand_totals(request: HttpRequest, slug: str, sid: int) -> list[dict[str, Any]]:
    s = _staff_solicitation(request, slug, sid)
    permissions.require(lookups.caller(request), Action.DEMAND_VIEW, s.agency)
    return [{"item_id": r.item.pk, "number": r.item.number, "total": r.total,
             "by_member": dict(r.by_member)} for r in selectors.demand_by_item(s)]  # fmt: skip


@router.put("/agencies/{slug}/solicitations/{sid}/demand/{institution_id}",
            response=dict[str, Money])  # fmt: skip
def demand_commit(
    request: HttpRequest, slug: str, sid: int, institution_id: int, payload: DemandIn
) -> dict[str, Decimal]:
    agency = lookups.agency(request, slug)
    user = lookups.caller(request)
    institution = permissions.get_or_404(permissions.institutions_for(user, agency),
                                         pk=institution_id)  # fmt: skip
    s = permissions.get_or_404(Solicitation.objects.filter(agency=agency), pk=sid)
    demand.demand_commit(user=user, solicitation=s, institution=institution,
                           quantities=dict(payload.quantities))  # fmt: skip
    return {str(k): v for k, v in selectors.commitments_of(s, institution).items()}


# Responses -----------------------------------------------------------------------------------


def _envelope(r: Response) -> dict[str, Any]:
    return {"id": r.pk, "supplier_id": r.supplier_id, "supplier": r.supplier_name,
            "status": r.status, "version": r.version, "received_at": r.received_at,
            "responsive": r.responsive}  # fmt: skip


@router.get("/agencies/{slug}/solicitations/{sid}/responses", response=list[EnvelopeOut])
def response_list(request: HttpRequest, slug: str, sid: int) -> list[dict[str, Any]]:
    """Staff: every response's envelope (supplier, receipt time), never its contents.
    A supplier's representative: its own responses."""
    agency = lookups.agency(request, slug)
    s = _solicitation(request, slug, sid)
    qs = permissions.responses_for(lookups.caller(request), agency).filter(solicitation=s)
    return [_envelope(r) for r in qs.select_related("supplier").order_by("received_at", "pk")]


@router.get(
    "/agencies/{slug}/solicitations/{sid}/responses/{int:rid}", response=ResponseContentOut
)  # int: so it never shadows .../responses/withdraw
def response_detail(request: HttpRequest, slug: str, sid: int, rid: int) -> dict[str, Any]:
    """The contents: its own supplier any time; readers of responses once opened. Before
    the opening everyone else gets 403 and the attempt is in the audit trail."""
    agency = lookups.agency(request, slug)
    s = _solicitation(request, slug, sid)
    qs = permissions.responses_for(lookups.caller(request), agency).filter(solicitation=s)
    r = permissions.get_or_404(qs.select_related("supplier", "solicitation__agency"), pk=rid)
    user = lookups.caller(request)
    own = permissions.can(user, Action.RESPONSE_SUBMIT, agency, supplier=r.supplier)
    if r.never_opened and not own and not s.is_sealed and permissions.can(
        user, Action.RESPONSE_READ, agency
    ):
        # Returned unopened: listed, never decrypted.
        return {**_envelope(r), "sha256": r.content_sha256, "content": None,
                "not_opened": r.never_opened}  # fmt: skip
    content = sealing.unseal_for(user, r, what="API")
    return {**_envelope(r), "sha256": r.content_sha256, "content": content}


@router.post("/agencies/{slug}/solicitations/{sid}/responses",
             response={201: ReceiptOut, 409: Error})  # fmt: skip
def response_submit(request: HttpRequest, slug: str, sid: int, payload: ResponseIn) -> Any:
    """Submit (or revise) a sealed response. Send an ``idempotency_key`` (or the
    ``Idempotency-Key`` header) so a retried request creates one response, not two: the same
    key with the same content returns the first receipt (201); with different content, 409."""
    s = _solicitation(request, slug, sid, to_respond=True)  # checks the caller's role in the agency
    agency = s.agency
    supplier = _supplier(request, agency, payload.supplier_id)
    uploads = []
    for a in payload.attachments:
        try:
            data = base64.b64decode(a.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                {"attachments": f"{a.filename}: content_base64 is not base64."}
            ) from None
        uploads.append(files.Upload(a.filename, a.content_type, data))
    data_in = responses.ResponseInput(
        lines=[responses.LineInput(line.item_id, line.unit_price,
                                  [(t.min_quantity, t.unit_price) for t in line.tiers],
                                  line.max_quantity)
               for line in payload.lines],
        spend_discounts=[(d.min_total, d.percent) for d in payload.spend_discounts],
        alternates=payload.alternates, exceptions=payload.exceptions,
        attestations=payload.attestations, acknowledged_addenda=payload.acknowledged_addenda,
    )  # fmt: skip
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    try:
        receipt = responses.response_submit(user=lookups.caller(request), solicitation=s,
                                           supplier=supplier, data=data_in, uploads=uploads,
                                           idempotency_key=key,
                                           received_at=timing.received(request))  # fmt: skip
    except responses.IdempotencyConflict as e:
        raise HttpError(409, " ".join(e.messages)) from None
    return Status(201, receipt.__dict__)


@router.post("/agencies/{slug}/solicitations/{sid}/responses/withdraw", response=EnvelopeOut)
def response_withdraw(request: HttpRequest, slug: str, sid: int, payload: SupplierIn) -> Any:
    agency = lookups.agency(request, slug)
    s = _solicitation(request, slug, sid)
    supplier = _supplier(request, agency, payload.supplier_id)
    r = responses.response_withdraw(user=lookups.caller(request), solicitation=s, supplier=supplier)
    return _envelope(r)


# Public results ------------------------------------------------------------------------------


@router.get("/agencies/{slug}/solicitations/{sid}/tabulation", response=TabulationOut,
            auth=auth.OPTIONAL, tags=["procurement", "public"])  # fmt: skip
def tabulation(request: HttpRequest, slug: str, sid: int) -> dict[str, Any]:
    """The bid tabulation; 404 until the opening."""
    s = _solicitation(request, slug, sid)
    tab = selectors.tabulation_for(s)
    if tab is None or s.opened_at is None:
        raise Http404("Not opened.")
    return {
        "solicitation": s.number, "opened_at": s.opened_at,
        "suppliers": [{"name": b.supplier, "responsive": b.responsive, "reasons": list(b.reasons),
                       "spend_discounts": [{"min_total": f"{t:.2f}", "percent": f"{p:f}"}
                                           for t, p in b.spend_discounts]}
                      for b in tab.bids],
        "rows": [{"item": r.item.number, "description": r.item.description, "unit": r.item.unit,
                  "estimated_quantity": str(r.item.quantity),
                  "bids": [{"supplier": b.supplier, "unit_price": _price(c.unit_price),
                            "extended": None if c.extended is None else str(c.extended),
                            "lowest": c.lowest,
                            "max_quantity": None if c.max_quantity is None
                            else f"{c.max_quantity.normalize():f}"}
                           for c, b in zip(r.cells, tab.bids, strict=True)]}
                 for r in tab.rows],
        "not_opened": [{"supplier": r.supplier_name, "version": r.version,
                        "status": r.never_opened} for r in selectors.unopened_responses(s)],
    }  # fmt: skip


# Evaluation and award (docs/evaluation.md) ----------------------------------------------------


class FindingOut(Schema):
    id: int
    response_id: int
    supplier: str
    kind: str
    proposed: bool
    proposed_reasons: list[str]
    decided: bool | None
    reason: str
    value: bool = Field(description="The finding that counts: the decision, else the proposal.")


class FindingIn(In):
    value: bool = Field(description="true: responsive / responsible; false: not")
    reason: str = Field("", max_length=2000)


class AwardLineOut(Schema):
    item: str
    supplier_id: int
    supplier: str
    rank: str
    quantity: Money
    unit_price: str
    amount: Money


class AwardOut(Schema):
    id: int
    status: str
    method: str
    basis: str
    multiple_award: bool
    total: Money | None
    baseline_total: Money | None
    gap: float | None
    ties: list[dict[str, Any]]
    board_resolution: str
    board_date: str | None
    recommended_at: datetime
    noticed_at: datetime | None
    standstill_ends_at: datetime | None
    final_at: datetime | None
    lines: list[AwardLineOut]


class RecommendIn(In):
    method: str = Field("lowest_price", max_length=20,
                        description="lowest_price or optimal (IFB); best_value (RFP)")
    basis: str = Field(max_length=4000)
    multiple_award: bool = False
    tie_choices: dict[str, str] = Field(
        default_factory=dict,
        description="Tie key (from the preview's ties) -> the chosen supplier's id.",
    )  # fmt: skip
    tie_reason: str = Field("", max_length=2000)
    max_suppliers: int | None = Field(None, ge=1, le=2000,
                                      description="Optimal award: at most this many suppliers.")


class ApproveIn(In):
    board_resolution: str = Field(max_length=100)
    board_date: date


def _finding_out(f: Any) -> dict[str, Any]:
    return {"id": f.pk, "response_id": f.response_id, "supplier": str(f.response.supplier),
            "kind": f.kind, "proposed": f.proposed, "proposed_reasons": f.proposed_reasons,
            "decided": f.decided, "reason": f.reason, "value": f.value}  # fmt: skip


def _award_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk, "status": a.status, "method": a.method, "basis": a.basis,
        "multiple_award": a.multiple_award, "total": a.total, "baseline_total": a.baseline_total,
        "gap": a.gap, "ties": a.ties, "board_resolution": a.board_resolution,
        "board_date": a.board_date.isoformat() if a.board_date else None,
        "recommended_at": a.recommended_at, "noticed_at": a.noticed_at,
        "standstill_ends_at": a.standstill_ends_at, "final_at": a.final_at,
        "lines": [{"item": ln.item.number, "supplier_id": ln.supplier_id,
                   "supplier": ln.supplier_name, "rank": ln.rank, "quantity": ln.quantity,
                   "unit_price": _price(ln.unit_price), "amount": ln.amount}
                  for ln in a.lines.select_related("item", "supplier", "response")],
    }  # fmt: skip


def _evaluated(request: HttpRequest, slug: str, sid: int) -> Solicitation:
    s = _staff_solicitation(request, slug, sid)
    if s.is_sealed:
        raise Http404("Not opened yet.")
    return s


@router.get("/agencies/{slug}/solicitations/{sid}/findings", response=list[FindingOut])
def finding_list(request: HttpRequest, slug: str, sid: int) -> list[dict[str, Any]]:
    """Responsiveness and responsibility per opened response."""
    s = _evaluated(request, slug, sid)
    permissions.require(lookups.caller(request), Action.RESPONSE_READ, s.agency)
    from .models import Finding

    qs = Finding.objects.filter(response__solicitation=s).select_related("response__supplier")
    return [_finding_out(f) for f in qs.order_by("response__supplier__legal_name", "kind")]


@router.post("/agencies/{slug}/solicitations/{sid}/findings/propose",
             response=list[FindingOut])  # fmt: skip
def findings_propose(request: HttpRequest, slug: str, sid: int) -> list[dict[str, Any]]:
    """Run the product's checks; the officer's decisions are kept."""
    s = _evaluated(request, slug, sid)
    found = evaluation.findings_propose(user=lookups.caller(request), solicitation=s)
    return [_finding_out(f) for f in found]


@router.post("/agencies/{slug}/solicitations/{sid}/findings/{fid}", response=FindingOut)
def finding_decide(request: HttpRequest, slug: str, sid: int, fid: int,
                   payload: FindingIn) -> dict[str, Any]:  # fmt: skip
    s = _evaluated(request, slug, sid)
    from .models import Finding

    f = permissions.get_or_404(Finding.objects.filter(response__solicitation=s), pk=fid)
    f = evaluation.finding_decide(user=lookups.caller(request), finding=f, value=payload.value,
                                  reason=payload.reason)  # fmt: skip
    return _finding_out(f)


@router.get("/agencies/{slug}/solicitations/{sid}/award/preview", response=dict[str, Any])
def award_preview(request: HttpRequest, slug: str, sid: int, method: str = "lowest_price",
                  multiple_award: bool = False,
                  max_suppliers: int | None = None) -> dict[str, Any]:  # fmt: skip
    """The engine's award on the eligible bids (``edcoop award solve``'s output, with the
    engine's ids: items and suppliers by primary key); nothing is stored. Each tie's key
    for ``tie_choices`` is in ``tie_keys``."""
    s = _evaluated(request, slug, sid)
    permissions.require(lookups.caller(request), Action.EVALUATION_MANAGE, s.agency)
    if method not in ("lowest_price", "optimal"):
        raise ValidationError({"method": "Choose lowest_price or optimal."})
    _inputs, result = awarding.compute(s, method=method, multiple_award=multiple_award,
                                       max_suppliers=max_suppliers)  # fmt: skip
    out = result.as_json()
    out["tie_keys"] = [awarding.tie_key(t) for t in result.ties]
    return out


@router.get("/agencies/{slug}/solicitations/{sid}/award", response=AwardOut)
def award_detail(request: HttpRequest, slug: str, sid: int) -> dict[str, Any]:
    s = _evaluated(request, slug, sid)
    award = awarding.live_award(s)
    if award is None or not awarding.may_view_award(lookups.caller(request), award):
        raise Http404("No award.")
    return _award_out(award)


@router.post("/agencies/{slug}/solicitations/{sid}/award", response={201: AwardOut})
def award_recommend(request: HttpRequest, slug: str, sid: int, payload: RecommendIn) -> Any:
    s = _evaluated(request, slug, sid)
    award = awarding.award_recommend(user=lookups.caller(request), solicitation=s,
                                     **payload.dict())  # fmt: skip
    return Status(201, _award_out(award))


@router.post("/agencies/{slug}/solicitations/{sid}/award/approve", response=AwardOut)
def award_approve(request: HttpRequest, slug: str, sid: int, payload: ApproveIn) -> Any:
    s = _evaluated(request, slug, sid)
    award = awarding.live_award(s)
    if award is None:
        raise Http404("No award.")
    return _award_out(awarding.award_approve(user=lookups.caller(request), award=award,
                                             **payload.dict()))  # fmt: skip


@router.post("/agencies/{slug}/solicitations/{sid}/award/{step}", response=AwardOut)
def award_step(request: HttpRequest, slug: str, sid: int, step: str) -> Any:
    """``notice`` (to every respondent; the stand-still starts) or ``finalize``."""
    s = _evaluated(request, slug, sid)
    award = awarding.live_award(s)
    if award is None:
        raise Http404("No award.")
    steps = {"notice": awarding.award_notice, "finalize": awarding.award_finalize}
    if step not in steps:
        raise Http404("No such step.")
    return _award_out(steps[step](user=lookups.caller(request), award=award))
