"""Reads for governance: the rules in force for an agency, as engine values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from edcoop.core import permissions
from edcoop.core.permissions import Action
from edcoop.members.models import Agency, Institution, MembershipYear

from . import savings
from .compliance import Method, Rule
from .models import ComplianceRule, PiggybackAuthority, PublicDocument, SavingsStudy
from .savings import DistrictInput, StudyResult


def rule_rows(agency: Agency | None) -> list[ComplianceRule]:
    """The agency's effective table: its own rules, plus each default it has not replaced.
    ``None``: the shipped defaults alone."""
    defaults = list(ComplianceRule.objects.filter(agency__isnull=True))
    if agency is None:
        return defaults
    own = list(ComplianceRule.objects.filter(agency=agency))
    replaced = {r.key for r in own}
    return sorted(
        [r for r in defaults if r.key not in replaced] + [r for r in own if r.active],
        key=lambda r: (r.jurisdiction, r.funding, r.key),
    )


def as_rule(row: ComplianceRule) -> Rule:
    return Rule(
        key=row.key, name=row.name, jurisdiction=row.jurisdiction, funding=row.funding,
        kinds=tuple(row.kinds or ()), method=Method[row.method.upper()], lower=row.lower,
        lower_inclusive=row.lower_inclusive, upper=row.upper,
        effective_from=row.effective_from, effective_to=row.effective_to,
        source=row.source, pk=row.pk,
    )  # fmt: skip


def rules_for(agency: Agency | None) -> list[Rule]:
    return [as_rule(r) for r in rule_rows(agency) if r.active]


def jurisdictions(agency: Agency | None) -> list[str]:
    qs = ComplianceRule.objects.filter(Q(agency__isnull=True) | Q(agency=agency))
    return sorted(set(qs.values_list("jurisdiction", flat=True)) - {"US"})


def key_taken(agency: Agency, key: str) -> bool:
    mine_or_shipped = Q(agency=agency) | Q(agency__isnull=True)
    return ComplianceRule.objects.filter(mine_or_shipped, key=key).exists()


def piggyback_authorities(agency: Agency | None) -> dict[str, PiggybackAuthority]:
    """The piggybacking authority in force for the agency, by jurisdiction: its own row where
    it recorded one (an extension), else the shipped default. ``None``: the defaults alone."""
    rows = PiggybackAuthority.objects.filter(Q(agency__isnull=True) | Q(agency=agency))
    out: dict[str, PiggybackAuthority] = {}
    for row in rows.order_by("jurisdiction"):
        if row.agency_id is None and row.jurisdiction in out:
            continue  # the agency's own row replaces the default, whichever comes first
        out[row.jurisdiction] = row
    return out


# Savings studies ----------------------------------------------------------------------------


def study_inputs(study: SavingsStudy) -> tuple[list[DistrictInput], list[str]]:
    """The engine's inputs from the study's rows and the members' figures for its year, and
    the problems that keep it from computing (missing RWADA, enrollment or aid ratio)."""
    rows = list(study.districts.select_related("institution"))
    years = {
        y.membership.institution_id: y
        for y in MembershipYear.objects.filter(
            membership__institution__in=[r.institution_id for r in rows],
            fiscal_year=study.fiscal_year,
        ).select_related("membership")
    }  # fmt: skip
    inputs, problems = [], []
    for row in rows:
        name = row.institution.name
        if study.published and row.published_weight is not None:
            # Published: the figures it was published with, never today's.
            inputs.append(DistrictInput(
                key=row.institution_id, name=name, fte=row.fte, salary=row.salary,
                benefits_pct=row.benefits_pct, software=row.software,
                audit_findings=row.audit_findings, other=row.other,
                weight=row.published_weight, aid_ratio=row.published_aid_ratio or Decimal(0),
            ))  # fmt: skip
            continue
        year = years.get(row.institution_id)
        aid_ratio = year.aid_ratio if year is not None else None
        if study.aidable and aid_ratio is None:
            problems.append(f"{name} has no aid ratio for FY{study.fiscal_year}.")
        weight: Decimal | None
        if study.basis == SavingsStudy.Basis.RWADA:
            weight = year.rwada if year is not None else None
        elif study.basis == SavingsStudy.Basis.ENROLLMENT:
            weight = Decimal(year.enrollment) if year and year.enrollment is not None else None
        elif study.basis == SavingsStudy.Basis.EQUAL:
            weight = Decimal(1)
        else:
            weight = row.custom_share
        if weight is None:
            problems.append(f"{name} has no {study.get_basis_display().lower()} figure for "
                            f"FY{study.fiscal_year}.")  # fmt: skip
        inputs.append(DistrictInput(
            key=row.institution_id, name=name, fte=row.fte, salary=row.salary,
            benefits_pct=row.benefits_pct, software=row.software,
            audit_findings=row.audit_findings, other=row.other,
            weight=weight or Decimal(0), aid_ratio=aid_ratio or Decimal(0),
        ))  # fmt: skip
    if not rows:
        problems.append("Add the districts the study compares.")
    return inputs, problems


def study_result(study: SavingsStudy) -> tuple[StudyResult | None, list[str]]:
    inputs, problems = study_inputs(study)
    if problems:
        return None, problems
    try:
        result = savings.compute(inputs, shared_cost=study.shared_cost, aidable=study.aidable,
                                 sensitivity_pct=study.sensitivity_pct)  # fmt: skip
    except ValueError as exc:
        return None, [str(exc)[:1].upper() + str(exc)[1:] + "."]
    return result, []


def studies_for(user: Any, agency: Agency) -> QuerySet[SavingsStudy]:
    """Staff who read studies see drafts too; everyone else (the public) the published."""
    qs = SavingsStudy.objects.filter(agency=agency)
    if permissions.can(user, Action.STUDY_VIEW, agency):
        return qs
    return qs.filter(status=SavingsStudy.Status.PUBLISHED)


def public_documents(agency: Agency) -> QuerySet[PublicDocument]:
    return PublicDocument.objects.filter(agency=agency, withdrawn_at__isnull=True).defer("content")


def service_budgets(agency: Agency, fiscal_year: int) -> list[dict[str, Any]]:
    """The year's adopted service budgets by CoSer group: what the agency plans to spend and
    recover from its members, from the catalog's yearly budgets."""
    from edcoop.services.models import CoSerGroup, ServiceYear

    rows = (ServiceYear.objects.filter(service__agency=agency, fiscal_year=fiscal_year)
            .values("service__coser_group").annotate(total=Sum("budget"), services=Count("pk"))
            .order_by("service__coser_group"))  # fmt: skip
    labels = dict(CoSerGroup.choices)
    return [
        {"group": labels.get(r["service__coser_group"], r["service__coser_group"]),
         "total": r["total"] or Decimal(0), "services": r["services"]}
        for r in rows
    ]  # fmt: skip


def public_contracts(agency: Agency, on: Any) -> list[dict[str, Any]]:
    """The agency's contracts in force on ``on`` as the public sees them: who holds them, how
    they were solicited, until when, and who may use them (never prices or fees)."""
    from edcoop.contracts.models import Contract

    rows = []
    contracts = (Contract.objects.filter(agency=agency, starts_on__lte=on)
                 .exclude(terminated_on__lte=on)
                 .select_related("supplier", "solicitation").prefetch_related("renewals")
                 .order_by("number"))  # fmt: skip
    kinds = dict(Institution.Kind.choices)
    for c in contracts:
        end = c.current_end()
        if end < on:
            continue
        who = c.get_scope_display()
        if c.eligible_kinds:
            who += ": " + ", ".join(kinds.get(k, k).lower() for k in c.eligible_kinds)
        if c.participants_only:
            who += "; only the members that took part in the cooperative bid (GML §119-o)"
        method = c.solicitation_method or (
            c.solicitation.get_kind_display() if c.solicitation else "")  # fmt: skip
        reference = c.solicitation.number if c.solicitation else c.solicitation_reference
        rows.append({"contract": c, "ends_on": end, "eligibility": who, "method": method,
                     "reference": reference, "lead": c.lead_agency or agency.name})  # fmt: skip
    return rows
