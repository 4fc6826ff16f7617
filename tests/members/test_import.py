"""`edcoop import institutions`: all or nothing, line-numbered errors, idempotent."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from edcoop.core import audit
from edcoop.core.models import AuditEvent
from edcoop.members.importers import ImportFailed, import_institutions
from edcoop.members.models import Institution, Membership, MembershipYear

HEADER = "name,kind,state,county,nces_id,beds_code,component,service_area,fiscal_year,enrollment,rwada,aid_ratio\n"  # noqa: E501


def sample(name: str) -> bytes:
    return resources.files("edcoop").joinpath(f"samples/{name}").read_bytes()


def test_centennial_sample_imports_all_fourteen_districts(north):
    admin = north.users["agency_admin"]
    result = import_institutions(user=admin, agency=north.agency, data=sample(
        "centennial_boces_members.csv"))  # fmt: skip
    assert (result.created, result.updated, result.unchanged) == (14, 0, 0)
    weld = Institution.objects.get(agency=north.agency, name="Weld RE-1")
    assert weld.county == "Weld"
    assert weld.membership.status == Membership.Status.ACTIVE
    assert weld.membership.component is True


def test_reimporting_the_same_file_changes_nothing(north):
    admin = north.users["agency_admin"]
    data = sample("ny_boces.csv")
    first = import_institutions(user=admin, agency=north.agency, data=data)
    assert first.created == 37
    events = AuditEvent.objects.count()
    again = import_institutions(user=admin, agency=north.agency, data=data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 37)
    assert AuditEvent.objects.count() == events
    assert Institution.objects.filter(agency=north.agency, kind="esa").count() == 37


def test_reimport_with_figures_is_idempotent_and_a_changed_figure_updates(north):
    admin = north.users["agency_admin"]
    data = HEADER + "Hill CSD,public_k12,NY,Ontario,3612345,,yes,,2026,1200,1250.5,0.62\n"
    import_institutions(user=admin, agency=north.agency, data=data)
    again = import_institutions(user=admin, agency=north.agency, data=data)
    assert again.unchanged == 1
    changed = data.replace("1250.5", "1251.75")
    result = import_institutions(user=admin, agency=north.agency, data=changed)
    assert result.updated == 1
    year = MembershipYear.objects.get(membership__institution__nces_id="3612345")
    assert year.rwada == Decimal("1251.75")
    assert year.aid_ratio == Decimal("0.6200")


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(north):
    admin = north.users["agency_admin"]
    data = (
        HEADER
        + "Good CSD,public_k12,NY,,,,,,,,,\n"  # line 2: fine
        + ",public_k12,NY,,,,,,,,,\n"  # line 3: no name
        + "Kind CSD,castle,NY,,,,,,,,,\n"  # line 4: bad kind
        + "Beds CSD,public_k12,NY,,,12345,,,,,,\n"  # line 5: BEDS too short
        + "Area CSD,public_k12,NY,,,,,Atlantis,,,,\n"  # line 6: unknown service area
        + "Rwada CSD,public_k12,NY,,,,,,2026,10,lots,\n"  # line 7: rwada not a number
        + "Good CSD,public_k12,NY,,,,,,,,,\n"  # line 8: repeats line 2
    )
    before = Institution.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ImportFailed) as excinfo:
        import_institutions(user=admin, agency=north.agency, data=data)
    errors = excinfo.value.errors
    assert [e.split(":")[0] for e in errors] == [
        "line 3", "line 4", "line 5", "line 6", "line 7", "line 8",
    ]  # fmt: skip
    assert "name is required" in errors[0]
    assert "kind 'castle'" in errors[1]
    assert "beds_code" in errors[2] and "12 digits" in errors[2]
    assert "Atlantis" in errors[3]
    assert "rwada 'lots' is not a number" in errors[4]
    assert "repeats line 2" in errors[5]
    assert (Institution.objects.count(), AuditEvent.objects.count()) == before
    assert audit.verify() == []


def test_missing_columns_are_refused_before_any_row(north):
    with pytest.raises(ImportFailed, match="missing column"):
        import_institutions(
            user=north.users["agency_admin"], agency=north.agency, data="name,state\nA,NY\n"
        )


def test_only_agency_admins_may_import(north):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_institutions(
            user=north.users["business_office"], agency=north.agency,
            data=sample("ny_boces.csv"),
        )  # fmt: skip


def test_command_reports_bad_rows_and_exits_2(north, tmp_path: Path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "X,public_k12,ZZ,,,,,,,,,\n")
    with pytest.raises(CommandError) as excinfo:
        call_command("import", "institutions", str(bad), "--agency", "north")
    assert excinfo.value.returncode == 2
    assert "nothing imported" in str(excinfo.value)
    err = capsys.readouterr().err
    assert "line 2" in err and "state" in err


def test_command_imports_and_is_idempotent(north, tmp_path: Path, capsys):
    path = tmp_path / "centennial.csv"
    path.write_bytes(sample("centennial_boces_members.csv"))
    call_command("import", "institutions", str(path), "--agency", "north")
    assert "14 created" in capsys.readouterr().out
    call_command("import", "institutions", str(path), "--agency", "north")
    assert "14 unchanged" in capsys.readouterr().out


def test_command_names_an_unknown_agency(db, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text(HEADER)
    with pytest.raises(CommandError, match="--agency: no agency"):
        call_command("import", "institutions", str(path), "--agency", "nowhere")
