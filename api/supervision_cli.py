"""What `ledger reminders ...` and `ledger calendar ...` do (api/cli.py only lists the commands)."""

from __future__ import annotations

from datetime import datetime

from adapters.calendar.chinese_calendar_source import known_years, source, year_days
from api.bootstrap import Services
from domain.reminders.evaluation import Escalate, Raise
from domain.reminders.scan import ScanReport
from domain.shared.commands import CommandContext
from projections.live import LiveTables


class CliRefusal(ValueError):
    """A refusal the CLI prints as its message, exiting 1."""


def parse_as_of(text: str | None, now: datetime, allow_future: bool) -> datetime:
    if text is None:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliRefusal(f"--as-of {text!r} is not a time; e.g. 2026-12-01T09:00:00+08:00") from None
    if moment.tzinfo is None:
        raise CliRefusal("--as-of needs a UTC offset, e.g. 2026-12-01T09:00:00+08:00")
    if moment > now and not allow_future:
        raise CliRefusal(f"--as-of {text} is later than now: a drill needs --allow-future (recorded in the events)")
    return moment


def scan(services: Services, as_of: datetime, *, dry_run: bool) -> tuple[ScanReport, list[str]]:
    """Bring the scan's read models to the head, then scan; the lines of a dry run's plan."""
    runner = services.new_projection_runner()
    try:
        runner.ensure_current()
        runner.catch_up()
    finally:
        runner.close()
    assert services.reminder_scan is not None
    report = services.reminder_scan.run(as_of, now=services.clock(), dry_run=dry_run)
    if report is None:
        raise CliRefusal("another process is scanning right now; try again when it is done")
    return report, [_plan_line(code, action) for code, action in report.planned]


def _plan_line(credit_code: str, action: object) -> str:
    if isinstance(action, Raise):
        return f"{credit_code}: raise {action.kind.value} ({action.fact})"
    if isinstance(action, Escalate):
        return f"{credit_code}: escalate reminder {action.reminder_id} to level {action.level} ({action.tier})"
    return f"{credit_code}: {type(action).__name__.lower()} reminder {getattr(action, 'reminder_id', '')}"


def load_calendar(services: Services, context: CommandContext, years: list[int]) -> list[str]:
    """Publish the package's years into the ledger: new years are published, changed ones corrected."""
    lines = []
    for year in years:
        days = year_days(year)
        if days is None:
            raise CliRefusal(f"{source()} has no calendar for {year}; it knows {', '.join(map(str, known_years()))}")
        receipt = services.write.calendar.publish_year(context, days, source())
        version = services.write.calendar.year(year).version  # type: ignore[union-attr]
        state = "unchanged" if receipt is None else "published"
        lines.append(f"{year}: {state} (version {version}, {len(days.holidays)} holidays on weekdays, "
                     f"{len(days.workdays)} make-up working days; {source()})")
    return lines


def replay_supervision(services: Services):  # noqa: ANN201 - a callable for seed_demo
    """What `serve` would have done at the end of each demo day: bring the read models up, scan
    as of that moment, let the demo supervisors answer (api/demo/supervisors.py), and deliver what
    fell due (SMS through the configured gateway)."""
    from api.demo.supervisors import supervisors_act

    runner = services.new_projection_runner()
    runner.ensure_current()
    live = LiveTables(services.engine)

    def end_of_day(moment: datetime) -> None:
        runner.catch_up()
        assert services.reminder_scan is not None and services.dispatch is not None
        services.reminder_scan.run(moment)
        runner.catch_up()
        if supervisors_act(services.write, live, moment):
            runner.catch_up()
        services.dispatch.run(moment)

    return end_of_day
