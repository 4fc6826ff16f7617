"""Server-side SVG charts: right proportions, accessible, no inline style."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edcoop.core.charts import Bar, _nice_max, bar_chart


@pytest.mark.parametrize(
    ("value", "axis"),
    [(Decimal(7), Decimal(10)), (Decimal(23), Decimal(25)), (Decimal(140), Decimal(200)),
     (Decimal("0.3"), Decimal("0.5")), (Decimal(5000), Decimal(5000)), (Decimal(0), Decimal(1))],
)  # fmt: skip
def test_axis_ends_at_a_round_number_at_or_above_the_largest_value(value, axis):
    assert _nice_max(value) == axis


def test_bar_lengths_are_proportional_and_labels_escaped():
    svg = str(bar_chart("Spend", [Bar("<b>A</b>", 50), Bar("B", 100)], describe="Two bars"))
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "&lt;b&gt;A&lt;/b&gt;" in svg and "<b>" not in svg
    # Axis ends at 100; the plot is 640 - 200 - 90 = 350 wide.
    assert 'width="175.0"' in svg and 'width="350.0"' in svg
    assert "style=" not in svg


def test_dashboard_shows_members_by_kind_as_chart_and_table(north, client):
    client.force_login(north.users["agency_admin"])
    body = client.get("/a/north/").content.decode()
    assert 'class="chart"' in body
    assert "<th scope=\"row\">Public K-12 district</th><td class=\"num\">2</td>" in body
