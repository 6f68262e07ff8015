"""The packaged statutory calendar, read into the ledger's own calendar data."""

from __future__ import annotations

from datetime import date

from adapters.calendar.chinese_calendar_source import known_years, source, year_days
from domain.rules.calendar import WorkCalendar


def test_2026_has_its_make_up_working_days_and_national_day() -> None:
    days = year_days(2026)
    assert days is not None and 2026 in known_years() and source().startswith("chinese-calendar ")
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= days.workdays
    assert {date(2026, 10, d) for d in (1, 2, 5, 6, 7)} <= days.holidays
    calendar = WorkCalendar({2026: days})
    assert calendar.is_working_day(date(2026, 10, 10)) and not calendar.is_working_day(date(2026, 10, 7))


def test_a_year_without_a_notice_is_none() -> None:
    assert year_days(2099) is None
