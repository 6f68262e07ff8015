"""How the runner pulls batches of decoded events off the log.

By default the runner reads in turn: read and decode a batch, apply it, read the next. On
PostgreSQL it can instead read ahead in a thread (`ProjectionRunner(read_ahead=True)`): decoding
then runs while the database executes the previous batch's statements (the queue holds at most
PREFETCH batches). Since decoding got cheap (projections/decoding.py) that no longer pays: the two
threads contend for the GIL at every database round trip of the applying thread, and on the
project's 2-core machine reading ahead measured equal or slower (1M events, three projections:
12.1k vs 12.4k events/s) for ~13 % more CPU. Both yield batches until one reaches the head seen.

Catch-up also runs the cyclic garbage collector less often (`fewer_collections`): a batch
allocates a few hundred thousand short-lived, acyclic objects (decoded events, row dicts), all
freed by reference counting, and with the default threshold (700 allocations) the collector ran
thousands of times per batch and cost about a third of catch-up time.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.engine import Engine

from projections.decoding import catch_up_decoder

PREFETCH = 2
Decoded = list[tuple[int, str, Any]]  # (position, topic, event)


class _Stored(NamedTuple):
    """What the mapper reads from a stored event (a cheaper object than the library's frozen
    dataclasses, built once per event)."""

    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Undecodable:
    """Stands for an event the mapper could not decode, when reading tolerantly (the failure
    policy, projections/failures.py, records it instead of applying it)."""

    error: Exception


def _tolerant(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def attempt(stored: Any) -> Any:
        try:
            return decode(stored)
        except Exception as error:  # noqa: BLE001 - kept for the caller to record
            return Undecodable(error)

    return attempt


class LogReader:
    """Reads the notification log and decodes it with the ledger's own mapper.

    On PostgreSQL with the SQLAlchemy recorder the rows are fetched with one plain statement on a
    connection of the projections' engine (same database): the recorder's `select_notifications`
    builds a Notification dataclass per row and its ORM/Core row processing cost about as much as
    the database did. Every event is still decoded by the ledger's mapper (transcoder, upcasting,
    id conversion; with orjson under its transcoder when installed, and without the attributes
    the caller omits: projections/decoding.py). Other databases and recorders use
    `select_notifications`.
    """

    def __init__(self, recorder: Any, mapper: Any, engine: Engine) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self._decoders: dict[frozenset[str], Callable[[Any], Any]] = {}
        self._engine = engine
        table = getattr(getattr(recorder, "events_record_cls", None), "__table__", None)
        self._table = None
        if engine.dialect.name == "postgresql" and table is not None:
            self._table = engine.dialect.identifier_preparer.format_table(table)

    def head(self) -> int:
        return self._recorder.max_notification_id() or 0

    def decoder(self, omit: frozenset[str] = frozenset()) -> Callable[[Any], Any]:
        found = self._decoders.get(omit)
        if found is None:
            found = self._decoders[omit] = catch_up_decoder(self._mapper, omit)
        return found

    def read(
        self, start: int, stop: int, limit: int, topics: Sequence[str], omit: frozenset[str] = frozenset(),
        *, tolerant: bool = False,
    ) -> Decoded:
        """Events with start < position <= stop (of `topics`, if any), at most `limit`, decoded
        (without the attributes in `omit`, see projections/decoding.py). `tolerant`: an event that
        cannot be decoded is returned as `Undecodable` instead of failing the read."""
        decode = _tolerant(self.decoder(omit)) if tolerant else self.decoder(omit)
        if self._table is None:
            notes = self._recorder.select_notifications(
                start=start, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
            )
            return [(n.id, n.topic, decode(n)) for n in notes]
        where = "id > %s AND id <= %s" + (" AND topic = ANY(%s)" if topics else "")
        sql = f"SELECT id, originator_id, originator_version, topic, state FROM {self._table} WHERE {where} ORDER BY id LIMIT %s"
        params: tuple[Any, ...] = (start, stop, list(topics), limit) if topics else (start, stop, limit)
        with self._engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        return [(i, topic, decode(_Stored(oid, version, topic, bytes(state)))) for i, oid, version, topic, state in rows]


@dataclass
class Batch:
    start: int  # events after this position ...
    decoded: Decoded
    end: int  # ... up to and including this one (the tracking position after the batch)
    head: int  # the log's head when it was read

    @property
    def last(self) -> bool:
        return self.end >= self.head


Read = Callable[[int], Batch]


def read_in_turn(read: Read, start: int, stop: threading.Event | None) -> Generator[Batch, None, None]:
    while stop is None or not stop.is_set():
        batch = read(start)
        if batch.end > batch.start:
            yield batch
        if batch.last:
            return
        start = batch.end


def read_ahead(read: Read, start: int, stop: threading.Event | None) -> Generator[Batch, None, None]:
    ahead: queue.Queue[Batch | BaseException] = queue.Queue(maxsize=PREFETCH)
    cancel = threading.Event()

    def reader(position: int) -> None:
        try:
            while not cancel.is_set() and (stop is None or not stop.is_set()):
                batch = read(position)
                _put(ahead, batch, cancel)
                if batch.last:
                    return
                position = batch.end
            _put(ahead, Batch(position, [], position, position), cancel)  # stopped: end here
        except BaseException as error:  # noqa: BLE001 - re-raised in the consumer
            _put(ahead, error, cancel)

    thread = threading.Thread(target=reader, args=(start,), name="projection-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ahead.get()
            if isinstance(item, BaseException):
                raise item
            if item.end > item.start:
                yield item
            if item.last:
                return
    finally:
        cancel.set()
        thread.join()


def _put(target: queue.Queue, item: Any, cancel: threading.Event) -> None:
    while not cancel.is_set():
        try:
            target.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


_gc_lock = threading.Lock()
_relaxed = 0  # catch-ups running in this process (they share the collector's threshold)
_saved_threshold = gc.get_threshold()


@contextmanager
def fewer_collections(threshold: int = 20_000) -> Iterator[None]:
    global _relaxed, _saved_threshold
    with _gc_lock:
        if _relaxed == 0:
            _saved_threshold = gc.get_threshold()
            gc.set_threshold(max(_saved_threshold[0], threshold), *_saved_threshold[1:])
        _relaxed += 1
    try:
        yield
    finally:
        with _gc_lock:
            _relaxed -= 1
            if _relaxed == 0:
                gc.set_threshold(*_saved_threshold)
