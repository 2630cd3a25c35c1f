"""Template filters of the statistics pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """A rate (0–1) as a percentage with two decimals (as seed 001 prints 97.61%), or a dash."""
    if value is None:
        return "—"
    return f"{value * 100:.2f}%"


@register.filter
def km(value: float) -> str:
    return f"{value:.1f}"
