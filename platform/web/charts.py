"""Server-rendered SVG bar charts, with error bars, that need no JavaScript.

Charts are drawn on the server as inline SVG so the portal works without
scripts and without any third-party asset. Each chart carries a title and a
description for screen readers, and every bar a ``<title>`` with its value, so
the numbers stay readable where the picture is not. Pages show the same numbers
in a table beside the chart. :func:`bar_chart` draws one bar per label;
:func:`daily_chart` draws a value per day as small column charts, one per
series, with labelled axes, sized to stay legible on a 390 px phone screen.

>>> svg = bar_chart("Trips", [Bar("bus", 120.0, 8.5), Bar("metro", 80.0, 8.5)])
>>> svg.startswith("<svg") and "bus: 120" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
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


# The daily chart is drawn for phones first: a 360-unit-wide view box, so on a
# 390 px screen (about 340 px of it inside the page's margins) one unit is about
# one pixel and its 12-13 unit text stays legible; wider screens cap it at 40rem.
DAILY_WIDTH = 360
DAILY_LEFT = 50
DAILY_RIGHT = 14
DAILY_PLOT = 72
DAILY_PANEL = 150
DAILY_TOP = 48
MAX_X_TICKS = 5
NICE_STEPS = (1, 2, 3, 7, 14, 30, 61, 91, 183, 365, 730, 1461, 3652)
INK, MUTED, GRID, FILL = "#1b1f24", "#56606b", "#dde1e6", "#0b5cad"


@dataclass(frozen=True, slots=True)
class Column:
    """One day's value, and words added to its hover text (e.g. ``2 releases``)."""

    day: date
    value: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    """One small chart of the set: its label, a second line of detail, and its days
    with a value (the other days are zero)."""

    label: str
    columns: Sequence[Column]
    detail: str = ""


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value``.

    >>> nice_ceiling(0.37), nice_ceiling(3.0), nice_ceiling(0.0)
    (0.5, 5.0, 1.0)
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= factor * power * (1 + 1e-9):
            return factor * power
    return 10.0 * power


def _day_label(day: date, long_span: bool) -> str:
    return day.strftime("%b %Y") if long_span else f"{day.day} {day:%b}"


def _text(x: float, y: float, words: str, size: int = 12, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{escape(words)}</text>'


def _panel(
    one: Series, y0: float, first: date, days: int, ticks: list[int], unit: str
) -> list[str]:
    """One series: its label, vertical scale and axis, day ticks and columns."""
    step = (DAILY_WIDTH - DAILY_LEFT - DAILY_RIGHT) / days
    width = max(step * 0.8, 0.8)
    last = first + timedelta(days=days - 1)
    shown = [c for c in one.columns if first <= c.day <= last and c.value > 0]
    top = nice_ceiling(max((c.value for c in shown), default=0.0))
    base = y0 + 42 + DAILY_PLOT
    parts = ['<g class="panel">', _text(0, y0 + 13, one.label, 13, font_weight="700")]
    if one.detail:
        parts.append(_text(0, y0 + 28, one.detail, 12, fill=MUTED))
    parts.append(
        f'<text transform="translate(12 {base - DAILY_PLOT / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-size="12" fill="{MUTED}">{escape(unit)}/day</text>'
    )
    for fraction in (0.0, 0.5, 1.0):
        y = base - fraction * DAILY_PLOT
        parts.append(
            f'<path d="M{DAILY_LEFT} {y:.1f}H{DAILY_WIDTH - DAILY_RIGHT}" '
            f'stroke="{INK if fraction == 0 else GRID}" stroke-width="1"/>'
        )
        parts.append(_text(DAILY_LEFT - 5, y + 4, _fmt(top * fraction), text_anchor="end"))
    parts.append(f'<path d="M{DAILY_LEFT} {base - DAILY_PLOT}V{base}" stroke="{INK}"/>')
    long_span = days > 366
    for i in ticks:
        x = DAILY_LEFT + i * step + step / 2
        parts.append(f'<path d="M{x:.1f} {base}v4" stroke="{INK}"/>')
        label = _day_label(first + timedelta(days=i), long_span)
        parts.append(_text(x, base + 17, label, text_anchor="middle"))
    for column in shown:
        i = (column.day - first).days
        bar = min(column.value / top, 1.0) * DAILY_PLOT
        x = DAILY_LEFT + i * step + (step - width) / 2
        words = f"{column.day}: {unit} {_fmt(column.value)}"
        words += f" ({column.note})" if column.note else ""
        parts.append(
            f'<g class="day"><title>{escape(words)}</title><rect x="{x:.2f}" '
            f'y="{base - bar:.2f}" width="{width:.2f}" height="{bar:.2f}" fill="{FILL}"/></g>'
        )
    parts.append("</g>")
    return parts


def daily_chart(
    title: str, first: date, last: date, series: Sequence[Series], unit: str, axis: str
) -> str:
    """Column charts of one value per day, one small chart per series, as an accessible SVG.

    All panels share the days from ``first`` to ``last`` (the horizontal axis,
    UTC days); each has its own vertical scale, labelled with ``unit`` (e.g.
    ``ε``), and ``axis`` names the vertical quantity (e.g. ``ε charged per day``).
    Every column carries a ``<title>`` with its day and value. ``""`` if there
    is nothing to draw.
    """
    if not series:
        return ""
    days = (last - first).days + 1
    plot_width = DAILY_WIDTH - DAILY_LEFT - DAILY_RIGHT
    step = plot_width / days
    every = next((n for n in NICE_STEPS if days / n <= MAX_X_TICKS), NICE_STEPS[-1])
    ticks = [i for i in range(0, days, every) if i * step + step / 2 <= plot_width - 18]
    height = DAILY_TOP + DAILY_PANEL * len(series) + 8
    uid = "chart-" + sha256(f"{title}{first}{last}".encode()).hexdigest()[:10]
    parts = [
        f'<svg class="chart daily" role="img" viewBox="0 0 {DAILY_WIDTH} {height}" '
        f'width="100%" aria-labelledby="{uid}-title {uid}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-title">{escape(f"{title}, {first} to {last}")}</title>',
        f'<desc id="{uid}-desc">{len(series)} column charts, one per series, of {escape(axis)} '
        f"(in {escape(unit)}) for each UTC day from {first} to {last}; each has its own "
        "vertical scale. The table after the chart lists the same numbers.</desc>",
        _text(0, 16, title, 14, font_weight="700"),
        _text(0, 34, f"{first} to {last} · {unit} per UTC day", 12, fill=MUTED),
    ]
    for n, one in enumerate(series):
        parts += _panel(one, DAILY_TOP + n * DAILY_PANEL, first, days, ticks, unit)
    parts.append("</svg>")
    return "".join(parts)
