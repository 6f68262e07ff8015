"""`ledger reminders scan` and `ledger calendar load` against real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.bootstrap import bootstrap
from api.settings import Settings
from domain.enterprises.commands import EnterpriseSpec
from tests.conftest import cli_context
from tests.integration.test_cli import head, run
from tests.support.builders import a_credit_code


def register_late_enterprise(database: str) -> str:
    services = bootstrap(Settings(database_url=database))
    try:
        code = a_credit_code()
        registered = datetime.now(UTC) - timedelta(days=40)
        services.write.enterprises.register(cli_context(services), EnterpriseSpec(
            code, "登封市迟报化工有限公司", "410185", "hazardous_chemicals", "county", "张伟", "13800138000", registered))
        return code
    finally:
        services.close()


def test_a_dry_run_prints_the_plan_and_writes_nothing_then_a_scan_raises(database: str) -> None:
    code = register_late_enterprise(database)
    before = head(database)
    exit_code, out = run("reminders", "scan", "--dry-run")
    assert exit_code == 0, out
    assert f"{code}: raise risk_identification" in out and "would do: " in out
    assert head(database) == before
    exit_code, out = run("reminders", "scan")
    assert exit_code == 0, out
    assert "did: 1 raise hazard_investigation, 1 raise risk_identification" in out
    assert head(database) == before + 2
    exit_code, out = run("reminders", "scan")
    assert exit_code == 0 and "nothing due" in out and head(database) == before + 2


def test_a_future_scan_needs_allow_future(database: str) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    exit_code, out = run("reminders", "scan", "--as-of", later)
    assert exit_code == 1 and "--allow-future" in out
    exit_code, out = run("reminders", "scan", "--as-of", "2026-12-01T09:00:00")
    assert exit_code == 1 and "UTC offset" in out
    register_late_enterprise(database)
    exit_code, out = run("reminders", "scan", "--as-of", later, "--allow-future")
    assert exit_code == 0, out
    services = bootstrap(Settings(database_url=database))
    try:
        actors = {e.meta.actor for e in services.ledger.recorder.select_notifications(1, 10_000)
                  for e in [services.ledger.mapper.to_domain_event(e)] if type(e).__name__ == "Raised"}
    finally:
        services.close()
    assert actors == {"system:reminder-scan:future-drill"}


def test_the_calendar_loads_from_the_package_once(database: str) -> None:
    exit_code, out = run("calendar", "load", "--year", "2026")
    assert exit_code == 0 and "2026: published (version 1" in out, out
    exit_code, out = run("calendar", "load", "--year", "2026")
    assert exit_code == 0 and "2026: unchanged (version 1" in out
    exit_code, out = run("calendar", "load", "--year", "2099")
    assert exit_code == 1 and "has no calendar for 2099" in out
