"""The working-time clock: decision due times counted in working hours, as MASH targets are.

Weekends, England's bank holidays and the council's own closure days do not count (a council
may say otherwise, e.g. for an emergency duty team that works every day); nor do
hours outside the working day (09:00-17:00 UK time by default). Each council's policy file
states its calendar, and every component that counts working time builds its clock from it.
A contact received out of hours starts its clock when the next working day begins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

SATURDAY = 5
UK_TIME = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class WorkingClock:
    """Counts working hours between instants and adds them to an instant."""

    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    zone: ZoneInfo = UK_TIME
    bank_holidays: holidays.HolidayBase = field(
        default_factory=lambda: holidays.country_holidays("GB", subdiv="ENG"),
    )
    closure_days: frozenset[date] = frozenset()
    weekdays: frozenset[int] = frozenset(range(SATURDAY))  # Monday 0 to Friday 4
    bank_holidays_off: bool = True

    def __post_init__(self) -> None:
        """Refuse a working day that ends before it starts."""
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")
        # each year's working days counted once: prefix[i] is those before its day i
        object.__setattr__(self, "_prefixes", {})

    @property
    def hours_per_day(self) -> float:
        """Length of one working day in hours (8 for 09:00-17:00)."""
        start = datetime.combine(date.min, self.day_start)
        return (datetime.combine(date.min, self.day_end) - start).total_seconds() / 3600

    def is_working_day(self, day: date) -> bool:
        """True on the council's working weekdays, bar its closure days and bank holidays."""
        return (
            day.weekday() in self.weekdays
            and day not in self.closure_days
            and not (self.bank_holidays_off and day in self.bank_holidays)
        )

    def is_working_time(self, at: datetime) -> bool:
        """Whether the instant ``at`` falls within a working day's hours."""
        local = at.astimezone(self.zone)
        opens, closes = self._bounds(local.date())
        return self.is_working_day(local.date()) and opens <= local < closes

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.day_start, self.zone),
            datetime.combine(day, self.day_end, self.zone),
        )

    def _next_working_start(self, day: date) -> datetime:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self._bounds(day)[0]

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The instant ``hours`` working hours after ``start`` (an aware datetime), in UTC."""
        if hours < 0:
            raise ValueError("add a non-negative number of working hours")
        cursor = start.astimezone(self.zone)
        remaining = timedelta(hours=hours)
        day = cursor.date()
        while True:
            if not self.is_working_day(day):
                cursor = self._next_working_start(day)
                day = cursor.date()
            opens, closes = self._bounds(day)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return (cursor + remaining).astimezone(UTC)
                remaining -= available
            day += timedelta(days=1)
            cursor = self._next_working_start(day)
            day = cursor.date()

    def add_days(self, start: datetime, days: float) -> datetime:
        """``days`` working days after ``start``, counted as that many working days' hours."""
        return self.add_hours(start, days * self.hours_per_day)

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from ``start`` to ``end``; negative when ``end`` is earlier."""
        if end < start:
            return -self.hours_between(end, start)
        first = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        total = self._part_of(first, start, end)
        if last > first:
            total += self._part_of(last, start, end)
            # Whole days in between count a full working day each (no bounds to clip), counted
            # from each year's running total: a case months overdue costs two lookups, so a
            # queue page of such cases counts its time left without walking any calendar.
            whole = self.working_days(first + timedelta(days=1), last)
            total += timedelta(hours=self.hours_per_day) * whole
        return total.total_seconds() / 3600

    def working_days(self, start: date, end: date) -> int:
        """How many working days there are from ``start`` up to (not including) ``end``."""
        total = 0
        while start < end:
            new_year = date(start.year + 1, 1, 1)
            stop = min(end, new_year)
            prefix = self._prefix(start.year)
            january = date(start.year, 1, 1)
            total += prefix[(stop - january).days] - prefix[(start - january).days]
            start = stop
        return total

    def _prefix(self, year: int) -> list[int]:
        """Working days of ``year`` before each of its days (and its total, last)."""
        prefixes: dict[int, list[int]] = self._prefixes  # type: ignore[attr-defined]
        if year not in prefixes:
            day, counts = date(year, 1, 1), [0]
            while day.year == year:
                counts.append(counts[-1] + self.is_working_day(day))
                day += timedelta(days=1)
            prefixes[year] = counts
        return prefixes[year]

    def _part_of(self, day: date, start: datetime, end: datetime) -> timedelta:
        """The working time of ``day`` that lies between ``start`` and ``end``."""
        if not self.is_working_day(day):
            return timedelta()
        opens, closes = self._bounds(day)
        lower, upper = max(opens, start), min(closes, end)
        return upper - lower if upper > lower else timedelta()


SCHOOL_DAY_START = time(8, 30)


def before_next_school_day(
    received_at: datetime, clock: WorkingClock, starts: time = SCHOOL_DAY_START
) -> datetime:
    """When an Operation Encompass notice received at ``received_at`` is due with the school.

    Before the next school day starts: ``starts`` (08:30) on the next weekday that is not one
    of England's bank holidays nor one of the council's closure days (its calendar's). A notice
    received on a school day before it starts is due that morning.
    """
    local = received_at.astimezone(clock.zone)

    def school_day(day: date) -> bool:
        return (
            day.weekday() < SATURDAY
            and day not in clock.closure_days
            and day not in clock.bank_holidays
        )

    day = local.date()
    if not (school_day(day) and local.time() < starts):
        day += timedelta(days=1)
        while not school_day(day):
            day += timedelta(days=1)
    return datetime.combine(day, starts, clock.zone).astimezone(UTC)
