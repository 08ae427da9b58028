"""Working time: official Chinese working days (with make-up workdays) and working hours.

Pure arithmetic, no models. Every instant maps to a count of working minutes since an epoch
(`WorkCalendar.minutes_at`); deadlines and remaining time are sums and differences of that count,
so adding 15 working days costs a list lookup, not a walk over the calendar.

`chinese_calendar` only knows the years the State Council has published and raises
NotImplementedError for later ones. For those dates we fall back to plain weekends; overrides
entered by admins (a year's official schedule as soon as it is published) win over both.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

EPOCH = dt.date(1980, 1, 1)  # early enough for decades of history (the 1,000,000-request benchmark spans 40 years)


def parse_periods(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """Parse "08:30-12:00,14:30-18:00" into ordered, non-overlapping periods."""
    periods = []
    for part in text.split(","):
        start_s, end_s = part.strip().split("-")
        start, end = dt.time.fromisoformat(start_s.strip()), dt.time.fromisoformat(end_s.strip())
        if end <= start:
            raise ValueError(f"working period ends before it starts: {part!r}")
        periods.append((start, end))
    periods.sort()
    for (_, end_a), (start_b, _) in zip(periods, periods[1:], strict=False):
        if start_b < end_a:
            raise ValueError(f"working periods overlap: {text!r}")
    if not periods:
        raise ValueError("no working periods")
    return tuple(periods)


@functools.cache
def _official_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def official_is_workday(day: dt.date) -> bool:
    # chinese_calendar.is_workday computes the min and max of its whole holiday table on every call (half a
    # second for the 17,000 days a calendar covers): the same rule, with the table's years computed once.
    low, high = _official_years()
    if not low <= day.year <= high:  # a year the State Council has not published (yet)
        return day.weekday() < 5
    return day in chinese_calendar.workdays or (day.weekday() < 5 and day not in chinese_calendar.holidays)


def _minute_of_day(t: dt.time) -> int:
    return t.hour * 60 + t.minute


class WorkCalendar:
    def __init__(
        self,
        *,
        periods: tuple[tuple[dt.time, dt.time], ...],
        overrides: Mapping[dt.date, bool] | None = None,
        tz: str = "Asia/Shanghai",
    ) -> None:
        self.tz = ZoneInfo(tz)
        self.periods = [(_minute_of_day(a), _minute_of_day(b)) for a, b in periods]
        self.day_minutes = sum(b - a for a, b in self.periods)
        self.overrides = dict(overrides or {})
        self._is_work: list[bool] = []  # by day index since EPOCH
        self._before: list[int] = []  # workdays strictly before that day
        self._workdays: list[int] = []  # day index of the k-th workday
        self._lock = threading.Lock()  # threads of one process share the calendar while it grows

    # -- calendar -------------------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_is_workday(day)

    def _extend_to_day(self, index: int) -> None:
        if len(self._is_work) > index:
            return
        with self._lock:
            self._grow(index)

    def _grow(self, index: int) -> None:
        while len(self._is_work) <= index:
            i = len(self._is_work)
            work = self.is_workday(EPOCH + dt.timedelta(days=i))
            self._before.append(len(self._workdays))
            self._is_work.append(work)
            if work:
                self._workdays.append(i)

    def _extend_to_workday(self, k: int) -> None:
        while len(self._workdays) <= k:
            with self._lock:
                self._grow(len(self._is_work) + 366)

    # -- working minutes ------------------------------------------------------------------
    def _elapsed_in_day(self, minute: float) -> float:
        done = 0.0
        for start, end in self.periods:
            if minute <= start:
                break
            done += min(minute, end) - start
        return done

    def _time_for_elapsed(self, elapsed: float) -> float:
        """Earliest minute of the day at which `elapsed` working minutes (0 < elapsed ≤ day) are done."""
        for start, end in self.periods:
            length = end - start
            if elapsed <= length:
                return start + elapsed
            elapsed -= length
        return self.periods[-1][1]

    def minutes_at(self, moment: dt.datetime) -> float:
        """Working minutes between the epoch and `moment` (an aware datetime)."""
        local = moment.astimezone(self.tz)
        index = (local.date() - EPOCH).days
        if index < 0:
            raise ValueError("dates before 1980 are not supported")
        self._extend_to_day(index)
        total = float(self._before[index] * self.day_minutes)
        if self._is_work[index]:
            minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60_000_000
            total += self._elapsed_in_day(minute)
        return total

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes from start to end; negative when end is before start."""
        return self.minutes_at(end) - self.minutes_at(start)

    def at_minutes(self, total: float) -> dt.datetime:
        """The earliest instant at which `total` working minutes since the epoch have passed."""
        if total <= 0:
            return dt.datetime.combine(EPOCH, dt.time(0), self.tz)
        k = int(-(-total // self.day_minutes)) - 1  # the k-th workday (0-based) holds the instant
        self._extend_to_workday(k)
        day = EPOCH + dt.timedelta(days=self._workdays[k])
        minute = self._time_for_elapsed(total - k * self.day_minutes)
        base = dt.datetime.combine(day, dt.time(0), self.tz)
        return base + dt.timedelta(minutes=minute)

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant `minutes` working minutes after `start`."""
        if minutes <= 0:
            return start
        return self.at_minutes(self.minutes_at(start) + minutes)

    def add_days(self, start: dt.datetime, days: float) -> dt.datetime:
        return self.add(start, days * self.day_minutes)

    def end_of_workday(self, moment: dt.datetime) -> dt.datetime:
        """Close of business on the day of `moment`, or on the next working day after hours."""
        done = self.minutes_at(moment)
        k = int(done // self.day_minutes)  # workdays fully before the current working day
        return self.at_minutes((k + 1) * self.day_minutes)
