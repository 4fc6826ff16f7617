"""The public opening, and the scheduled closing and opening (``open-due``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from edcoop.core import audit
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Supplier

from . import notify, sealing, timing
from .lifecycle import S, locked, move
from .models import (
    ATTESTATIONS,
    BidLine,
    Response,
    Solicitation,
)

# Opening -------------------------------------------------------------------------------------


def _close_if_due(solicitation: Solicitation, now: datetime) -> None:
    if solicitation.status == S.PUBLISHED and not timing.is_on_time(
        solicitation.responses_due_at, now
    ):
        move(solicitation, S.CLOSED, user=None, note="The response deadline passed.")


@transaction.atomic
def solicitation_open(*, user: Any, solicitation: Solicitation) -> Solicitation:
    """The public opening: unseal every current response, write its prices in clear, flag
    the non-responsive ones. ``user=None`` is the scheduled opening (``open-due``)."""
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
        envelope = sealing.unseal_at_opening(response)
        content = envelope.content
        if (envelope.receipt_version != response.receipt_version
                or envelope.receipt_hash != response.content_sha256):  # fmt: skip
            raise ValidationError({"__all__": f"The response of {response.supplier} does not "
                                              "match its receipt hash."})  # fmt: skip
        reasons = []
        for number, addendum in sorted(addenda.items()):
            if number not in content["acknowledged_addenda"]:
                reasons.append(f"Did not acknowledge addendum {number} ({addendum.title}).")
        if response.supplier.status != Supplier.Status.ACTIVE:
            reasons.append(f"Supplier is {response.supplier.get_status_display().lower()}.")
        missing = [a for a in solicitation.required_attestations or []
                   if a not in content["attestations"]]  # fmt: skip
        reasons += [f"Missing attestation: {ATTESTATIONS[a]}." for a in missing]
        for line in content["lines"]:
            if line["item_id"] in items:
                BidLine.objects.create(response=response, item=items[line["item_id"]],
                                       unit_price=Decimal(line["unit_price"]),
                                       tiers=line["tiers"])  # fmt: skip
        response.responsive = not reasons
        response.nonresponsive_reasons = reasons
        response.opened_content = {k: content[k] for k in
                                   ("alternates", "exceptions", "attestations",
                                    "acknowledged_addenda", "attachments")}  # fmt: skip
        response.save(update_fields=["responsive", "nonresponsive_reasons", "opened_content"])
        audit.record(
            "response.open",
            response,
            agency_id=solicitation.agency_id,
            label=f"{response.supplier} response to {solicitation.number}",
            changes={"responsive": [None, response.responsive]},
        )
    notify.opened(solicitation)
    return solicitation


def open_due(*, now: datetime | None = None) -> list[Solicitation]:
    """Close what is past its deadline and open what is past its opening time (cron)."""
    now = now or timing.now()
    opened = []
    for solicitation in Solicitation.objects.filter(status__in=[S.PUBLISHED, S.CLOSED],
                                                    responses_due_at__lte=now):  # fmt: skip
        with transaction.atomic():
            row = locked(solicitation)
            _close_if_due(row, now)
        if solicitation.opening_at is not None and solicitation.opening_at <= now:
            opened.append(solicitation_open(user=None, solicitation=solicitation))
    return opened


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
