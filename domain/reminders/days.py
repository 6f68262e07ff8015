"""Business days are days in Asia/Shanghai: a deadline "10 days after registration" ends at
midnight China time, whatever time zone a timestamp was stated in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def china_minute(moment: datetime) -> str:
    """A moment as users read it: China time to the minute, `2026-11-07 11:31`."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def china_time(moment: datetime) -> time:
    return moment.astimezone(CHINA).time()


def end_of(day: date) -> datetime:
    """The first moment after `day` in China: a deadline day is over from then on."""
    return datetime.combine(day + timedelta(days=1), time(0), CHINA)


def is_past(deadline_day: date, now: datetime) -> bool:
    """A deadline day is past once China's date is later than it."""
    return china_day(now) > deadline_day
