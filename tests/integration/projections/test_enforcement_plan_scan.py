"""Automatic planning over the real read models (SQLite and PostgreSQL): an escalation nobody
answers for `enforcement_plan_after_days` puts the enterprise on next month's plan, once; a rerun
of the scan plans nothing new; the reminders stay unanswered; the plan list shows the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.reminders.scan import ReminderScan
from domain.rules.aggregate import RuleVersion
from domain.rules.calendar import WorkCalendar
from domain.rules.rule_set import RuleSet
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from projections.live import LiveTables
from projections.runner import ProjectionRunner
from projections.scope import ReadScope
from projections.supervision.enforcement_plan_queries import EnforcementPlanReads, PlanFilter
from projections.supervision.scan_source import ReadModelScanSource
from tests.integration.projections.test_reminder_scan import DIRECTORY
from tests.unit.domain.helpers import NOW, registered_enterprise

RULES = RuleVersion(1, RuleSet(enforcement_plan_after_days=2), datetime(2026, 1, 1, tzinfo=UTC), "user:admin", None)


def scan(services: LedgerServices, runner: ProjectionRunner, at: datetime):  # noqa: ANN201
    runner.catch_up()
    source = ReadModelScanSource(LiveTables(runner.engine), lambda: DIRECTORY)
    context = CommandContext(Meta("system:reminder-scan", "scheduler", at, "scan", "scan"))
    report = ReminderScan(services.reminders).run(context, source, RULES, WorkCalendar(), at)
    runner.catch_up()
    return report


def reminders(runner: ProjectionRunner) -> list[dict]:
    tables = LiveTables(runner.engine).run(["reminders"], lambda snap: snap.tables)
    with runner.engine.connect() as conn:
        return [dict(m) for m in conn.execute(select(tables["rm_reminders"])).mappings()]


def test_a_scan_plans_an_unanswered_escalation_once(services: LedgerServices, runner: ProjectionRunner) -> None:
    code = registered_enterprise(services)
    assert scan(services, runner, NOW).actions == {"raise risk_identification": 1, "raise hazard_investigation": 1}
    assert scan(services, runner, NOW + timedelta(days=4)).actions == {"escalate": 2}  # 12-05
    first = {r["kind"]: r["first_escalated_at"] for r in reminders(runner)}
    assert all(at is not None and at.astimezone(UTC) == NOW + timedelta(days=4) for at in first.values())
    assert scan(services, runner, NOW + timedelta(days=6)).actions == {}  # 12-07: two days, not more
    planned = scan(services, runner, NOW + timedelta(days=7))  # 12-08
    assert planned.actions == {"planenforcement": 2} and not planned.failed
    again = scan(services, runner, NOW + timedelta(days=7))
    assert again.actions == {} and again.already_done == 0  # the read model knows the reminders are planned
    assert scan(services, runner, NOW + timedelta(days=8)).actions == {}

    entry_id = EnforcementPlanEntry.create_id(code, "2027-01")
    entry = services.enforcement_plan.get(entry_id)
    assert entry.origin == "system" and entry.added_by == "system" and len(entry.reminder_ids) == 2
    assert [type(e).__name__ for e in services.ledger.events.get(entry_id)] == ["Added", "Linked"]
    rows = reminders(runner)
    assert all(r["planned"] == 1 and r["answered"] == 0 for r in rows)  # planned, and the inaction still shows
    assert all(services.reminders.get(entry_id.__class__(r["reminder_id"])).responses == [] for r in rows)

    page = EnforcementPlanReads(LiveTables(runner.engine)).page(ReadScope(), PlanFilter(period="2027-01"))
    [row] = page.rows
    assert row.entry_id == str(entry_id) and row.status == "planned" and row.origin == "system"
    assert set(row.reminder_ids) == {r["reminder_id"] for r in rows} and row.region_code == "410185"
    assert page.as_of_position >= row.position
    assert EnforcementPlanReads(LiveTables(runner.engine)).page(ReadScope(region_prefix="4103"), PlanFilter()).rows == []


def test_odd_entry_events_are_projected_and_the_read_models_reach_the_head(services: LedgerServices,
                                                                          runner: ProjectionRunner) -> None:
    """Entry events as no command writes them (NUL and over-long text, a placement that is not an
    object, a reminder id that is not text) still give rows, and later events follow."""
    import json
    import uuid
    from dataclasses import replace

    from tests.integration.projections.test_poison_events import assert_at_head, live_rows

    ledger = services.ledger
    meta = Meta("test", "rest", NOW, uuid.uuid4().hex, "c")
    odd = EnforcementPlanEntry("91410100MA0000001X", "名\x00" + "长" * 300, {"region_code": "410185"}, "2026-12",
                               "理由\x00", None, "supervisor", "sup", NOW, meta)
    [event] = odd.collect_events()
    stored = ledger.mapper.to_stored_event(event)
    content = json.loads(stored.state) | {"placement": ["not", "an", "object"], "reminder_id": ["x"]}
    ledger.recorder.insert_events([replace(stored, state=json.dumps(content).encode())])
    normal = EnforcementPlanEntry("91410100MA0000002X", "企业", {"region_code": "410302", "industry": "machinery",
                                  "supervision_level": "county"}, "2026-12", "原因", "no-such-reminder", "supervisor",
                                  "sup", NOW, meta)
    normal.link("another one", "sup", NOW, meta)
    normal.withdraw("撤回", "sup2", NOW + timedelta(hours=1), meta)
    ledger.save(normal)
    runner.catch_up()
    assert_at_head(runner)
    assert all(s["failed_events"] == 0 for s in runner.status())
    rows = live_rows(runner, "rm_enforcement_plan", "entry_id")
    first = rows[str(odd.id)]
    assert first["enterprise_name"].startswith("名\ufffd") and len(first["enterprise_name"]) == 200
    assert (first["region_code"], first["reminder_ids"], first["reason"]) == ("", "", "理由\ufffd")
    second = rows[str(normal.id)]
    assert second["status"] == "withdrawn" and second["withdrawn_by"] == "sup2"
    assert second["reminder_ids"] == "no-such-reminder"  # "another one" holds a space: not an id
