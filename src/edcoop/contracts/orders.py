"""Members' purchase orders under a contract: priced from the contract, never typed.

States: draft -> approved -> sent -> received -> closed, or cancelled before receipt.
Orders above the agency's threshold are approved by the member's finance role; below it the
buyer releases them. Every refusal names the line and the reason; nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from edcoop.billing.documents import bill_to_text
from edcoop.core import audit, formatting
from edcoop.core.inputs import moment_problem
from edcoop.core.permissions import Action, can, require
from edcoop.members.models import Agency, Institution, LetterheadVersion, Supplier

from . import pricing
from .models import (
    Adoption,
    BaselinePrice,
    Contract,
    ContractItem,
    ContractSettings,
    PurchaseOrder,
    PurchaseOrderLine,
)
from .pricelists import Priceable, item_for, price_book
from .services import next_in_series, number, refusals

S = PurchaseOrder.Status
MAX_LINES = 500


@dataclass(frozen=True)
class LineInput:
    """One line as the buyer gives it: an item of the price list by ``sku``, or for a
    catalogue-discount contract a ``category`` with the supplier's ``list_price``.
    ``unit_price``, if given, must equal the contract price (a check, never a choice)."""

    quantity: Any
    sku: str = ""
    category: str = ""
    description: str = ""
    list_price: Any = None
    unit_price: Any = None


def contract_refusals(contract: Contract, institution: Institution, on: date) -> list[str]:
    """Why ``institution`` may not order under ``contract`` on ``on``; empty if it may."""
    why = refusals(contract, institution)
    status = contract.status_on(on, ContractSettings.of(contract.agency).expiring_days)
    if status == "expired":
        why.append(f"The contract expired on {formatting.day(contract.current_end())}.")
    elif status == "terminated":
        why.append(f"The contract was terminated on {formatting.day(contract.terminated_on)}.")
    elif status == "upcoming":
        why.append(f"The contract starts on {formatting.day(contract.starts_on)}.")
    if contract.supplier.status in (Supplier.Status.DEBARRED, Supplier.Status.SUSPENDED):
        why.append(f"The supplier is {contract.supplier.get_status_display().lower()}.")
    if (
        contract.requires_adoption
        and not Adoption.objects.filter(contract=contract, institution=institution).exists()
    ):
        why.append("The member must adopt this contract before ordering under it.")
    return why


def _baseline(item: ContractItem | None, list_price: Decimal | None,
              institution: Institution) -> tuple[Decimal | None, str]:  # fmt: skip
    """The price the purchase is measured against, and how it was found (``list_price``: the
    one the price list in force on the order date records)."""
    if item is not None:
        own = BaselinePrice.objects.filter(item=item, institution=institution).first()
        if own is not None:
            return own.unit_price, "member_last_price"
        bench = BaselinePrice.objects.filter(item=item, institution__isnull=True).first()
        if bench is not None:
            return bench.unit_price, "benchmark"
    if list_price is not None:
        return list_price, "list_price"
    return None, ""


BASELINE_LABELS = {
    "member_last_price": "the member's last price paid outside the contract",
    "benchmark": "the agency's benchmark price",
    "list_price": "the supplier's list price recorded on the contract",
    "typed_list_price": "the list price the buyer typed (unverified: the saving counted is "
    "capped per line)",
}


def _price_lines(contract: Contract, institution: Institution, lines: Sequence[LineInput],
                 on: date, today: date) -> list[PurchaseOrderLine]:  # fmt: skip
    """Each line at the price list in effect on ``on`` (the order date)."""
    errors: dict[str, str] = {}
    out: list[PurchaseOrderLine] = []
    unlinked: list[tuple[PurchaseOrderLine, Priceable]] = []
    if not lines:
        raise ValidationError({"lines": "An order has at least one line."})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": f"An order has at most {MAX_LINES} lines."})
    wanted = {(g.sku or "").strip() for g in lines} - {""}
    items = price_book(contract, on, wanted, today) if wanted else {}
    withdrawn = dict(contract.items.filter(sku__in=wanted - set(items), withdrawn_on__lte=on)
                     .values_list("sku", "withdrawn_on")) if wanted - set(items) else {}
    discounts = {d.category.lower(): d for d in contract.discounts.all()}
    typed_cap = ContractSettings.of(contract.agency).typed_saving_cap
    for n, given in enumerate(lines, 1):
        key = f"lines[{n}]"
        try:
            qty = number(given.quantity, PurchaseOrderLine, "quantity", f"{key}.quantity",
                         minimum=Decimal("0.0001"))  # fmt: skip
        except ValidationError as exc:
            if not_positive(given.quantity):
                errors[f"{key}.quantity"] = "The quantity must be more than zero."
            else:
                errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
            continue
        sku = (given.sku or "").strip()
        if sku:
            item = items.get(sku)
            if item is None:
                errors[f"{key}.sku"] = (
                    f"{sku[:60]!r} was withdrawn from contract {contract.number}'s price list "
                    f"on {formatting.day(withdrawn[sku])}." if sku in withdrawn else
                    f"{sku[:60]!r} is not on contract {contract.number}.")  # fmt: skip
                continue
            tiers = [pricing.TierPrice(q, p) for q, p in item.tiers]
            priced = pricing.price_for(item.unit_price, tiers, qty)
            base, method = _baseline(item.item, item.list_price, institution)
            line = PurchaseOrderLine(item=item.item, description=item.description,
                                     category=item.category, quantity=qty,
                                     unit_price=priced.unit_price, tier_min=priced.tier_min,
                                     baseline_price=base, baseline_method=method)  # fmt: skip
            if item.item is None:
                unlinked.append((line, item))
        else:
            found = discounts.get((given.category or "").strip().lower())
            if found is None:
                errors[f"{key}.sku"] = (
                    "Name an item of the price list." if not discounts else
                    f"{(given.category or '')[:60]!r} is not a category this contract discounts."
                )  # fmt: skip
                continue
            if not (given.description or "").strip():
                errors[f"{key}.description"] = "Describe the catalogue item."
                continue
            try:
                listed = number(given.list_price, PurchaseOrderLine, "list_price",
                                f"{key}.list_price")  # fmt: skip
            except ValidationError as exc:
                errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
                continue
            # The buyer typed this list price: nothing the agency recorded vouches for it, so
            # the saving it may claim is capped (an item recorded on the contract, with its
            # list or benchmark price, takes the SKU path above and counts in full).
            line = PurchaseOrderLine(
                description=given.description.strip()[:300], category=found.category,
                list_price=listed, quantity=qty,
                unit_price=pricing.discounted(listed, found.discount_pct),
                baseline_price=listed, baseline_method="typed_list_price",
                saving_cap=typed_cap)  # fmt: skip
        if given.unit_price not in (None, ""):
            try:
                typed = number(given.unit_price, PurchaseOrderLine, "unit_price",
                               f"{key}.unit_price")  # fmt: skip
            except ValidationError as exc:
                errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
                continue
            if typed != line.unit_price:
                errors[f"{key}.unit_price"] = (
                    f"{formatting.money(typed) if typed >= 1 else typed} differs from the "
                    f"contract price {line.unit_price.normalize():f} for this quantity."
                )
                continue
        line.amount = pricing.extend(qty, line.unit_price)
        out.append(line)
    if errors:
        raise ValidationError(errors)
    for line, priceable in unlinked:  # every line keeps its link to the contract's item
        line.item = item_for(contract, priceable, today)
    return out


def not_positive(value: Any) -> bool:
    """A plain number of zero or less (which gets its own message)?"""
    try:
        return Decimal(str(value).strip()) <= 0
    except ArithmeticError:
        return False


def _next_number(agency: Agency, year: int) -> str:
    Agency.objects.select_for_update().filter(pk=agency.pk).first()  # serialises numbering
    return next_in_series(PurchaseOrder.objects.filter(agency=agency), f"PO-{year}-")


@transaction.atomic
def order_create(
    *, user: Any, institution: Institution, contract: Contract, lines: Sequence[LineInput],
    notes: str = "", ordered_on: date | None = None, request_key: str = "",
    funding: str = PurchaseOrder.Funding.LOCAL, kind: str = "",
) -> PurchaseOrder:  # fmt: skip
    """A draft purchase order at contract prices, or a ValidationError listing every line's
    problem; a contract the member may not use is refused as a whole. With ``request_key``
    (the form's hidden key, an API caller's own), sending the same order again returns the
    order made the first time."""
    require(user, Action.ORDER_CREATE, contract.agency, institution=institution)
    key = (request_key or "").strip()[:64]
    if key:
        Institution.objects.select_for_update().filter(pk=institution.pk).first()
        done = PurchaseOrder.objects.filter(institution=institution, request_key=key).first()
        if done is not None:
            if done.contract_id != contract.pk:
                raise ValidationError({"request_key": "This key was used for another order."})
            return done
    if funding not in PurchaseOrder.Funding.values:
        choices = ", ".join(PurchaseOrder.Funding.values)
        raise ValidationError({"funding": f"Funding is one of {choices}."})
    kind = kind or contract.kind  # the buyer may say what this order buys; else the contract's
    if kind not in Contract.Kind.values:
        raise ValidationError({"kind": f"Kind is one of {', '.join(Contract.Kind.values)}."})
    today = timezone.localdate()
    on = ordered_on or today
    if not isinstance(on, date) or moment_problem(on):
        raise ValidationError({"ordered_on": "Give the order date as YYYY-MM-DD."})
    why = contract_refusals(contract, institution, on)
    if why:
        raise ValidationError({"contract": " ".join(why)})
    priced = _price_lines(contract, institution, lines, on, today)
    order = PurchaseOrder.objects.create(
        agency=contract.agency, institution=institution, contract=contract,
        number=_next_number(contract.agency, on.year), ordered_on=on, funding=funding, kind=kind,
        notes=(notes or "").strip()[:500], request_key=key,
        total=sum((p.amount for p in priced), Decimal("0.00")),
        created_by=user if getattr(user, "pk", None) else None)  # fmt: skip
    for line in priced:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(priced)
    audit.record("order.create", order, changes={
        "number": [None, order.number], "contract": [None, contract.number],
        "institution": [None, institution.pk], "total": [None, order.total],
        "funding": [None, funding], "kind": [None, kind],
        "lines": [None, [[p.description[:60], p.quantity, p.unit_price, p.amount]
                         for p in priced]]})  # fmt: skip
    return order


def needs_finance(order: PurchaseOrder) -> bool:
    return order.total > ContractSettings.of(order.agency).approval_threshold


def _locked(order: PurchaseOrder, *allowed: str) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in allowed:
        raise ValidationError(
            {
                "status": f"The order is {order.get_status_display().lower()}; "
                f"this step is for {' or '.join(allowed)} orders."
            }
        )
    return order


def _move(order: PurchaseOrder, to: str, stamp: str | None, **extra: Any) -> PurchaseOrder:
    before = order.status
    changes: dict[str, Any] = {"status": [before, to]}
    order.status = to
    fields = ["status"]
    if stamp:
        setattr(order, stamp, timezone.now())
        fields.append(stamp)
    for name, value in extra.items():
        if isinstance(value, str) and value != getattr(order, name):
            changes[name] = [getattr(order, name), value]  # the copies and notes, audited
        setattr(order, name, value)
        fields.append(name)
    order.save(update_fields=fields)
    audit.record(f"order.{to}", order, changes=changes)
    return order


# What an order prints of the member, the supplier and the contract -----------------------
# Copied onto the order when it is approved (``order_approve``); a draft prints them live.


def vendor_text(supplier: Supplier) -> str:
    """The supplier an order goes to: legal name, d/b/a, e-mail and phone, one a line."""
    dba = supplier.dba.strip()
    return "\n".join(p for p in (
        supplier.legal_name, f"d/b/a {dba}" if dba and dba != supplier.legal_name else "",
        supplier.email, supplier.phone) if p)  # fmt: skip


def contract_text(contract: Contract) -> str:
    """The contract an order is placed under, as one phrase: number and title, and the lead
    agency and its solicitation when another agency awarded it."""
    text = f"{contract.number} {contract.title}".strip()
    if contract.lead_agency:
        ref = f", {contract.solicitation_reference}" if contract.solicitation_reference else ""
        text += f" (lead agency {contract.lead_agency}{ref})"
    return text


@dataclass(frozen=True)
class Printed:
    """What an order's PDF and page print of the parties: as approved, or live for a draft."""

    bill_to: list[str]
    vendor: list[str]
    contract: str

    @property
    def member(self) -> str:
        return self.bill_to[0] if self.bill_to else ""

    @property
    def supplier(self) -> str:
        return self.vendor[0] if self.vendor else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def has_copies(order: PurchaseOrder) -> bool:
    """Whether the order holds the copies kept at its approval (a draft, or a draft
    cancelled, holds none)."""
    return order.status != S.DRAFT and bool(order.bill_to)


def printed(order: PurchaseOrder) -> Printed:
    """The copies kept when the order was approved; a draft prints the current facts."""
    if has_copies(order):
        return Printed(_lines(order.bill_to), _lines(order.vendor), order.contract_text)
    contract = order.contract
    return Printed(_lines(bill_to_text(order.institution)),
                   _lines(vendor_text(contract.supplier)), contract_text(contract))  # fmt: skip


@transaction.atomic
def order_approve(*, user: Any, order: PurchaseOrder) -> PurchaseOrder:
    """Release a draft: the finance role above the threshold, the buyer at or below it."""
    order = _locked(order, S.DRAFT)
    member = order.institution
    if needs_finance(order):
        if not can(user, Action.ORDER_APPROVE, order.agency, institution=member):
            threshold = ContractSettings.of(order.agency).approval_threshold
            raise PermissionDenied(f"Orders above {formatting.money(threshold)} are approved by "
                                   "the member's finance officer.")  # fmt: skip
    elif not (can(user, Action.ORDER_CREATE, order.agency, institution=member)
              or can(user, Action.ORDER_APPROVE, order.agency, institution=member)):  # fmt: skip
        raise PermissionDenied("You may not approve this order.")
    why = contract_refusals(order.contract, order.institution, timezone.localdate())
    if why:
        raise ValidationError({"contract": " ".join(why)})
    # Approved is issued: the order keeps the agency's letterhead, the member's bill-to, the
    # supplier and the contract as they stand now, and prints those from here on.
    contract = order.contract
    return _move(order, S.APPROVED, "approved_at", approved_by=user,
                 letterhead=LetterheadVersion.issue(order.agency),
                 bill_to=bill_to_text(member), vendor=vendor_text(contract.supplier),
                 contract_text=contract_text(contract))  # fmt: skip


@transaction.atomic
def order_send(*, user: Any, order: PurchaseOrder) -> PurchaseOrder:
    require(user, Action.ORDER_CREATE, order.agency, institution=order.institution)
    return _move(_locked(order, S.APPROVED), S.SENT, "sent_at")


@transaction.atomic
def order_receive(*, user: Any, order: PurchaseOrder,
                  received: Mapping[int, Any] | None = None) -> PurchaseOrder:  # fmt: skip
    """Record the goods received: every line in full unless ``received`` gives quantities
    (by line id; the total received so far, none above what was ordered). A delivery that
    came short leaves the order *received* with the shortfall shown; a later delivery is
    recorded the same way (totals never go down) until the order is closed."""
    require(user, Action.ORDER_CREATE, order.agency, institution=order.institution)
    order = _locked(order, S.SENT, S.RECEIVED)
    lines = list(order.lines.all())
    known = {line.pk for line in lines}
    if received and set(received) - known:
        raise ValidationError({"received": "A line is not on this order."})
    if order.status == S.RECEIVED and not received:
        raise ValidationError({"received": "Give the quantities of the later delivery."})
    errors: dict[str, str] = {}
    before = {line.pk: line.received_quantity for line in lines}
    for n, line in enumerate(lines, 1):
        raw = received.get(line.pk, line.received_quantity if order.status == S.RECEIVED
                           else line.quantity) if received else line.quantity  # fmt: skip
        try:
            qty = number(raw, PurchaseOrderLine, "received_quantity", f"lines[{n}].received",
                         maximum=line.quantity)  # fmt: skip
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
            continue
        if qty < before[line.pk]:
            errors[f"lines[{n}].received"] = (
                f"{formatting.quantity(before[line.pk])} were already recorded as received; "
                "give the total received so far.")  # fmt: skip
            continue
        line.received_quantity = qty
    if errors:
        raise ValidationError(errors)
    PurchaseOrderLine.objects.bulk_update(lines, ["received_quantity"])
    changed = {f"line {line.pk} received": [before[line.pk], line.received_quantity]
               for line in lines if line.received_quantity != before[line.pk]}  # fmt: skip
    if order.status == S.RECEIVED:
        audit.record("order.received", order, changes=changed)
        return order
    order.status = S.RECEIVED
    order.received_at = timezone.now()
    order.save(update_fields=["status", "received_at"])
    audit.record("order.received", order, changes={"status": [S.SENT, S.RECEIVED], **changed})
    return order


def shortfall(order: PurchaseOrder) -> bool:
    """Did a received order come short on some line?"""
    return any(line.received_quantity < line.quantity for line in order.lines.all())


@transaction.atomic
def order_close(*, user: Any, order: PurchaseOrder) -> PurchaseOrder:
    require(user, Action.ORDER_CREATE, order.agency, institution=order.institution)
    return _move(_locked(order, S.RECEIVED), S.CLOSED, "closed_at")


@transaction.atomic
def order_cancel(*, user: Any, order: PurchaseOrder, reason: str) -> PurchaseOrder:
    require(user, Action.ORDER_CREATE, order.agency, institution=order.institution)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the order is cancelled."})
    order = _locked(order, S.DRAFT, S.APPROVED, S.SENT)
    order.notes = f"{order.notes}\nCancelled: {reason.strip()}".strip()[:500]
    return _move(order, S.CANCELLED, "cancelled_at", notes=order.notes)
