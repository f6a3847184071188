"""Budget periods: which spending counts now, and when budget comes back.

Two kinds of period exist:

- rolling, written ``PnD`` (ISO 8601 days): at time ``now`` the spending
  that counts is everything in ``(now - n days, now]``; a spend at ``s`` is
  returned to the budget at exactly ``s + n days``;
- ``calendar-month`` (UTC): the spending that counts is everything in
  ``[first instant of this month, now]``; the whole budget renews at the first
  instant of the next month.

>>> from datetime import UTC, datetime
>>> now = datetime(2025, 3, 31, 12, tzinfo=UTC)
>>> parse_period("P30D").window(now).start.isoformat()
'2025-03-01T12:00:00+00:00'
>>> parse_period("calendar-month").window(now).start.isoformat()
'2025-03-01T00:00:00+00:00'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PERIOD_PATTERN = r"^(P[1-9]\d{0,3}D|calendar-month)$"
_ROLLING = re.compile(r"^P([1-9]\d{0,3})D$")
LONGEST_MONTH_DAYS = 31


@dataclass(frozen=True, slots=True)
class Window:
    """The spending that counts at ``end``: times in ``(start, end]`` (or ``[start, end]``)."""

    start: datetime
    end: datetime
    include_start: bool

    def contains(self, when: datetime) -> bool:
        after_start = when >= self.start if self.include_start else when > self.start
        return after_start and when <= self.end


@dataclass(frozen=True, slots=True)
class Period:
    """A budget period: ``days`` for rolling periods, ``None`` for calendar months."""

    days: int | None

    @property
    def label(self) -> str:
        return "calendar-month" if self.days is None else f"P{self.days}D"

    def window(self, now: datetime) -> Window:
        """The spending window in force at ``now`` (timezone-aware)."""
        now = _utc(now)
        if self.days is None:
            return Window(_month_start(now), now, include_start=True)
        return Window(now - timedelta(days=self.days), now, include_start=False)

    def next_renewal(self, now: datetime, spent_at: Iterable[datetime] = ()) -> datetime | None:
        """When budget next comes back: next month, or when the oldest counted spend expires.

        For a rolling period with nothing spent in the window, nothing is due to
        come back and the answer is ``None``.
        """
        now = _utc(now)
        if self.days is None:
            return _next_month_start(now)
        window = self.window(now)
        counted = [_utc(t) for t in spent_at if window.contains(_utc(t))]
        return min(counted) + timedelta(days=self.days) if counted else None

    def covers(self, other: Period) -> bool:
        """Whether every window of ``other`` lies inside one window of this period.

        Then a grant with this period spends at most its budget within any window
        of ``other`` (the city-wide cap's period), which the cap rule relies on.
        A calendar month never covers a rolling window: one can straddle two months.
        """
        if self.days is None:
            return other.days is None
        if other.days is None:
            return self.days >= LONGEST_MONTH_DAYS
        return self.days >= other.days


def parse_period(label: str) -> Period:
    """``"P30D"`` or ``"calendar-month"`` -> :class:`Period`; anything else is a ``ValueError``."""
    if label == "calendar-month":
        return Period(None)
    match = _ROLLING.match(label)
    if match is None:
        raise ValueError(f"{label!r} is not a period; use PnD (e.g. P30D) or calendar-month")
    return Period(int(match.group(1)))


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return when.astimezone(UTC)


def _month_start(when: datetime) -> datetime:
    return datetime(when.year, when.month, 1, tzinfo=UTC)


def _next_month_start(when: datetime) -> datetime:
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)
