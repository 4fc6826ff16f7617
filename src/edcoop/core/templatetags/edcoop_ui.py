"""Template filters and tags shared by every page (see docs/ui.md).

``{% load edcoop_ui %}`` then:

- ``{{ amount|money }}``: ``$1,234.50``; put it in a ``<td class="num">`` (right-aligned).
- ``{{ value|decimal:2 }}``: a plain number with a fixed number of places and thousands commas.
- ``{{ qty|quantity:unit }}``: ``5,000 cases``; ``{{ share|percent }}``: ``5.89%``;
  ``{{ value|dash }}``: the value or a dash, never "None" (all from ``core.formatting``).
- ``{{ dt|agency_time:agency }}``: a ``<time>`` element in the agency's zone, with the zone
  abbreviation (``Mar 3, 2026, 4:05 PM EST``).
- ``{{ agency|logo_src }}``: the agency's logo as a ``data:`` URI ("" without one), for an
  ``<img>`` on its own pages and documents (members/logos.py).
- ``{% status_badge obj.status obj.get_status_display %}``: the status as text in a badge.
- ``{% form_fields form %}``: error summary, then every field (use it instead of ``{{ form }}``).
- ``{% field form.name %}``: one form field with label, required mark, help and inline errors.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import format_html

from edcoop.core import formatting

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """Dollars with two decimals and thousands separators; an empty cell for no value."""
    return formatting.money(value)


@register.filter
def price(value: Any) -> str:
    """A unit rate: ``$0.0425``, ``$12.50``."""
    return formatting.price(value)


@register.filter(name="decimal")
def decimal_places(value: Any, places: int = 2) -> str:
    return formatting.number(value, int(places))


@register.filter
def quantity(value: Any, unit: str = "") -> str:
    """``5,000 cases``: no exponent, no needless zeros."""
    return formatting.quantity(value, unit)


@register.filter
def pct(value: Any, places: int = 2) -> str:
    """A rate stored in percent, as every ``*_pct`` field is: ``2.00`` -> ``2%``. (The filter
    used to read its value as a fraction, so a 2% admin fee showed as 200%.)"""
    return formatting.percent(value, int(places), fraction=False)


@register.filter
def share(value: Any, places: int = 4) -> str:
    """A fraction as a percentage, as the solver reports its gap: ``0.000011`` -> ``0.0011%``."""
    return formatting.percent(value, int(places))


@register.filter
def action_label(value: Any) -> str:
    """An audit action code in words: ``billing.run.post`` -> ``Billing run posted``."""
    return formatting.action_label(value)


@register.filter
def pairs(value: Any) -> list[tuple[Any, Any]]:
    """A dict's items, even when the dict has a key named "items" (``d.items`` in a template
    would look that key up instead)."""
    return list(value.items()) if isinstance(value, dict) else []


@register.filter
def logo_src(agency: Any) -> str:
    from edcoop.members.logos import data_uri

    png = bytes(getattr(agency, "logo_png", b"") or b"")
    return data_uri(png) if png else ""


@register.filter
def dash(value: Any) -> str:
    """The value, or a dash for nothing (never "None")."""
    return formatting.blank(value, empty=formatting.DASH)


@register.filter
def agency_time(value: Any, agency: Any = None) -> str:
    """A stored (UTC) moment shown in the agency's time zone, the zone named."""
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    zone = getattr(agency, "zone", None) or timezone.get_default_timezone()
    return format_html(
        '<time datetime="{}">{}</time>',
        value.isoformat(timespec="seconds"),
        formatting.moment(value, zone),
    )


@register.filter
def day(value: Any) -> str:
    """A calendar date (joined on, fiscal year start): ``Mar 3, 2026``."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return "" if value is None else str(value)
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), formatting.day(value))


_BADGE_TONES = {
    "active": "ok",
    "succeeded": "ok",
    "queued": "pending",
    "running": "pending",
    "failed": "bad",
    "applicant": "pending",
    "suspended": "warn",
    "debarred": "bad",
    "declined": "bad",
    "withdrawn": "muted",
    "inactive": "muted",
    # Contracts and orders
    "expiring": "warn",
    "expired": "muted",
    "terminated": "bad",
    "upcoming": "pending",
    "draft": "pending",
    "approved": "ok",
    "sent": "ok",
    "received": "ok",
    "closed": "muted",
    "cancelled": "muted",
    # Invoices
    "paid": "ok",
    "open": "pending",
    "overdue": "bad",
}


@register.simple_tag
def status_badge(status: str, label: str = "") -> str:
    """The status in words, inside a badge whose colour only repeats what the text says."""
    tone = _BADGE_TONES.get(str(status), "muted")
    return format_html('<span class="badge badge-{}">{}</span>', tone, label or str(status).title())


@register.filter
def yesno_text(value: Any) -> str:
    return "Yes" if value else "No"


@register.inclusion_tag("includes/field.html")
def field(bound: BoundField, hint: str = "") -> dict[str, Any]:
    """One field: label (or legend), required mark, hint, error, widget. See docs/ui.md."""
    widget_type = bound.widget_type
    return {
        "field": bound,
        "hint": hint or bound.help_text,
        "is_group": bound.use_fieldset,
        "is_checkbox": widget_type == "checkbox",
    }


@register.inclusion_tag("includes/form_fields.html")
def form_fields(form: Any) -> dict[str, Any]:
    """A whole form: error summary, hidden fields, then each visible field via ``field``."""
    return {"form": form}


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form: Any) -> dict[str, Any]:
    """The list of problems at the top of a form, each linking to its field."""
    items = []
    if form is not None and form.errors:
        for error in form.non_field_errors():
            items.append({"href": "", "text": error})
        for bound in form:
            for error in bound.errors:
                target = bound.auto_id
                if bound.use_fieldset:
                    target = f"{bound.auto_id}_0"
                items.append({"href": f"#{target}", "text": f"{bound.label}: {error}"})
    return {"items": items}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template (a key given as a number also finds its text form)."""
    if not mapping:
        return None
    if key in mapping:
        return mapping[key]
    return mapping.get(str(key))
