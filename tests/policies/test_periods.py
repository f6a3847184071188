"""Budget periods: rolling windows, calendar months, renewal and coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policies.periods import Period, parse_period

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def test_rolling_window_is_open_at_the_start_and_closed_at_now() -> None:
    window = parse_period("P30D").window(NOW)
    start = NOW - timedelta(days=30)
    assert not window.contains(start)  # spent exactly 30 days ago: already returned
    assert window.contains(start + TICK)
    assert window.contains(NOW)
    assert not window.contains(NOW + TICK)


def test_calendar_month_window_starts_at_the_first_instant_of_the_month() -> None:
    window = parse_period("calendar-month").window(NOW)
    first = datetime(2025, 3, 1, tzinfo=UTC)
    assert window.contains(first)
    assert not window.contains(first - TICK)
    assert window.contains(NOW) and not window.contains(NOW + TICK)


def test_rolling_renewal_is_when_the_oldest_counted_spend_expires() -> None:
    period = parse_period("P30D")
    spends = [NOW - timedelta(days=40), NOW - timedelta(days=10), NOW - timedelta(days=2)]
    assert period.next_renewal(NOW, spends) == NOW + timedelta(days=20)
    assert period.next_renewal(NOW, [NOW - timedelta(days=31)]) is None


@pytest.mark.parametrize(
    ("now", "renewal"),
    [
        (NOW, datetime(2025, 4, 1, tzinfo=UTC)),
        (datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_calendar_month_renews_on_the_first(now: datetime, renewal: datetime) -> None:
    assert parse_period("calendar-month").next_renewal(now) == renewal


def test_windows_use_utc_and_refuse_naive_times() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2025, 4, 1, 1, 0, tzinfo=ZoneInfo("Europe/Madrid"))  # 23:00 UTC on 31 March
    assert parse_period("calendar-month").window(local).start == datetime(2025, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        parse_period("P30D").window(datetime(2025, 3, 1))


@pytest.mark.parametrize(
    ("grant", "cap", "covers"),
    [
        ("P30D", "P30D", True),
        ("P60D", "P30D", True),
        ("P29D", "P30D", False),
        ("calendar-month", "calendar-month", True),
        ("calendar-month", "P30D", False),
        ("P31D", "calendar-month", True),
        ("P30D", "calendar-month", False),
    ],
)
def test_a_grant_period_covers_the_cap_period(grant: str, cap: str, covers: bool) -> None:
    assert parse_period(grant).covers(parse_period(cap)) is covers


@pytest.mark.parametrize("label", ["P0D", "P1M", "30D", "monthly", ""])
def test_unknown_periods_are_refused(label: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        parse_period(label)


def test_labels_round_trip() -> None:
    assert parse_period("P7D") == Period(7)
    assert [parse_period(x).label for x in ("P7D", "calendar-month")] == ["P7D", "calendar-month"]
