"""Server-rendered SVG bar charts, with error bars, that need no JavaScript.

Charts are drawn on the server as inline SVG so the portal works without
scripts and without any third-party asset. Each chart carries a title and a
description for screen readers, and every bar a ``<title>`` with its value, so
the numbers stay readable where the picture is not. Pages show the same numbers
in a table beside the chart.

>>> svg = bar_chart("Trips", [Bar("bus", 120.0, 8.5), Bar("metro", 80.0, 8.5)])
>>> svg.startswith("<svg") and "bus: 120" in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from html import escape

WIDTH = 640
BAR_AREA = 420
ROW = 28
LABEL = 150


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a label, a value and an optional ± half-width (drawn as an error bar)."""

    label: str
    value: float
    error: float | None = None
    limit: float | None = None  # an optional reference mark, e.g. a cap


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"


def bar_chart(title: str, bars: Sequence[Bar], unit: str = "") -> str:
    """A horizontal bar chart as an accessible SVG string."""
    top = max([1e-12, *(b.value + (b.error or 0) for b in bars), *(b.limit or 0 for b in bars)])
    scale = BAR_AREA / top
    height = ROW * len(bars) + 30
    # Ids unique per chart (derived from its title) so several charts on one
    # page each keep their own accessible name.
    uid = "chart-" + sha256(title.encode()).hexdigest()[:10]
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{len(bars)} bars; error bars show 95% confidence half-widths.</desc>',
    ]
    for i, bar in enumerate(bars):
        y = 10 + i * ROW
        width = max(0.0, bar.value) * scale
        text = f"{bar.label}: {_fmt(bar.value)}{unit}"
        if bar.error is not None:
            text += f" ± {_fmt(bar.error)}"
        parts.append(f"<g><title>{escape(text)}</title>")
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="{ROW - 10}" fill="#0b5cad"/>'
        )
        if bar.error is not None:
            low = LABEL + max(0.0, bar.value - bar.error) * scale
            high = LABEL + (bar.value + bar.error) * scale
            mid = y + ROW / 2 - 1
            parts.append(
                f'<path d="M{low:.1f} {mid}H{high:.1f}M{low:.1f} {mid - 5}v10M{high:.1f} {mid - 5}v10" '
                'stroke="#1b1f24" stroke-width="1.5" fill="none" class="error-bar"/>'
            )
        if bar.limit is not None:
            x = LABEL + bar.limit * scale
            parts.append(
                f'<path d="M{x:.1f} {y}v{ROW - 4}" stroke="#b3261e" stroke-dasharray="3 2" class="limit"/>'
            )
        parts.append(
            f'<text x="{LABEL + width + 8:.1f}" y="{y + 15}" font-size="11" fill="#56606b">'
            f"{escape(_fmt(bar.value))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
