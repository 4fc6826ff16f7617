"""Import of an agency's member institutions from CSV (see docs/import.md for the columns).

All or nothing: every row is checked first and every bad row reported with its line number;
only a clean file is written, in one transaction. Rows are matched to existing institutions
on their identifiers (NCES, IPEDS, BEDS, then name and state), so importing the same file
again changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field

from edcoop.core import audit
from edcoop.core.decimals import DecimalInputError, column, parse_decimal
from edcoop.core.inputs import NUL_MESSAGE, has_nul, moment_problem
from edcoop.core.permissions import Action, require

from .models import (
    INSTITUTION_FIELDS,
    Agency,
    Institution,
    Membership,
    MembershipYear,
    ServiceArea,
    match_institution,
)

COLUMNS = [
    *INSTITUTION_FIELDS,
    "status", "component", "service_area", "joined_on",
    "fiscal_year", "enrollment", "rwada", "aid_ratio", "full_value",
]  # fmt: skip
REQUIRED = ["name", "kind", "state"]
INSTITUTION_COLUMNS = list(INSTITUTION_FIELDS)
YEAR_COLUMNS = ["enrollment", "rwada", "aid_ratio", "full_value"]
TRUE = {"yes", "y", "true", "1", "component"}
FALSE = {"", "no", "n", "false", "0", "non-component"}


class ImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:3]) + ("; ..." if len(errors) > 3 else ""))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0


@dataclass
class _Row:
    line: int
    institution: dict[str, Any]
    membership: dict[str, Any]
    year: dict[str, Any] | None


YEAR_BOUNDS = {
    "rwada": column(MembershipYear, "rwada"),
    "aid_ratio": column(MembershipYear, "aid_ratio", maximum=Decimal(1)),
    "full_value": column(MembershipYear, "full_value"),
}


def _decimal(value: str, name: str) -> Decimal | None:
    """A number at the field's own precision, so a re-import compares equal to what's stored."""
    if value == "":
        return None
    try:
        return parse_decimal(value, YEAR_BOUNDS[name], people=True)
    except DecimalInputError as exc:
        raise ValueError(f"{name} {exc}") from None


def _parse_row(line: int, raw: dict[str, str], areas: dict[str, ServiceArea]) -> _Row:
    row = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    nul = [f"{k} {NUL_MESSAGE}" for k, v in row.items() if has_nul(v)]
    if nul:
        raise ValueError("; ".join(nul))
    problems: list[str] = []
    for name in REQUIRED:
        if not row[name]:
            problems.append(f"{name} is required")
    kinds = {k.lower(): k for k in Institution.Kind.values}
    kind = kinds.get(row["kind"].lower())
    if row["kind"] and kind is None:
        problems.append(f"kind {row['kind']!r} is not one of {', '.join(Institution.Kind.values)}")
    status = row["status"].lower() or Membership.Status.ACTIVE
    if status not in {
        Membership.Status.ACTIVE,
        Membership.Status.SUSPENDED,
        Membership.Status.WITHDRAWN,
        Membership.Status.APPLICANT,
    }:
        problems.append(
            f"status {row['status']!r} is not active, suspended, withdrawn or applicant"
        )
    component_raw = row["component"].lower()
    if component_raw not in TRUE | FALSE:
        problems.append(f"component must be yes or no, not {row['component']!r}")
    area = None
    if row["service_area"]:
        area = areas.get(row["service_area"].lower())
        if area is None:
            known = ", ".join(a.name for a in areas.values()) or "none defined"
            problems.append(f"service_area {row['service_area']!r} does not exist (known: {known})")
    joined_on = None
    if row["joined_on"]:
        try:
            joined_on = date.fromisoformat(row["joined_on"])
        except ValueError:
            problems.append(f"joined_on must be a date as YYYY-MM-DD, not {row['joined_on']!r}")
        else:
            if far := moment_problem(joined_on):
                problems.append(f"joined_on {far}")
    year: dict[str, Any] | None = None
    if any(row[c] for c in YEAR_COLUMNS):
        if not (row["fiscal_year"].isascii() and row["fiscal_year"].isdigit()):
            problems.append("fiscal_year (e.g. 2026) is required with enrollment or RWADA figures")
        else:
            year = {"fiscal_year": int(row["fiscal_year"])}
            if row["enrollment"]:
                digits = row["enrollment"].replace(",", "")
                if digits.isascii() and digits.isdigit() and len(digits) <= 9:
                    year["enrollment"] = int(digits)
                else:
                    problems.append(f"enrollment must be a whole number, not {row['enrollment']!r}")
            for name in ("rwada", "aid_ratio", "full_value"):
                try:
                    year[name] = _decimal(row[name], name)
                except ValueError as exc:
                    problems.append(str(exc))
    institution: dict[str, Any] = {c: row[c] for c in INSTITUTION_COLUMNS}
    institution["kind"] = kind
    institution["state"] = row["state"].upper()
    # The model's own field rules (identifier formats, known states), checked before any write.
    for name in INSTITUTION_COLUMNS:
        if name == "kind" or not institution[name]:
            continue
        try:
            model_field = Institution._meta.get_field(name)
            if isinstance(model_field, Field):
                model_field.clean(institution[name], None)
        except ValidationError as exc:
            problems.append(f"{name}: {' '.join(exc.messages)}")
    if problems:
        raise ValueError("; ".join(problems))
    membership = {
        "status": status,
        "component": component_raw in TRUE,
        "service_area": area,
        "joined_on": joined_on,
    }
    return _Row(line, institution, membership, year)


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def import_institutions(
    *,
    user: Any,
    agency: Agency,
    data: bytes | str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Check the whole file, then write it in one transaction; raise ImportFailed otherwise."""
    if user is not None:
        require(user, Action.INSTITUTION_IMPORT, agency)
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ImportFailed(["the file is not UTF-8 text (save it as CSV UTF-8)"]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFailed([f"line 1: missing column(s) {', '.join(missing)}"])
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ImportFailed([f"line 1: unknown column(s) {', '.join(unknown)}"])
    reader.fieldnames = header

    areas = {a.name.lower(): a for a in ServiceArea.objects.filter(agency=agency)}
    rows: list[_Row] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        if None in raw:
            errors.append(f"line {line}: more values than columns")
            continue
        try:
            row = _parse_row(line, raw, areas)
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        for key in ("nces_id", "ipeds_id", "beds_code"):
            if row.institution[key]:
                ident = (key, row.institution[key])
                if ident in seen:
                    errors.append(f"line {line}: {key} {ident[1]} repeats line {seen[ident]}")
                seen.setdefault(ident, line)
        name_key = ("name", f"{row.institution['name'].lower()}|{row.institution['state']}")
        if name_key in seen:
            errors.append(f"line {line}: {row.institution['name']} repeats line {seen[name_key]}")
        seen.setdefault(name_key, line)
        rows.append(row)
    if not rows and not errors:
        errors.append("the file has no data rows")
    if errors:
        raise ImportFailed(errors)

    result = ImportResult(lines=len(rows))
    with transaction.atomic():
        for done, row in enumerate(rows, start=1):
            if progress is not None:
                progress(done - 1, len(rows))
            try:
                with transaction.atomic():
                    outcome = _write_row(agency, row)
            except ValidationError as exc:
                errors.append(f"line {row.line}: {_validation_text(exc)}")
                continue
            setattr(result, outcome, getattr(result, outcome) + 1)
        if errors:
            # Raising inside the outer block rolls back every row already written.
            raise ImportFailed(errors)
        if result.created or result.updated:
            audit.record(
                "institution.import",
                None,
                agency_id=agency.pk,
                changes={"created": [None, result.created], "updated": [None, result.updated]},
                label=f"{result.lines} rows",
            )
    return result


def _write_row(agency: Agency, row: _Row) -> str:
    """Create or update one institution with its membership and year; say which."""
    institution = match_institution(agency, row.institution)
    created = institution is None
    if institution is None:
        institution = Institution(agency=agency)
    before = audit.snapshot(institution, INSTITUTION_COLUMNS) if not created else None
    for key, value in row.institution.items():
        # An empty cell leaves an existing value alone rather than erasing it.
        if value or created:
            setattr(institution, key, value)
    inst_changes = audit.diff(before, audit.snapshot(institution, INSTITUTION_COLUMNS))
    if created or inst_changes:
        institution.full_clean()
        institution.save()
        audit.record(
            "institution.create" if created else "institution.update",
            institution,
            changes=inst_changes,
        )

    membership = Membership.objects.filter(institution=institution).first()
    m_created = membership is None
    if membership is None:
        membership = Membership(agency=agency, institution=institution)
    m_fields = ["status", "component", "service_area", "joined_on"]
    m_before = audit.snapshot(membership, m_fields) if not m_created else None
    for key, value in row.membership.items():
        if value is not None or m_created:
            setattr(membership, key, value)
    m_changes = audit.diff(m_before, audit.snapshot(membership, m_fields))
    if m_created or m_changes:
        membership.full_clean()
        membership.save()
        audit.record(
            "membership.create" if m_created else "membership.update", membership, changes=m_changes
        )

    y_changed = False
    if row.year is not None:
        year = MembershipYear.objects.filter(
            membership=membership, fiscal_year=row.year["fiscal_year"]
        ).first()
        y_created = year is None
        if year is None:
            year = MembershipYear(membership=membership, fiscal_year=row.year["fiscal_year"])
        y_before = audit.snapshot(year, YEAR_COLUMNS) if not y_created else None
        for key in YEAR_COLUMNS:
            if row.year.get(key) is not None:
                setattr(year, key, row.year[key])
        year.full_clean()
        y_changes = audit.diff(y_before, audit.snapshot(year, YEAR_COLUMNS))
        if y_created or y_changes:
            year.save()
            y_changed = True
            audit.record(
                "membership_year.create" if y_created else "membership_year.update",
                year,
                agency_id=agency.pk,
                changes=y_changes,
            )
    if created:
        return "created"
    if inst_changes or m_changes or y_changed or m_created:
        return "updated"
    return "unchanged"
