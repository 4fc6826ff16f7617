"""Governance writes and the compliance check every door calls (command, API, page)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from edcoop.core import audit
from edcoop.core.decimals import MONEY, DecimalInputError, parse_decimal
from edcoop.core.permissions import Action, require
from edcoop.members.models import Agency, Institution
from edcoop.procurement.files import Upload, check_upload, content_type_of

from . import selectors
from .compliance import FUNDING, KINDS, NoRule, Rule, required_method
from .models import (
    ComplianceRule,
    FlagReview,
    PiggybackAuthority,
    PublicDocument,
    SavingsStudy,
    StudyDistrict,
)


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "key": rule.key, "name": rule.name, "jurisdiction": rule.jurisdiction,
        "funding": rule.funding, "kinds": list(rule.kinds), "method": rule.method.code,
        "lower": None if rule.lower is None else f"{rule.lower:.2f}",
        "lower_inclusive": rule.lower_inclusive,
        "upper": None if rule.upper is None else f"{rule.upper:.2f}",
        "effective_from": rule.effective_from.isoformat(),
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
        "source": rule.source,
    }  # fmt: skip


def compliance_check(
    *, agency: Agency | None, jurisdiction: str, funding: str, kind: str, amount: Any,
    on: date | str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The required procurement method for a purchase, and the rules that decided it.

    ``amount`` is the expected 12-month aggregate for the same item, as typed ("20000.00").
    Bad input raises ValidationError naming the field; a gap in the rule table too.
    """
    problems: dict[str, str] = {}
    jurisdiction = (jurisdiction or "").strip().upper()
    if not (len(jurisdiction) == 2 and jurisdiction.isascii() and jurisdiction.isalpha()):
        problems["jurisdiction"] = "Give a state's two-letter code, e.g. NY."
    if funding not in FUNDING:
        problems["funding"] = f"Choose {' or '.join(FUNDING)}."
    if kind not in KINDS:
        problems["kind"] = f"Choose one of {', '.join(KINDS)}."
    try:
        value = parse_decimal(amount, MONEY, people=True)
    except DecimalInputError as exc:
        problems["amount"] = f"The amount {exc}."
    when: date | None = None
    if on is None or on == "":
        when = timezone.localdate()
    elif isinstance(on, date):
        when = on
    else:
        try:
            when = date.fromisoformat(str(on).strip())
        except ValueError:
            problems["date"] = "Give the date as YYYY-MM-DD."
    if problems or when is None:
        raise ValidationError(problems)
    try:
        decision = required_method(
            selectors.rules_for(agency), jurisdiction=jurisdiction, funding=funding, kind=kind,
            amount=value, on=when,
        )  # fmt: skip
    except NoRule as exc:
        raise ValidationError({"__all__": f"The rule table has a gap: {exc}."}) from None
    return {
        "jurisdiction": jurisdiction, "funding": funding, "kind": kind,
        "amount": f"{value:.2f}", "date": when.isoformat(),
        "method": decision.method.code, "method_label": decision.method.label,
        "decided_by": [_rule_json(r) for r in decision.decided_by],
        "also_applied": [_rule_json(r) for r in decision.applied
                         if r not in decision.decided_by],
    }  # fmt: skip


RULE_FIELDS = [
    "name", "jurisdiction", "funding", "kinds", "method", "lower", "lower_inclusive", "upper",
    "effective_from", "effective_to", "source", "source_url", "active",
]  # fmt: skip


def _save_own(model: Any, names: list[str], *, agency: Agency, lookup: dict[str, Any],
              fields: dict[str, Any], action: str) -> Any:  # fmt: skip
    """The agency's own version of a shipped record (a rule, a piggybacking authority): the
    first save copies the shipped one (``agency`` null, same ``lookup``) and changes
    ``fields``; later saves change the agency's copy. Audited as ``action``.create/.update."""
    unknown = set(fields) - set(names)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    row = model.objects.select_for_update().filter(agency=agency, **lookup).first()
    before = audit.snapshot(row, names) if row else None
    if row is None:
        default = model.objects.filter(agency__isnull=True, **lookup).first()
        base = {f: getattr(default, f) for f in names} if default else {}
        row = model(agency=agency, **lookup, **base)
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    audit.record(f"{action}.update" if before else f"{action}.create", row, agency_id=agency.pk,
                 changes=audit.diff(before, audit.snapshot(row, names)))  # fmt: skip
    return row


def _reset_own(model: Any, names: list[str], *, agency: Agency, lookup: dict[str, Any],
               action: str, missing: dict[str, str]) -> None:  # fmt: skip
    """Drop the agency's own version: the shipped record applies again (``missing``: the
    error when the agency has none). Audited as ``action``.reset with every field gone."""
    row = model.objects.select_for_update().filter(agency=agency, **lookup).first()
    if row is None:
        raise ValidationError(missing)
    gone = {f: [v, None] for f, v in audit.snapshot(row, names).items()}
    audit.record(f"{action}.reset", row, agency_id=agency.pk, changes=gone)
    row.delete()


@transaction.atomic
def rule_save(*, user: Any, agency: Agency, key: str, **fields: Any) -> ComplianceRule:
    """The agency's own version of rule ``key``: replaces the default with that key for this
    agency, or adds a new rule."""
    require(user, Action.COMPLIANCE_EDIT, agency)
    return _save_own(ComplianceRule, RULE_FIELDS, agency=agency, lookup={"key": key},
                     fields=fields, action="compliance_rule")  # fmt: skip


@transaction.atomic
def rule_reset(*, user: Any, agency: Agency, key: str) -> None:
    """Drop the agency's own version of ``key``: the shipped default applies again."""
    require(user, Action.COMPLIANCE_EDIT, agency)
    _reset_own(ComplianceRule, RULE_FIELDS, agency=agency, lookup={"key": key},
               action="compliance_rule",
               missing={"key": "This agency has no rule of its own with that key."})  # fmt: skip


PIGGYBACK_FIELDS = ["name", "effective_from", "effective_to", "source", "source_url"]


@transaction.atomic
def piggyback_save(*, user: Any, agency: Agency, jurisdiction: str,
                   **fields: Any) -> PiggybackAuthority:  # fmt: skip
    """The agency's own record of the piggybacking authority in ``jurisdiction`` (e.g. the
    Legislature extended it: the new end, or none, and the act): replaces the shipped one for
    this agency. Same permission and audit as the rules."""
    require(user, Action.COMPLIANCE_EDIT, agency)
    jurisdiction = (jurisdiction or "").strip().upper()
    return _save_own(PiggybackAuthority, PIGGYBACK_FIELDS, agency=agency,
                     lookup={"jurisdiction": jurisdiction}, fields=fields,
                     action="piggyback_authority")  # fmt: skip


@transaction.atomic
def piggyback_reset(*, user: Any, agency: Agency, jurisdiction: str) -> None:
    """Drop the agency's own record for ``jurisdiction``: the shipped one applies again."""
    require(user, Action.COMPLIANCE_EDIT, agency)
    _reset_own(PiggybackAuthority, PIGGYBACK_FIELDS, agency=agency,
               lookup={"jurisdiction": jurisdiction}, action="piggyback_authority",
               missing={"jurisdiction": "This agency has no record of its own for that "
                                        "jurisdiction."})  # fmt: skip


# Savings studies ----------------------------------------------------------------------------

STUDY_FIELDS = ["title", "service_name", "description", "fiscal_year", "basis", "shared_cost",
                "aidable", "sensitivity_pct"]  # fmt: skip
DISTRICT_FIELDS = ["fte", "salary", "benefits_pct", "software", "audit_findings", "other",
                   "custom_share"]  # fmt: skip


def _draft(study: SavingsStudy) -> SavingsStudy:
    locked = SavingsStudy.objects.select_for_update().get(pk=study.pk)
    if locked.published:
        raise ValidationError({"__all__": "A published study does not change; make a copy to "
                                          "revise it."})  # fmt: skip
    return locked


@transaction.atomic
def study_create(*, user: Any, agency: Agency, **fields: Any) -> SavingsStudy:
    require(user, Action.STUDY_EDIT, agency)
    unknown = set(fields) - set(STUDY_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    study = SavingsStudy(agency=agency, **fields)
    study.full_clean()
    study.save()
    audit.record_create("study.create", study)
    return study


@transaction.atomic
def study_update(*, user: Any, study: SavingsStudy, **fields: Any) -> SavingsStudy:
    require(user, Action.STUDY_EDIT, study.agency)
    study = _draft(study)
    unknown = set(fields) - set(STUDY_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    before = audit.snapshot(study, STUDY_FIELDS)
    for name, value in fields.items():
        setattr(study, name, value)
    study.full_clean()
    study.save()
    changes = audit.diff(before, audit.snapshot(study, STUDY_FIELDS))
    if changes:
        audit.record("study.update", study, changes=changes)
    return study


@transaction.atomic
def study_set_districts(
    *, user: Any, study: SavingsStudy, rows: dict[int, dict[str, Any]]
) -> list[StudyDistrict]:
    """Set the in-house costs of the districts in ``rows`` (institution id -> fields); a
    district not in ``rows`` leaves the study. All or nothing."""
    require(user, Action.STUDY_EDIT, study.agency)
    study = _draft(study)
    members = {i.pk: i for i in Institution.objects.filter(agency=study.agency, pk__in=rows)}
    missing = [pk for pk in rows if pk not in members]
    if missing:
        raise ValidationError({"districts": f"Not institutions of {study.agency}: {missing}."})
    existing = {d.institution_id: d for d in study.districts.all()}
    out, problems = [], {}
    for pk, fields in rows.items():
        unknown = set(fields) - set(DISTRICT_FIELDS)
        if unknown:
            raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
        row = existing.pop(pk, None) or StudyDistrict(study=study, institution=members[pk])
        before = audit.snapshot(row, DISTRICT_FIELDS) if row.pk else None
        for name, value in fields.items():
            setattr(row, name, value)
        try:
            row.full_clean(exclude=["study", "institution"])
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                problems[f"{pk}-{field_name}"] = f"{members[pk].name}: {' '.join(messages)}"
            continue
        row.save()
        changes = audit.diff(before, audit.snapshot(row, DISTRICT_FIELDS))
        if changes:
            audit.record("study.district_set", row, agency_id=study.agency_id,
                         label=f"{members[pk].name} in {study.title}", changes=changes)  # fmt: skip
        out.append(row)
    if problems:
        raise ValidationError(problems)
    for gone in existing.values():
        audit.record("study.district_remove", gone, agency_id=study.agency_id,
                     label=f"{gone.institution.name} in {study.title}",
                     changes={"institution": [gone.institution_id, None]})  # fmt: skip
        gone.delete()
    return out


@transaction.atomic
def study_publish(*, user: Any, study: SavingsStudy) -> SavingsStudy:
    """Publish the study on the agency's public pages; from then on it never changes."""
    require(user, Action.STUDY_EDIT, study.agency)
    study = _draft(study)
    _, problems = selectors.study_result(study)
    if problems:
        raise ValidationError({"__all__": " ".join(problems)})
    inputs, _ = selectors.study_inputs(study)
    kept = {d.key: d for d in inputs}
    for row in study.districts.all():
        row.published_weight = kept[row.institution_id].weight
        row.published_aid_ratio = kept[row.institution_id].aid_ratio
        row.save(update_fields=["published_weight", "published_aid_ratio"])
    study.status = SavingsStudy.Status.PUBLISHED
    study.published_at = timezone.now()
    study.save(update_fields=["status", "published_at"])
    audit.record("study.publish", study, changes={"status": ["draft", "published"]})
    return study


@transaction.atomic
def study_copy(*, user: Any, study: SavingsStudy, title: str = "") -> SavingsStudy:
    """A new draft with the same inputs, to revise a published study."""
    require(user, Action.STUDY_EDIT, study.agency)
    fields = {name: getattr(study, name) for name in STUDY_FIELDS}
    fields["title"] = title.strip() or f"{study.title} (revised)"
    copy = SavingsStudy(agency=study.agency, copied_from=study, **fields)
    copy.full_clean()
    copy.save()
    StudyDistrict.objects.bulk_create([
        StudyDistrict(study=copy, institution_id=d.institution_id,
                      **{name: getattr(d, name) for name in DISTRICT_FIELDS})
        for d in study.districts.all()
    ])  # fmt: skip
    audit.record_create("study.copy", copy)
    return copy


# Public documents ---------------------------------------------------------------------------


@transaction.atomic
def public_document_post(
    *, user: Any, agency: Agency, kind: str, title: str, upload: Upload,
    fiscal_year: int | None = None,
) -> PublicDocument:  # fmt: skip
    """Post a document on the agency's transparency page (PDF, spreadsheet, text...)."""
    require(user, Action.PUBLIC_DOCUMENT_POST, agency)
    check_upload(upload, field_name="file")
    name = PurePath(upload.filename).name
    document = PublicDocument(
        agency=agency, kind=kind, fiscal_year=fiscal_year, title=title.strip() or name,
        filename=name, content_type=content_type_of(name), size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(), content=upload.data,
        posted_at=timezone.now(), posted_by=user if getattr(user, "pk", None) else None,
    )  # fmt: skip
    document.full_clean(exclude=["content", "posted_by"])
    document.save()
    audit.record("public_document.post", document, changes={
        "kind": [None, kind], "title": [None, document.title], "filename": [None, name],
        "sha256": [None, document.sha256], "fiscal_year": [None, fiscal_year],
    })  # fmt: skip
    return document


@transaction.atomic
def public_document_withdraw(*, user: Any, document: PublicDocument, reason: str) -> None:
    """Take a document posted by mistake off the public page; it is kept, with the reason."""
    require(user, Action.PUBLIC_DOCUMENT_POST, document.agency)
    document = PublicDocument.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise ValidationError({"reason": "This document was already withdrawn."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the document comes off the public page."})
    document.withdrawn_at = timezone.now()
    document.withdrawn_reason = reason.strip()
    document.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    audit.record("public_document.withdraw", document,
                 changes={"withdrawn_reason": [None, document.withdrawn_reason]})  # fmt: skip


# Flag reviews ---------------------------------------------------------------------------------


@transaction.atomic
def flag_review(*, user: Any, agency: Agency, flag_key: str, decision: str, note: str,
                reviewed_on: date | None = None) -> FlagReview:  # fmt: skip
    """Record the agency's review of the flag the monitor raises now with key ``flag_key``.
    A flag is reviewed once; when its evidence changes it is a new flag."""
    from . import monitor

    require(user, Action.COMPLIANCE_REVIEW, agency)
    if decision not in FlagReview.Decision.values:
        raise ValidationError({"decision": "Choose explained, corrected or referred."})
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": "Say what was found and done."})
    if len(note) > 2000:
        raise ValidationError({"note": "At most 2,000 characters."})
    today = timezone.now().astimezone(agency.zone).date()
    on = reviewed_on or today
    if on > today or on.year < 2000:
        raise ValidationError({"reviewed_on": "Give the day of the review, not in the future."})
    Agency.objects.select_for_update().filter(pk=agency.pk).first()  # one review at a time
    flag = next((f for f in monitor.flags_for(agency) if f.key == flag_key), None)
    if flag is None:
        raise ValidationError({"flag": "The monitor raises no such flag now (its evidence may "
                                       "have changed): reload the monitor."})  # fmt: skip
    if FlagReview.objects.filter(agency=agency, flag_key=flag_key).exists():
        raise ValidationError({"flag": "This flag is already reviewed."})
    review = FlagReview.objects.create(
        agency=agency, flag_key=flag_key, kind=flag.kind, subject=flag.subject[:300],
        institution_id=flag.institution_id, raised_on=flag.on, decision=decision, note=note,
        reviewed_on=on, reviewed_by=user)  # fmt: skip
    audit.record("flag.review", review, changes={
        "flag": [None, flag.label], "subject": [None, review.subject],
        "decision": [None, decision], "note": [None, note], "reviewed_on": [None, on]})  # fmt: skip
    return review
