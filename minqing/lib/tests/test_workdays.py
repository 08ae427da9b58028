from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minqing.lib.masking import mask_name, mask_phone
from minqing.lib.validation import normalize_phone
from minqing.lib.workdays import WorkCalendar, official_is_workday, parse_periods

TZ = ZoneInfo("Asia/Shanghai")
PERIODS = parse_periods("08:30-12:00,14:30-18:00")


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def cal(**overrides: bool) -> WorkCalendar:
    return WorkCalendar(periods=PERIODS, overrides={dt.date.fromisoformat(k): v for k, v in overrides.items()})


def test_a_working_day_is_seven_hours() -> None:
    assert cal().day_minutes == 7 * 60


def test_one_working_day_from_friday_morning_ends_monday_morning() -> None:
    # 2026-11-27 is a Friday; the weekend does not count.
    assert cal().add_days(at(2026, 11, 27, 10), 1) == at(2026, 11, 30, 10)


def test_lunch_break_is_not_working_time() -> None:
    c = cal()
    assert c.add(at(2026, 11, 30, 11, 30), 60) == at(2026, 11, 30, 15, 0)
    assert c.between(at(2026, 11, 30, 12, 0), at(2026, 11, 30, 14, 30)) == 0


def test_national_day_holiday_is_skipped() -> None:
    # 2026-09-30 (Wed) 17:00 + 2 working hours: Oct 1–7 are holidays, Oct 8 is a workday.
    assert cal().add(at(2026, 9, 30, 17, 0), 120) == at(2026, 10, 8, 9, 30)


def test_make_up_workday_on_a_saturday_counts() -> None:
    # 2026-10-10 is a Saturday worked in exchange for the National Day holiday.
    assert official_is_workday(dt.date(2026, 10, 10))
    assert cal().add_days(at(2026, 10, 9, 10), 1) == at(2026, 10, 10, 10)


def test_unpublished_year_falls_back_to_weekends_instead_of_crashing() -> None:
    # The holiday library raises for 2027 today; a deadline running into it must still work.
    c = cal()
    due = c.add_days(at(2026, 12, 30, 10), 5)
    assert due == at(2027, 1, 6, 10)  # Dec 31, Jan 1 (a plain Friday in the fallback), Jan 4, 5, 6


def test_admin_overrides_win_over_library_and_fallback() -> None:
    # An admin enters 2027-01-01 as New Year's Day and 2026-10-10 as a day off.
    c = cal(**{"2027-01-01": False, "2026-10-10": False})
    assert c.add_days(at(2026, 12, 31, 10), 1) == at(2027, 1, 4, 10)
    assert c.add_days(at(2026, 10, 9, 10), 1) == at(2026, 10, 12, 10)


def test_end_of_workday_after_hours_is_next_working_day() -> None:
    c = cal()
    assert c.end_of_workday(at(2026, 11, 30, 10)) == at(2026, 11, 30, 18)
    assert c.end_of_workday(at(2026, 11, 27, 19)) == at(2026, 11, 30, 18)


def test_between_is_negative_when_overdue() -> None:
    assert cal().between(at(2026, 11, 30, 10), at(2026, 11, 30, 9)) == -60


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_periods("12:00-08:30")
    with pytest.raises(ValueError):
        parse_periods("08:30-12:00,11:00-13:00")


moments = st.datetimes(  # hypothesis wants naive bounds and attaches the zone itself
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(TZ)  # noqa: DTZ001
)


@settings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=1, max_value=40 * 420))
def test_adding_working_time_then_measuring_it_gives_it_back(start: dt.datetime, minutes: int) -> None:
    c = cal()
    due = c.add(start, minutes)
    assert due > start
    assert c.between(start, due) == pytest.approx(minutes, abs=1e-6)
    assert c.is_workday(due.date())


def test_masking_and_phone_rules() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
    assert normalize_phone(" 138 1234 5678 ") == "13812345678"
    assert normalize_phone("0931-2330000") == "0931-2330000"
    for bad in ["12345", "23812345678", "1381234567a", ""]:
        with pytest.raises(ValueError, match="手机号"):
            normalize_phone(bad)


def test_the_fast_official_rule_agrees_with_the_library_day_by_day() -> None:
    import chinese_calendar

    day = dt.date(2004, 1, 1)
    while day < dt.date(2028, 1, 1):  # the published years and a year past them
        try:
            expected = chinese_calendar.is_workday(day)
        except NotImplementedError:
            expected = day.weekday() < 5
        assert official_is_workday(day) == expected, day
        day += dt.timedelta(days=1)
