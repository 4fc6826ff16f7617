"""The contract catalogue: keyword, category, supplier, and "eligible for my institution";
and the compliance checklist each contract page answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from edcoop.contracts import queries, services
from edcoop.contracts.models import Contract, ContractItem
from edcoop.members import services as member_services
from edcoop.members.models import Supplier
from edcoop.procurement.files import Upload

from .conftest import make_contract

TODAY = date(2026, 9, 1)


def _search(tenant: Any, role: str = "member_buyer", **kw: Any) -> queries.Catalogue:
    return queries.catalogue(user=tenant.users[role], agency=tenant.agency, on=TODAY, **kw)


def test_keyword_finds_items_across_words_and_fields(north: Any, ream: ContractItem) -> None:
    assert [i.sku for i in _search(north, keyword="letter paper").items] == ["CP-8511"]
    assert [i.sku for i in _search(north, keyword="CP-8511").items] == ["CP-8511"]
    assert _search(north, keyword="toner").items == []
    assert [c.number for c in _search(north, keyword="copy").contracts] == ["C-2026-001"]


def test_category_and_supplier_filters(north: Any, ream: ContractItem) -> None:
    other = member_services.supplier_register(agency=north.agency, legal_name="Toner Inc",
                                              tax_id="22-7654321")  # fmt: skip
    toner = make_contract(north, number="C-2", title="Toner", category="Printing",
                          )  # fmt: skip
    toner.supplier = other
    toner.save()
    assert [c.number for c in _search(north, category="paper").contracts] == ["C-2026-001"]
    assert [c.number for c in _search(north, supplier=other).contracts] == ["C-2"]


def test_eligible_for_my_institution(north: Any, ream: ContractItem) -> None:
    mine = north.institution
    assert [i.sku for i in _search(north, institution=mine).items] == ["CP-8511"]
    # A §119-o bid my district did not take part in, and an expired contract: both hidden.
    bid = make_contract(north, number="C-119", participants_only=True)
    services.eligibility_set(user=north.users["procurement_officer"], contract=bid,
                             participants=[north.institutions[1]])  # fmt: skip
    make_contract(north, number="C-OLD", starts_on=date(2020, 7, 1), ends_on=date(2021, 6, 30))
    found = _search(north, institution=mine)
    assert [c.number for c in found.contracts] == ["C-2026-001"]
    assert [c.number for c in _search(north).contracts] == ["C-119", "C-2026-001", "C-OLD"]


def test_no_agency_sees_anothers_catalogue(north: Any, nation: Any, ream: ContractItem) -> None:
    for role in ("agency_admin", "member_buyer", "supplier_rep"):
        found = queries.catalogue(user=nation.users[role], agency=nation.agency,
                                  keyword="paper", on=TODAY)  # fmt: skip
        assert found.items == [] and found.contracts == []


def test_a_supplier_sees_only_its_own_contracts(north: Any, ream: ContractItem) -> None:
    other = member_services.supplier_register(agency=north.agency, legal_name="Other Co",
                                              tax_id="33-7654321")  # fmt: skip
    theirs = make_contract(north, number="C-3")
    Contract.objects.filter(pk=theirs.pk).update(supplier=other)
    assert [c.number for c in _search(north, "supplier_rep").contracts] == ["C-2026-001"]


def test_checklist_answers_from_the_records(north: Any, paper: Contract) -> None:
    checks = queries.checklist(paper, north.institution, TODAY).checks
    answers = {c.question.split("?")[0]: c.answer for c in checks}
    assert answers["Was it competitively solicited"] == "yes"
    assert "IFB (sealed bid) IFB 2026-04 by Lakes Region BOCES" in checks[0].detail
    assert answers["Are the solicitation, tabulation, award and signed agreement on file"] == "no"
    assert answers["Is the award current"] == "yes"
    assert answers["Is the supplier free of debarment and suspension"] == "yes"
    assert answers["Does the agreement carry the federal (2 CFR 200) contract terms"] == "no"
    assert checks[-1].answer == "yes"
    officer = north.users["procurement_officer"]
    for kind in ("solicitation", "tabulation", "award", "agreement"):
        services.document_add(
            user=officer,
            contract=paper,
            kind=kind,
            title=kind,
            upload=Upload(f"{kind}.pdf", "application/pdf", b"%PDF-1.4 x"),
        )
    Supplier.objects.filter(pk=north.supplier.pk).update(status=Supplier.Status.DEBARRED)
    paper.refresh_from_db()
    checks = queries.checklist(paper, north.institution, TODAY).checks
    assert [c.answer for c in checks[1:4]] == ["yes", "yes", "no"]


def test_search_stems_and_follows_changes(north: Any, paper: Contract) -> None:
    officer = north.users["procurement_officer"]
    services.item_save(user=officer, contract=paper, sku="F-1", description="Hanging folders",
                       unit="box", unit_price="9.00")  # fmt: skip
    assert [i.sku for i in _search(north, keyword="folder").items] == ["F-1"]
    services.item_save(user=officer, contract=paper, sku="F-1", description="Binder clips",
                       unit="box", unit_price="9.00")  # fmt: skip
    assert _search(north, keyword="folder").items == []
    assert [i.sku for i in _search(north, keyword="clips").items] == ["F-1"]
    # Operator syntax and stray quotes are words, never query syntax.
    assert _search(north, keyword='clips" OR "x NEAR(').items == []


def test_sqlite_index_comes_back_after_its_triggers_are_lost(north: Any, paper: Contract) -> None:
    from django.db import connection

    from edcoop.contracts import search_index

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 index")
    with connection.cursor() as cursor:
        for name in search_index.TRIGGERS:
            cursor.execute("DROP TRIGGER " + name)  # what a table rebuild does
    services.item_save(user=north.users["procurement_officer"], contract=paper, sku="S-1",
                       description="Staples", unit="box", unit_price="2.00")  # fmt: skip
    search_index.install(connection)
    assert [i.sku for i in _search(north, keyword="staples").items] == ["S-1"]
