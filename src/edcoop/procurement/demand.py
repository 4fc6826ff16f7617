"""The demand survey: members' estimated annual quantities, aggregated into the items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from edcoop.core import audit
from edcoop.core.permissions import Action, require
from edcoop.members.models import Institution, Membership

from . import timing
from .lifecycle import locked
from .models import (
    DemandCommitment,
    LineItem,
    Solicitation,
)

# Demand survey ---------------------------------------------------------------------------


def is_eligible(solicitation: Solicitation, institution: Institution) -> bool:
    if institution.agency_id != solicitation.agency_id:
        return False
    kinds = solicitation.eligible_kinds or []
    if kinds and institution.kind not in kinds:
        return False
    membership = getattr(institution, "membership", None)
    return membership is not None and membership.status == Membership.Status.ACTIVE


@transaction.atomic
def demand_commit(
    *, user: Any, solicitation: Solicitation, institution: Institution,
    quantities: dict[int, Decimal],
) -> list[DemandCommitment]:  # fmt: skip
    """An institution's estimated annual quantities (0 or absent: not taking part)."""
    agency = solicitation.agency
    require(user, Action.DEMAND_COMMIT, agency, institution=institution)
    solicitation = locked(solicitation)
    now = timing.now()
    if solicitation.survey_deadline is None or now >= solicitation.survey_deadline:
        raise ValidationError({"__all__": "The demand survey for this solicitation is closed."})
    if not is_eligible(solicitation, institution):
        raise ValidationError({"__all__": f"{institution} is not eligible for this solicitation."})
    items = {i.pk: i for i in solicitation.items.all()}
    out = []
    for item_id, quantity in quantities.items():
        item = items.get(item_id)
        if item is None:
            raise ValidationError({"quantities": f"Item {item_id} is not in this solicitation."})
        if quantity is None or quantity < 0:
            raise ValidationError({f"qty_{item_id}": f"Item {item.number}: the quantity cannot "
                                                      "be negative."})  # fmt: skip
        exponent = quantity.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            message = f"Item {item.number}: give the quantity with at most 2 decimal places."
            raise ValidationError({f"qty_{item_id}": message})
        quantity = quantity.quantize(Decimal("0.01"))  # exact after the check above
        existing = DemandCommitment.objects.filter(item=item, institution=institution).first()
        old = existing.quantity if existing else None
        if existing is None and quantity == 0:
            continue
        if existing is not None and quantity == 0:
            existing.delete()
        elif existing is not None:
            existing.quantity, existing.committed_at = quantity, now
            existing.save()
            out.append(existing)
        else:
            out.append(
                DemandCommitment.objects.create(
                    item=item, institution=institution, quantity=quantity, committed_at=now
                )
            )
        if old != quantity:
            audit.record("demand.commit", item, agency_id=agency.pk,
                         label=f"{institution}: {item}",
                         changes={"institution": [None, institution.pk],
                                  "quantity": [old, quantity]})  # fmt: skip
    # The solicitation's estimate is the members' aggregate.
    for item in items.values():
        total = item.commitments.aggregate(t=Sum("quantity"))["t"] or Decimal("0")
        if item.estimated_quantity != total:
            LineItem.objects.filter(pk=item.pk).update(estimated_quantity=total)
    return out
