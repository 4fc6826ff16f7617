"""Price lists: uploaded as versions (CSV or XLSX, up to 1,000,000 rows), approved by the
agency, in force from their effective date.

Columns: ``sku, description, unit, unit_price`` and optionally ``category, list_price,
tiers`` (``100:3.90;500:3.75``: minimum quantity and price, separated by semicolons).

- :func:`upload_version`: the contract's supplier (or the agency's procurement officer)
  uploads a file with an effective date. Every row is checked, all or nothing, each refusal
  naming its line (CSV) or row (XLSX); on a contract made from an award in EdCoop an item
  priced above its awarded price is refused. Rows are streamed from the file and written in
  batches, so a million rows never sit in memory as objects. The result is a *pending*
  version.
- :func:`version_diff`: what the version changes against the items in force (added,
  removed, price changes, increases, anything over an awarded price), for the decision.
- :func:`version_approve` / :func:`version_reject` (with a reason): the agency decides.
  An approved version never changes; it becomes the contract's items on its effective date
  (:func:`bring_into_effect`, run on approval and whenever orders or pages read the contract).
- :func:`import_price_list`: the agency's own import, an upload approved at once, in force
  today.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DecimalField, Exists, F, Model, OuterRef, Q, Subquery
from django.utils import timezone

from edcoop.core import audit, formatting, tabular
from edcoop.core.decimals import DecimalInputError, column, parse_decimal
from edcoop.core.inputs import has_nul, moment_problem
from edcoop.core.permissions import Action, can, require

from .models import (
    IN_FORCE,
    Contract,
    ContractItem,
    PriceListRow,
    PriceListUpload,
    PriceListVersion,
    Tier,
)

if TYPE_CHECKING:
    from edcoop.core.models import Job

REQUIRED = ["sku", "description", "unit", "unit_price"]
OPTIONAL = ["category", "list_price", "tiers"]
MAX_ROWS = 1_000_000
MAX_ERRORS = 200
BATCH = 5000
LENGTHS = {"sku": 60, "description": 300, "unit": 40, "category": 100, "tiers": 500}
PRICE = column(ContractItem, "unit_price")
PRICE_FIELD = DecimalField(max_digits=14, decimal_places=4)
TIER_QTY = column(Tier, "min_quantity", minimum=Decimal("0.0001"))
TIER_PRICE = column(Tier, "unit_price")


def _tiers(text: str, price: Decimal) -> list[tuple[Decimal, Decimal]]:
    out: list[tuple[Decimal, Decimal]] = []
    for n, part in enumerate(filter(None, (p.strip() for p in text.split(";"))), 1):
        minimum, sep, tier_price = part.partition(":")
        if not sep:
            raise ValueError(f"tiers: {part[:24]!r} is not quantity:price")
        try:
            q = parse_decimal(minimum.strip(), TIER_QTY)
        except DecimalInputError as exc:
            raise ValueError(f"tiers[{n}].min_quantity: {_said(exc)}") from None
        try:
            p = parse_decimal(tier_price.strip(), TIER_PRICE)
        except DecimalInputError as exc:
            raise ValueError(f"tiers[{n}].unit_price: {_said(exc)}") from None
        if p > price:
            raise ValueError(f"tiers[{n}].unit_price: A volume tier costs no more than the "
                             "base price.")  # fmt: skip
        out.append((q, p))
    if len({q for q, _ in out}) != len(out):
        raise ValueError("tiers: Two tiers start at the same quantity.")
    return sorted(out)


def _said(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def tiers_text(tiers: list[tuple[Decimal, Decimal]]) -> str:
    return ";".join(f"{q.normalize():f}:{p}" for q, p in tiers)


def _check(row: tabular.Row, awarded: dict[str, Decimal]) -> PriceListRow:
    """One row as a version's row, or ValueError naming each problem."""
    problems = list(row.problems)
    told = {p.partition(":")[0] for p in problems}  # the reader named these cells already
    for name in ("sku", "description", "unit"):
        if not row.get(name) and name not in told:
            problems.append(f"{name}: This field is required.")
    for name, limit in LENGTHS.items():
        if len(row.get(name)) > limit:
            problems.append(f"{name}: at most {limit} characters")
    price = list_price = None
    try:
        price = parse_decimal(row.get("unit_price"), PRICE)
    except DecimalInputError as exc:
        if "unit_price" not in told:
            problems.append(f"unit_price: {_said(exc)}")
    if row.get("list_price"):
        try:
            list_price = parse_decimal(row.get("list_price"), PRICE)
        except DecimalInputError as exc:
            problems.append(f"list_price: {_said(exc)}")
    tiers: list[tuple[Decimal, Decimal]] = []
    if price is not None:
        try:
            tiers = _tiers(row.get("tiers"), price)
        except ValueError as exc:
            problems.append(str(exc))
        sku = row.get("sku")
        if sku in awarded and price > awarded[sku]:
            problems.append(f"unit_price: {price} is above the awarded price {awarded[sku]}, "
                            "the ceiling of every version")  # fmt: skip
    if problems or price is None:
        raise ValueError("; ".join(problems))
    return PriceListRow(line=row.number, sku=row["sku"], description=row["description"],
                        unit=row["unit"], category=row.get("category"), unit_price=price,
                        list_price=list_price, tiers=tiers_text(tiers))  # fmt: skip


def _awarded(contract: Contract) -> dict[str, Decimal]:
    """Each awarded item's ceiling: the price it was awarded at, not its current price (an
    approved version that lowered a price does not lower the ceiling of the next)."""
    if contract.source != Contract.Source.AWARD:
        return {}
    from_award = contract.items.filter(AWARDED)
    return {sku: price for sku, price in from_award.values_list("sku", "awarded_price")
            if price is not None}  # fmt: skip


AWARDED = Q(solicitation_item__isnull=False, awarded_price__isnull=False)


def _digest(data: bytes | str | IO[bytes]) -> str:
    if isinstance(data, str):
        return hashlib.sha256(data.encode()).hexdigest()
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    h = hashlib.sha256()
    for chunk in iter(lambda: data.read(1 << 20), b""):
        h.update(chunk)
    data.seek(0)
    return h.hexdigest()


def may_upload(user: Any, contract: Contract) -> bool:
    """The agency's procurement staff, or the contract's own supplier."""
    return can(user, Action.CONTRACT_EDIT, contract.agency) or can(
        user, Action.PRICE_LIST_UPLOAD, contract.agency, supplier=contract.supplier
    )


def _check_upload(user: Any, contract: Contract, effective_on: date, file_name: str,
                  today: date) -> None:  # fmt: skip
    """Who may upload, the effective date and the file's name: checked when the file
    arrives (so a queued upload is refused at once) and again when its rows are read."""
    if not can(user, Action.CONTRACT_EDIT, contract.agency):  # else the supplier's own
        require(user, Action.PRICE_LIST_UPLOAD, contract.agency, supplier=contract.supplier)
    if not isinstance(effective_on, date) or moment_problem(effective_on):
        raise ValidationError({"effective_on": "Give a date (YYYY-MM-DD)."})
    if effective_on < today:
        raise ValidationError({"effective_on": "A new price list takes effect today or later."})
    if effective_on > contract.current_end():
        end = contract.current_end().isoformat()
        raise ValidationError({"effective_on": f"Contract {contract.number} ends on {end}."})
    if has_nul(file_name):
        raise ValidationError({"file": "The file name contains a NUL character."})


@transaction.atomic
def upload_version(*, user: Any, contract: Contract, data: bytes | str | IO[bytes],
                   effective_on: date, file_name: str = "", today: date | None = None,
                   progress: Callable[[int], None] | None = None) -> PriceListVersion:  # fmt: skip
    """Check the file all or nothing and keep it as a pending version. ``progress`` hears
    the line (or row) reached, now and then."""
    today = today or timezone.localdate()
    _check_upload(user, contract, effective_on, file_name, today)
    digest = _digest(data)
    Contract.objects.select_for_update().filter(pk=contract.pk).first()  # numbering, doubles
    twin = contract.versions.filter(status=PriceListVersion.Status.PENDING, digest=digest,
                                    effective_on=effective_on).first()  # fmt: skip
    if twin is not None:
        raise ValidationError({"file": f"This file is already pending as version "
                                       f"{twin.number}."})  # fmt: skip
    last = contract.versions.order_by("-number").values_list("number", flat=True).first()
    version = PriceListVersion.objects.create(
        contract=contract, number=(last or 0) + 1, effective_on=effective_on,
        file_name=file_name[:200], digest=digest, uploaded_at=timezone.now(),
        uploaded_by=user if getattr(user, "pk", None) else None)  # fmt: skip
    count = _store_rows(version, data, _awarded(contract), progress)
    if count > BATCH:
        _analyze(PriceListRow)
    version.row_count = count
    version.save(update_fields=["row_count"])
    audit.record("price_list.upload", version, label=str(version), changes={
        "contract": [None, contract.number], "effective_on": [None, effective_on.isoformat()],
        "rows": [None, count], "sha256": [None, digest]})  # fmt: skip
    return version


def _store_rows(version: PriceListVersion, data: bytes | str | IO[bytes],
                awarded: dict[str, Decimal],
                progress: Callable[[int], None] | None = None) -> int:  # fmt: skip
    errors: list[str] = []
    seen: set[str] = set()
    batch: list[PriceListRow] = []
    count = 0
    for n, row in enumerate(tabular.read_table(data, required=REQUIRED, optional=OPTIONAL,
                                               max_rows=MAX_ROWS)):  # fmt: skip
        if progress is not None and n % 1000 == 0:
            progress(row.number)
        sku = row.get("sku")
        if sku in seen:
            errors.append(f"{row.label}: sku {sku[:60]!r} repeats an earlier line")
        else:
            seen.add(sku)
            try:
                checked = _check(row, awarded)
            except ValueError as exc:
                errors.append(f"{row.label}: {exc}")
            else:
                count += 1
                if not errors:  # once refused, nothing more is written
                    checked.version = version
                    batch.append(checked)
                    if len(batch) >= BATCH:
                        PriceListRow.objects.bulk_create(batch)
                        batch.clear()
        if len(errors) >= MAX_ERRORS:
            errors.append("... further lines not checked")
            break
    if errors:
        raise ValidationError({"file": errors})
    if not count:
        raise ValidationError({"file": "The file has no rows."})
    PriceListRow.objects.bulk_create(batch)
    return count


# The decision -----------------------------------------------------------------------------


@dataclass
class Diff:
    """A version against the items in force; lists hold the first ``SHOWN`` of each."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    increases: int = 0
    over_award: int = 0
    added_rows: list[PriceListRow] = field(default_factory=list)
    removed_items: list[ContractItem] = field(default_factory=list)
    changed_rows: list[Any] = field(default_factory=list)  # rows annotated with old_price
    over_award_rows: list[Any] = field(default_factory=list)


SHOWN = 200


def version_diff(version: PriceListVersion) -> Diff:
    """Computed in the database: a million-row version is counted, not loaded."""
    every = ContractItem.objects.filter(contract=version.contract_id)
    items = every.filter(IN_FORCE)  # a withdrawn item listed again counts as added
    rows = version.rows.all()
    # NOT EXISTS, never NOT IN (subquery): PostgreSQL runs NOT IN as a hash only while the
    # subquery's SKUs fit in work_mem (4 MB by default: about 100,000 of them); past that it
    # compares each row with every row, and a million-row diff never ends. NOT EXISTS is an
    # anti-join, hashed or not, on either engine.
    added = rows.filter(~Exists(items.filter(sku=OuterRef("sku"))))
    removed = items.filter(~Exists(rows.filter(sku=OuterRef("sku"))))
    same = items.filter(sku=OuterRef("sku"))
    award = every.filter(AWARDED, sku=OuterRef("sku"))
    compared = rows.annotate(
        old_price=Subquery(same.values("unit_price")[:1], output_field=PRICE_FIELD),
        awarded=Subquery(award.values("awarded_price")[:1], output_field=PRICE_FIELD),
    )
    changed = compared.exclude(old_price=None).exclude(old_price=F("unit_price"))
    increases = changed.filter(unit_price__gt=F("old_price"))
    over = compared.filter(~Q(awarded=None), unit_price__gt=F("awarded"))
    shown = list(changed.order_by("sku")[:SHOWN])
    for r in shown:  # SQLite hands subquery decimals back unscaled (4.10000000000000)
        r.old_price = Decimal(r.old_price).quantize(PRICE.quantum)
    return Diff(
        added=added.count(), removed=removed.count(), changed=changed.count(),
        increases=increases.count(), over_award=over.count(),
        added_rows=list(added.order_by("sku")[:SHOWN]),
        removed_items=list(removed.order_by("sku")[:SHOWN]),
        changed_rows=shown,
        over_award_rows=list(over.order_by("sku")[:SHOWN]),
    )  # fmt: skip


def _pending(version: PriceListVersion) -> PriceListVersion:
    locked = PriceListVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != PriceListVersion.Status.PENDING:
        raise ValidationError({"version": f"Version {locked.number} is already "
                                          f"{locked.get_status_display().lower()}."})  # fmt: skip
    return locked


@transaction.atomic
def version_approve(*, user: Any, version: PriceListVersion,
                    today: date | None = None) -> PriceListVersion:  # fmt: skip
    """Approve a pending version; from its effective date its items are the contract's."""
    contract = version.contract
    require(user, Action.CONTRACT_EDIT, contract.agency)
    version = _pending(version)
    if version_diff(version).over_award:
        raise ValidationError({"version": "Items are priced above their awarded prices."})
    version.status = PriceListVersion.Status.APPROVED
    version.decided_by, version.decided_at = user, timezone.now()
    version.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record("price_list.approve", version, label=str(version), changes={
        "status": ["pending", "approved"],
        "effective_on": [None, version.effective_on.isoformat()]})  # fmt: skip
    bring_into_effect(contract, today or timezone.localdate())
    version.refresh_from_db()
    return version


@transaction.atomic
def version_reject(*, user: Any, version: PriceListVersion, reason: str) -> PriceListVersion:
    require(user, Action.CONTRACT_EDIT, version.contract.agency)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why, for the supplier."})
    if has_nul(reason) or len(reason) > 2000:
        raise ValidationError({"reason": "At most 2,000 characters of text."})
    version = _pending(version)
    version.status = PriceListVersion.Status.REJECTED
    version.decided_by, version.decided_at, version.reason = user, timezone.now(), reason
    version.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    audit.record("price_list.reject", version, label=str(version), changes={
        "status": ["pending", "rejected"], "reason": [None, reason]})  # fmt: skip
    return version


# Pricing on a day ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Priceable:
    """An item as the price list in force on a day has it: the items in force when that day's
    version is today's, else the version's own rows (``item``: the contract's item of that
    SKU, None until :func:`item_for` makes one)."""

    sku: str
    description: str
    unit: str
    category: str
    unit_price: Decimal
    list_price: Decimal | None
    tiers: tuple[tuple[Decimal, Decimal], ...]
    item: ContractItem | None = None
    off_since: date | None = None  # a past version's row: not on the list in force since


def _parsed_tiers(text: str) -> tuple[tuple[Decimal, Decimal], ...]:
    pairs = (t.split(":") for t in text.split(";") if t)
    return tuple(sorted((Decimal(q), Decimal(p)) for q, p in pairs))


def price_book(contract: Contract, on: date, skus: set[str],
               today: date | None = None) -> dict[str, Priceable]:  # fmt: skip
    """The items named by ``skus`` as priced on ``on``: by the approved version in effect
    that day (only those SKUs are read, whatever the list's size). A contract whose list was
    never replaced by an upload is priced from its items. A day before the first approved
    version, once one has replaced the items, is refused naming ``ordered_on``: the prices
    of that day are not known."""
    today = today or timezone.localdate()
    bring_into_effect(contract, today)
    version = in_effect(contract, on)
    current = in_effect(contract, today)
    if version == current:  # today's list (both None: the items kept by hand or awarded)
        items = contract.items.filter(IN_FORCE, sku__in=skus).prefetch_related("tiers")
        return {i.sku: Priceable(i.sku, i.description, i.unit, i.category, i.unit_price,
                                 i.list_price, tuple((t.min_quantity, t.unit_price)
                                                     for t in i.tiers.all()), i)
                for i in items}  # fmt: skip
    if version is None:  # before the first approved version, which has replaced the items
        first = (contract.versions.filter(status=PriceListVersion.Status.APPROVED)
                 .order_by("effective_on", "number").values_list("effective_on", flat=True)
                 .first())  # fmt: skip
        since = f"; the first took effect on {formatting.day(first)}" if first else ""
        raise ValidationError({"ordered_on": (
            f"No approved price list of contract {contract.number} was in effect on "
            f"{formatting.day(on)}{since}.")})  # fmt: skip
    rows = list(version.rows.filter(sku__in=skus))
    known = {i.sku: i for i in contract.items.filter(sku__in=[r.sku for r in rows])}
    past = current is not None and version.effective_on < today
    off = current.effective_on if past and current is not None else None
    return {r.sku: Priceable(r.sku, r.description, r.unit, r.category, r.unit_price,
                             r.list_price, _parsed_tiers(r.tiers), known.get(r.sku), off)
            for r in rows}  # fmt: skip


def item_for(contract: Contract, priced: Priceable, today: date) -> ContractItem:
    """The contract's item for a line priced from a version other than today's: the item
    of that SKU (in force or withdrawn), else one made now from the version's row (a past
    version never put in force, or a future one's new SKU), withdrawn: it is not on today's
    list, so it shows nowhere but on the orders that name it. The version that lists it
    when it takes effect brings it into force."""
    if priced.item is not None:
        return priced.item
    found = ContractItem.objects.filter(contract=contract, sku=priced.sku).first()
    if found is not None:
        return found
    fields = {"sku": priced.sku, "description": priced.description,
              "category": priced.category}  # fmt: skip
    from .services import search_document

    return ContractItem.objects.create(
        contract=contract, unit=priced.unit, unit_price=priced.unit_price,
        list_price=priced.list_price, withdrawn_on=priced.off_since or today,
        search_document=search_document(contract, fields), **fields)  # fmt: skip


def in_effect(contract: Contract, on: date) -> PriceListVersion | None:
    """The approved version in force on ``on`` (none: the items entered by hand or awarded)."""
    return (contract.versions.filter(status=PriceListVersion.Status.APPROVED,
                                     effective_on__lte=on)
            .order_by("-effective_on", "-number").first())  # fmt: skip


def bring_into_effect(contract: Contract, today: date) -> PriceListVersion | None:
    """Make the version in force today the contract's items, if it is not already."""
    version = in_effect(contract, today)
    if version is None or version.applied_at is not None:
        return None
    with transaction.atomic():
        version = PriceListVersion.objects.select_for_update().get(pk=version.pk)
        if version.applied_at is not None:
            return None
        counts = _apply(version)
        version.applied_at = timezone.now()
        version.save(update_fields=["applied_at"])
        audit.record("price_list.in_effect", version, label=str(version),
                     changes={k: [None, v] for k, v in counts.items()})  # fmt: skip
    return version


def _apply(version: PriceListVersion) -> dict[str, int]:
    """The version's rows become the contract's items, in the database (a million rows never
    pass through Python objects): items on it are updated or added (a withdrawn one comes
    back into force), their tiers replaced; items not on it are withdrawn."""
    contract = version.contract
    item_t, row_t, tier_t = (m._meta.db_table for m in (ContractItem, PriceListRow, Tier))
    # The same text as services.search_document: the item's words, then the contract's.
    suffix = "".join(f" {x}" for x in (contract.category, contract.supplier, contract.title)
                     if x)  # fmt: skip
    document = ("r.sku || ' ' || r.description || CASE WHEN r.category <> '' THEN ' ' || "
                "r.category ELSE '' END || %s")  # fmt: skip
    same = f"{item_t}.contract_id = %s AND {item_t}.sku = r.sku"
    # Table names come from the models; every value is a parameter.
    drop_tiers = (
        f"DELETE FROM {tier_t} WHERE item_id IN (SELECT {item_t}.id "  # noqa: S608
        f"FROM {item_t} JOIN {row_t} r ON {same} WHERE r.version_id = %s)"
    )
    update = (
        f"UPDATE {item_t} SET description = r.description, unit = r.unit, "  # noqa: S608
        "category = r.category, unit_price = r.unit_price, list_price = r.list_price, "
        f"withdrawn_on = NULL, search_document = {document} FROM {row_t} r "
        f"WHERE r.version_id = %s AND {same}"
    )
    insert = (
        f"INSERT INTO {item_t} (contract_id, sku, description, unit, category, "  # noqa: S608
        "unit_price, list_price, search_document) SELECT %s, r.sku, r.description, r.unit, "
        f"r.category, r.unit_price, r.list_price, {document} FROM {row_t} r "
        f"WHERE r.version_id = %s AND NOT EXISTS (SELECT 1 FROM {item_t} WHERE {same})"
    )
    with connection.cursor() as cursor:
        cursor.execute(drop_tiers, [contract.pk, version.pk])
        cursor.execute(update, [suffix, version.pk, contract.pk])
        updated = cursor.rowcount
        cursor.execute(insert, [contract.pk, suffix, version.pk, contract.pk])
        added = cursor.rowcount
    last = 0
    while True:  # tiers are text on the row ("100:3.90;500:3.75"): parsed here, in batches
        chunk = list(version.rows.filter(pk__gt=last).exclude(tiers="").order_by("pk")
                     .values_list("pk", "sku", "tiers")[:BATCH])  # fmt: skip
        if not chunk:
            break
        last = chunk[-1][0]
        ids = dict(ContractItem.objects.filter(contract=contract, sku__in=[c[1] for c in chunk])
                   .values_list("sku", "pk"))  # fmt: skip
        Tier.objects.bulk_create(
            (Tier(item_id=ids[sku], min_quantity=Decimal(q), unit_price=Decimal(p))
             for _, sku, text in chunk
             for q, p in (t.split(":") for t in text.split(";"))), batch_size=BATCH)  # fmt: skip
    # Left off the new list: withdrawn, never deleted. Orders, sales reports (a quarter is
    # reported after the list changed), the award and baseline prices keep naming it.
    listed = version.rows.filter(sku=OuterRef("sku"))  # NOT EXISTS: see version_diff
    withdrawn = ContractItem.objects.filter(IN_FORCE, ~Exists(listed), contract=contract).update(
        withdrawn_on=version.effective_on)
    if version.row_count > BATCH:
        _analyze(ContractItem)
    return {"added": added, "updated": updated, "withdrawn": withdrawn}


def _analyze(model: type[Model]) -> None:
    """Fresh planner statistics on PostgreSQL after a bulk write (a no-op elsewhere).

    The diff's anti-joins are planned from them: a table whose statistics predate a
    million-row write (autovacuum is late, or off) looks almost empty, and PostgreSQL then
    picks a nested loop that compares each staged row with every item, a diff that never
    ends. ANALYZE reads a sample (30,000 rows), well under a second. Its table lock is
    held until the upload or approval commits, so a second large list written meanwhile
    waits there for the first to commit; reads and other writes are not held up."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


@transaction.atomic
def import_version(*, user: Any, contract: Contract, data: bytes | str | IO[bytes],
                   file_name: str = "", today: date | None = None,
                   progress: Callable[[int], None] | None = None) -> PriceListVersion:  # fmt: skip
    """The agency's own import: a version approved at once and in force today."""
    require(user, Action.CONTRACT_EDIT, contract.agency)
    today = today or timezone.localdate()
    version = upload_version(user=user, contract=contract, data=data, file_name=file_name,
                             effective_on=today, today=today, progress=progress)  # fmt: skip
    return version_approve(user=user, version=version, today=today)


def import_price_list(*, user: Any, contract: Contract, data: bytes | str | IO[bytes],
                      file_name: str = "") -> int:  # fmt: skip
    """:func:`import_version`, returning the number of items."""
    return import_version(user=user, contract=contract, data=data,
                          file_name=file_name).row_count  # fmt: skip


# Large files in the background ------------------------------------------------------------

PRICE_LIST_UPLOAD = "price_list_upload"  # the job kind (jobs.py)


def inline_bytes() -> int:
    """Files up to this size are checked while the uploader waits; larger ones (a national
    list of a million rows takes minutes) by a background job with a progress page."""
    return int(getattr(settings, "EDCOOP_PRICE_LIST_INLINE_BYTES", 2_000_000))


@transaction.atomic
def upload_queue(*, user: Any, contract: Contract, data: bytes, file_name: str,
                 effective_on: date | None, back_url: str = "") -> Job:  # fmt: skip
    """Keep the file and queue its check: :func:`upload_version` (``effective_on`` given)
    or, for the agency's own import, :func:`import_version` (None: in force today), run by
    the job as the user who uploaded. Who may, the date and the name are checked now, the
    rows by the job (the same code as a small file's); the job's page shows the progress,
    then the version made or the line-numbered refusals."""
    from edcoop.core.jobs import job_start

    today = timezone.localdate()
    if effective_on is None:
        require(user, Action.CONTRACT_EDIT, contract.agency)
        _check_upload(user, contract, today, file_name, today)
    else:
        _check_upload(user, contract, effective_on, file_name, today)
    if not data:
        raise ValidationError({"file": "The file is empty: the first line names the columns."})
    upload = PriceListUpload.objects.create(
        contract=contract, file_name=file_name[:200], effective_on=effective_on,
        content=data, size=len(data), uploaded_on=today,
        uploaded_by=user if getattr(user, "pk", None) else None)  # fmt: skip
    job = job_start(
        kind=PRICE_LIST_UPLOAD, user=user, agency_id=contract.agency_id,
        title=f"Price list {file_name[:80] or 'upload'} for {contract.number}",
        params={"upload_id": upload.pk, "contract_id": contract.pk, "back_url": back_url})
    upload.job = job
    upload.save(update_fields=["job"])
    audit.record("price_list.queue", contract, changes={
        "file": [None, upload.file_name], "bytes": [None, upload.size],
        "effective_on": [None, effective_on.isoformat() if effective_on else "today"],
        "job": [None, job.pk]})  # fmt: skip
    return job


def estimate_rows(data: bytes) -> int:
    """About how many rows a file has, for the progress bar: a CSV's lines, the size an XLSX
    sheet states (0: not known; finding out would mean reading every row once more)."""
    if not tabular.is_xlsx(data[:4]):
        return data.count(b"\n")
    return tabular.stated_rows(data)
