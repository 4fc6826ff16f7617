"""Suppliers' sealed responses: drafts, submissions with receipts, revisions, withdrawals."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from edcoop.core import audit, formatting
from edcoop.core.decimals import (
    MONEY,
    QUANTITY,
    Bounds,
    DecimalInputError,
    column,
    parse_decimal,
)
from edcoop.core.inputs import STATEMENT
from edcoop.core.permissions import Action, require
from edcoop.members.models import Agency, Supplier

from . import notify, sealing, timing
from .files import Upload, check_upload, content_type_of
from .lifecycle import S
from .models import (
    ATTESTATIONS,
    Addendum,
    BidLine,
    LineItem,
    Lot,
    Response,
    ResponseAttachment,
    Solicitation,
)

MAX_ATTACHMENTS = 10
# A response's alternates and exceptions: sealed with the bid, so bounded here, not by a column.
RESPONSE_TEXT = STATEMENT

# Responses -----------------------------------------------------------------------------------


@dataclass
class LineInput:
    item_id: int
    unit_price: Any
    tiers: list[tuple[Any, Any]] = field(default_factory=list)
    # The most of this item the supplier will supply (its capacity); None: no limit.
    max_quantity: Any = None


@dataclass
class ResponseInput:
    lines: list[LineInput] = field(default_factory=list)
    # (minimum total, percent): a percentage off the supplier's whole award once the award
    # reaches the minimum; several steps, each higher threshold a higher percent.
    spend_discounts: list[tuple[Any, Any]] = field(default_factory=list)
    alternates: str = ""
    exceptions: str = ""
    attestations: list[str] = field(default_factory=list)
    acknowledged_addenda: list[int] = field(default_factory=list)


class IdempotencyConflict(ValidationError):
    """A retry reused an idempotency key with different content (the API answers 409).
    ``previous`` is the submission that key already made."""

    previous: Response | None = None


@dataclass(frozen=True)
class Receipt:
    """What the supplier keeps. ``sha256`` is the receipt hash (HMAC-SHA256 keyed with
    ``secret`` from receipt version 2); the secret is the supplier's alone."""

    response_id: int
    supplier: str
    solicitation: str
    version: int
    received_at: datetime
    sha256: str
    receipt_version: int
    secret: str


def _receipt(response: Response, envelope: sealing.Envelope) -> Receipt:
    return Receipt(
        response.pk,
        response.supplier_name,
        response.solicitation.number,
        response.version,
        response.received_at,
        response.content_sha256,
        envelope.receipt_version,
        envelope.secret or "",
    )


# What a bid line's columns hold: a price is a BidLine.unit_price (14 digits, 4 places); a
# tier's minimum quantity is a quantity (up to 4 places) above zero.
PRICE = column(BidLine, "unit_price")
# A spend discount's percent: above 0, below 100, at most 2 places (the award engine's).
PERCENT = Bounds(5, 2, Decimal(0), Decimal(100))
KEY_LENGTH = Response._meta.get_field("idempotency_key").max_length or 100
MAX_DISCOUNT_STEPS = 20


def _decimal(raw: Any, bounds: Bounds, *, where: str) -> Decimal:
    """A number typed in a form or sent by the API, refused with ``where`` named."""
    try:
        return parse_decimal(raw, bounds, people=True)
    except DecimalInputError as exc:
        raise ValidationError(f"{where}: {exc}.") from None


@dataclass(frozen=True)
class _Item:
    pk: int
    number: str
    description: str
    lot_id: int
    lot: Lot


# The items with their lots (in the lots' and items' order) and the addenda issued (id NULL,
# number in the lot_id column, title in the description's), in one round trip.
_ITEM_T, _LOT_T, _ADDENDUM_T = (LineItem._meta.db_table, Lot._meta.db_table,
                                 Addendum._meta.db_table)  # fmt: skip
_ITEMS_SQL = (
    f"SELECT i.id, i.number, i.description, i.lot_id, l.number, l.award_basis FROM {_ITEM_T} i "  # noqa: S608
    f"JOIN {_LOT_T} l ON l.id = i.lot_id WHERE i.solicitation_id = %s "
    "UNION ALL SELECT NULL, NULL, a.title, a.number, NULL, NULL "
    f"FROM {_ADDENDUM_T} a WHERE a.solicitation_id = %s "
    "ORDER BY 5, 2, 1"
)


def _items(solicitation: Solicitation) -> tuple[dict[int, _Item], dict[int, str]]:
    """The solicitation's items with their lots, and its addenda (number: title), read as
    plain values in one statement: every submission reads them, and building model
    instances or a second query cost more than the rest of the check."""
    lots: dict[int, Lot] = {}
    items = {}
    issued = {}
    with connection.cursor() as cursor:
        cursor.execute(_ITEMS_SQL, [solicitation.pk, solicitation.pk])
        rows = cursor.fetchall()
    for pk, number, description, lot_id, lot_number, basis in rows:
        if pk is None:
            issued[int(lot_id)] = description
            continue
        lot = lots.get(lot_id)
        if lot is None:
            lot = lots[lot_id] = Lot(pk=lot_id, number=lot_number, award_basis=basis)
        items[pk] = _Item(pk, number, description, lot_id, lot)
    return items, dict(sorted(issued.items()))


def _normalise(solicitation: Solicitation, data: ResponseInput, *, complete: bool,
               attachments: Sequence[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """Parse and check a response; ``complete`` adds the rules a submission must meet."""
    items, issued = _items(solicitation)
    lines = []
    seen: set[int] = set()
    # Every price and tier of the form is judged in one round, each under its own field.
    bad: dict[str, list[str]] = {}
    for line in data.lines:
        item = items.get(int(line.item_id))
        if item is None:
            raise ValidationError({"lines": f"Item {line.item_id} is not in this solicitation."})
        if item.pk in seen:
            raise ValidationError({"lines": f"Item {item.number} is priced twice."})
        seen.add(item.pk)
        if line.unit_price in (None, "") and not line.tiers:
            continue
        where = f"Item {item.number} ({item.description})"
        fname, tname, mname = f"price_{item.pk}", f"tiers_{item.pk}", f"max_{item.pk}"
        try:
            price = _decimal(line.unit_price, PRICE, where=f"{where}, unit price")
        except ValidationError as e:
            bad.setdefault(fname, []).extend(e.messages)
        capacity = None
        if line.max_quantity not in (None, ""):
            try:
                capacity = _decimal(line.max_quantity, QUANTITY,
                                    where=f"{where}, maximum quantity")  # fmt: skip
                if capacity <= 0:
                    raise ValidationError(f"{where}: a maximum quantity is above 0 (leave it "
                                          "empty for no limit).")  # fmt: skip
            except ValidationError as e:
                bad.setdefault(mname, []).extend(e.messages)
        tiers = []
        for minimum, tier_price in line.tiers:
            try:
                qty = _decimal(minimum, QUANTITY, where=f"{where}, volume tier quantity")
                if qty <= 0:
                    raise ValidationError(f"{where}: a volume tier starts at a quantity above 0.")
                tp = _decimal(tier_price, PRICE, where=f"{where}, volume tier price")
            except ValidationError as e:
                bad.setdefault(tname, []).extend(e.messages)
                continue
            # Plain digits: str(Decimal("5000").normalize()) would be "5E+3".
            tiers.append({"min_quantity": f"{qty.normalize():f}", "unit_price": str(tp)})
        if len({t["min_quantity"] for t in tiers}) != len(tiers):
            bad.setdefault(tname, []).append(f"{where}: two tiers start at the same quantity.")
        if fname in bad or tname in bad or mname in bad:
            continue
        tiers.sort(key=lambda t: Decimal(t["min_quantity"]))
        lines.append({"item_id": item.pk, "item": item.number, "unit_price": str(price),
                      "tiers": tiers, "max_quantity": None if capacity is None
                      else f"{capacity.normalize():f}"})  # fmt: skip
    try:
        discounts = _spend_discounts(data.spend_discounts)
    except ValidationError as e:
        bad.setdefault("spend_discounts", []).extend(e.messages)
    for key in ("alternates", "exceptions"):
        text = getattr(data, key).strip()
        if len(text) > RESPONSE_TEXT:
            bad.setdefault(key, []).append(
                f"At most {RESPONSE_TEXT:,} characters; this is {len(text):,}."
            )
    if bad:
        raise ValidationError(bad)
    attestations = sorted(set(data.attestations))
    unknown = [a for a in attestations if a not in ATTESTATIONS]
    if unknown:
        raise ValidationError({"attestations": f"Unknown attestation(s): {', '.join(unknown)}."})
    acks = sorted({int(n) for n in data.acknowledged_addenda})
    bad_acks = [n for n in acks if n not in issued]
    if bad_acks:
        raise ValidationError({"acknowledged_addenda": f"No addendum {bad_acks[0]} was issued."})
    if complete:
        problems: dict[str, list[str]] = {}
        if not lines:
            problems.setdefault("lines", []).append("Price at least one line.")
        priced = {line["item_id"] for line in lines}
        for lot in {i.lot for i in items.values() if i.pk in priced}:
            if lot.needs_every_line:
                for item in items.values():
                    if item.lot_id == lot.pk and item.pk not in priced:
                        problems.setdefault(f"price_{item.pk}", []).append(
                            f"Item {item.number} ({item.description}) has no price, and lot "
                            f"{lot.number} is awarded {lot.get_award_basis_display().lower()}: "
                            "price every line of the lot or none of them."
                        )
        missing = [a for a in solicitation.required_attestations or [] if a not in attestations]
        for code in missing:
            problems.setdefault("attestations", []).append(
                f"Required attestation missing: {ATTESTATIONS[code]}."
            )
        for number in sorted(issued):
            if number not in acks:
                problems.setdefault("acknowledged_addenda", []).append(
                    f"Acknowledge addendum {number} ({issued[number]}) before submitting."
                )
        if problems:
            raise ValidationError(problems)
    return {
        "solicitation": solicitation.number,
        "lines": lines,
        "spend_discounts": discounts,
        "alternates": data.alternates.strip(),
        "exceptions": data.exceptions.strip(),
        "attestations": attestations,
        "acknowledged_addenda": acks,
        "attachments": sorted(attachments, key=lambda a: (a["filename"], a["sha256"])),
    }


def _spend_discounts(steps: Sequence[tuple[Any, Any]]) -> list[dict[str, str]]:
    """A response's spend discounts, checked as the award engine needs them: thresholds
    rising, each higher threshold a higher percent, every percent above 0 and below 100."""
    if len(steps) > MAX_DISCOUNT_STEPS:
        raise ValidationError(f"Spend discounts: at most {MAX_DISCOUNT_STEPS} steps.")
    out: list[tuple[Decimal, Decimal]] = []
    for n, (minimum, percent) in enumerate(steps, start=1):
        where = f"Spend discount {n}"
        total = _decimal(minimum, MONEY, where=f"{where}, minimum award total")
        pct = _decimal(percent, PERCENT, where=f"{where}, percent")
        if not 0 < pct < 100:
            raise ValidationError(f"{where}: the percent is above 0 and below 100.")
        out.append((total, pct))
    out.sort()
    for (low, low_pct), (high, high_pct) in itertools.pairwise(out):
        if high == low:
            raise ValidationError(f"Spend discounts: two steps start at {formatting.money(low)}.")
        if high_pct <= low_pct:
            raise ValidationError(
                f"Spend discounts: the step from {formatting.money(high)} must give more than the "
                f"{formatting.percent(low_pct, fraction=False)} of the step from "
                f"{formatting.money(low)}."
            )
    return [{"min_total": f"{t:.2f}", "percent": f"{p.normalize():f}"} for t, p in out]


def _may_respond(user: Any, solicitation: Solicitation, supplier: Supplier) -> None:
    if supplier.agency_id != solicitation.agency_id:
        raise PermissionDenied("You may not respond for this supplier.")
    require(user, Action.RESPONSE_SUBMIT, solicitation.agency, supplier=supplier)
    if supplier.status != Supplier.Status.ACTIVE:
        raise ValidationError({"__all__": f"{supplier} is {supplier.get_status_display().lower()}"
                                          f" with {solicitation.agency}: only approved suppliers "
                                          "may respond."})  # fmt: skip


def _open_for_responses(solicitation: Solicitation, now: datetime, status: str) -> None:
    # ``status`` is the status as it is now, read with a share lock under the supplier's
    # (``_lock_supplier``): submissions do not wait for each other there, but the opening's
    # update waits for those in flight, and one that comes after the opening sees it. A
    # response that arrived before the deadline is still received when the scheduled close
    # (open-due) ran while it waited, not after the opening.
    if status not in (S.PUBLISHED, S.CLOSED):
        raise ValidationError({"__all__": "This solicitation is not open for responses."})
    if not timing.is_on_time(solicitation.responses_due_at, now):
        due = timing.utc_to_local(solicitation.agency, solicitation.responses_due_at)  # type: ignore[arg-type]
        raise ValidationError(
            {
                "__all__": "Responses were due at "
                f"{due:%b %d, %Y %I:%M:%S %p %Z}; by the server clock it "
                "is now past that deadline, so nothing was received."
            }
        )


def _attachment_rows(uploads: Iterable[Upload]) -> list[tuple[dict[str, Any], bytes]]:
    rows = []
    for upload in uploads:
        check_upload(upload)
        meta = {"filename": PurePath(upload.filename).name,
                "content_type": content_type_of(upload.filename),
                "size": len(upload.data), "sha256": sealing.digest(upload.data)}  # fmt: skip
        rows.append((meta, sealing.seal(upload.data)))
    return rows


def _meta(user: Any, attachment: ResponseAttachment) -> dict[str, Any]:
    meta = sealing.attachment_meta_for(user, attachment)
    meta.pop("pk")
    return meta


def _draft_blobs(user: Any, draft: Response) -> list[tuple[dict[str, Any], bytes]]:
    return [(_meta(user, a), bytes(a.sealed)) for a in draft.attachments.all()]


def _attach(response: Response, blobs: Iterable[tuple[dict[str, Any], bytes]]) -> None:
    for meta, blob in blobs:
        ResponseAttachment.objects.create(
            response=response, sealed=blob, sealed_meta=sealing.seal_attachment_meta(meta)
        )


# PostgreSQL: the supplier's row locked and the solicitation's status under a share lock, in
# one round trip. The supplier's row is locked first (the locking clauses' order), as when
# these were two statements, so a submission never holds the share lock while it queues
# behind the same supplier's other request (an opening waiting on it would deadlock them).
_SOLICITATION_T, _SUPPLIER_T = Solicitation._meta.db_table, Supplier._meta.db_table

# The solicitation a submission names, with the four columns of its agency the path uses,
# in one raw read: compiling the ORM's select_related query (39 columns) cost a fifth of a
# submission's application CPU, three times this (issue 9). The agency's other columns are
# deferred, so code that reads one still gets the truth, at a query's cost.
_AGENCY_T = Agency._meta.db_table
_AGENCY_COLUMNS = ("id", "slug", "name", "time_zone")
_TO_RESPOND_SQL = (
    "SELECT s.*, " + ", ".join(f"a.{c} AS agency__{c}" for c in _AGENCY_COLUMNS)  # noqa: S608
    + f" FROM {_SOLICITATION_T} s JOIN {_AGENCY_T} a ON a.id = s.agency_id "
    "WHERE a.slug = %s AND s.id = %s"
)


def solicitation_to_respond(slug: str, pk: int) -> Solicitation | None:
    """The solicitation ``pk`` of the agency ``slug`` with its agency, for a submission."""
    found = next(iter(Solicitation.objects.raw(_TO_RESPOND_SQL, [slug, pk])), None)
    if found is not None:
        values = [getattr(found, f"agency__{c}") for c in _AGENCY_COLUMNS]
        found.agency = Agency.from_db(connection.alias, list(_AGENCY_COLUMNS), values)
    return found
_LOCK_SQL = (
    f"SELECT sol.status, sup.legal_name, sup.dba FROM {_SOLICITATION_T} sol, "  # noqa: S608
    f"{_SUPPLIER_T} sup WHERE sol.id = %s AND sup.id = %s "
    "FOR UPDATE OF sup FOR SHARE OF sol"
)


# The submission path's fixed statements, written once rather than compiled by the ORM on
# every submission (compiling them cost more than running them; issue 9). A supplier's
# versions of this solicitation, and whatever its idempotency key already made (possibly
# for another solicitation; an empty key matches nothing, as keys are stored stripped).
_RESPONSE_T = Response._meta.db_table
_EARLIER_SQL = (
    f"SELECT id, solicitation_id, version, is_current, idempotency_key FROM {_RESPONSE_T} "  # noqa: S608
    "WHERE supplier_id = %s AND (solicitation_id = %s OR (idempotency_key <> '' AND "
    "idempotency_key = %s))"
)
_SUPERSEDE_SQL = f"UPDATE {_RESPONSE_T} SET is_current = FALSE, status = %s WHERE id = %s"  # noqa: S608

def _lock_supplier(supplier: Supplier, solicitation: Solicitation) -> tuple[str, str, str]:
    """One writer per supplier at a time: revisions and retries queue here. Returns its
    legal name and DBA as they are now, from the row locked, and the solicitation's status
    as it is now (see ``_open_for_responses``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL, [solicitation.pk, supplier.pk])
            row = cursor.fetchone()
        if row is None:
            raise Supplier.DoesNotExist("No such supplier or solicitation.")
        return str(row[1]), str(row[2]), str(row[0])
    # SQLite: the transaction already holds the database's write lock.
    legal_name, dba = Supplier.objects.values_list("legal_name", "dba").get(pk=supplier.pk)
    status = (Solicitation.objects.filter(pk=solicitation.pk).order_by()
              .values_list("status", flat=True).first())  # fmt: skip
    return legal_name, dba, str(status or "")


@transaction.atomic
def response_save_draft(
    *, user: Any, solicitation: Solicitation, supplier: Supplier, data: ResponseInput,
    uploads: Sequence[Upload] = (), remove_attachments: Sequence[int] = (),
) -> Response:  # fmt: skip
    """Keep work in progress (sealed like a submission). Nothing is checked for completeness."""
    _may_respond(user, solicitation, supplier)
    *_, status = _lock_supplier(supplier, solicitation)
    now = timing.now()
    _open_for_responses(solicitation, now, status)
    draft = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                    status=Response.Status.DRAFT).first()  # fmt: skip
    if draft is None:
        draft = Response(solicitation=solicitation, supplier=supplier,
                         status=Response.Status.DRAFT, received_at=now)  # fmt: skip
    kept = (
        [] if draft.pk is None else list(draft.attachments.exclude(pk__in=list(remove_attachments)))
    )
    new = _attachment_rows(uploads)
    if len(kept) + len(new) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"At most {MAX_ATTACHMENTS} attachments."})
    metas = [_meta(user, a) for a in kept] + [m for m, _ in new]
    content = _normalise(solicitation, data, complete=False, attachments=metas)
    draft.sealed, envelope = sealing.seal_content(content)
    draft.content_sha256, draft.receipt_version = envelope.receipt_hash, envelope.receipt_version
    draft.received_at = now
    draft.submitted_by = user
    draft.save()
    if remove_attachments:
        draft.attachments.filter(pk__in=list(remove_attachments)).delete()
    _attach(draft, new)
    audit.record("response.draft", draft, agency_id=solicitation.agency_id,
                 changes={"sha256": [None, draft.content_sha256]})  # fmt: skip
    return draft


@transaction.atomic
def response_submit(
    *, user: Any, solicitation: Solicitation, supplier: Supplier,
    data: ResponseInput | None = None, uploads: Sequence[Upload] = (),
    idempotency_key: str = "", with_draft_attachments: bool = False,
    received_at: datetime | None = None,
) -> Receipt:  # fmt: skip
    """Seal and receive a response; the latest submission before the deadline counts.

    ``data=None`` submits the saved draft (with its attachments). A retry with the same
    ``idempotency_key`` and the same content returns the first receipt and creates nothing.
    ``received_at`` is when the request reached the server (``timing.received``): it, not
    the moment this function gets the supplier's lock, decides on time or late and is the
    receipt's time. Without it (commands, the demo), now.
    """
    _may_respond(user, solicitation, supplier)
    key = idempotency_key.strip()
    if len(key) > KEY_LENGTH:
        # Never cut: two keys sharing their first 100 characters are different requests.
        raise ValidationError({"idempotency_key": f"At most {KEY_LENGTH} characters of text "
                                                  f"({len(key)} sent)."})  # fmt: skip
    legal_name, dba, status = _lock_supplier(supplier, solicitation)
    # Under the supplier's lock, in one round trip: its versions of this solicitation and
    # whatever its idempotency key already made (possibly for another solicitation).
    with connection.cursor() as cursor:
        cursor.execute(_EARLIER_SQL, [supplier.pk, solicitation.pk, key])
        earlier = cursor.fetchall()
    made = next((pk for pk, *_, k in earlier if key and k == key), None)
    previous = (Response.objects.select_related("solicitation__agency", "supplier").get(pk=made)
                if made is not None else None)  # fmt: skip
    if previous is not None and previous.solicitation_id != solicitation.pk:
        raise IdempotencyConflict({"__all__": "This idempotency key was used for another "
                                              "solicitation; send a new key."})  # fmt: skip
    now = received_at if received_at is not None else timing.now()
    if previous is None:
        _open_for_responses(solicitation, now, status)
    blobs: list[tuple[dict[str, Any], bytes]]
    try:
        if data is None:
            draft = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                            status=Response.Status.DRAFT).first()  # fmt: skip
            if draft is None:
                raise ValidationError({"__all__": "There is no saved draft to submit."})
            saved = sealing.unseal_for(user, draft, what="own draft")
            data = ResponseInput(
                lines=[LineInput(line["item_id"], line["unit_price"],
                                 [(t["min_quantity"], t["unit_price"]) for t in line["tiers"]],
                                 line.get("max_quantity"))
                       for line in saved["lines"]],
                spend_discounts=[(d["min_total"], d["percent"])
                                 for d in saved.get("spend_discounts", [])],
                alternates=saved["alternates"], exceptions=saved["exceptions"],
                attestations=saved["attestations"],
                acknowledged_addenda=saved["acknowledged_addenda"],
            )  # fmt: skip
            blobs = _draft_blobs(user, draft)
        else:
            blobs = []
            if with_draft_attachments:
                draft = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                                status=Response.Status.DRAFT).first()  # fmt: skip
                if draft is not None:
                    blobs = _draft_blobs(user, draft)
        blobs += _attachment_rows(uploads)
        if len(blobs) > MAX_ATTACHMENTS:
            raise ValidationError({"attachments": f"At most {MAX_ATTACHMENTS} attachments."})
        # A retry is compared, not judged again: the first submission already passed the
        # completeness rules, and an identical retry must get its receipt back.
        content = _normalise(solicitation, data, complete=previous is None,
                             attachments=[m for m, _ in blobs])  # fmt: skip
    except ValidationError:
        if previous is None:
            raise
        content = None
    if content is not None:
        content["supplier_id"] = supplier.pk
    if previous is not None:
        # The same content is the same hash under the first submission's own secret.
        first = sealing.own_envelope(user, previous)
        same = content is not None and (
            sealing.receipt_hash(content, first.secret) == previous.content_sha256
        )
        if not same:
            conflict = IdempotencyConflict({"__all__": (
                f"This submission reuses the idempotency key of version {previous.version}, "
                f"received {previous.received_at:%Y-%m-%d %H:%M:%S} UTC (SHA-256 "
                f"{previous.content_sha256[:12]}...), but its content is different. Nothing "
                "was received. To send a revision, submit it with a new idempotency key."
            )})  # fmt: skip
            conflict.previous = previous
            raise conflict
        return _receipt(previous, first)
    if content is None:  # pragma: no cover - a refused first submission has raised above
        raise ValidationError({"__all__": "Nothing was received."})
    # The supplier's versions and its current one (read above, under its lock).
    versions = [(pk, v, cur) for pk, sid, v, cur, _ in earlier if sid == solicitation.pk]
    version = max((v for _, v, _ in versions), default=0) + 1
    current_pk = next((pk for pk, _, is_current in versions if is_current), None)
    if current_pk is not None:
        with connection.cursor() as cursor:
            cursor.execute(_SUPERSEDE_SQL, [Response.Status.SUPERSEDED.value, current_pk])
    sealed, envelope = sealing.seal_content(content)
    response = Response.objects.create(
        solicitation=solicitation, supplier=supplier, status=Response.Status.SUBMITTED,
        is_current=True, version=version, idempotency_key=key, sealed=sealed,
        content_sha256=envelope.receipt_hash, receipt_version=envelope.receipt_version,
        received_at=now, submitted_by=user,
        # The name it sent under, from the row just locked (Response.save reads it otherwise).
        supplier_legal_name=legal_name, supplier_dba=dba,
    )  # fmt: skip
    _attach(response, blobs)
    audit.record("response.submit", response, agency_id=solicitation.agency_id,
                 label=f"{supplier} response to {solicitation.number}",
                 changes={"version": [None, version], "sha256": [None, response.content_sha256],
                          "replaces": [None, current_pk]})  # fmt: skip
    receipt = _receipt(response, envelope)
    notify.receipt(response, receipt)
    return receipt


@transaction.atomic
def response_withdraw(*, user: Any, solicitation: Solicitation, supplier: Supplier) -> Response:
    _may_respond(user, solicitation, supplier)
    *_, status = _lock_supplier(supplier, solicitation)
    now = timing.now()
    _open_for_responses(solicitation, now, status)
    current = Response.objects.filter(solicitation=solicitation, supplier=supplier,
                                      is_current=True).first()  # fmt: skip
    if current is None:
        raise ValidationError({"__all__": "There is no submitted response to withdraw."})
    current.is_current = False
    current.status = Response.Status.WITHDRAWN
    current.withdrawn_at = now
    current.save(update_fields=["is_current", "status", "withdrawn_at"])
    audit.record(
        "response.withdraw",
        current,
        agency_id=solicitation.agency_id,
        label=f"{supplier} response to {solicitation.number}",
        changes={"status": ["submitted", "withdrawn"]},
    )
    return current
