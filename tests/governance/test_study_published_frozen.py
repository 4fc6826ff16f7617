"""A published savings study never changes (docs/governance.md): the members' RWADA and aid
ratios it was computed with are kept at publication, so correcting a member's figures for
the year afterwards leaves the public study as it was published; a draft follows them."""

from __future__ import annotations

from decimal import Decimal

from edcoop.governance import selectors, services
from edcoop.members import services as member_services


def test_a_published_study_keeps_the_figures_it_was_published_with(north):
    office, a = north.users["business_office"], north.institutions[0]
    study = services.study_create(
        user=office, agency=north.agency, title="CBO", service_name="Central Business Office",
        fiscal_year=2026, basis="rwada", shared_cost=Decimal("90000.00"), aidable=True,
        sensitivity_pct=Decimal("10"),
    )  # fmt: skip
    services.study_set_districts(user=office, study=study, rows={a.pk: {
        "fte": Decimal("1"), "salary": Decimal("60000"), "benefits_pct": Decimal("40")}})
    draft, _ = selectors.study_result(study)
    assert draft is not None and draft.aid == Decimal("55350.00")  # 90,000 x 0.6150
    study = services.study_publish(user=office, study=study)
    copy = services.study_copy(user=office, study=study)
    member_services.membership_year_set(
        user=north.users["agency_admin"], membership=a.membership, fiscal_year=2026,
        enrollment=1200, rwada=Decimal("1180.50"), aid_ratio=Decimal("0.1000"),
        full_value=Decimal("812345678.00"),
    )  # fmt: skip
    published, problems = selectors.study_result(study)
    assert not problems and published is not None
    assert published.aid == Decimal("55350.00") and published == draft
    revised, _ = selectors.study_result(copy)  # the draft copy reads today's figures
    assert revised is not None and revised.aid == Decimal("9000.00")
