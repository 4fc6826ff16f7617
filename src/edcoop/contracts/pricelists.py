"""A price list imported from CSV or XLSX into a contract: all or nothing, every bad line named.

Columns: ``sku, description, unit, unit_price`` and optionally ``category, list_price,
tiers`` (``100:3.90;500:3.75``: minimum quantity and price, separated by semicolons). A row
for a SKU already on the contract replaces it. On a contract made from an award in EdCoop,
an item priced above its awarded price is refused.
"""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from edcoop.core import audit, tabular
from edcoop.core.decimals import DecimalInputError, column, parse_decimal
from edcoop.core.permissions import Action, require

from . import services
from .models import Contract, ContractItem

REQUIRED = ["sku", "description", "unit", "unit_price"]
OPTIONAL = ["category", "list_price", "tiers"]
MAX_ROWS = 100_000


def _tiers(text: str) -> list[tuple[str, str]]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        minimum, sep, price = part.partition(":")
        if not sep:
            raise ValueError(f"tiers: {part[:24]!r} is not quantity:price")
        out.append((minimum.strip(), price.strip()))
    return out


@transaction.atomic
def import_price_list(*, user: Any, contract: Contract, data: bytes | str | IO[bytes]) -> int:
    """Write every row or none; return the number of items written. ``data`` is a CSV or
    XLSX file (bytes, text or an open binary file)."""
    require(user, Action.CONTRACT_EDIT, contract.agency)
    awarded = {}
    if contract.source == Contract.Source.AWARD:
        from_award = contract.items.filter(solicitation_item__isnull=False)
        awarded = dict(from_award.values_list("sku", "unit_price"))
    errors: list[str] = []
    written = 0
    seen: set[str] = set()
    for row in tabular.read_table(data, required=REQUIRED, optional=OPTIONAL,
                                  max_rows=MAX_ROWS):  # fmt: skip
        where = row.label
        if row.problems:
            errors.append(f"{where}: " + "; ".join(row.problems))
            continue
        sku = row["sku"]
        if sku in seen:
            errors.append(f"{where}: sku {sku[:60]!r} repeats an earlier line")
            continue
        seen.add(sku)
        try:
            tiers = _tiers(row.get("tiers", ""))
            if sku in awarded and parse_decimal(row["unit_price"], column(
                    ContractItem, "unit_price")) > awarded[sku]:  # fmt: skip
                raise ValueError(f"unit_price: above the awarded price {awarded[sku]}")
            with transaction.atomic():
                services.item_save(
                    user=user,
                    contract=contract,
                    sku=sku,
                    description=row["description"],
                    unit=row["unit"],
                    unit_price=row["unit_price"],
                    category=row.get("category", ""),
                    list_price=row.get("list_price") or None,
                    tiers=tiers,
                )
            written += 1
        except ValidationError as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            errors.append(f"{where}: {detail}")
        except (ValueError, DecimalInputError) as exc:
            errors.append(f"{where}: {exc}")
        if len(errors) >= 200:
            errors.append("... further lines not checked")
            break
    if errors:
        raise ValidationError({"file": errors})
    if not written:
        raise ValidationError({"file": "The file has no rows."})
    audit.record("contract.price_list_import", contract, changes={"items": [None, written]})
    return written
