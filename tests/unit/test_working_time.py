"""The working-time clock skips nights, weekends and England's bank holidays."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from domain.working_time import WorkingClock

CLOCK = WorkingClock()


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=CLOCK.zone)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Tuesday 10:00 + 4h = Tuesday 14:00
        (london(2026, 11, 17, 10, 0), 4, london(2026, 11, 17, 14, 0)),
        # Tuesday 15:00 + 4h: 2h today, 2h tomorrow
        (london(2026, 11, 17, 15, 0), 4, london(2026, 11, 18, 11, 0)),
        # one working day from Tuesday 10:00 is Wednesday 10:00
        (london(2026, 11, 17, 10, 0), 8, london(2026, 11, 18, 10, 0)),
        # Friday 16:00 + 4h skips the weekend
        (london(2026, 11, 20, 16, 0), 4, london(2026, 11, 23, 12, 0)),
        # Saturday: the clock starts on Monday morning
        (london(2026, 11, 21, 11, 0), 4, london(2026, 11, 23, 13, 0)),
        # received at night: starts at 09:00 next morning
        (london(2026, 11, 17, 22, 30), 1, london(2026, 11, 18, 10, 0)),
        # early morning: starts at 09:00 the same day
        (london(2026, 11, 17, 6, 0), 8, london(2026, 11, 17, 17, 0)),
        # Christmas Eve afternoon: Christmas, Boxing Day (Sat), Sunday and Boxing Day observed
        # (Mon 28th) are skipped
        (london(2026, 12, 24, 15, 0), 4, london(2026, 12, 29, 11, 0)),
        # Easter: Good Friday and Easter Monday skipped
        (london(2027, 3, 25, 16, 0), 8, london(2027, 3, 30, 16, 0)),
        # three working days from a Wednesday lunchtime, over a bank holiday Monday
        (london(2026, 8, 26, 12, 0), 24, london(2026, 9, 1, 12, 0)),
        # exactly at close of play: the next morning
        (london(2026, 11, 17, 17, 0), 2, london(2026, 11, 18, 11, 0)),
        # zero hours out of hours: the next opening
        (london(2026, 11, 21, 11, 0), 0, london(2026, 11, 23, 9, 0)),
    ],
)
def test_add_hours(start: datetime, hours: float, due: datetime) -> None:
    assert CLOCK.add_hours(start, hours) == due.astimezone(UTC)


def test_clocks_change_do_not_shift_the_working_day() -> None:
    # BST ends on Sunday 25 October 2026: Friday 16:00 BST + 2h = Monday 10:00 GMT
    assert CLOCK.add_hours(london(2026, 10, 23, 16, 0), 2) == datetime(
        2026, 10, 26, 10, 0, tzinfo=UTC
    )


def test_add_days_uses_the_configured_day_length() -> None:
    short = WorkingClock(day_start=time(10, 0), day_end=time(14, 0))
    assert short.hours_per_day == 4
    assert short.add_days(london(2026, 11, 17, 11, 0), 1) == london(2026, 11, 18, 11, 0).astimezone(
        UTC
    )


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (london(2026, 11, 17, 10, 0), london(2026, 11, 17, 14, 30), 4.5),
        (london(2026, 11, 20, 16, 0), london(2026, 11, 23, 10, 0), 2),
        (london(2026, 11, 23, 10, 0), london(2026, 11, 20, 16, 0), -2),
        (london(2026, 12, 24, 9, 0), london(2026, 12, 29, 9, 0), 8),
        (london(2026, 11, 21, 9, 0), london(2026, 11, 22, 17, 0), 0),
    ],
)
def test_hours_between(start: datetime, end: datetime, hours: float) -> None:
    assert CLOCK.hours_between(start, end) == pytest.approx(hours)


def test_hours_between_inverts_add_hours() -> None:
    start = london(2026, 12, 23, 14, 15)
    for hours in (0.5, 3, 8, 19.25, 40):
        assert CLOCK.hours_between(start, CLOCK.add_hours(start, hours)) == pytest.approx(hours)


def test_a_day_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        WorkingClock(day_start=time(17, 0), day_end=time(9, 0))
