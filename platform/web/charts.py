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

# Narrow enough that 12-unit text stays about 10 px or more on a 390 px phone;
# the stylesheet caps the width on wide screens. The label column grows with
# the longest label (within bounds), so labels are never cut at the left edge.
BAR_AREA = 210
ROW = 28
LABEL = 110
MAX_LABEL = 190
VALUE_ROOM = 60  # right of the bars: the value written after each bar
AXIS = 44  # room below the bars for the value axis, its ticks and its label


def _label_room(labels: Sequence[str]) -> int:
    """Width of the label column: about 6.6 units per character of the longest label."""
    longest = max((len(label) for label in labels), default=0)
    return int(min(MAX_LABEL, max(LABEL, 6.6 * longest + 12)))


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a label, a value and an optional ± half-width (drawn as an error bar)."""

    label: str
    value: float
    error: float | None = None
    limit: float | None = None  # an optional reference mark, e.g. a cap


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"


def bar_chart(
    title: str, bars: Sequence[Bar], unit: str = "", axis: str = "", groups: str = ""
) -> str:
    """A horizontal bar chart as an accessible SVG string.

    ``axis`` names the value axis (with its unit, e.g. "Trips (records)"),
    drawn under the bars with ticks at 0, half and the top; ``groups`` names
    what the bars are (e.g. "district"), written above the labels.
    """
    top = max([1e-12, *(b.value + (b.error or 0) for b in bars), *(b.limit or 0 for b in bars)])
    scale = BAR_AREA / top
    room = _label_room([b.label for b in bars] + [groups])
    width = room + BAR_AREA + VALUE_ROOM
    first = 22 if groups else 10
    height = first + ROW * len(bars) + (AXIS if axis else 20)
    # Ids unique per chart (derived from its title) so several charts on one
    # page each keep their own accessible name.
    uid = "chart-" + sha256(title.encode()).hexdigest()[:10]
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{len(bars)} bars; error bars show 95% confidence half-widths.</desc>',
    ]
    if groups:
        parts.append(
            f'<text x="{room - 6}" y="14" text-anchor="end" font-size="12" '
            f'font-weight="bold" class="axis-groups">{escape(groups)}</text>'
        )
    if axis:
        parts.extend(_value_axis(axis, top, scale, first + ROW * len(bars), room))
    for i, bar in enumerate(bars):
        y = first + i * ROW
        length = max(0.0, bar.value) * scale
        text = f"{bar.label}: {_fmt(bar.value)}{unit}"
        if bar.error is not None:
            text += f" ± {_fmt(bar.error)}"
        parts.append(f"<g><title>{escape(text)}</title>")
        parts.append(
            f'<text x="{room - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="{room}" y="{y + 3}" width="{length:.1f}" height="{ROW - 10}" fill="#0b5cad"/>'
        )
        if bar.error is not None:
            low = room + max(0.0, bar.value - bar.error) * scale
            high = room + (bar.value + bar.error) * scale
            mid = y + ROW / 2 - 1
            parts.append(
                f'<path d="M{low:.1f} {mid}H{high:.1f}M{low:.1f} {mid - 5}v10M{high:.1f} {mid - 5}v10" '
                'stroke="#1b1f24" stroke-width="1.5" fill="none" class="error-bar"/>'
            )
        if bar.limit is not None:
            x = room + bar.limit * scale
            parts.append(
                f'<path d="M{x:.1f} {y}v{ROW - 4}" stroke="#b3261e" stroke-dasharray="3 2" class="limit"/>'
            )
        parts.append(
            f'<text x="{room + length + 8:.1f}" y="{y + 15}" font-size="11" fill="#56606b">'
            f"{escape(_fmt(bar.value))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _value_axis(label: str, top: float, scale: float, y: float, room: int) -> list[str]:
    """The value axis under the bars: a line, ticks at 0, half and the top, and its label."""
    parts = [
        f'<path d="M{room} {y + 2}H{room + BAR_AREA}" stroke="#56606b" class="axis"/>',
    ]
    for value in (0.0, top / 2, top):
        x = room + value * scale
        parts.append(f'<path d="M{x:.1f} {y + 2}v5" stroke="#56606b"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y + 19}" text-anchor="middle" font-size="11" '
            f'fill="#1b1f24">{escape(_fmt(value))}</text>'
        )
    parts.append(
        f'<text x="{room + BAR_AREA / 2}" y="{y + 36}" text-anchor="middle" font-size="12" '
        f'class="axis-label">{escape(label)}</text>'
    )
    return parts
