"""The State Council's holiday notices as packaged by `chinese-calendar` (maintained, updated each
year when the notice appears, and carrying the make-up working days that generic holiday libraries
miss). Read here once and published into the ledger as `CalendarYear` data, so a later package
update never silently changes how an old reminder was counted."""

from __future__ import annotations

from importlib.metadata import version

import chinese_calendar

from domain.rules.calendar import YearDays
from domain.rules.commands import CalendarCommands
from domain.shared.commands import CommandContext


def source() -> str:
    return f"chinese-calendar {version('chinese-calendar')}"


def known_years() -> list[int]:
    """Years the package has a notice for (holidays listed in that year)."""
    return sorted({day.year for day in chinese_calendar.holidays})


def year_days(year: int) -> YearDays | None:
    """The year's holidays on weekdays and its make-up working days; None when the package has no
    notice for it. Holidays falling on a weekend are rest days anyway and are left out."""
    if year not in known_years():
        return None
    holidays = [d for d in chinese_calendar.holidays if d.year == year and d.weekday() < 5]
    workdays = [d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5]
    return YearDays.checked(year, holidays, workdays)


def publish_missing_years(calendar: CalendarCommands, context: CommandContext) -> list[int]:
    """At start: the package's years the ledger lacks (a year an admin corrected stays as it is)."""
    added = []
    for year in known_years():
        if calendar.year(year) is None and (days := year_days(year)) is not None:
            calendar.publish_year(context, days, source())
            added.append(year)
    return added
