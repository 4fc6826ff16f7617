"""Issue 11: what used to be cut off at 1280 px (the tabulation's last supplier column, the
member billing chart's labels and the values its budget markers struck through), and the
pictures of each role's home for `make screenshots` (the statement's, drawn from its PDF, is
in test_document_pictures.py)."""

from __future__ import annotations

from edcoop import demo
from edcoop.members.models import Institution

from .conftest import Page, assert_accessible, login

PASSWORD = demo.PASSWORD

TABLES_FIT = """() => [...document.querySelectorAll('main .table-scroll')].map(
    el => [el.scrollWidth, el.clientWidth])"""

# Every chart text inside the chart; no value's box crossing a budget marker.
CHART_PROBLEMS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.viewBox.baseVal;
    const marks = [...svg.querySelectorAll('line[stroke-width="3"]')].map(
      l => [l.x1.baseVal.value, l.y1.baseVal.value, l.y2.baseVal.value]);
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5)
        out.push('outside: ' + t.textContent);
      for (const [x, y1, y2] of marks) {
        if (b.x < x && x < b.x + b.width && b.y < y2 && y1 < b.y + b.height)
          out.push('struck: ' + t.textContent);
      }
    }
  }
  return out;
}"""


def test_tabulation_chart_and_role_homes_fit(page: Page, demo_data: None) -> None:
    page.goto("/a/lakes/bids/")
    page.get_by_role("link", name="Bid tabulation of LK-2026-03").click()
    assert_accessible(page, "public-tabulation")
    for scroll, width in page.page.evaluate(TABLES_FIT):
        assert scroll <= width, "a tabulation table is wider than the page at 1280 px"

    alder = Institution.objects.get(agency__slug="lakes", name__startswith="Alder Creek")
    login(page, "business@lakes.example.org", PASSWORD)
    assert_accessible(page, "home-business-office")
    page.goto(f"/a/lakes/institution/{alder.pk}/billing/")
    assert_accessible(page, "billing-member-staff")
    assert page.page.evaluate(CHART_PROBLEMS) == []

    # The statement's picture is its real PDF: test_document_pictures.py.

    for user, shot in [
        ("purchasing@lakes.example.org", "home-procurement-officer"),
        ("evaluator@lakes.example.org", "home-evaluator"),
        ("admin@lakes.example.org", "home-agency-admin"),
        ("finance@alder.example.org", "home-member-finance"),
        ("buyer@alder.example.org", "home-member-buyer"),
        ("rep@empirepaper.example.com", "home-supplier"),
    ]:
        page.page.context.clear_cookies()
        login(page, user, PASSWORD)
        assert page.page.get_by_text("Next step").count() or page.page.locator("main").count()
        assert_accessible(page, shot)
