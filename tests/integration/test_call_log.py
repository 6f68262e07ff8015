"""The call log against real databases: batched background writes that survive a failing database
and a shutdown, filters, keyset pages, streaming and statistics."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from adapters.persistence.call_log import CallLog, CallLogEntry, CallLogFilter
from adapters.persistence.tables import call_log, metadata
from tests.support.postgres import fresh_database

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ALL = CallLogFilter()


def entry(**changes: object) -> CallLogEntry:
    base = CallLogEntry(at=T0, enterprise="91410185MA44000001", subscription_id="sub-1", interface_code="RISK_PUSH",
                        method="POST", path="/api/v1/risks", status=201, latency_ms=12.5,
                        request_id=uuid.uuid4().hex, client_ip="10.0.0.1", error_title=None)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'calls.db'}"
    else:
        with fresh_database() as pg:
            yield pg


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    built = create_engine(url)
    metadata.create_all(built)
    yield built
    built.dispose()


@pytest.fixture
def log(engine: Engine) -> Iterator[CallLog]:
    calls = CallLog(engine, flush_interval=0.05)
    calls.start()
    yield calls
    calls.stop()


def test_entries_recorded_from_many_threads_are_all_written_in_batches(log: CallLog) -> None:
    def work(n: int) -> None:
        for i in range(125):
            log.record(entry(request_id=f"{n}-{i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.flush(timeout=30)
    assert log.count(ALL) == 1000
    assert log.batches < 100  # batched, not one insert per entry
    assert log.dropped == 0 and log.lost == 0


def test_stop_writes_everything_still_queued(url: str, engine: Engine) -> None:
    calls = CallLog(engine, flush_interval=10)  # would linger for 10 s without the stop
    calls.start()
    for i in range(700):
        calls.record(entry(request_id=str(i)))
    calls.stop()
    fresh = create_engine(url)
    try:
        assert CallLog(fresh).count(ALL) == 700
    finally:
        fresh.dispose()


def test_a_full_backlog_drops_new_entries_without_blocking_or_raising(engine: Engine) -> None:
    calls = CallLog(engine, max_pending=10)  # not started: nothing drains the queue
    started = time.monotonic()
    for i in range(15):
        calls.record(entry(request_id=str(i)))
    calls.record(None)  # type: ignore[arg-type] - a broken caller is logged, not raised
    assert time.monotonic() - started < 1
    assert calls.dropped == 5
    assert calls.flush(timeout=30)
    assert calls.count(ALL) == 10


def test_writer_survives_a_failing_database_without_losing_entries(url: str) -> None:
    bare = create_engine(url)  # no call_log table yet: every insert fails
    calls = CallLog(bare, flush_interval=0.01)
    calls.start()
    try:
        for i in range(50):
            calls.record(entry(request_id=str(i)))
        assert not calls.flush(timeout=0.5)
        call_log.create(bare)
        assert calls.flush(timeout=30)
        assert calls.count(ALL) == 50
        assert calls.lost == 0
    finally:
        calls.stop()
        bare.dispose()


@pytest.fixture
def known(log: CallLog) -> CallLog:
    """Two enterprises, two interfaces, one call of each status class per hour for four hours."""
    for hour in range(4):
        for ent in ("A", "B"):
            for iface in ("RISK_PUSH", "HAZARD_PUSH"):
                for status in (200, 302, 404, 503):
                    log.record(entry(at=T0 + timedelta(hours=hour), enterprise=ent, interface_code=iface, status=status,
                                     error_title="Not found" if status == 404 else None))
    assert log.flush(timeout=30)
    return log


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ALL, 64),
        (CallLogFilter(enterprise="A"), 32),
        (CallLogFilter(interface_code="HAZARD_PUSH"), 32),
        (CallLogFilter(status_class=2), 16),
        (CallLogFilter(status_class=4), 16),
        (CallLogFilter(status_class=5, enterprise="B", interface_code="RISK_PUSH"), 4),
        (CallLogFilter(since=T0 + timedelta(hours=1)), 48),
        (CallLogFilter(until=T0 + timedelta(hours=1)), 16),
        (CallLogFilter(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)), 32),
        # the same instant in China time
        (CallLogFilter(since=(T0 + timedelta(hours=3)).astimezone(ZoneInfo("Asia/Shanghai"))), 16),
        (CallLogFilter(enterprise="C"), 0),
    ],
)
def test_each_filter_narrows(known: CallLog, f: CallLogFilter, expected: int) -> None:
    assert known.count(f) == expected
    rows = known.query(f, limit=1000)
    assert len(rows) == expected
    assert len(list(known.iter_rows(f, chunk=7))) == expected
    for row in rows:
        assert f.enterprise in (None, row["enterprise"])
        assert f.interface_code in (None, row["interface_code"])
        assert f.status_class in (None, row["status"] // 100)
        assert row["at"].tzinfo is not None
        assert f.since is None or row["at"] >= f.since
        assert f.until is None or row["at"] < f.until


def test_keyset_pages_return_every_row_once_newest_first(log: CallLog) -> None:
    for i in range(237):
        log.record(entry(request_id=f"r{i}"))
    assert log.flush(timeout=30)
    seen: list[int] = []
    after = None
    while page := log.query(ALL, limit=50, after_id=after):
        seen += [row["id"] for row in page]
        after = page[-1]["id"]
    assert len(seen) == 237 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    streamed = [row["request_id"] for row in log.iter_rows(ALL, chunk=10)]
    assert streamed == [f"r{i}" for i in range(237)]  # oldest first, one writer keeps the order


def test_stats_error_rate_and_p95(log: CallLog, engine: Engine) -> None:
    for i in range(20):  # latencies 10..200; 5 errors
        log.record(entry(interface_code="RISK_PUSH", enterprise="A", latency_ms=10.0 * (i + 1),
                         status=500 if i % 4 == 0 else 200))
    for i in range(4):
        log.record(entry(interface_code="TOKEN", enterprise=None, latency_ms=1.0, status=401))
    assert log.flush(timeout=30)
    by_interface = log.stats(ALL, "interface")
    assert [s["key"] for s in by_interface] == ["RISK_PUSH", "TOKEN"]
    risk, token = by_interface
    assert (risk["count"], risk["errors"], risk["error_rate"]) == (20, 5, 0.25)
    # PostgreSQL interpolates (percentile_cont); SQLite takes the nearest rank, ceil(0.95 * 20) = 19th
    assert risk["p95_latency_ms"] == pytest.approx(190.5 if engine.dialect.name == "postgresql" else 190.0)
    assert (token["count"], token["errors"], token["error_rate"], token["p95_latency_ms"]) == (4, 4, 1.0, 1.0)
    by_enterprise = {s["key"]: s for s in log.stats(ALL, "enterprise")}
    assert by_enterprise["A"]["count"] == 20 and by_enterprise[None]["count"] == 4
    assert log.stats(CallLogFilter(since=T0 + timedelta(days=1)), "interface") == []


def test_an_entry_with_nul_and_lone_surrogates_is_stored_sanitised_and_blocks_nothing(log: CallLog) -> None:
    """`POST /api/v1/risks/%00/level-changes` once made the writer retry psycopg2's ValueError as
    if the database were down, and nothing was logged after it."""
    log.record(entry(request_id="before"))
    log.record(entry(request_id="nul\x00", path="/api/v1/risks/\x00/level-changes", error_title="bad\x00title",
                     client_ip="\x00", enterprise="A\ud800"))
    log.record(entry(request_id="after"))
    assert log.flush(timeout=10)
    rows = {row["request_id"]: row for row in log.query(ALL, limit=10)}
    assert set(rows) == {"before", "nul\ufffd", "after"}
    bad = rows["nul\ufffd"]
    assert bad["path"] == "/api/v1/risks/\ufffd/level-changes"
    assert (bad["error_title"], bad["client_ip"], bad["enterprise"]) == ("bad\ufffdtitle", "\ufffd", "A\ufffd")
    log.record(entry(request_id="later"))
    assert log.flush(timeout=10)
    assert log.count(ALL) == 4
    log.stop()
    assert (log.lost, log.rejected, log.dropped) == (0, 0, 0)


def test_an_entry_the_database_refuses_is_counted_and_the_others_are_stored(log: CallLog) -> None:
    """A status no integer column holds: PostgreSQL refuses it (DataError), sqlite3 refuses to send
    it (OverflowError). Either way it is the row's fault, not an outage: no retry, no backoff."""
    log.record(entry(request_id="before"))
    log.record(entry(request_id="huge", status=2**70))
    log.record(entry(request_id="after"))
    assert log.flush(timeout=10)
    assert sorted(row["request_id"] for row in log.query(ALL, limit=10)) == ["after", "before"]
    log.record(entry(request_id="later"))
    assert log.flush(timeout=10)
    log.stop()
    assert (log.rejected, log.lost) == (1, 0)
    assert log.count(ALL) == 3
