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


def test_a_failing_job_logs_one_line_and_runs_again(caplog) -> None:  # noqa: ANN001
    import logging

    class Broken:
        def __init__(self) -> None:
            self.runs = 0
            self.twice = threading.Event()

        def run(self, now: datetime) -> None:
            self.runs += 1
            if self.runs >= 2:
                self.twice.set()
            raise KeyError("a row it cannot read")

    broken = Broken()
    scheduler = ReminderScheduler(Recorder(), broken, lambda: datetime(2026, 12, 1, tzinfo=UTC), "0 * * * *", 0.1)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO):
        scheduler.start()
        try:
            assert broken.twice.wait(5)
        finally:
            scheduler.stop()
    failures = [r for r in caplog.records if "reminder dispatch failed" in r.getMessage()]
    assert len(failures) >= 2 and not any(r.exc_info for r in caplog.records)
