"""Reads for governance: the rules in force for an agency, as engine values."""

from __future__ import annotations

from django.db.models import Q

from edcoop.members.models import Agency

from .compliance import Method, Rule
from .models import ComplianceRule


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
