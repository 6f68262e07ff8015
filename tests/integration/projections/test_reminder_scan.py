"""The reminder scan over the real read models (SQLite and PostgreSQL): facts projected from the
log, reminders raised once, resolved by the event that complied, escalated to the routed
supervisors, with their messages queued in the outbox and the inboxes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.reminders.aggregate import Reminder
from domain.reminders.routing import SupervisorContact
from domain.reminders.scan import ReminderScan
from domain.rules.aggregate import DEFAULT_VERSION
from domain.rules.calendar import WorkCalendar
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from projections.live import LiveTables
from projections.runner import ProjectionRunner
from projections.supervision.scan_source import ReadModelScanSource
from tests.unit.domain.helpers import (NOW, ctx, deregistered_enterprise, identified_risk, inspection_spec,
                                       registered_enterprise, registered_hazard)

DIRECTORY = [SupervisorContact("dengfeng-chem", "410185", ("hazardous_chemicals",), "county", mobile="13900000001"),
             SupervisorContact("zhengzhou-city", "410100", (), None)]


def scan(services: LedgerServices, runner: ProjectionRunner, at, *, dry_run: bool = False):  # noqa: ANN001, ANN201
    runner.catch_up()
    source = ReadModelScanSource(LiveTables(runner.engine), lambda: DIRECTORY)
    context = CommandContext(Meta("system:reminder-scan", "scheduler", at, "scan", "scan"))
    return ReminderScan(services.reminders, batch_size=2).run(context, source, DEFAULT_VERSION, WorkCalendar(), at,
                                                               dry_run=dry_run)


def rows(runner: ProjectionRunner, template: str) -> list[dict]:
    tables = LiveTables(runner.engine).run(["reminders"], lambda snap: snap.tables)
    with runner.engine.connect() as conn:
        return [dict(m) for m in conn.execute(select(tables[template])).mappings()]


def test_scan_raises_resolves_and_escalates_from_the_read_models(services: LedgerServices, runner: ProjectionRunner) -> None:
    silent = registered_enterprise(services)
    lapsed = registered_enterprise(services)
    identified_risk(services, lapsed)
    services.inspections.record(ctx(), lapsed, inspection_spec(performed_at=NOW - timedelta(days=20)))
    diligent = registered_enterprise(services)
    identified_risk(services, diligent)
    services.inspections.record(ctx(), diligent, inspection_spec(performed_at=NOW - timedelta(hours=5)))
    deregistered_enterprise(services)
    overdue = registered_enterprise(services, industry="machinery")
    identified_risk(services, overdue)
    registered_hazard(services, overdue)  # its deadline passed 3 weeks before NOW

    dry = scan(services, runner, NOW, dry_run=True)
    assert dry.actions == {"raise risk_identification": 1, "raise hazard_investigation": 3,
                           "raise rectification_overdue": 1}
    assert rows(runner, "rm_reminders") == []
    first = scan(services, runner, NOW)
    assert first.actions == dry.actions and not first.failed
    again = scan(services, runner, NOW)
    assert again.actions == {} and again.already_done == 0  # the open reminders were seen in the read model
    reminders = {(r["credit_code"], r["kind"]): r for r in rows(runner, "rm_reminders")}
    assert {c for c, _ in reminders} == {silent, lapsed, overdue}
    assert reminders[(silent, "risk_identification")]["fact"].startswith("2026-10-02 注册，截至")
    outbox = rows(runner, "rm_outbox")
    assert len(outbox) == 2 * 5 and {m["status"] for m in outbox} == {"pending"}
    inbox = rows(runner, "rm_inbox")
    assert sorted({m["recipient"] for m in inbox}) == sorted(f"enterprise:{c}" for c in (silent, lapsed, overdue))

    complied = services.inspections.record(ctx(recorded_at=NOW + timedelta(days=1)), lapsed,
                                           inspection_spec(performed_at=NOW + timedelta(hours=20)))
    later = scan(services, runner, NOW + timedelta(days=4))
    assert later.actions["resolve"] == 1
    resolved = services.reminders.get(Reminder.create_id(lapsed, "hazard_investigation",
                                                         reminders[(lapsed, "hazard_investigation")]["cycle_key"]))
    assert resolved.status == "resolved" and resolved.resolution["position"] == complied.position
    assert later.actions["escalate"] == 4  # silent x2, overdue x2: raised 4 days ago, 3 days allowed
    escalated = services.reminders.get(Reminder.create_id(silent, "risk_identification",
                                                          reminders[(silent, "risk_identification")]["cycle_key"]))
    assert escalated.escalation_level == 1
    assert [r["username"] for r in escalated.escalations[0]["recipients"]] == ["dengfeng-chem"]
    unrouted = services.reminders.get(Reminder.create_id(overdue, "hazard_investigation",
                                                         reminders[(overdue, "hazard_investigation")]["cycle_key"]))
    assert unrouted.escalation_level == 1 and unrouted.escalations[0]["recipients"] == []  # no machinery supervisor
    runner.catch_up()
    statuses = {(m["recipient"], m["status"]) for m in rows(runner, "rm_outbox")}
    assert ("user:dengfeng-chem", "pending") in statuses
    assert all(status == "cancelled" for recipient, status in statuses if recipient == f"enterprise:{lapsed}")
