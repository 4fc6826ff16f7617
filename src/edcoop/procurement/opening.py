"""The public opening, and the scheduled closing and opening (``open-due``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError, transaction

from edcoop.core import audit
from edcoop.core.decimals import MONEY, QUANTITY, DecimalInputError, parse_decimal
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Supplier

from . import notify, sealing, timing
from .lifecycle import S, locked, move
from .models import (
    ATTESTATIONS,
    BidLine,
    LineItem,
    Response,
    Solicitation,
)
from .responses import PERCENT, PRICE

KEY_PROBLEM = "it cannot be decrypted with the sealing key"

# Opening -------------------------------------------------------------------------------------


def _close_if_due(solicitation: Solicitation, now: datetime) -> None:
    if solicitation.status == S.PUBLISHED and not timing.is_on_time(
        solicitation.responses_due_at, now
    ):
        move(solicitation, S.CLOSED, user=None, note="The response deadline passed.")


class Unreadable(Exception):
    """A response the opening cannot read; ``str()`` is the finding shown on the tabulation."""


@dataclass(frozen=True)
class OpenedLine:
    item: LineItem
    unit_price: Decimal
    tiers: list[dict[str, str]]
    max_quantity: Decimal | None = None


def _lines(content: dict[str, Any], items: dict[int, LineItem]) -> list[OpenedLine]:
    """The prices of an unsealed response, each checked against what a bid line holds, so
    no stored value can fail the opening."""
    try:
        out = []
        for line in content["lines"]:
            item = items.get(int(line["item_id"]))
            if item is None:
                continue
            where = f"item {item.number}"
            price = _price(line["unit_price"], f"{where} unit price")
            tiers = []
            for tier in line["tiers"]:
                minimum = parse_decimal(_plain(tier["min_quantity"]), QUANTITY)
                tier_price = _price(tier["unit_price"], f"{where} tier")
                tiers.append({"min_quantity": f"{minimum.normalize():f}",
                              "unit_price": str(tier_price)})  # fmt: skip
            capacity = line.get("max_quantity")  # absent from responses sealed before it
            maximum = None if capacity is None else parse_decimal(_plain(capacity), QUANTITY)
            if maximum is not None and maximum <= 0:
                raise Unreadable(f"{where} maximum quantity is not above 0")
            out.append(OpenedLine(item, price, tiers, maximum))
        return out
    except DecimalInputError as exc:
        raise Unreadable(f"a quantity {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable(f"its content is malformed ({type(exc).__name__})") from None


def _spend_discounts(content: dict[str, Any]) -> list[dict[str, str]]:
    """A response's spend discounts, checked again as the award engine reads them."""
    try:
        out = []
        for step in content.get("spend_discounts") or []:
            total = parse_decimal(str(step["min_total"]), MONEY)
            percent = parse_decimal(str(step["percent"]), PERCENT)
            if not 0 < percent < 100:
                raise Unreadable("a spend discount's percent is not between 0 and 100")
            out.append({"min_total": f"{total:.2f}", "percent": f"{percent.normalize():f}"})
        return out
    except DecimalInputError as exc:
        raise Unreadable(f"a spend discount {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise Unreadable(f"its content is malformed ({type(exc).__name__})") from None


def _plain(raw: Any) -> str:
    """A sealed tier quantity as plain digits: responses sealed before this fix hold a round
    quantity in exponent form ("5E+3", from ``Decimal.normalize``), which is the same number."""
    try:
        return f"{Decimal(str(raw)):f}"
    except (InvalidOperation, ValueError):
        return str(raw)


def _price(raw: Any, where: str) -> Decimal:
    try:
        return parse_decimal(str(raw), PRICE)
    except DecimalInputError as exc:
        raise Unreadable(f"{where} {exc}") from None


def _envelope(response: Response) -> sealing.Envelope:
    try:
        envelope = sealing.unseal_at_opening(response)
    except ImproperlyConfigured:
        raise Unreadable(KEY_PROBLEM) from None
    except (ValueError, KeyError, TypeError):  # JSON, or a broken envelope
        raise Unreadable("its sealed content is malformed") from None
    if (envelope.receipt_version != response.receipt_version
            or envelope.receipt_hash != response.content_sha256):  # fmt: skip
        raise Unreadable("its content does not match its receipt hash")
    return envelope


def _open_one(response: Response, solicitation: Solicitation, addenda: dict[int, Any],
              items: dict[int, LineItem]) -> None:  # fmt: skip
    """Open one response inside its own savepoint: readable, it gets its bid lines and
    responsiveness; unreadable, it gets a finding and no prices, and the opening goes on."""
    finding: str | None = None
    try:
        with transaction.atomic():
            envelope = _envelope(response)
            content = envelope.content
            lines = _lines(content, items)
            discounts = _spend_discounts(content)
            reasons = []
            for number, addendum in sorted(addenda.items()):
                if number not in content["acknowledged_addenda"]:
                    reasons.append(f"Did not acknowledge addendum {number} ({addendum.title}).")
            if response.supplier.status != Supplier.Status.ACTIVE:
                reasons.append(f"Supplier is {response.supplier.get_status_display().lower()}.")
            missing = [a for a in solicitation.required_attestations or []
                       if a not in content["attestations"]]  # fmt: skip
            reasons += [f"Missing attestation: {ATTESTATIONS[a]}." for a in missing]
            for line in lines:
                BidLine.objects.create(response=response, item=line.item,
                                       unit_price=line.unit_price, tiers=line.tiers,
                                       max_quantity=line.max_quantity)  # fmt: skip
            response.responsive = not reasons
            response.nonresponsive_reasons = reasons
            response.opened_content = {k: content[k] for k in
                                       ("alternates", "exceptions", "attestations",
                                        "acknowledged_addenda", "attachments")}  # fmt: skip
            response.spend_discounts = discounts
            response.save(update_fields=["responsive", "nonresponsive_reasons",
                                         "opened_content", "spend_discounts"])  # fmt: skip
    except (Unreadable, DatabaseError, KeyError, TypeError, ValueError) as exc:
        why = (str(exc) if isinstance(exc, Unreadable) else "it cannot be stored"
               if isinstance(exc, DatabaseError) else "its content is malformed")  # fmt: skip
        finding = f"Could not be read: {why}."
        response.responsive = False
        response.nonresponsive_reasons = [finding]
        response.opened_content = None
        response.save(update_fields=["responsive", "nonresponsive_reasons", "opened_content"])
    changes: dict[str, Any] = {"responsive": [None, response.responsive]}
    if finding:
        changes["finding"] = [None, finding]
    audit.record("response.open", response, agency_id=solicitation.agency_id,
                 label=f"{response.supplier_name} response to {solicitation.number}",
                 changes=changes)  # fmt: skip


@transaction.atomic
def solicitation_open(*, user: Any, solicitation: Solicitation) -> Solicitation:
    """The public opening: unseal every current response, write its prices in clear, flag
    the non-responsive ones. ``user=None`` is the scheduled opening (``open-due``).

    Each response is opened on its own: one that cannot be read becomes a finding on the
    tabulation ("Could not be read: ..."), never a failed opening. Only when *no* response
    can be decrypted does the opening stop (the sealing key is wrong, not a response), and
    then nothing changes: the opening is whole or leaves the solicitation as it was."""
    if user is not None:
        require(user, Action.RESPONSE_OPEN, solicitation.agency)
    solicitation = locked(solicitation)
    now = timing.now()
    _close_if_due(solicitation, now)
    if solicitation.status != S.CLOSED:
        raise ValidationError({"status": "Only a solicitation whose deadline has passed can be "
                                         "opened."})  # fmt: skip
    if solicitation.opening_at is None or now < solicitation.opening_at:
        raise ValidationError({"opening_at": "The opening time has not come yet."})
    solicitation.opened_at = now
    addenda = {a.number: a for a in solicitation.addenda.all()}
    items = {i.pk: i for i in solicitation.items.all()}
    responses = list(Response.objects.filter(solicitation=solicitation, is_current=True)
                     .select_related("supplier", "solicitation__agency"))  # fmt: skip
    move(solicitation, S.OPENED, user=user, note=f"{len(responses)} response(s) opened.")
    for response in responses:
        response.solicitation = solicitation
        _open_one(response, solicitation, addenda, items)
    key_problem = [f"Could not be read: {KEY_PROBLEM}."]
    undecryptable = [r for r in responses if r.nonresponsive_reasons == key_problem]
    if responses and len(undecryptable) == len(responses):
        raise ImproperlyConfigured(
            "No sealed response can be decrypted: check EDCOOP_SEALING_KEY. Nothing was opened."
        )
    notify.opened(solicitation)
    return solicitation


@dataclass
class OpenDue:
    """What a run of ``open-due`` did: the solicitations opened and those that failed."""

    opened: list[Solicitation] = field(default_factory=list)
    failed: list[tuple[Solicitation, str]] = field(default_factory=list)


def open_due(*, now: datetime | None = None) -> OpenDue:
    """Close what is past its deadline and open what is past its opening time (cron). Each
    solicitation in its own transaction: a failure is reported and the others go on."""
    now = now or timing.now()
    result = OpenDue()
    due = Solicitation.objects.filter(
        status__in=[S.PUBLISHED, S.CLOSED], responses_due_at__lte=now
    ).select_related("agency")
    for solicitation in due:
        try:
            with transaction.atomic():
                row = locked(solicitation)
                _close_if_due(row, now)
            if solicitation.opening_at is not None and solicitation.opening_at <= now:
                result.opened.append(solicitation_open(user=None, solicitation=solicitation))
        except Exception as exc:  # reported, and the next one goes on
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            result.failed.append((solicitation, reason or type(exc).__name__))
    return result


def remind_due(*, within_hours: int = 48) -> int:
    """E-mail suppliers with a draft but no submission when a deadline is near."""
    from datetime import timedelta

    now = timing.now()
    count = 0
    for solicitation in Solicitation.objects.filter(
        status=S.PUBLISHED, responses_due_at__gt=now,
        responses_due_at__lte=now + timedelta(hours=within_hours),
    ):  # fmt: skip
        count += notify.reminder(solicitation)
    return count


def can_read_responses(user: Any, solicitation: Solicitation) -> bool:
    from .evaluation import may_read_responses

    return (not solicitation.is_sealed and can(user, Action.RESPONSE_READ, solicitation.agency)
            and may_read_responses(user, solicitation))  # fmt: skip
