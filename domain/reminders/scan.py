"""One reminder scan: evaluate every enterprise that might be due and carry out what is due.

The facts come from read models through `ScanSource` (never from replaying events per enterprise).
The source may leave out enterprises that cannot be due (`candidates(horizon)`: nothing open, and
everything reported more recently than the shortest rule allows); evaluation still decides for each
one it is given. A dry run evaluates and reports without writing. Every action is its own command,
so a scan stopped halfway is continued by the next one, and a failure on one enterprise is counted
and reported without stopping the others.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from domain.reminders.commands import ReminderCommands
from domain.reminders.evaluation import DueAction, Raise, evaluate
from domain.reminders.facts import EnterpriseFacts, OpenReminder
from domain.reminders.routing import SupervisorContact
from domain.rules.aggregate import RuleVersion
from domain.rules.calendar import WorkCalendar
from domain.rules.rule_set import RuleSet
from domain.shared.commands import CommandContext
from domain.shared.errors import DomainError

log = logging.getLogger("ledger.reminders.scan")


class ScanSource(Protocol):
    def candidates(self, horizon: ScanHorizon, batch_size: int) -> Iterable[list[tuple[EnterpriseFacts, list[OpenReminder]]]]:
        """Batches of enterprises that may be due, each with its open reminders."""

    def supervisors(self) -> list[SupervisorContact]:
        """The supervisor directory routing chooses from."""


@dataclass(frozen=True)
class ScanHorizon:
    """What makes an enterprise worth evaluating: anything open, or a report older than the
    shortest interval any industry has (calendar days: working days only make deadlines later)."""

    now: datetime
    reported_before: datetime  # no risk yet and registered before, or last investigation before
    rectification_on: bool

    @classmethod
    def of(cls, rules: RuleSet, now: datetime) -> ScanHorizon:
        shortest = min([rules.risk_identification_days, rules.investigation_interval_days]
                       + [v for o in rules.industry_overrides.values() for k, v in o.items()
                          if k in ("risk_identification_days", "investigation_interval_days")])
        on = rules.rectification_overdue or any(o.get("rectification_overdue") for o in rules.industry_overrides.values())
        # a whole day of margin: deadlines end at midnight China time, whatever `now`'s offset
        return cls(now, now - timedelta(days=shortest) + timedelta(days=1), on)


@dataclass
class ScanReport:
    now: datetime
    rule_version: int
    dry_run: bool
    evaluated: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    already_done: int = 0
    fallback_years: set[int] = field(default_factory=set)  # working days asked for, no calendar published
    failed: list[str] = field(default_factory=list)  # "credit code: error" of enterprises that failed
    planned: list[tuple[str, DueAction]] = field(default_factory=list)  # dry run: what would be done

    def summary(self) -> str:
        done = ", ".join(f"{n} {k}" for k, n in sorted(self.actions.items())) or "nothing due"
        mode = "would do" if self.dry_run else "did"
        return (f"scan at {self.now.isoformat()} (rules v{self.rule_version}): {self.evaluated} enterprises evaluated, "
                f"{mode}: {done}" + (f"; {self.already_done} already done" if self.already_done else "")
                + (f"; {len(self.failed)} failed" if self.failed else "")
                + (f"; no calendar published for {', '.join(map(str, sorted(self.fallback_years)))}: "
                   "working days counted as calendar days" if self.fallback_years else ""))


class ReminderScan:
    """`concurrency` > 1 carries out the actions of different enterprises side by side (each is
    its own command on its own reminder; a group committer then writes many per transaction)."""

    def __init__(self, reminders: ReminderCommands, batch_size: int = 1000, concurrency: int = 1) -> None:
        self._reminders = reminders
        self._batch_size = batch_size
        self._concurrency = concurrency

    def run(self, ctx: CommandContext, source: ScanSource, rules: RuleVersion, calendar: WorkCalendar, now: datetime,
            *, dry_run: bool = False) -> ScanReport:
        report = ScanReport(now, rules.number, dry_run)
        lock = threading.Lock()
        directory: list[list[SupervisorContact]] = []

        def supervisors() -> list[SupervisorContact]:
            with lock:
                if not directory:
                    directory.append(source.supervisors())
                return directory[0]

        def evaluated(facts: EnterpriseFacts, open_reminders: list[OpenReminder]) -> list[DueAction]:
            try:
                return evaluate(facts, open_reminders, rules, calendar, now)
            except (DomainError, ValueError, KeyError, TypeError) as error:
                failed(facts, error)
                return []

        def carry_out(facts: EnterpriseFacts, actions: list[DueAction]) -> None:
            try:
                for action in actions:
                    done = self._reminders.apply(ctx, action, facts, rules.rules, supervisors())
                    with lock:
                        if done is None:
                            report.already_done += 1  # another scan (or instance) got there first
                        else:
                            report.actions[_name(action)] += 1
            except (DomainError, ValueError, KeyError, TypeError) as error:
                failed(facts, error)

        def failed(facts: EnterpriseFacts, error: Exception) -> None:
            """One enterprise's bad data must not stop the scan of the others."""
            with lock:
                report.failed.append(f"{facts.credit_code}: {type(error).__name__}: {error}"[:300])
            log.warning("reminder scan: enterprise %s failed: %s", facts.credit_code, error)

        # Evaluation is pure Python and runs in this thread; only the writes (database round trips)
        # run side by side.
        with ThreadPoolExecutor(max_workers=max(1, self._concurrency)) as pool:
            for batch in source.candidates(ScanHorizon.of(rules.rules, now), self._batch_size):
                report.evaluated += len(batch)
                due = [(facts, actions) for facts, reminders in batch if (actions := evaluated(facts, reminders))]
                for facts, actions in due:
                    for action in actions:
                        report.fallback_years.update(getattr(getattr(action, "counting", None), "fallback_years", ()))
                if dry_run:
                    for facts, actions in due:
                        report.actions.update(_name(a) for a in actions)
                        report.planned.extend((facts.credit_code, a) for a in actions)
                elif self._concurrency <= 1:
                    for facts, actions in due:
                        carry_out(facts, actions)
                else:
                    list(pool.map(lambda item: carry_out(*item), due))
        return report


def _name(action: DueAction) -> str:
    kind = getattr(action, "kind", None)
    return f"{type(action).__name__.lower()} {kind.value}" if isinstance(action, Raise) and kind else type(action).__name__.lower()

