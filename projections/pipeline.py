"""Pipelined catch-up on PostgreSQL: prepare batch N+1 while a writer thread commits batch N.

Why. A batch costs Python work (read, decode, fold, format the COPY text) and then a wait on
PostgreSQL (COPY, staged UPDATEs, commit). Done in turn, the two add up; here the calling thread
prepares the next batch while the writer thread runs the previous one's statements, so on a
multi-core machine the wait mostly disappears behind the Python work. psycopg2 releases the GIL
while it waits for the server.

Why it is still exactly once.
- Every batch commits in ONE transaction with its tracking rows, as before. The writer locks the
  rows (`SELECT ... FOR UPDATE`) and checks that each is exactly where this pipeline left it
  (position, generation, version). If another runner moved one, the batch rolls back, the prepared
  one after it is thrown away, the row caches are cleared, and the runner reads the positions
  again (`Conflict`).
- Preparing batch N+1 reads rows from the row cache (projections/store.py), which already holds
  every row batch N writes; a row it does not hold was not written by batch N, and batches before
  N have committed (at most one batch is in flight), so reading it from the database is current.

A crash anywhere loses the batch in flight and the one being prepared, and nothing else: their
events are applied again from the committed position.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.engine import Engine

from projections.base import Projection
from projections.reading import Batch
from projections.schema import generation_tables, tracking
from projections.sql import Write, run_writes
from projections.store import RowCache, Store
from projections.tracking import TrackingRow, read_rows


_switch_lock = threading.Lock()
_pipelines = 0  # pipelines running in this process (they share the interpreter's switch interval)
_saved_interval = sys.getswitchinterval()
SWITCH_INTERVAL = 0.001


@contextmanager
def shorter_switch_interval() -> Iterator[None]:
    """Hand the GIL over every 1 ms instead of 5 while a pipeline runs.

    The writer thread waits for the server without the GIL, but needs it back between its
    statements; with the default 5 ms interval it queued behind the preparing thread at each of
    a batch's ~15 statements. At 1 ms the 1M-event catch-up went from 27.5-29.5k to 31-32k events/s.
    Process-wide while any pipeline runs (restored after the last one)."""
    global _pipelines, _saved_interval
    with _switch_lock:
        if _pipelines == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, SWITCH_INTERVAL))
        _pipelines += 1
    try:
        yield
    finally:
        with _switch_lock:
            _pipelines -= 1
            if _pipelines == 0:
                sys.setswitchinterval(_saved_interval)


class Conflict(Exception):
    """A tracking row was not where this pipeline expected it (another runner applied events)."""


def _state(row: TrackingRow) -> tuple[int, int, int]:
    return row.position, row.generation, row.version


@dataclass
class _Job:
    before: dict[str, tuple[int, int, int]]  # tracking name -> (position, generation, version) expected
    end: int
    writes: list[Write] = field(default_factory=list)
    applied: int = 0


class Pipeline:
    """Applies batches for `targets`, starting from the tracking rows `rows` (read just before)."""

    def __init__(
        self,
        engine: Engine,
        targets: Sequence[tuple[str, Projection]],
        rows: dict[str, TrackingRow],
        caches: Callable[[str], RowCache],
        current: Callable[[Projection, TrackingRow], bool],
    ) -> None:
        self._engine = engine
        self._caches = caches
        self._rows = {name: TrackingRow(**vars(rows[name])) for name, p in targets if name in rows and current(p, rows[name])}
        self._targets = [(name, p) for name, p in targets if name in self._rows]
        for name, row in self._rows.items():
            cache = caches(name)
            if not cache.valid_at(row.position, row.generation):
                cache.clear()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="projection-writer")
        self._inflight: Future[int] | None = None

    def apply(self, batch: Batch) -> tuple[int, bool]:
        """Prepare `batch`, wait for the previous one, start writing this one.

        Returns (events applied by the batch that finished, whether to re-read the positions)."""
        if any(row.position < batch.start for row in self._rows.values()):
            done, conflict = self._wait()
            return done, True  # a gap before this batch (a position moved back by hand): read again
        if any(self._caches(name).full for name in self._rows):
            done, conflict = self._wait()  # nothing in flight may need the rows about to be dropped
            if conflict:
                return done, True
            for name in self._rows:
                self._caches(name).clear()
                self._caches(name).keep(self._rows[name].position, self._rows[name].generation)
        job = self._prepare(batch)
        done, conflict = self._wait()
        if conflict:
            return done, True
        if job.before:
            self._inflight = self._writer.submit(self._commit, job)
        return done, False

    def finish(self) -> tuple[int, bool]:
        """Wait for the last batch; (events it applied, whether it conflicted)."""
        try:
            return self._wait()
        finally:
            self._writer.shutdown(wait=True)

    def abandon(self) -> None:
        """After an error: let the batch in flight end, forget every cached row."""
        try:
            self._wait()
        except Exception:  # noqa: BLE001 - the caller is already raising the first error
            pass
        self._writer.shutdown(wait=True)
        self._clear()

    # --- inside ---------------------------------------------------------------------------------

    def _prepare(self, batch: Batch) -> _Job:
        job = _Job(before={}, end=batch.end)
        with self._engine.connect() as reads:  # rows the caches lack, as committed (see the module)
            for name, projection in self._targets:
                row = self._rows[name]
                if batch.end <= row.position:
                    continue  # this projection is ahead of the batch
                topics = set(projection.topics)
                events = [(pos, event) for pos, topic, event in batch.decoded if pos > row.position and topic in topics]
                if events:
                    store = Store(reads, self._caches(name), prepared=job.writes)
                    projection.apply(store, generation_tables(projection.tables, row.generation), events)
                job.before[name] = _state(row)
                job.applied += len(events)
                row.position = batch.end
                self._caches(name).keep(row.position, row.generation)
        return job

    def _commit(self, job: _Job) -> int:
        with self._engine.begin() as conn:
            # As in the runner: a crash may lose the last commits, but rows and positions together.
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            locked = read_rows(conn, job.before, lock=True)
            for name, expected in job.before.items():
                if name not in locked or _state(locked[name]) != expected:
                    raise Conflict(name)
            run_writes(conn, job.writes)
            conn.execute(update(tracking).where(tracking.c.name.in_(list(job.before))).values(position=job.end))
        return job.applied

    def _wait(self) -> tuple[int, bool]:
        future, self._inflight = self._inflight, None
        if future is None:
            return 0, False
        try:
            return future.result(), False
        except Conflict:
            self._clear()
            return 0, True
        except BaseException:
            self._clear()
            raise

    def _clear(self) -> None:
        for name in self._rows:
            self._caches(name).clear()
