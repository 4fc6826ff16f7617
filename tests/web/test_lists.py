"""The members and suppliers tables: search, filters, sorting, pages and CSV export."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from edcoop.members import services
from edcoop.members.models import Institution

from .conftest import assert_csp_clean, client_for


def apply(tenant: Any, name: str, **extra: str) -> Any:
    fields: dict[str, Any] = {"kind": Institution.Kind.PUBLIC_K12, "state": "NY", **extra}
    return services.membership_apply(
        agency=tenant.agency, application=services.Application(name=name, **fields)
    )


def row_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html)


def get(client: Any, query: str) -> str:
    response = client.get("/a/north/members/" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_search_by_name_and_identifier(north: Any) -> None:
    apply(north, "Oswego City SD", nces_id="3622110", county="Oswego")
    apply(north, "Onondaga Community College", kind="community_college", ipeds_id="194240")
    client = client_for(north.users["auditor"])
    assert row_names(get(client, "?q=oswego")) == ["Oswego City SD"]
    assert row_names(get(client, "?q=3622110")) == ["Oswego City SD"]
    assert row_names(get(client, "?q=194240")) == ["Onondaga Community College"]
    assert row_names(get(client, "?q=District")) == ["North District 1", "North District 2"]
    empty = get(client, "?q=nothing-like-this")
    assert row_names(empty) == []
    assert "No members match these filters" in empty and "clear the filters" in empty


def test_filters(north: Any, nation: Any) -> None:
    apply(north, "Applicant College", kind="community_college", state="PA")
    m = north.institutions[1].membership
    area = services.service_area_create(agency=north.agency, name="Lakes", counties=[])
    services.membership_update(
        user=north.users["agency_admin"], membership=m, component=True, service_area=area
    )
    client = client_for(north.users["agency_admin"])
    assert row_names(get(client, "?status=applicant")) == ["Applicant College"]
    assert row_names(get(client, "?kind=community_college")) == ["Applicant College"]
    assert row_names(get(client, "?state=PA")) == ["Applicant College"]
    assert row_names(get(client, "?component=yes")) == ["North District 2"]
    assert row_names(get(client, "?component=no")) == ["Applicant College", "North District 1"]
    assert row_names(get(client, f"?service_area={area.pk}")) == ["North District 2"]
    assert row_names(get(client, "?status=active&component=no")) == ["North District 1"]
    # Another agency's members never show, whatever the filter.
    assert "Nation District" not in get(client, "?q=District")


def test_sorting_links_and_aria_sort(north: Any) -> None:
    apply(north, "Aardvark Academy", county="Zeta")
    apply(north, "Zebra School", county="Alpha")
    client = client_for(north.users["agency_admin"])
    default = get(client, "")
    assert row_names(default)[0] == "Aardvark Academy"
    assert 'aria-sort="ascending"' in default and default.count("aria-sort=") == 1
    assert row_names(get(client, "?sort=-name"))[0] == "Zebra School"
    by_county = get(client, "?sort=county&status=applicant")
    assert row_names(by_county) == ["Zebra School", "Aardvark Academy"]
    # The county header now sorts the other way and keeps the filter.
    assert 'href="?sort=-county&amp;status=applicant"' in by_county
    assert row_names(get(client, "?sort=bogus"))[0] == "Aardvark Academy"


def test_pagination(north: Any) -> None:
    for i in range(50):
        apply(north, f"Applicant {i:02d}")
    client = client_for(north.users["agency_admin"])
    first = get(client, "?status=applicant")
    assert len(row_names(first)) == 50
    assert "Showing 1&ndash;50 of 50" in first and 'rel="next"' not in first
    whole = get(client, "")
    assert len(row_names(whole)) == 50 and 'href="?page=2" rel="next"' in whole
    second = get(client, "?page=2")
    assert row_names(second) == ["North District 1", "North District 2"]
    assert "Showing 51&ndash;52 of 52 (page 2 of 2)" in second and 'rel="prev"' in second


def test_csv_export_has_the_filtered_rows_and_defuses_formulas(north: Any) -> None:
    apply(north, '=HYPERLINK("http://evil")', nces_id="3600999")
    client = client_for(north.users["agency_admin"])
    page = get(client, "?status=active")
    assert 'href="?status=active&amp;format=csv"' in page
    response = client.get("/a/north/members/?status=active&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Institution", "Kind"]
    assert [r[0] for r in rows[1:]] == ["North District 1", "North District 2"]
    everything = client.get("/a/north/members/?format=csv").content.decode("utf-8-sig")
    names = [r[0] for r in csv.reader(io.StringIO(everything))]
    assert '\'=HYPERLINK("http://evil")' in names
    assert not any(n.startswith("=") for n in names)


def test_list_pages_are_csp_clean(north: Any) -> None:
    apply(north, "Waiting School")
    client = client_for(north.users["agency_admin"])
    for url in ["/a/north/members/", "/a/north/suppliers/", "/a/north/audit/",
                "/a/north/members/applications/"]:  # fmt: skip
        body = client.get(url).content.decode()
        assert "<caption>" in body and 'scope="col"' in body
        assert_csp_clean(body)


def test_supplier_list_filters(north: Any) -> None:
    services.supplier_register(agency=north.agency, legal_name="Acme Buses", tax_id="22-2222222")
    client = client_for(north.users["evaluator"])
    body = client.get("/a/north/suppliers/?q=acme").content.decode()
    assert row_names(body) == ["Acme Buses"]
    body = client.get("/a/north/suppliers/?status=applicant&sort=-name").content.decode()
    assert row_names(body) == ["North Paper Co", "Acme Buses"]


def test_xlsx_export_is_a_real_workbook_with_the_same_rows(north: Any) -> None:
    from openpyxl import load_workbook

    apply(north, "=SUM(A1:A9)", nces_id="3600998")
    client = client_for(north.users["auditor"])
    page = get(client, "?status=active")
    assert 'href="?status=active&amp;format=xlsx"' in page
    response = client.get("/a/north/members/?status=active&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="north-members.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["Institution", "Kind"]
    assert [r[0] for r in rows[1:]] == ["North District 1", "North District 2"]
    everything = client.get("/a/north/members/?format=xlsx")
    names = [r[0].value for r in load_workbook(io.BytesIO(everything.content)).active.iter_rows()]
    assert "'=SUM(A1:A9)" in names
