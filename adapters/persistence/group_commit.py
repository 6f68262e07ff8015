"""Group commit: many concurrent commands, one transaction, one answer each.

The event store takes an exclusive table lock per transaction to keep the notification log gapless
in commit order, which caps one-command-per-transaction writes at roughly 1 / commit latency. So
commands are decided concurrently in their request threads, then handed here: a single writer
thread saves everything that queued up while the previous transaction was committing, in one
transaction. If that batch fails (a concurrent writer in another process, a hook error) every
submission is retried alone, so each caller still gets its own IntegrityError (-> retry or 412) or
success. If it failed because the database is unreachable, every caller gets that error at once
(-> 503, nothing acknowledged): retrying each alone would only fail again, and log once per batch
for the length of the outage. The ordering guarantee is untouched: it is the library's own save path.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from adapters.persistence.availability import availability_of
from domain.shared.commands import CommandContext, Receipt

log = logging.getLogger("ledger.adapters.group_commit")


@dataclass
class _Submission:
    aggregate_id: Any
    version: int
    events: list[Any]  # StoredEvent, already encoded
    context: CommandContext
    future: Future = field(default_factory=Future)


class GroupCommitter:
    """A `Committer` that batches concurrent commits into one store transaction."""

    def __init__(self, app: Application, max_batch: int = 256, linger: float = 0.0) -> None:
        self._app = app
        self._max_batch = max_batch
        self._linger = linger  # seconds to wait for company after the first submission
        self._queue: queue.Queue[_Submission | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.commits = 0
        self.seconds_in_transactions = 0.0

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ledger-group-commit", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Finish every queued submission, then stop the writer (nothing accepted is dropped)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def commit(self, aggregate: Aggregate, context: CommandContext) -> Receipt:
        events = aggregate.collect_events()
        if not events:
            return Receipt(aggregate.id, aggregate.version, None)
        # Encode here, in the caller's thread: the writer is the one serial step, so it should do
        # nothing but talk to the database.
        stored = [self._app.mapper.to_stored_event(e) for e in events]
        submission = _Submission(aggregate.id, aggregate.version, stored, context)
        if self._thread is None:
            self._write([submission])  # not started (tools, tests): commit inline
        else:
            self._queue.put(submission)
        return submission.future.result()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            deadline = time.monotonic() + self._linger
            while len(batch) < self._max_batch:
                try:
                    wait = deadline - time.monotonic()
                    item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._write_batch(batch)

    def _write_batch(self, batch: list[_Submission]) -> None:
        """One aggregate appears once per transaction; a second command on it goes in the next."""
        while batch:
            seen: set[Any] = set()
            now, later = [], []
            for s in batch:
                (later if s.aggregate_id in seen else now).append(s)
                seen.add(s.aggregate_id)
            self._write(now)
            batch = later

    def _write(self, batch: list[_Submission]) -> None:
        try:
            receipts = self._save(batch)
        except Exception as error:  # noqa: BLE001 - answered per submission below
            if len(batch) == 1 or availability_of(error) == "unreachable":
                for submission in batch:
                    submission.future.set_exception(error)
                return
            log.info("group commit of %d failed (%s); retrying one by one", len(batch), type(error).__name__)
            for submission in batch:
                self._write([submission])
            return
        for submission, receipt in zip(batch, receipts, strict=True):
            submission.future.set_result(receipt)

    @staticmethod
    def _receipts(batch: list[_Submission], stored: list[Any], ids: Sequence[int]) -> list[Receipt]:
        positions = dict(zip((e.originator_id for e in stored), ids, strict=True))  # last one wins
        return [Receipt(s.aggregate_id, s.version, positions[s.aggregate_id]) for s in batch]

    def _save(self, batch: list[_Submission]) -> list[Receipt]:
        stored = [e for s in batch for e in s.events]
        started = time.perf_counter()
        recorder: Any = self._app.recorder
        hooks = any(s.context.on_recorded is not None for s in batch)
        if not hooks and getattr(recorder, "supports_single_trip_insert", False):
            ids = recorder.insert_events_single_trip(stored)
            receipts = self._receipts(batch, stored, ids)
        else:
            with recorder.transaction(commit=True) as session:
                ids = recorder.insert_events(stored, session=session)
                receipts = self._receipts(batch, stored, ids)
                for submission, receipt in zip(batch, receipts, strict=True):
                    if submission.context.on_recorded is not None:
                        submission.context.on_recorded(receipt, session)
        self.batches += 1
        self.commits += len(batch)
        self.seconds_in_transactions += time.perf_counter() - started
        return receipts
