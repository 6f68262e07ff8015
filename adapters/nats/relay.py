"""Copy the ledger's notification log to a JetStream stream: the notification log is the outbox.

The relay follows the log from its own tracking row (`relay_tracking`, one row per relay name) and
publishes every event, in log order, to `<prefix>.<aggregate>.<event>` (docs/events.md). Its
tracking row only moves after JetStream acknowledged the events up to that position, so a crash,
a broker outage or a lost connection can only make it publish an event again, never skip one.

Three server-side guarantees keep the stream an exact, ordered copy of the log:

- `Nats-Msg-Id: ledger:<position>`: JetStream drops a re-published event within the stream's
  duplicate window and answers with a duplicate PubAck.
- `Nats-Expected-Last-Msg-Id: ledger:<previous position>` (`Nats-Expected-Last-Sequence: 0` for the
  very first event): JetStream stores an event only directly after its predecessor. A publish that
  failed therefore fails every later one of the batch, so the stream never has a gap or an event out
  of order, even if the connection dropped half-way through a pipelined batch. The duplicate check
  runs first, so re-publishes within the window are still answered as duplicates.
- When that expectation fails at the start of a batch, the stream and the tracking row disagree
  (a re-publish after the duplicate window, a stream that was deleted and re-created, a broker that
  lost unsynced messages): the relay reads the stream's last event and resumes right after it, after
  checking that it is this ledger's event at that position. A new empty stream is filled from the
  start; a purged one continues from the tracking row.

Publishes are pipelined (a whole batch in flight, acks collected on one reply inbox, like
`js.publish_async`, whose nats-py 2.16 version never completes the future of a rejected publish) on
a connection that does not reconnect by itself: on any NATS error the relay closes it, waits
(exponential backoff) and reconnects, resuming from the tracking row.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any

import nats
from eventsourcing.application import Application
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from adapters.nats import payload
from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.persistence.availability import AvailabilityMonitor
from adapters.persistence.tables import create_missing, relay_tracking

log = logging.getLogger(__name__)

# JetStream's answers when a publish expectation does not hold.
WRONG_LAST_MSG_ID = 10070
WRONG_LAST_SEQUENCE = 10071


class RelayError(Exception):
    """A batch was not (completely) acknowledged; the relay retries from its tracking row."""


class RelayStuck(RelayError):
    """The stream and the ledger disagree in a way only an operator can settle (see docs/events.md)."""


class PublishRejected(RelayError):
    """JetStream answered a publish with an error (e.g. 10070: not directly after its predecessor)."""

    def __init__(self, code: int, err_code: int, description: str) -> None:
        super().__init__(f"JetStream refused the publish: {code} {err_code} {description}")
        self.code = code
        self.err_code = err_code
        self.description = description


class NoStream(RelayError):
    """Nothing answered the publish: no stream captures the subject (deleted?) or JetStream is off."""


class _Acks:
    """Futures for the PubAcks of pipelined publishes, resolved from one wildcard reply inbox."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._futures: dict[str, asyncio.Future] = {}
        self._batch = 0

    def new_batch(self) -> None:
        for future in self._futures.values():  # replies that never came; nobody waits for them any more
            future.cancel()
        self._futures.clear()
        self._batch += 1

    def expect(self, position: int) -> tuple[str, asyncio.Future]:
        token = f"{self._batch}-{position}"
        future = asyncio.get_running_loop().create_future()
        self._futures[token] = future
        return f"{self.prefix}.{token}", future

    async def on_reply(self, msg: Any) -> None:
        future = self._futures.pop(msg.subject[len(self.prefix) + 1:], None)
        if future is None or future.done():
            return
        if msg.headers and msg.headers.get("Status") == "503":
            future.set_exception(NoStream("no responders: no stream captures the subject"))
            return
        try:
            answer = json.loads(msg.data)
        except ValueError as error:
            future.set_exception(RelayError(f"unreadable PubAck {msg.data[:200]!r}: {error}"))
            return
        if "error" in answer:
            e = answer["error"]
            future.set_exception(PublishRejected(e.get("code", 0), e.get("err_code", 0), e.get("description", "")))
        else:
            future.set_result(answer)


@dataclass(frozen=True)
class _Message:
    position: int
    subject: str
    data: bytes
    headers: dict[str, str]


class NatsRelay:
    """Relays the ledger's notification log to JetStream, at least once, de-duplicated by position."""

    def __init__(
        self,
        ledger: Application,
        engine: Engine,
        nats_url: str,
        stream: str = "LEDGER",
        subject_prefix: str = "ledger",
        name: str = "nats",
        *,
        batch_size: int = 500,
        poll_interval: float = 0.2,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        ack_timeout: float = 5.0,
        connect_timeout: float = 2.0,
        duplicate_window: float = 300.0,
        exclusive: bool = True,
        standby_interval: float = 2.0,
    ) -> None:
        """`exclusive`: on PostgreSQL, relay only while holding an advisory lock on the relay's name,
        so every process of a deployment may run one and only one publishes (the others stand by).
        `duplicate_window` (seconds) applies only when the relay creates the stream."""
        self._ledger = ledger
        self._engine = engine
        self.nats_url = nats_url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.name = name
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.ack_timeout = ack_timeout
        self.connect_timeout = connect_timeout
        self.duplicate_window = duplicate_window
        self.exclusive = exclusive
        self.standby_interval = standby_interval
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._closed: asyncio.Event | None = None
        self._acks: _Acks | None = None
        self._prefetched: tuple[int, int, asyncio.Task] | None = None  # (after position, limit, batch)
        self._expect_sequence: int | None = None  # chain the next first publish to this stream sequence
        self._table_ready = False
        self._table_lock = threading.Lock()
        self._lock = AdvisoryLock(engine, f"ledger-relay:{name}")
        # A database outage is logged when it starts and when it ends, not once per retry.
        self.availability = AvailabilityMonitor(f"relay {name}", database=str(engine.url), what="attempts failed")
        # Counters, for status() and tests.
        self.published = 0    # events acknowledged as newly stored
        self.duplicates = 0   # events acknowledged as already stored (re-publishes)
        self.failures = 0     # failed attempts (connect, publish or acknowledgement)
        self.resyncs = 0      # times the tracking row was moved to the stream's last event
        self.last_error: str | None = None

    # ------------------------------------------------------------------ public API

    async def relay_once(self, limit: int | None = None) -> int:
        """Publish the next batch (up to `limit` events after the tracking position), wait for every
        acknowledgement, then advance the tracking row. Returns the number of events acknowledged;
        0 when caught up. Raises on a NATS error (the acknowledged prefix is still tracked)."""
        limit = limit or self.batch_size
        try:
            js = await self._connected()
            for attempt in range(2):
                position, batch = await self._next_batch(limit)
                if not batch:
                    return 0
                acked, error = await self._publish(position, batch, limit)
                if acked > position:
                    await asyncio.to_thread(self._advance, acked)
                if error is None:
                    return len(batch)
                if acked == position and _is_broken_chain(error) and attempt == 0:
                    await self._resync(js, position)
                    continue
                raise RelayError(f"stream {self.stream}: publishing after position {acked} failed: {error!r}") from error
            raise RelayStuck(f"stream {self.stream}: still out of step with the ledger after re-synchronising")
        except BaseException:
            await self._drop_connection()  # the next attempt starts on a fresh connection
            raise

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set: batches back to back while behind, then poll every
        `poll_interval`. On errors: log, drop the connection, retry with exponential backoff
        (`backoff_initial` doubling up to `backoff_max`) from the tracking row. Closes on exit."""
        delay = self.backoff_initial
        failed = 0
        try:
            if not await self._lead(stop):
                return
            while not stop.is_set():
                try:
                    count = await self.relay_once()
                except Exception as error:  # noqa: BLE001 - any failure: retry from the tracking row
                    failed += 1
                    self.failures += 1
                    self.last_error = repr(error)
                    if self.availability.refused(error) is not None:
                        pass  # the database is unavailable: the monitor logged it once
                    elif isinstance(error, RelayStuck):
                        log.error("relay %s: %s (attempt %d; retrying in %.1f s)", self.name, error, failed, delay)
                    else:
                        log.warning("relay %s: %r (attempt %d; retrying in %.1f s)", self.name, error, failed, delay)
                    await self._drop_connection()
                    await _wait(stop, delay)
                    delay = min(delay * 2, self.backoff_max)
                    continue
                self.availability.reachable()
                if failed:
                    log.info("relay %s: publishing again after %d failed attempt(s)", self.name, failed)
                    failed, delay = 0, self.backoff_initial
                if count < self.batch_size:
                    await _wait(stop, self.poll_interval)
        finally:
            await self.close()

    def status(self) -> dict[str, int]:
        """`position`: last event JetStream acknowledged; `head`: last event in the ledger;
        `lag`: head - position (positions, not events: the log may skip ids)."""
        position = self.position()
        head = self._ledger.recorder.max_notification_id() or 0
        return {"position": position, "head": head, "lag": max(0, head - position)}

    def position(self) -> int:
        self._ensure_table()
        with self._engine.connect() as conn:
            found = conn.execute(select(relay_tracking.c.position).where(relay_tracking.c.name == self.name)).scalar()
        return int(found or 0)

    def set_position(self, position: int) -> None:
        """Move the tracking row (e.g. to the head after purging the stream, to start it "from now";
        tests: to simulate a crash). The relay re-aligns with the stream if they then disagree."""
        self._ensure_table()
        with self._engine.begin() as conn:
            self._upsert(conn, position, keep_greater=False)

    async def close(self) -> None:
        """Drain the connection (pending acks are delivered first) and release the leader lock."""
        if self._prefetched is not None:
            _forget(self._prefetched[2])
            self._prefetched = None
        nc, self._nc, self._js, self._acks = self._nc, None, None, None
        if nc is not None and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.drain(), timeout=self.ack_timeout)
            except Exception:  # noqa: BLE001
                await _close_quietly(nc)
        if self._lock.held and self._lock.applies:
            await asyncio.to_thread(self._lock.release)

    # ------------------------------------------------------------------ NATS

    async def _connected(self) -> JetStreamContext:
        if self._nc is not None and self._nc.is_connected and self._js is not None:
            return self._js
        await self._drop_connection()
        closed = asyncio.Event()

        async def on_error(error: Exception) -> None:
            log.debug("relay %s: nats error %r", self.name, error)

        async def on_gone() -> None:
            closed.set()

        nc = await asyncio.wait_for(
            nats.connect(
                self.nats_url,
                name=f"ledger-relay-{self.name}",
                allow_reconnect=False,        # the relay reconnects itself, from its tracking row
                max_reconnect_attempts=1,     # (with 0, nats-py would retry the first connect forever)
                reconnect_time_wait=0,
                connect_timeout=self.connect_timeout,
                error_cb=on_error,
                disconnected_cb=on_gone,
                closed_cb=on_gone,
            ),
            timeout=4 * self.connect_timeout,
        )
        try:
            js = nc.jetstream(timeout=self.ack_timeout)
            await self._ensure_stream(js)
            acks = _Acks(nc.new_inbox())
            await nc.subscribe(f"{acks.prefix}.*", cb=acks.on_reply, pending_msgs_limit=-1, pending_bytes_limit=-1)
        except BaseException:
            await _close_quietly(nc)
            raise
        self._nc, self._js, self._closed, self._acks = nc, js, closed, acks
        log.info("relay %s: connected to %s, stream %s", self.name, self.nats_url, self.stream)
        return js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(StreamConfig(
                name=self.stream,
                subjects=[f"{self.subject_prefix}.>"],
                storage=StorageType.FILE,
                duplicate_window=self.duplicate_window,
                description="Events of the dual-prevention ledger, in log order (docs/events.md)",
            ))
            log.info("relay %s: created stream %s (subjects %s.>)", self.name, self.stream, self.subject_prefix)

    async def _drop_connection(self) -> None:
        nc, self._nc, self._js, self._acks = self._nc, None, None, None
        if nc is not None:
            await _close_quietly(nc)

    async def _publish(self, position: int, batch: list[_Message], limit: int) -> tuple[int, BaseException | None]:
        """Publish `batch` pipelined, each chained to its predecessor; wait for the acks. Returns the
        last position of the acknowledged prefix (or `position`) and the first error, if any.
        While the acks travel, the next batch is read and encoded (used if the tracking row then
        says that is where to continue)."""
        nc, acks = self._nc, self._acks
        assert nc is not None and acks is not None
        acks.new_batch()
        futures: list[asyncio.Future] = []
        publish_error: BaseException | None = None
        previous = position
        app = self._ledger.name
        expect_sequence, self._expect_sequence = self._expect_sequence, None
        try:
            for message in batch:
                headers = dict(message.headers)
                if expect_sequence is not None:  # the first event after a purge
                    headers[payload.EXPECTED_LAST_SEQUENCE] = str(expect_sequence)
                    expect_sequence = None
                elif previous:
                    headers[payload.EXPECTED_LAST_MSG_ID] = payload.msg_id(previous, app)
                else:
                    headers[payload.EXPECTED_LAST_SEQUENCE] = "0"
                reply, future = acks.expect(message.position)
                futures.append(future)
                await nc.publish(message.subject, message.data, reply=reply, headers=headers)
                previous = message.position
        except Exception as error:  # noqa: BLE001 - e.g. the connection closed under us
            publish_error = error
        if publish_error is None and len(batch) == limit:
            self._prefetch(batch[-1].position, limit)
        if futures:
            await self._wait_for_acks(futures)
        acked, error = position, None
        for message, future in zip(batch, futures):
            if not future.done():
                error = error or publish_error or TimeoutError(
                    f"no acknowledgement for position {message.position} within {self.ack_timeout} s")
                future.cancel()
            elif future.cancelled():
                error = error or RelayError(f"publish of position {message.position} was cancelled")
            elif future.exception() is not None:
                error = error or future.exception()
            elif error is None:
                if future.result().get("duplicate"):
                    self.duplicates += 1
                else:
                    self.published += 1
                acked = message.position
        if error is None and publish_error is not None:
            error = publish_error
        return acked, error

    async def _wait_for_acks(self, futures: list[asyncio.Future]) -> None:
        """Until every ack arrived, the connection is gone, or `ack_timeout` passed."""
        everything = asyncio.ensure_future(asyncio.wait(futures))
        waiters: set[asyncio.Future] = {everything}
        if self._closed is not None:
            waiters.add(asyncio.ensure_future(self._closed.wait()))
        try:
            await asyncio.wait(waiters, timeout=self.ack_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _resync(self, js: JetStreamContext, position: int) -> None:
        """The stream does not end where the tracking row says. Resume after its real last event;
        into a new empty stream, copy the whole log; into a purged one, continue from the tracking
        row (chained to the stream's last sequence instead of its last message id)."""
        state = (await js.stream_info(self.stream)).state
        if state.messages == 0 and state.last_seq == 0:
            target = 0
        elif state.messages == 0:
            target = position
            self._expect_sequence = state.last_seq
        else:
            try:
                last = await js.get_msg(self.stream, state.last_seq)
            except NotFoundError as error:
                raise RelayStuck(f"stream {self.stream}: its last message (sequence {state.last_seq}) is gone; "
                                 "delete the stream to have it filled again from the first event") from error
            target = payload.position_of_msg_id((last.headers or {}).get(payload.MSG_ID), self._ledger.name)
            if target is None:
                raise RelayStuck(f"the last message of stream {self.stream} is not a ledger event: {last.headers}")
            await asyncio.to_thread(self._check_same_event, target, last.data or b"")
        log.warning("relay %s: stream %s (%d messages, last sequence %d) does not end at position %d; resuming after %d",
                    self.name, self.stream, state.messages, state.last_seq, position, target)
        self.resyncs += 1
        await asyncio.to_thread(self.set_position, target)

    def _check_same_event(self, position: int, data: bytes) -> None:
        body = json.loads(data)
        found = self._ledger.recorder.select_notifications(position, 1)
        if not found or found[0].id != position:
            raise RelayStuck(f"stream {self.stream} ends at position {position}, which this ledger does not have "
                             "(a database restored from a backup, or another ledger's stream?); delete the stream "
                             "to have it filled again from the first event, or give the relay a new stream")
        n = found[0]
        if str(n.originator_id) != body.get("aggregate_id") or n.originator_version != body.get("version"):
            raise RelayStuck(f"stream {self.stream} holds another ledger's event at position {position}; delete the "
                             "stream to have it filled again from the first event, or give the relay a new stream")

    # ------------------------------------------------------------------ database

    async def _next_batch(self, limit: int) -> tuple[int, list[_Message]]:
        """The tracking position and the events after it, encoded."""
        position = await asyncio.to_thread(self.position)
        ahead, self._prefetched = self._prefetched, None
        if ahead is not None:
            start, size, task = ahead
            if start == position and size == limit:
                batch = await task
                if batch:
                    return position, batch
            else:
                _forget(task)
        return position, await asyncio.to_thread(self._read_batch, position, limit)

    def _prefetch(self, position: int, limit: int) -> None:
        if self._prefetched is not None:
            _forget(self._prefetched[2])
        self._prefetched = (position, limit, asyncio.ensure_future(asyncio.to_thread(self._read_batch, position, limit)))

    def _read_batch(self, position: int, limit: int) -> list[_Message]:
        notifications = self._ledger.recorder.select_notifications(position, limit, inclusive_of_start=False)
        app = self._ledger.name
        batch = []
        for n in notifications:
            body = payload.event_body(n, self._ledger.mapper.to_domain_event(n))
            batch.append(_Message(n.id, payload.subject_of(n.topic, self.subject_prefix), payload.encode(body),
                                  payload.headers_of(n, app)))
        return batch

    def _advance(self, position: int) -> None:
        with self._engine.begin() as conn:
            self._upsert(conn, position, keep_greater=True)

    def _upsert(self, conn: Connection, position: int, *, keep_greater: bool) -> None:
        dialect = conn.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(relay_tracking).values(name=self.name, position=position)
        new = statement.excluded.position
        if keep_greater:  # never move back because a slower relay of the same name finished later
            new = (func.greatest if dialect == "postgresql" else func.max)(relay_tracking.c.position, new)
        conn.execute(statement.on_conflict_do_update(index_elements=[relay_tracking.c.name], set_={"position": new}))

    def _ensure_table(self) -> None:
        """Create `relay_tracking` if needed (bootstrap's metadata.create_all normally did), safely
        when status() in one thread and a batch in another, or two processes, race to do it."""
        if self._table_ready:
            return
        with self._table_lock:
            if self._table_ready:
                return
            create_missing(self._engine, [relay_tracking])
            self._table_ready = True

    # ------------------------------------------------------------------ one active relay per name

    async def _lead(self, stop: asyncio.Event) -> bool:
        """Wait until this process may relay (always, unless exclusive on PostgreSQL)."""
        if not self.exclusive or self._engine.dialect.name != "postgresql":
            return True
        waiting = False
        while not stop.is_set():
            try:
                if await asyncio.to_thread(self._lock.try_acquire):
                    self.availability.reachable()
                    if waiting:
                        log.info("relay %s: took over", self.name)
                    return True
            except Exception as error:  # noqa: BLE001 - the database may be down; try again
                if self.availability.refused(error) is None:  # an outage is logged once, by the monitor
                    log.warning("relay %s: cannot take the relay lock: %r", self.name, error)
            if not waiting:
                log.info("relay %s: another process relays; standing by", self.name)
                waiting = True
            await _wait(stop, self.standby_interval)
        return False


def _forget(task: asyncio.Future) -> None:
    """Drop a prefetch nobody will use (and its error, if it failed)."""
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def _is_broken_chain(error: BaseException) -> bool:
    return isinstance(error, PublishRejected) and error.err_code in (WRONG_LAST_MSG_ID, WRONG_LAST_SEQUENCE)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def _close_quietly(nc: Client) -> None:
    try:
        await asyncio.wait_for(nc.close(), timeout=2)
    except Exception as error:  # noqa: BLE001 - it is being thrown away anyway
        log.debug("closing a NATS connection failed: %r", error)


def run_relay_forever(
    ledger: Application, engine: Engine, nats_url: str, *, stop: threading.Event | None = None, **options: Any
) -> None:
    """Run a NatsRelay in its own event loop until `stop` is set (from any thread) or, in the main
    thread, until SIGINT/SIGTERM. For a worker thread or a dedicated process."""

    async def main() -> None:
        relay = NatsRelay(ledger, engine, nats_url, **options)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, done.set)

        async def watch() -> None:
            while stop is not None and not stop.is_set():
                await asyncio.sleep(0.1)
            if stop is not None:
                done.set()

        watcher = asyncio.create_task(watch())
        try:
            await relay.run(done)
        finally:
            watcher.cancel()

    asyncio.run(main())
