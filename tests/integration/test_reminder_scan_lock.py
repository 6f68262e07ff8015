"""Exactly one reminder scan at a time across a deployment's processes (PostgreSQL advisory lock)."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.persistence.advisory_lock import AdvisoryLock
from api.bootstrap import bootstrap
from api.settings import Settings
from schedulers.reminder_jobs import SCAN_LOCK
from tests.support.postgres import fresh_database


def test_a_second_instance_skips_while_the_first_scans() -> None:
    with fresh_database() as url:
        first = bootstrap(Settings(database_url=url, jwt_secret="lock-test-secret-of-more-than-32-bytes", reminders="off"))
        second = bootstrap(Settings(database_url=url, jwt_secret="lock-test-secret-of-more-than-32-bytes", reminders="off"))
        try:
            runner = first.new_projection_runner()
            runner.ensure_current()
            runner.close()
            held = AdvisoryLock(first.engine, SCAN_LOCK)  # as the first instance holds it while scanning
            assert held.try_acquire()
            assert second.reminder_scan is not None
            assert second.reminder_scan.run(datetime(2026, 12, 1, tzinfo=UTC)) is None
            held.release()
            report = second.reminder_scan.run(datetime(2026, 12, 1, tzinfo=UTC))
            assert report is not None and report.evaluated == 0
        finally:
            first.close()
            second.close()
