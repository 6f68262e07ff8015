"""The database-availability classifier and the outage log, on real driver errors."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import psycopg2
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError
from sqlalchemy import create_engine, text

from adapters.persistence.availability import AvailabilityMonitor, availability_of, describe, is_database_unavailable, mask


def _raised(run) -> BaseException:  # noqa: ANN001
    try:
        run()
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("nothing raised")


def _connect(url: str) -> BaseException:
    engine = create_engine(url)
    try:
        return _raised(lambda: engine.connect().close())
    finally:
        engine.dispose()


def test_a_refused_postgresql_connection_is_unreachable_also_when_wrapped() -> None:
    error = _connect("postgresql+psycopg2://ledger:s3cret@127.0.0.1:1/ledger")
    assert availability_of(error) == "unreachable"
    try:  # as the eventsourcing datastore wraps it
        raise OperationalError(error) from error
    except OperationalError as wrapped:
        assert availability_of(wrapped) == "unreachable"
    try:  # and as a plain exception raised while handling it
        try:
            raise error
        except Exception:  # noqa: BLE001
            raise RuntimeError("the group committer gave up")  # noqa: B904
    except RuntimeError as chained:
        assert is_database_unavailable(chained)


def test_sqlite_outages_and_locks_are_unavailable_but_not_a_missing_table(tmp_path: Path) -> None:
    assert availability_of(_connect(f"sqlite:///{tmp_path}/missing/dir/ledger.db")) == "unreachable"
    assert availability_of(sqlite3.OperationalError("database is locked")) == "busy"
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        missing_table = _raised(lambda: conn.execute(text("SELECT * FROM nope")))
    assert availability_of(missing_table) is None
    assert availability_of(OperationalError(missing_table)) is None  # a bug stays a 500


def test_driver_errors_raised_raw_are_classified() -> None:
    assert availability_of(psycopg2.OperationalError("server closed the connection unexpectedly")) == "unreachable"
    assert availability_of(psycopg2.InterfaceError("connection already closed")) == "unreachable"
    assert availability_of(OperationalError("the database is down")) == "unreachable"
    assert availability_of(IntegrityError("duplicate key")) is None
    assert availability_of(ValueError("a bug")) is None


def test_lines_hide_passwords_mobile_numbers_and_parameters() -> None:
    assert mask("postgresql+psycopg2://ledger:s3cret@db/ledger") == "postgresql+psycopg2://ledger:***@db/ledger"
    assert mask("dbname=x password=s3cret host=db") == "dbname=x password=*** host=db"
    assert mask("mobile 13812345678") == "mobile 138****5678"
    error = _raised(lambda: (_ for _ in ()).throw(psycopg2.OperationalError("refused\n[parameters: ('13812345678',)]")))
    assert describe(error) == "OperationalError: refused"


def test_the_monitor_logs_an_outage_once_and_its_end_once(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    monitor = AvailabilityMonitor("api", database="postgresql://ledger:s3cret@db/ledger", clock=lambda: now[0])
    down = psycopg2.OperationalError("connection refused")
    with caplog.at_level(logging.INFO, logger="ledger.availability"):
        monitor.reachable()  # nothing to report
        for _ in range(50):
            assert monitor.refused(down) == "unreachable"
        assert monitor.refused(ValueError("a bug")) is None
        now[0] += 12.5
        monitor.reachable()
        monitor.reachable()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "database unreachable" in lines[0] and "s3cret" not in lines[0] and "ledger:***@db" in lines[0]
    assert "reachable again" in lines[1] and "12.5 s" in lines[1] and "50 requests refused" in lines[1]
    assert all(r.exc_info is None for r in caplog.records)


def test_busy_refusals_are_summed_into_one_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    monitor = AvailabilityMonitor("api", clock=lambda: now[0])
    locked = sqlite3.OperationalError("database is locked")
    with caplog.at_level(logging.INFO, logger="ledger.availability"):
        for _ in range(30):
            now[0] += 1
            monitor.refused(locked)
        for _ in range(40):
            now[0] += 1
            monitor.refused(locked)
    assert monitor.is_reachable  # a lock is no outage
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("database busy" in line for line in lines), lines
    assert "60 requests refused with 503 in the last 60 s" in lines[1]
