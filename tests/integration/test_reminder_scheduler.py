"""serve's reminder scheduler: APScheduler 3 runs the dispatcher on its interval and stops cleanly."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from schedulers.reminder_jobs import ReminderScheduler


class Recorder:
    def __init__(self) -> None:
        self.calls: list[datetime] = []
        self.called = threading.Event()

    def run(self, now: datetime) -> None:
        self.calls.append(now)
        self.called.set()


def test_the_dispatcher_runs_on_its_interval_with_the_injected_clock() -> None:
    scan, dispatch = Recorder(), Recorder()
    moment = datetime(2026, 12, 1, 2, tzinfo=UTC)
    scheduler = ReminderScheduler(scan, dispatch, lambda: moment, "0 * * * *", 0.2)  # type: ignore[arg-type]
    scheduler.start()
    try:
        assert dispatch.called.wait(5)
    finally:
        scheduler.stop()
    assert dispatch.calls[0] == moment and scan.calls == []  # the scan waits for the top of the hour
    assert not any(t.name.startswith("APScheduler") for t in threading.enumerate())
