"""The scan over an in-memory source: idempotent, dry runs write nothing, one bad enterprise
does not stop the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from domain.ledger import Ledger
from domain.reminders.aggregate import Reminder
from domain.reminders.facts import EnterpriseFacts, OpenReminder, ReminderKind
from domain.reminders.routing import SupervisorContact
from domain.reminders.scan import ReminderScan, ScanHorizon
from domain.rules.aggregate import DEFAULT_VERSION
from domain.rules.calendar import WorkCalendar
from domain.rules.rule_set import RuleSet
from domain.services import ledger_services
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 20, 9, tzinfo=CST)


class ListSource:
    def __init__(self, facts: list[EnterpriseFacts], reminders: dict[str, list[OpenReminder]] | None = None) -> None:
        self.facts = facts
        self.reminders = reminders or {}
        self.directory_reads = 0

    def candidates(self, horizon: ScanHorizon, batch_size: int):  # noqa: ANN201
        yield [(f, self.reminders.get(f.credit_code, [])) for f in self.facts]

    def supervisors(self) -> list[SupervisorContact]:
        self.directory_reads += 1
        return [SupervisorContact("county-sup", "410185", (), None)]


def enterprise(code: str, registered: datetime, region: str = "410185") -> EnterpriseFacts:
    return EnterpriseFacts(code, f"企业{code[-3:]}", region, "machinery", "county", registered, True)


def ctx() -> CommandContext:
    return CommandContext(Meta("system:reminder-scan", "scheduler", NOW, "req", "corr"))


def test_a_scan_raises_once_and_a_dry_run_writes_nothing() -> None:
    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    late = enterprise("91410100MA00000001", NOW - timedelta(days=15))
    fresh = enterprise("91410100MA00000002", NOW - timedelta(days=1))
    scan = ReminderScan(services.reminders)
    head = services.ledger.recorder.max_notification_id()
    dry = scan.run(ctx(), ListSource([late, fresh]), DEFAULT_VERSION, WorkCalendar(), NOW, dry_run=True)
    assert services.ledger.recorder.max_notification_id() == head
    assert dry.actions == {"raise risk_identification": 1, "raise hazard_investigation": 1} and dry.evaluated == 2
    assert "would do" in dry.summary()
    done = scan.run(ctx(), ListSource([late, fresh]), DEFAULT_VERSION, WorkCalendar(), NOW)
    assert done.actions == dry.actions and not done.failed
    again = scan.run(ctx(), ListSource([late, fresh]), DEFAULT_VERSION, WorkCalendar(), NOW)
    assert services.ledger.recorder.max_notification_id() == (head or 0) + 2  # no new event
    assert again.actions == {} and again.already_done == 2
    reminder = services.reminders.get(Reminder.create_id(late.credit_code, "risk_identification", "registered-2026-11-05"))
    assert reminder.status == "open" and reminder.rule_version == 0


def test_one_bad_enterprise_does_not_stop_the_scan() -> None:
    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    broken = enterprise("91410100MA00000003", NOW - timedelta(days=15))
    broken_reminder = OpenReminder("not-a-uuid", ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-05",
                                   NOW - timedelta(days=5))
    good = enterprise("91410100MA00000004", NOW - timedelta(days=15))
    source = ListSource([broken, good], {broken.credit_code: [broken_reminder]})
    report = ReminderScan(services.reminders).run(ctx(), source, DEFAULT_VERSION, WorkCalendar(), NOW)
    assert len(report.failed) == 1 and report.failed[0].startswith("91410100MA00000003")
    assert services.reminders.get(Reminder.create_id(good.credit_code, "risk_identification", "registered-2026-11-05"))


def test_the_horizon_uses_the_shortest_interval_of_any_industry() -> None:
    rules = RuleSet.from_dict({"industry_overrides": {"fireworks": {"investigation_interval_days": 2}}})
    horizon = ScanHorizon.of(rules, datetime(2026, 11, 20, tzinfo=UTC))
    assert horizon.reported_before == datetime(2026, 11, 19, tzinfo=UTC) and horizon.rectification_on


def test_a_scan_says_when_working_days_fell_back_to_calendar_days() -> None:
    from domain.rules.aggregate import RuleVersion

    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    working = RuleVersion(1, RuleSet(day_kind="working"), NOW - timedelta(days=100), "user:admin", None)
    late = enterprise("91410100MA00000005", NOW - timedelta(days=30))
    report = ReminderScan(services.reminders).run(ctx(), ListSource([late]), working, WorkCalendar(), NOW, dry_run=True)
    assert report.fallback_years == {2026}
    assert "no calendar published for 2026: working days counted as calendar days" in report.summary()


def test_a_concurrent_scan_does_the_same() -> None:
    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    enterprises = [enterprise(f"91410100MA000001{i:02d}", NOW - timedelta(days=15)) for i in range(40)]
    report = ReminderScan(services.reminders, batch_size=7, concurrency=4).run(
        ctx(), ListSource(enterprises), DEFAULT_VERSION, WorkCalendar(), NOW)
    assert report.evaluated == 40 and report.actions == {"raise risk_identification": 40, "raise hazard_investigation": 40}
