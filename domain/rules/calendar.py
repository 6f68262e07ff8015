"""The business calendar: China's statutory working days, kept as versioned data in the ledger.

Generic holiday libraries get the make-up working days (调休) wrong: a Saturday can be a working
day and a Thursday a holiday. So a year is published as data (the State Council's notice, loaded
from the chinese-calendar package or corrected by an admin), one `CalendarYear` aggregate per year,
and every reminder names the version of each year it counted in. A year with no published data is
counted in calendar days, and the answer says so (`fallback_years`) instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import InvalidValue
from domain.shared.meta import Meta
from domain.shared.validation import Checks


@dataclass(frozen=True)
class YearDays:
    """One year's exceptions to "Monday to Friday": holidays on weekdays and make-up working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days that are working days (调休)
    version: int = 1

    @classmethod
    def checked(cls, year: int, holidays: Iterable[date], workdays: Iterable[date], version: int = 1) -> YearDays:
        checks = Checks()
        if not 2000 <= year <= 2100:
            checks.fail("year", "must be between 2000 and 2100")
        holidays, workdays = frozenset(holidays), frozenset(workdays)
        for name, days in (("holidays", holidays), ("workdays", workdays)):
            for day in sorted(days):
                if day.year != year:
                    checks.fail(name, f"{day.isoformat()} is not in {year}")
        for day in sorted(holidays & workdays):
            checks.fail("workdays", f"{day.isoformat()} is also listed as a holiday")
        checks.done()
        return cls(year, holidays, workdays, version)


@dataclass(frozen=True)
class WorkCalendar:
    """Counts days in calendar or working days over the published years."""

    years: Mapping[int, YearDays] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: date) -> bool:
        """Unpublished years count Monday to Friday: the caller learns of the fallback through
        `fallback_years`, never through an exception."""
        known = self.years.get(day.year)
        if known is not None:
            if day in known.workdays:
                return True
            if day in known.holidays:
                return False
        return day.weekday() < 5

    def add_days(self, start: date, days: int, kind: str) -> date:
        """The date `days` days after `start`: calendar days, or working days (the result is then a
        working day, and days falling in an unpublished year count as calendar days)."""
        if kind == "calendar" or days <= 0:
            return start + timedelta(days=days)
        current, left = start, days
        while left > 0:
            current += timedelta(days=1)
            if not self.knows(current.year) or self.is_working_day(current):
                left -= 1
        return current

    def days_between(self, start: date, end: date, kind: str) -> int:
        """How many days (calendar, or working days as `add_days` counts them) from `start` to
        `end`: `add_days(start, n, kind)` reaches `end` for the returned n (0 when `end` is not later)."""
        if end <= start:
            return 0
        if kind == "calendar":
            return (end - start).days
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if not self.knows(current.year) or self.is_working_day(current):
                count += 1
        return count

    def fallback_years(self, start: date, end: date, kind: str) -> list[int]:
        """Years in [start, end] that a working-day count had to treat as calendar days."""
        if kind == "calendar":
            return []
        return [y for y in range(start.year, end.year + 1) if not self.knows(y)]

    def versions(self, start: date, end: date) -> dict[str, int]:
        """The version of each published year a count over [start, end] used (for the reminder)."""
        return {str(y): self.years[y].version for y in range(start.year, end.year + 1) if y in self.years}


class CalendarYear(LedgerAggregate):
    """One year of the statutory calendar. Published once, corrected by republishing the whole year."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"/calendar/{year}")

    @event("Published")
    def __init__(self, year: int, holidays: list[str], workdays: list[str], source: str, at: datetime, meta: Meta) -> None:
        self.year = year
        self._set(holidays, workdays, source)
        self.registration = {"year": year, "holidays": sorted(holidays), "workdays": sorted(workdays), "source": source}

    @classmethod
    def publish(cls, days: YearDays, source: str, at: datetime, meta: Meta) -> CalendarYear:
        return cls(days.year, _iso(days.holidays), _iso(days.workdays), _source(source), at, meta)

    def correct(self, days: YearDays, source: str, at: datetime, meta: Meta) -> bool:
        """Republish the year; False (and no event) when nothing differs."""
        if days.year != self.year:
            raise InvalidValue("year", f"this is the calendar of {self.year}, not {days.year}")
        holidays, workdays = _iso(days.holidays), _iso(days.workdays)
        if holidays == self.holidays and workdays == self.workdays:
            return False
        self._corrected(holidays=holidays, workdays=workdays, source=_source(source), at=at, meta=meta)
        return True

    @event("Corrected")
    def _corrected(self, holidays: list[str], workdays: list[str], source: str, at: datetime, meta: Meta) -> None:
        self._set(holidays, workdays, source)

    def _set(self, holidays: list[str], workdays: list[str], source: str) -> None:
        self.holidays = sorted(holidays)
        self.workdays = sorted(workdays)
        self.source = source

    def days(self) -> YearDays:
        return YearDays(self.year, frozenset(map(date.fromisoformat, self.holidays)),
                        frozenset(map(date.fromisoformat, self.workdays)), self.version)

    def describe(self) -> str:
        return f"calendar of {self.year}"


def _iso(days: Iterable[date]) -> list[str]:
    return sorted(d.isoformat() for d in days)


def _source(source: str) -> str:
    text = (source or "").strip()
    if not text:
        raise InvalidValue("source", "say where the days come from (a package version or a notice number)")
    return text[:200]
