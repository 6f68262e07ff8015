"""The dispatcher over the real outbox: SMS through the file gateway, in-app recorded, quiet hours
held, and a dispatcher killed between sending and recording neither loses nor repeats a message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from adapters.sms.file import FileGateway
from adapters.sms.gateway import SendResult, SmsMessage
from domain.reminders.scan import ReminderScan
from domain.rules.aggregate import DEFAULT_VERSION
from domain.rules.calendar import WorkCalendar
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from projections.live import LiveTables
from projections.runner import ProjectionRunner
from projections.supervision.scan_source import ReadModelScanSource
from schedulers.dispatcher import Dispatcher
from tests.unit.domain.helpers import registered_enterprise

CST = timezone(timedelta(hours=8))
DAYTIME = datetime(2026, 12, 1, 10, 0, tzinfo=CST)


class CrashAfterSend:
    """Sends through the real gateway, then dies before the result can be recorded."""

    name = "file"

    def __init__(self, inner: FileGateway) -> None:
        self.inner = inner

    def send(self, message: SmsMessage) -> SendResult:
        self.inner.send(message)
        raise SystemExit("killed between send and record")


def raise_reminders(services: LedgerServices, runner: ProjectionRunner) -> str:
    """An enterprise registered two months before DAYTIME: risk identification and investigation due."""
    credit_code = registered_enterprise(services)
    runner.catch_up()
    context = CommandContext(Meta("system:reminder-scan", "scheduler", DAYTIME, "scan", "scan"))
    source = ReadModelScanSource(LiveTables(runner.engine), lambda: [])
    ReminderScan(services.reminders).run(context, source, DEFAULT_VERSION, WorkCalendar(), DAYTIME - timedelta(hours=3))
    runner.catch_up()
    return credit_code


def rows(runner: ProjectionRunner) -> list:  # noqa: ANN001
    from uuid import UUID

    from sqlalchemy import select

    tables = LiveTables(runner.engine).run(["reminders"], lambda snap: snap.tables)
    with runner.engine.connect() as conn:
        return [UUID(r) for r in conn.execute(select(tables["rm_reminders"].c.reminder_id)).scalars()]


def dispatcher(services: LedgerServices, runner: ProjectionRunner, gateway: object) -> Dispatcher:
    return Dispatcher(LiveTables(runner.engine), services.reminders, gateway,  # type: ignore[arg-type]
                      lambda recipient: "13800138000" if recipient.startswith("enterprise:") else None,
                      lambda at: DEFAULT_VERSION)


def test_messages_are_sent_once_and_recorded(services: LedgerServices, runner: ProjectionRunner, tmp_path: Path) -> None:
    raise_reminders(services, runner)
    gateway = FileGateway(tmp_path / "sms.jsonl")
    night = dispatcher(services, runner, gateway).run_once(datetime(2026, 12, 1, 23, 30, tzinfo=CST))
    assert night.results == {"held": 2, "delivered": 2}  # SMS held, in-app delivered
    assert gateway.messages() == []
    runner.catch_up()
    day = dispatcher(services, runner, gateway).run_once(DAYTIME)
    assert day.results == {"delivered": 2} and len(gateway.messages()) == 2
    assert "138" in gateway.messages()[0]["mobile"] and "风险辨识" in "".join(m["text"] for m in gateway.messages())
    assert dispatcher(services, runner, gateway).run_once(DAYTIME).results == {}  # the queue lags; the reminder knows
    runner.catch_up()
    assert dispatcher(services, runner, gateway).run_once(DAYTIME).results == {}


def test_a_dispatcher_killed_between_send_and_record_loses_nothing_and_sends_nothing_twice(
        services: LedgerServices, runner: ProjectionRunner, tmp_path: Path) -> None:
    raise_reminders(services, runner)
    path = tmp_path / "sms.jsonl"
    crashed = dispatcher(services, runner, CrashAfterSend(FileGateway(path)))
    with pytest.raises(SystemExit):
        crashed.run_once(DAYTIME)
    assert len(FileGateway(path).messages()) == 1  # sent, but no result recorded
    restarted = dispatcher(services, runner, FileGateway(path)).run_once(DAYTIME)  # a new process
    assert not restarted.failed
    deliveries = [d for r in rows(runner) for d in services.reminders.get(r).deliveries.values()]
    assert deliveries == ["delivered"] * 4
    assert len(FileGateway(path).messages()) == 2  # each SMS once, the first not again
    assert len({m["idempotency_key"] for m in FileGateway(path).messages()}) == 2


def test_a_message_it_cannot_handle_is_logged_once_and_does_not_stop_the_others(
        services: LedgerServices, runner: ProjectionRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import uuid

    from sqlalchemy import insert

    raise_reminders(services, runner)
    outbox = LiveTables(runner.engine).run(["reminders"], lambda snap: snap.tables["rm_outbox"])
    with runner.engine.begin() as conn:  # a row no reminder owns (a damaged read model, say)
        conn.execute(insert(outbox).values(message_id=str(uuid.uuid4()), reminder_id=str(uuid.uuid4()), channel="sms",
                                           recipient="enterprise:x", title="t", text="t", due_at=DAYTIME - timedelta(days=1),
                                           status="pending", results=0, updated_at=DAYTIME - timedelta(days=1)))
    gateway = FileGateway(tmp_path / "sms.jsonl")
    sender = dispatcher(services, runner, gateway)
    with caplog.at_level("WARNING", logger="ledger.reminders.dispatcher"):
        first = sender.run_once(DAYTIME)
        for _ in range(5):
            sender.run_once(DAYTIME)
    assert first.results["delivered"] == 4 and len(first.failed) == 1  # the others went out
    assert len(gateway.messages()) == 2
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "failed" in lines[0] and "set aside after 3" in lines[1]
