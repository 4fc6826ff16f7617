"""Charts drawn on the server as SVG: no CDN, no script, nothing for the CSP to refuse.

A chart is a picture of numbers the page also gives as a table (docs/ui.md), so the SVG is
``role="img"`` with a title and a one-sentence description; screen readers read the table.
Only presentation attributes are used (``fill``, ``x``...): CSP treats ``style=`` as inline
style, but not these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import formatting

# Bar colours: each at least 3:1 against white (WCAG 1.4.11 non-text contrast).
PALETTE = ["#1d4e89", "#b3541e", "#2e7d32", "#6a1b9a", "#00695c", "#8d6e00"]
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int
    # A second value drawn as a thin marker on the bar (e.g. budget against spending).
    target: Decimal | int | None = None


# What fits left of the bars (200 px less the gap) at 13 px DejaVu Sans, about 7.8 px a
# character: longer labels are cut with an ellipsis (the full label is the text's <title>
# and the table beside the chart), instead of running off the chart's left edge.
LABEL_CHARS = 24


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "\u2026"


def _nice_max(value: Decimal) -> Decimal:
    """The axis end: the smallest 1, 2, 2.5 or 5 x 10^n at or above ``value``."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = step.scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    describe: str,
    fmt: Callable[[Decimal | int], str] = formatting.quantity,
    width: int = 640,
) -> SafeString:
    """A horizontal bar chart; one row per bar with its value printed at the end."""
    chart_id = f"chart-{next(_ids)}"
    row, label_w, pad = 30, 200, 90
    height = row * len(bars) + 30
    values = [Decimal(b.value) for b in bars] + [Decimal(b.target) for b in bars if b.target]
    top = _nice_max(max(values, default=Decimal(0)))
    plot_w = width - label_w - pad

    def x_of(value: Decimal | int) -> float:
        return label_w + float(Decimal(value) / top) * plot_w

    e = escape  # every text from data is escaped; numbers are formatted here
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-t">{e(title)}</title>'
        f'<desc id="{chart_id}-d">{e(describe)}</desc>'
    ]
    # Gridlines at round values: 0-20 by 5s, 0-25 by 5s, 0-50 by 10s, 0-100 by 20s.
    intervals = 4 if top.scaleb(-top.adjusted()) == 2 else 5
    for tick in range(intervals + 1):
        value = top * tick / intervals
        x = x_of(value)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 22}" stroke="#d0d4da"/>'
            f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="#374151">{e(fmt(value))}</text>'
        )
    for i, bar in enumerate(bars):
        y = i * row + 4
        length = max(x_of(bar.value) - label_w, 1.0)
        end = label_w + length
        if bar.target is not None:
            tx = x_of(bar.target)
            parts.append(
                f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y - 3}" y2="{y + 23}" '
                'stroke="#111827" stroke-width="3"/>'
            )
            end = max(end, tx + 1.5)  # the value is written past the marker, never under it
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" font-size="13" text-anchor="end" '
            f'fill="#111827">{e(_fit(bar.label, LABEL_CHARS))}<title>{e(bar.label)}</title></text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="20" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{end + 6:.1f}" y="{y + 15}" font-size="12" '
            f'fill="#111827">{e(fmt(bar.value))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (numbers formatted here, text escaped)
