"""Use cases on the supervision rules and the business calendar (admin door, CLI, the scan)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.rules.aggregate import DEFAULT_VERSION, RuleVersion, SupervisionRules
from domain.rules.calendar import CalendarYear, WorkCalendar, YearDays
from domain.rules.rule_set import RuleSet
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import Conflict, InvalidValue
from domain.shared.time import require_aware


class RuleCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self._runner = runner

    def _stored(self) -> SupervisionRules | None:
        found = self._runner.exists(SupervisionRules.create_id())
        return found if isinstance(found, SupervisionRules) else None

    def in_force(self, moment: datetime) -> RuleVersion:
        stored = self._stored()
        return stored.in_force(moment) if stored is not None else DEFAULT_VERSION

    def history(self) -> list[RuleVersion]:
        stored = self._stored()
        return stored.history() if stored is not None else []

    def latest(self) -> RuleVersion:
        """The newest version, even one that takes effect later (what an admin last published)."""
        history = self.history()
        return history[-1] if history else DEFAULT_VERSION

    def publish(self, ctx: CommandContext, rules: Mapping[str, Any], effective_from: datetime | None = None) -> Receipt:
        """A new version of the whole rule set, in force from `effective_from` (default: now)."""
        parsed = RuleSet.from_dict(rules)
        start = effective_from or ctx.meta.recorded_at
        require_aware(start, "effective_from")
        if self._stored() is None:
            try:
                return self._runner.create(
                    ctx, SupervisionRules.create_id(),
                    build=lambda: SupervisionRules.first(parsed, start, ctx.meta.recorded_at, ctx.meta),
                    same_as=lambda _: False,  # another admin published first: add a version instead
                )
            except Conflict:
                pass
        return self._runner.change(ctx, SupervisionRules.create_id(), SupervisionRules,
                                   lambda rules_: rules_.publish(parsed, start, ctx.meta.recorded_at, ctx.meta))


class CalendarCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self._runner = runner

    def publish_year(self, ctx: CommandContext, days: YearDays, source: str) -> Receipt | None:
        """Publish a year, or correct it when it differs; None when the ledger already has exactly it."""
        existing = self._runner.exists(CalendarYear.create_id(days.year))
        if existing is None:
            receipt = self._runner.create(ctx, CalendarYear.create_id(days.year),
                                          build=lambda: CalendarYear.publish(days, source, ctx.meta.recorded_at, ctx.meta),
                                          same_as=lambda y: y.days().holidays == days.holidays and y.days().workdays == days.workdays)
            return receipt if receipt.created else None
        if not isinstance(existing, CalendarYear):
            raise InvalidValue("year", f"{days.year} is not a calendar year")
        current = existing.days()
        if current.holidays == days.holidays and current.workdays == days.workdays:
            return None
        return self._runner.change(ctx, existing.id, CalendarYear,
                                   lambda year: year.correct(days, source, ctx.meta.recorded_at, ctx.meta))

    def year(self, year: int) -> CalendarYear | None:
        found = self._runner.exists(CalendarYear.create_id(year))
        return found if isinstance(found, CalendarYear) else None

    def calendar(self, first_year: int, last_year: int) -> WorkCalendar:
        """The published years in [first_year, last_year]; the others count as calendar days."""
        years = {}
        for number in range(first_year, last_year + 1):
            stored = self.year(number)
            if stored is not None:
                years[number] = stored.days()
        return WorkCalendar(years)
