"""The reminder scan and the dispatcher as jobs: thin calls into the application with an explicit
`now`, run by `ledger reminders scan` or, in `ledger serve`, by APScheduler 3.

Exactly one scan runs at a time across a deployment's processes (a PostgreSQL advisory lock, as the
projection worker uses; SQLite is one process). A scan that finds the lock held returns None: the
other instance is doing the same work. Missed runs are coalesced into one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.persistence.availability import AvailabilityMonitor
from domain.reminders.routing import SupervisorContact
from domain.reminders.scan import ReminderScan, ScanReport
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from domain.shared.time import Clock
from projections.live import LiveTables
from projections.supervision.scan_source import ReadModelScanSource
from schedulers.dispatcher import DispatchReport, Dispatcher

log = logging.getLogger("ledger.reminders")

SCAN_LOCK = "ledger-reminder-scan"
DISPATCH_LOCK = "ledger-reminder-dispatch"


def supervisor_directory(write: LedgerServices) -> Callable[[], list[SupervisorContact]]:
    def directory() -> list[SupervisorContact]:
        return [SupervisorContact(u.username, u.region_code or "", tuple(u.industries), u.supervision_level, u.is_active,
                                  u.mobile) for u in write.users.supervisors()]

    return directory


def mobile_lookup(write: LedgerServices) -> Callable[[str], str | None]:
    """enterprise:<credit code> -> its safety officer's mobile; user:<name> -> the user's."""

    def mobile_of(recipient: str) -> str | None:
        kind, _, key = recipient.partition(":")
        if kind == "enterprise":
            return write.enterprises.get(key).safety_officer_mobile or None
        user = write.users.find(key) if kind == "user" else None
        return user.mobile if user is not None else None

    return mobile_of


class ReminderScanJob:
    def __init__(self, write: LedgerServices, live: LiveTables, lock: AdvisoryLock, batch_size: int = 5000,
                 concurrency: int = 8) -> None:
        self._write = write
        self._live = live
        self._lock = lock
        self._scan = ReminderScan(write.reminders, batch_size, concurrency)

    def run(self, as_of: datetime, *, now: datetime | None = None, dry_run: bool = False) -> ScanReport | None:
        """Scan as of `as_of`; when that is later than `now` (a drill), the events say so in their
        actor. None when another process holds the scan lock."""
        if not self._lock.try_acquire():
            return None
        try:
            rules = self._write.rules.in_force(as_of)
            calendar = self._write.calendar.calendar(as_of.year - 1, as_of.year + 1)
            drill = now is not None and as_of > now
            actor = "system:reminder-scan:future-drill" if drill else "system:reminder-scan"
            run_id = f"scan-{as_of.isoformat()}"
            context = CommandContext(Meta(actor, "scheduler", as_of, run_id, run_id))
            source = ReadModelScanSource(self._live, supervisor_directory(self._write))
            report = self._scan.run(context, source, rules, calendar, as_of, dry_run=dry_run)
        finally:
            self._lock.release()
        (log.warning if report.failed or report.fallback_years else log.info)("%s", report.summary())
        return report


class DispatchJob:
    def __init__(self, dispatcher: Dispatcher, lock: AdvisoryLock) -> None:
        self._dispatcher = dispatcher
        self._lock = lock

    def run(self, now: datetime) -> DispatchReport | None:
        if not self._lock.try_acquire():
            return None
        try:
            report = self._dispatcher.run_once(now)
        finally:
            self._lock.release()
        if report.results or report.failed:
            log.info("dispatched: %s%s", dict(report.results), f"; {len(report.failed)} failed" if report.failed else "")
        return report


class ReminderScheduler:
    """APScheduler 3 in a background thread: the scan on a cron (China time), the dispatcher every
    few seconds. A job that fails runs again at its next time: a database outage is logged once
    when it starts and once when it ends (not a traceback every 30 s), any other failure in one
    line per run."""

    def __init__(self, scan: ReminderScanJob, dispatch: DispatchJob, clock: Clock, cron: str,
                 dispatch_seconds: float, availability: AvailabilityMonitor | None = None) -> None:
        self._scan = scan
        self._dispatch = dispatch
        self._clock = clock
        self._cron = cron
        self._dispatch_seconds = dispatch_seconds
        self._availability = availability or AvailabilityMonitor("reminders", what="job runs failed")
        self._scheduler: Any = None

    def _guarded(self, name: str, job: Callable[[datetime], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                job(self._clock())
            except Exception as error:  # noqa: BLE001 - the scheduler must keep its next run
                if self._availability.refused(error) is None:
                    log.error("%s failed: %s: %s", name, type(error).__name__, str(error).splitlines()[0][:300] if str(error) else "")
                return
            self._availability.reachable()

        return run

    def start(self) -> None:
        # APScheduler logs every run at INFO (a line every few seconds); the jobs log what they did.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
        scheduler.add_job(self._guarded("reminder scan", self._scan.run), CronTrigger.from_crontab(self._cron, timezone="Asia/Shanghai"),
                          id="reminder-scan", name="reminder scan", coalesce=True, max_instances=1, misfire_grace_time=3600)
        scheduler.add_job(self._guarded("reminder dispatch", self._dispatch.run), IntervalTrigger(seconds=self._dispatch_seconds),
                          id="reminder-dispatch", name="reminder dispatch", coalesce=True, max_instances=1)
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)  # lets a running scan finish its current command
            self._scheduler = None
