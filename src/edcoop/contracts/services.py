"""Contract portfolio writes: contracts, price lists, renewals, documents, eligibility,
adoption. Each is one transaction that checks its actor and writes its audit row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.decimals import DecimalInputError, column, parse_decimal
from edcoop.core.permissions import Action, require
from edcoop.members.models import Agency, Institution, Membership, ServiceArea, Supplier
from edcoop.procurement.files import Upload, check_upload, content_type_of

from . import eligibility
from .models import (
    Adoption,
    CategoryDiscount,
    Contract,
    ContractDocument,
    ContractItem,
    ContractSettings,
    Renewal,
    Tier,
)


def number(value: Any, model: type[Model], field: str, name: str | None = None,
           **range_: Decimal | None) -> Decimal:  # fmt: skip
    """``value`` within the column's bounds (never negative unless ``minimum`` says), or a
    ValidationError naming the field."""
    range_.setdefault("minimum", Decimal(0))
    try:
        return parse_decimal(value, column(model, field, **range_))
    except DecimalInputError as exc:
        raise ValidationError({name or field: f"{str(exc)[:1].upper()}{str(exc)[1:]}."}) from None


def next_in_series(rows: QuerySet[Any], prefix: str) -> str:
    """The next number of a gapless series ``PREFIX00001``, ``PREFIX00002``...: one past the
    highest, compared as numbers (the longest first, then as text), so ``99999`` is followed
    by ``100000`` and not by a repeat. The caller serialises numbering (locks the agency)."""
    last = (rows.filter(number__startswith=prefix)
            .order_by(Length("number").desc(), "-number")
            .values_list("number", flat=True).first())  # fmt: skip
    return f"{prefix}{(int(last.removeprefix(prefix)) + 1) if last else 1:05d}"


# Contracts -----------------------------------------------------------------------------------

CONTRACT_FIELDS = {
    "number", "title", "category", "kind", "description", "source", "lead_agency",
    "solicitation_reference", "solicitation_method", "solicited_on", "awarded_on", "starts_on",
    "ends_on", "renewal_options", "renewal_months", "pricing", "admin_fee_pct", "scope",
    "eligible_kinds", "participants_only", "requires_adoption", "federal_terms",
}  # fmt: skip
AUDITED = sorted(CONTRACT_FIELDS | {"supplier", "terminated_on", "termination_reason"})


def _check(contract: Contract) -> None:
    kinds = set(Institution.Kind.values)
    if not isinstance(contract.eligible_kinds, list):
        raise ValidationError({"eligible_kinds": "Give a list of institution kinds."})
    bad = [k for k in contract.eligible_kinds if k not in kinds]
    if bad:
        raise ValidationError({"eligible_kinds": f"Unknown institution kind(s): {bad}."})
    contract.admin_fee_pct = number(
        contract.admin_fee_pct, Contract, "admin_fee_pct", minimum=Decimal(0), maximum=Decimal(100)
    )
    if contract.source == Contract.Source.EXTERNAL and not contract.lead_agency.strip():
        raise ValidationError({"lead_agency": "A contract awarded elsewhere names its lead "
                                              "agency."})  # fmt: skip
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        raise ValidationError({"ends_on": "The term ends before it starts."})
    contract.full_clean(exclude=["agency", "supplier", "solicitation"])


@transaction.atomic
def contract_create(*, user: Any, agency: Agency, supplier: Supplier, **fields: Any) -> Contract:
    """A contract in the portfolio; ``source`` external (awarded by ``lead_agency`` under
    ``solicitation_reference``) unless made from an award."""
    require(user, Action.CONTRACT_EDIT, agency)
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    if supplier.agency_id != agency.pk:
        raise ValidationError({"supplier": "The supplier belongs to another agency."})
    if Contract.objects.filter(agency=agency, number=fields.get("number", "")).exists():
        raise ValidationError({"number": "Another contract already has this number."})
    contract = Contract(agency=agency, supplier=supplier, **fields)
    _check(contract)
    contract.save()
    audit.record("contract.create", contract, changes=audit.diff(None, audit.snapshot(
        contract, AUDITED)))  # fmt: skip
    return contract


@transaction.atomic
def contract_update(*, user: Any, contract: Contract, **fields: Any) -> Contract:
    require(user, Action.CONTRACT_EDIT, contract.agency)
    unknown = set(fields) - (CONTRACT_FIELDS - {"number"})
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    before = audit.snapshot(contract, AUDITED)
    for name, value in fields.items():
        setattr(contract, name, value)
    _check(contract)
    contract.save()
    audit.record("contract.update", contract,
                 changes=audit.diff(before, audit.snapshot(contract, AUDITED)))  # fmt: skip
    return contract


@transaction.atomic
def renewal_exercise(*, user: Any, contract: Contract, exercised_on: date) -> Renewal:
    """Exercise the next renewal option; the term runs ``renewal_months`` longer."""
    require(user, Action.CONTRACT_EDIT, contract.agency)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.terminated_on is not None:
        raise ValidationError({"exercised_on": "A terminated contract is not renewed."})
    done = contract.renewals.count()
    if done >= contract.renewal_options:
        raise ValidationError({"exercised_on": f"All {contract.renewal_options} renewal "
                                               f"option(s) are already exercised."})  # fmt: skip
    if exercised_on > contract.current_end():
        raise ValidationError({"exercised_on": "A renewal is exercised before the term ends."})
    renewal = Renewal.objects.create(contract=contract, number=done + 1, exercised_on=exercised_on)
    audit.record("contract.renew", contract, changes={
        "renewal": [None, renewal.number], "exercised_on": [None, exercised_on],
        "ends": [None, contract.current_end()]})  # fmt: skip
    return renewal


@transaction.atomic
def contract_terminate(*, user: Any, contract: Contract, on: date, reason: str) -> Contract:
    require(user, Action.CONTRACT_EDIT, contract.agency)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.terminated_on is not None:
        raise ValidationError({"on": "The contract is already terminated."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the contract ends early."})
    if on < contract.starts_on:
        raise ValidationError({"on": "The termination date is before the term starts."})
    contract.terminated_on, contract.termination_reason = on, reason.strip()[:300]
    contract.save(update_fields=["terminated_on", "termination_reason"])
    audit.record(
        "contract.terminate",
        contract,
        changes={
            "terminated_on": [None, on],
            "termination_reason": [None, contract.termination_reason],
        },
    )
    return contract


@transaction.atomic
def eligibility_set(*, user: Any, contract: Contract, areas: Iterable[ServiceArea] = (),
                    participants: Iterable[Institution] = ()) -> Contract:  # fmt: skip
    """The service areas a regional contract covers and a §119-o bid's participants."""
    require(user, Action.CONTRACT_EDIT, contract.agency)
    areas, participants = list(areas), list(participants)
    if any(a.agency_id != contract.agency_id for a in areas):
        raise ValidationError({"areas": "A service area belongs to another agency."})
    if any(i.agency_id != contract.agency_id for i in participants):
        raise ValidationError({"participants": "An institution belongs to another agency."})
    before = {
        "areas": sorted(contract.service_areas.values_list("pk", flat=True)),
        "participants": sorted(contract.participants.values_list("pk", flat=True)),
    }
    contract.service_areas.set(areas)
    contract.participants.set(participants)
    after = {"areas": sorted(a.pk for a in areas),
             "participants": sorted(i.pk for i in participants)}  # fmt: skip
    audit.record("contract.eligibility", contract, changes=audit.diff(before, after))
    return contract


# Price lists --------------------------------------------------------------------------------


def search_document(contract: Contract, fields: Mapping[str, Any]) -> str:
    return " ".join(str(x) for x in (fields.get("sku", ""), fields.get("description", ""),
                                     fields.get("category", ""), contract.category,
                                     contract.supplier, contract.title) if x)  # fmt: skip


@transaction.atomic
def item_save(*, user: Any, contract: Contract, sku: str, description: str, unit: str,
              unit_price: Any, category: str = "", list_price: Any = None,
              tiers: Iterable[tuple[Any, Any]] = ()) -> ContractItem:  # fmt: skip
    """Add or replace one price-list item with its volume tiers (minimum quantity, price)."""
    require(user, Action.CONTRACT_EDIT, contract.agency)
    price = number(unit_price, ContractItem, "unit_price")
    listed = None if list_price in (None, "") else number(list_price, ContractItem, "list_price")
    parsed: list[tuple[Decimal, Decimal]] = []
    for n, (minimum, tier_price) in enumerate(tiers, 1):
        q = number(minimum, Tier, "min_quantity", f"tiers[{n}].min_quantity",
                   minimum=Decimal("0.0001"))  # fmt: skip
        p = number(tier_price, Tier, "unit_price", f"tiers[{n}].unit_price")
        if p > price:
            raise ValidationError({f"tiers[{n}].unit_price": "A volume tier costs no more than "
                                                             "the base price."})  # fmt: skip
        parsed.append((q, p))
    if len({q for q, _ in parsed}) != len(parsed):
        raise ValidationError({"tiers": "Two tiers start at the same quantity."})
    fields = {"sku": sku.strip(), "description": description.strip(), "unit": unit.strip(),
              "category": category.strip()}  # fmt: skip
    for name in ("sku", "description", "unit"):
        if not fields[name]:
            raise ValidationError({name: "This field is required."})
    item = ContractItem.objects.filter(contract=contract, sku=fields["sku"]).first()
    before = audit.snapshot(item, ["description", "unit", "category", "unit_price",
                                   "list_price"]) if item else None  # fmt: skip
    if item is None:
        item = ContractItem(contract=contract, **fields)
    else:
        for name, value in fields.items():
            setattr(item, name, value)
    item.unit_price, item.list_price = price, listed
    item.withdrawn_on = None  # saved by hand: on the list in force again
    item.search_document = search_document(contract, fields)
    item.full_clean(exclude=["contract", "solicitation_item"])
    item.save()
    item.tiers.all().delete()
    Tier.objects.bulk_create(Tier(item=item, min_quantity=q, unit_price=p) for q, p in parsed)
    after = audit.snapshot(item, ["description", "unit", "category", "unit_price", "list_price"])
    changes = audit.diff(before, after)
    changes["tiers"] = [None, [[str(q), str(p)] for q, p in sorted(parsed)]]
    audit.record("contract.item_save", contract, label=f"{contract.number} {item.sku}",
                 changes={"sku": [None, item.sku], **changes})  # fmt: skip
    return item


@transaction.atomic
def discount_save(*, user: Any, contract: Contract, category: str,
                  discount_pct: Any) -> CategoryDiscount:  # fmt: skip
    require(user, Action.CONTRACT_EDIT, contract.agency)
    pct = number(
        discount_pct, CategoryDiscount, "discount_pct", minimum=Decimal(0), maximum=Decimal(100)
    )
    if not category.strip():
        raise ValidationError({"category": "Name the catalogue category."})
    row, _ = CategoryDiscount.objects.update_or_create(
        contract=contract, category=category.strip()[:100], defaults={"discount_pct": pct}
    )
    audit.record("contract.discount_save", contract, changes={
        "category": [None, row.category], "discount_pct": [None, pct]})  # fmt: skip
    return row


@transaction.atomic
def document_add(*, user: Any, contract: Contract, kind: str, title: str,
                 upload: Upload) -> ContractDocument:  # fmt: skip
    require(user, Action.CONTRACT_EDIT, contract.agency)
    if kind not in ContractDocument.Kind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(ContractDocument.Kind.values)}."})
    check_upload(upload, field_name="file")
    name = PurePath(upload.filename).name[:200]
    doc = ContractDocument.objects.create(
        contract=contract, kind=kind, title=(title.strip() or name)[:200], filename=name,
        content_type=content_type_of(name), size=len(upload.data), content=upload.data,
        added_at=timezone.now())  # fmt: skip
    audit.record(
        "contract.document_add",
        contract,
        changes={"document": [None, doc.title], "kind": [None, kind], "size": [None, doc.size]},
    )
    return doc


# Eligibility ---------------------------------------------------------------------------------


def terms_of(contract: Contract) -> eligibility.Terms:
    return eligibility.Terms(
        scope=contract.scope, kinds=frozenset(contract.eligible_kinds or ()),
        # .all(), not values_list: the catalogue prefetches these for every contract.
        areas=frozenset(a.pk for a in contract.service_areas.all()),
        participants_only=contract.participants_only,
        participants=frozenset(i.pk for i in contract.participants.all()),
    )  # fmt: skip


def member_of(institution: Institution) -> eligibility.Member | None:
    membership = Membership.objects.filter(institution=institution).first()
    if membership is None:
        return None
    return eligibility.Member(
        institution_id=institution.pk, kind=institution.kind,
        kind_label=institution.get_kind_display(),
        active=membership.status == Membership.Status.ACTIVE,
        service_area_id=membership.service_area_id,
    )  # fmt: skip


def refusals(contract: Contract, institution: Institution) -> list[str]:
    """Why ``institution`` may not buy under ``contract`` (eligibility only); empty if it may."""
    if institution.agency_id != contract.agency_id:
        return ["The institution is not a member of the agency."]
    return eligibility.refusals(terms_of(contract), member_of(institution))


# Adoption ------------------------------------------------------------------------------------


@transaction.atomic
def contract_adopt(*, user: Any, contract: Contract, institution: Institution,
                   adopted_on: date | None = None) -> Adoption:  # fmt: skip
    """The member joins the contract (its board's resolution or the cooperative's rider)."""
    require(user, Action.CONTRACT_ADOPT, contract.agency, institution=institution)
    why = refusals(contract, institution)
    if why:
        raise ValidationError({"institution": " ".join(why)})
    if Adoption.objects.filter(contract=contract, institution=institution).exists():
        raise ValidationError({"institution": "The member has already adopted this contract."})
    adoption = Adoption.objects.create(contract=contract, institution=institution,
                                       adopted_on=adopted_on or timezone.localdate(),
                                       by=user if getattr(user, "pk", None) else None)  # fmt: skip
    audit.record(
        "contract.adopt",
        contract,
        changes={"institution": [None, institution.pk], "adopted_on": [None, adoption.adopted_on]},
    )
    return adoption


@transaction.atomic
def settings_save(*, user: Any, agency: Agency, **fields: Any) -> ContractSettings:
    require(user, Action.CONTRACT_EDIT, agency)
    names = {"expiring_days", "report_due_days", "approval_threshold", "patronage_cash_share",
             "patronage_minimum_check", "typed_saving_cap"}  # fmt: skip
    unknown = set(fields) - names
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    row = ContractSettings.objects.select_for_update().filter(agency=agency).first()
    row = row or ContractSettings(agency=agency)
    before = audit.snapshot(row, sorted(names)) if row.pk else None
    for name in ("approval_threshold", "patronage_minimum_check", "typed_saving_cap"):
        if name in fields:
            fields[name] = number(fields[name], ContractSettings, name)
    if "patronage_cash_share" in fields:
        share = fields["patronage_cash_share"]
        fields["patronage_cash_share"] = number(
            share, ContractSettings, "patronage_cash_share", maximum=Decimal(100)
        )
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean(exclude=["agency"])
    row.save()
    audit.record("contract_settings.save", row, agency_id=agency.pk,
                 changes=audit.diff(before, audit.snapshot(row, sorted(names))))  # fmt: skip
    return row


# From an award in EdCoop -----------------------------------------------------------------------


@transaction.atomic
def contract_from_award(*, user: Any, solicitation: Any, supplier: Supplier, number: str,
                        starts_on: date, ends_on: date, **fields: Any) -> Contract:  # fmt: skip
    """A contract made from a solicitation's final award to ``supplier``: its source,
    eligibility and price list (awarded unit prices and the bid's volume tiers) come from the
    award; a bid that was not open to every eligible member is limited to the members that
    committed quantities in its demand survey (GML §119-o participants)."""
    from edcoop.procurement.awarding import final_award_lines
    from edcoop.procurement.models import BidLine, DemandCommitment

    agency = solicitation.agency
    require(user, Action.CONTRACT_EDIT, agency)
    lines = [x for x in final_award_lines(solicitation) if x.supplier_id == supplier.pk
             and x.rank == x.Rank.PRIMARY]  # fmt: skip
    if not lines:
        raise ValidationError({"supplier": f"{supplier} holds no final primary award on "
                                           f"{solicitation.number}."})  # fmt: skip
    award = lines[0].award
    final = award.final_at or award.approved_at
    contract = contract_create(
        user=user, agency=agency, supplier=supplier, number=number, starts_on=starts_on,
        ends_on=ends_on, source=Contract.Source.AWARD,
        title=fields.pop("title", solicitation.title), category=fields.pop(
            "category", solicitation.category or "General"),
        lead_agency=solicitation.lead_agency or agency.name,
        solicitation_reference=solicitation.number,
        solicitation_method=solicitation.get_kind_display(),
        solicited_on=solicitation.published_at.astimezone(agency.zone).date()
        if solicitation.published_at else None,
        awarded_on=final.astimezone(agency.zone).date() if final else None,
        scope=solicitation.eligibility, eligible_kinds=list(solicitation.eligible_kinds or []),
        participants_only=not solicitation.open_to_all_eligible, **fields,
    )  # fmt: skip
    Contract.objects.filter(pk=contract.pk).update(solicitation=solicitation)
    contract.solicitation = solicitation
    if contract.participants_only:
        joined = Institution.objects.filter(
            pk__in=DemandCommitment.objects.filter(item__solicitation=solicitation)
            .values("institution_id"))  # fmt: skip
        eligibility_set(user=user, contract=contract, participants=joined)
    for line in lines:
        bid = BidLine.objects.filter(response=line.response, item=line.item).first()
        tiers = [(t["min_quantity"], t["unit_price"]) for t in (bid.tiers if bid else [])
                 if Decimal(str(t["unit_price"])) <= line.unit_price]  # fmt: skip
        item = item_save(user=user, contract=contract, sku=line.item.number,
                         description=line.item.description, unit=line.item.unit,
                         unit_price=line.unit_price, category=contract.category,
                         tiers=tiers)  # fmt: skip
        ContractItem.objects.filter(pk=item.pk).update(solicitation_item=line.item,
                                                       awarded_price=line.unit_price)
    audit.record("contract.from_award", contract, changes={
        "solicitation": [None, solicitation.number], "award": [None, award.pk],
        "items": [None, len(lines)]})  # fmt: skip
    return contract
