"""The interface platform's call log: every call to an enterprise interface and to the token
endpoint, kept so that operators can search it, see error rates and export it to Excel.

Write side. `record` only converts the entry and puts it on a bounded in-memory queue, so a slow or
unreachable database never slows or fails the request being logged. One writer thread inserts what
queued up in batches (one multi-row INSERT per batch, SQLAlchemy Core executemany); while the
database is down it keeps its batch and retries with exponential backoff, and once `max_pending`
entries wait, new ones are counted in `dropped` and logged instead of growing memory without bound.
`stop` drains the queue, so a normal shutdown loses nothing; `flush` waits for what was recorded.

A bad entry never blocks the others. Entries are made storable when recorded: U+0000 and lone
surrogates (which PostgreSQL text, or UTF-8 at all, cannot hold) become U+FFFD, and text longer
than its column is cut. A batch the database still refuses for the rows' sake (`_rows_at_fault`:
a value it rejects, or a driver refusing a value before sending it) is written again row by row:
the good rows are stored, the rest counted in `rejected` and logged in one line per batch. Only
errors of the database itself (unreachable, connection dropped, table not there yet) are retried
with backoff, since waiting can cure those and nothing else.

Read side. Filters (enterprise, interface, status class, [since, until)), keyset pagination on id
(newest first), a streaming iterator for exports (server-side cursor, bounded memory) and
per-interface / per-enterprise statistics. The p95 latency is PostgreSQL's `percentile_cont(0.95)`
(interpolated); SQLite has no percentile aggregate, so there it is the nearest-rank p95 computed in
Python over a sorted stream (the value at rank ceil(0.95 * n)).
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import case, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from adapters.persistence.availability import AvailabilityMonitor
from adapters.persistence.tables import call_log

log = logging.getLogger("ledger.adapters.call_log")

MAX_PENDING = 100_000
_FLUSH = object()  # wakes the writer and asks it not to linger
_STOP = object()  # the writer writes what came before it, then ends
_MAX_BACKOFF = 5.0
# Longest text each column takes (tables.call_log); longer values are cut rather than failing a batch.
_LIMITS = {"enterprise": 32, "subscription_id": 64, "interface_code": 64, "method": 8, "path": 512,
           "request_id": 128, "client_ip": 64, "error_title": 256}
REPLACEMENT = "\ufffd"
_SURROGATES = re.compile("[\ud800-\udfff]")  # in a str, always lone: a valid pair decodes to one character


@dataclass(frozen=True)
class CallLogEntry:
    at: datetime  # aware; a naive value is taken as UTC
    enterprise: str | None  # credit code of the calling enterprise, if known
    subscription_id: str | None
    interface_code: str | None
    method: str
    path: str
    status: int
    latency_ms: float
    request_id: str
    client_ip: str | None
    error_title: str | None


@dataclass
class CallLogFilter:
    """Every field narrows; None means any. `status_class` 2..5 means 2xx..5xx; `since` is
    inclusive and `until` exclusive."""

    enterprise: str | None = None
    interface_code: str | None = None
    status_class: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _utc(value: datetime) -> datetime:
    """Stored in UTC: SQLite's DateTime drops the offset, so it must be UTC before binding."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(entry: CallLogEntry) -> dict[str, Any]:
    row: dict[str, Any] = {
        "at": _utc(entry.at), "enterprise": entry.enterprise, "subscription_id": entry.subscription_id,
        "interface_code": entry.interface_code, "method": entry.method, "path": entry.path,
        "status": int(entry.status), "latency_ms": float(entry.latency_ms), "request_id": entry.request_id,
        "client_ip": entry.client_ip, "error_title": entry.error_title,
    }
    for name, limit in _LIMITS.items():
        if row[name] is not None:
            row[name] = storable(str(row[name]))[:limit]
    return row


def storable(text: str) -> str:
    """`text` with U+0000 and lone surrogates replaced by U+FFFD: PostgreSQL text cannot hold NUL
    (psycopg2 refuses the value), and a lone surrogate has no UTF-8 form for either database.
    (The read models apply the same substitution: projections/storable.py.)"""
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT)
    if not text.isascii():
        text = _SURROGATES.sub(REPLACEMENT, text)
    return text


def _rows_at_fault(error: BaseException) -> bool:
    """Whether the rows caused `error` (writing them again cannot succeed), rather than the
    database (unreachable, connection lost, table missing: worth waiting for).

    The rows: a value the database refused (DataError: out of range; IntegrityError), or an
    error raised before anything reached the database (the driver refusing a value, e.g.
    psycopg2's ValueError on NUL or sqlite3's OverflowError on a huge integer, raised as is or
    wrapped in a StatementError). Every other DBAPI error is the database's, and so is the
    pool's TimeoutError."""
    if isinstance(error, (DataError, IntegrityError)):
        return True
    if isinstance(error, DBAPIError):
        return False
    if isinstance(error, StatementError):
        return not isinstance(error.orig, DBAPIError)
    return isinstance(error, (ValueError, TypeError, OverflowError, UnicodeError))


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [""])[0][:200]


def _read(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    row["at"] = _utc(row["at"])
    return row


class CallLog:
    def __init__(self, engine: Engine, batch_size: int = 500, flush_interval: float = 0.2,
                 max_pending: int = MAX_PENDING) -> None:
        self._engine = engine
        self._batch_size = batch_size
        self._flush_interval = flush_interval  # how long the writer waits for company for a small batch
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # thread start/stop, and `accepted` together with the put
        self._written = threading.Condition()
        self._accepted = 0  # entries queued so far
        self._done = 0  # entries written (or given up on) so far
        self._hurry = threading.Event()  # a flush/stop is waiting: no lingering
        self._abandon = threading.Event()  # stop timed out: give up retrying
        self.dropped = 0  # refused because `max_pending` entries were waiting
        self.lost = 0  # given up on: still failing (database unreachable) when stop timed out
        self.rejected = 0  # refused by the database for their own sake, even after being made storable
        self.batches = 0
        self.availability = AvailabilityMonitor("call log writer", database=str(engine.url), what="write attempts failed")

    # -- write side -------------------------------------------------------------------------------

    def record(self, entry: CallLogEntry) -> None:
        """Queue the entry; never blocks and never raises (logging must not break a request)."""
        try:
            row = _row(entry)
            with self._lock:
                self._queue.put_nowait(row)
                self._accepted += 1
        except queue.Full:
            with self._lock:
                self.dropped += 1
                dropped = self.dropped
            if dropped == 1 or dropped % 10_000 == 0:
                log.warning("call log backlog full (%d waiting): %d entries dropped so far",
                            self._queue.maxsize, dropped)
        except Exception:  # noqa: BLE001 - a malformed entry is logged, not raised into the request
            log.exception("call log entry refused: %r", entry)

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._abandon.clear()
                self._thread = threading.Thread(target=self._run, name="ledger-call-log", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Write everything queued, then end the writer. If the database stays unreachable for
        `timeout` seconds, give up (counted in `lost`) rather than hang the shutdown."""
        with self._lock:
            thread, self._thread = self._thread, None
        deadline = time.monotonic() + timeout
        if thread is not None:
            self._hurry.set()
            try:
                self._queue.put(_STOP, timeout=timeout)
            except queue.Full:
                self._abandon.set()
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self._abandon.set()
                thread.join()
        self._drain_inline()  # recorded after the stop sentinel, or never started
        if self.lost:
            log.error("call log stopped with %d entries lost", self.lost)
        if self.rejected:
            log.warning("call log stopped; %d entries were rejected by the database", self.rejected)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every entry recorded before this call is written; False on timeout."""
        with self._lock:
            target, running = self._accepted, self._thread is not None
        if not running:
            self._drain_inline()
        else:
            self._hurry.set()
            try:
                self._queue.put(_FLUSH, timeout=timeout)
            except queue.Full:
                return False
        with self._written:
            return self._written.wait_for(lambda: self._done >= target, timeout)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                batch, stopping = self._gather(self._queue.get())
                self._write(batch)
                if self._queue.empty():
                    self._hurry.clear()
            except Exception:  # noqa: BLE001 - the writer must outlive any surprise
                log.exception("call log writer error")

    def _gather(self, first: Any) -> tuple[list[dict[str, Any]], bool]:
        """Up to batch_size rows; a small batch waits up to flush_interval for more, unless hurried."""
        batch: list[dict[str, Any]] = []
        item = first
        deadline = time.monotonic() + self._flush_interval
        while True:
            if item is _STOP:
                return batch, True
            if item is _FLUSH:
                self._hurry.set()
            else:
                batch.append(item)
            if len(batch) >= self._batch_size:
                return batch, False
            wait = 0.0 if self._hurry.is_set() else deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _drain_inline(self) -> None:
        """Write what is queued from the caller's thread (no writer running)."""
        batch: list[dict[str, Any]] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _FLUSH and item is not _STOP:
                batch.append(item)
            if len(batch) >= self._batch_size:
                self._write(batch)
                batch = []
        self._write(batch)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        pending, delay, failures = rows, 0.05, 0
        while pending:
            try:
                self._insert(pending)
                self.availability.reachable()
                break
            except Exception as error:  # noqa: BLE001 - sorted below: the rows' fault or the database's
                if _rows_at_fault(error):
                    pending, error = self._insert_one_by_one(pending)
                    if not pending:
                        break
                failures += 1
                outage = self.availability.refused(error) is not None  # logged once per outage, by the monitor
                if not outage and (failures == 1 or failures % 20 == 0):
                    log.warning("call log write of %d entries failed (%s: %s); retry %d in %.2fs",
                                len(pending), type(error).__name__, _first_line(error), failures, delay)
                if self._abandon.wait(delay):
                    self.lost += len(pending)
                    break
                delay = min(delay * 2, _MAX_BACKOFF)
        with self._written:
            self._done += len(rows)
            self._written.notify_all()

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(call_log), rows)
        self.batches += 1

    def _insert_one_by_one(
        self, rows: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], BaseException | None]:
        """Store each row alone; count the rows refused for their own sake. Returns the rows not
        yet stored when the database itself failed, and its error (to retry with backoff)."""
        refused: list[tuple[dict[str, Any], BaseException]] = []
        left: list[dict[str, Any]] = []
        failure: BaseException | None = None
        for i, row in enumerate(rows):
            try:
                self._insert([row])
            except Exception as error:  # noqa: BLE001
                if not _rows_at_fault(error):
                    left, failure = rows[i:], error
                    break
                refused.append((row, error))
        if refused:
            self.rejected += len(refused)
            row, error = refused[0]
            log.error("call log: %d of %d entries rejected by the database (first: %s: %s; request_id=%r path=%r)",
                      len(refused), len(rows), type(error).__name__, _first_line(error),
                      row.get("request_id"), str(row.get("path"))[:100])
        return left, failure

    # -- read side --------------------------------------------------------------------------------

    @staticmethod
    def _where(f: CallLogFilter) -> list[Any]:
        c = call_log.c
        conditions: list[Any] = []
        if f.enterprise is not None:
            conditions.append(c.enterprise == f.enterprise)
        if f.interface_code is not None:
            conditions.append(c.interface_code == f.interface_code)
        if f.status_class is not None:
            conditions += [c.status >= f.status_class * 100, c.status < (f.status_class + 1) * 100]
        if f.since is not None:
            conditions.append(c.at >= _utc(f.since))
        if f.until is not None:
            conditions.append(c.at < _utc(f.until))
        return conditions

    def query(self, f: CallLogFilter, limit: int = 50, after_id: int | None = None) -> list[dict[str, Any]]:
        """Newest first by id (write order); pass the last id seen as `after_id` for the next page."""
        conditions = self._where(f)
        if after_id is not None:
            conditions.append(call_log.c.id < after_id)
        stmt = select(call_log).where(*conditions).order_by(call_log.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_read(r._mapping) for r in conn.execute(stmt)]

    def get(self, entry_id: int) -> dict[str, Any] | None:
        """One logged call by id, or None."""
        with self._engine.connect() as conn:
            row = conn.execute(select(call_log).where(call_log.c.id == entry_id)).first()
        return None if row is None else _read(row._mapping)

    def ids_by_request(self, request_ids: list[str]) -> dict[str, int]:
        """The call-log id of each request id that was logged (the first entry if several), so an
        event's `meta.request_id` leads to the interface call that produced it."""
        wanted = sorted({r for r in request_ids if r})
        found: dict[str, int] = {}
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                stmt = (select(call_log.c.request_id, func.min(call_log.c.id))
                        .where(call_log.c.request_id.in_(wanted[i:i + 500])).group_by(call_log.c.request_id))
                found.update({request_id: entry_id for request_id, entry_id in conn.execute(stmt)})
        return found

    def count(self, f: CallLogFilter) -> int:
        with self._engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(call_log).where(*self._where(f))).scalar_one()

    def iter_rows(self, f: CallLogFilter, chunk: int = 5000) -> Iterator[dict[str, Any]]:
        """Every matching row, oldest first, fetched `chunk` rows at a time (server-side cursor on
        PostgreSQL), so an export of millions of rows holds one chunk in memory."""
        stmt = select(call_log).where(*self._where(f)).order_by(call_log.c.id)
        with self._engine.connect() as conn:
            result = conn.execution_options(yield_per=chunk).execute(stmt)
            for partition in result.partitions():
                for r in partition:
                    yield _read(r._mapping)

    def stats(self, f: CallLogFilter, group_by: Literal["interface", "enterprise"] = "interface") -> list[dict[str, Any]]:
        """Per interface or enterprise: calls, errors (status >= 400), error rate and p95 latency;
        busiest first. p95: percentile_cont on PostgreSQL, nearest rank on SQLite (module doc)."""
        if group_by not in ("interface", "enterprise"):
            raise ValueError(f"group_by must be 'interface' or 'enterprise', not {group_by!r}")
        c = call_log.c
        key = c.interface_code if group_by == "interface" else c.enterprise
        errors = func.coalesce(func.sum(case((c.status >= 400, 1), else_=0)), 0)
        columns = [key.label("key"), func.count().label("count"), errors.label("errors")]
        postgres = self._engine.dialect.name == "postgresql"
        if postgres:
            columns.append(func.percentile_cont(0.95).within_group(c.latency_ms).label("p95"))
        where = self._where(f)
        with self._engine.connect() as conn:
            groups = [dict(r._mapping) for r in conn.execute(select(*columns).where(*where).group_by(key))]
            if not postgres:
                self._nearest_rank_p95(conn, key, where, groups)
        out = [{"key": g["key"], "count": g["count"], "errors": int(g["errors"]),
                "error_rate": int(g["errors"]) / g["count"], "p95_latency_ms": float(g["p95"])} for g in groups]
        return sorted(out, key=lambda s: (-s["count"], s["key"] is None, s["key"] or ""))

    @staticmethod
    def _nearest_rank_p95(conn: Any, key: Any, where: list[Any], groups: list[dict[str, Any]]) -> None:
        """Stream latencies sorted by (key, latency) and pick the one at rank ceil(0.95 n) per key."""
        rank = {g["key"]: math.ceil(0.95 * g["count"]) for g in groups}
        found: dict[Any, float] = {}
        current, position = object(), 0
        stmt = select(key, call_log.c.latency_ms).where(*where).order_by(key, call_log.c.latency_ms)
        for k, latency in conn.execution_options(yield_per=5000).execute(stmt):
            if k != current:
                current, position = k, 0
            position += 1
            if position == rank[k]:
                found[k] = latency
        for g in groups:
            g["p95"] = found[g["key"]]
