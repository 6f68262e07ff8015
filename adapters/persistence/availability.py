"""Is the database unavailable, and has it just gone away or come back?

One classifier for every door (REST, GraphQL, background workers), so a database outage is told
apart from a bug the same way everywhere. An outage surfaces as many exception types: SQLAlchemy's
`OperationalError`/`InterfaceError`, a pool timeout, psycopg2's own errors from the recorder's raw
cursor, SQLite's "unable to open database file", the eventsourcing library's wrappers around any of
these, each possibly the `__cause__` of another. `availability_of` walks that chain and answers
"unreachable" (the database cannot be reached: refused, dropped, shutting down, missing) or "busy"
(it answered but could not serve this request now: locked, deadlocked, timed out, no free
connection). Both are worth a retry, so both are 503 + Retry-After to a client, never 500.

`AvailabilityMonitor` keeps the log readable during an outage: one WARNING when the database
becomes unreachable, one when it is reachable again (with the outage's duration and how many
requests were refused meanwhile), instead of a traceback per request. Busy refusals are summed into
at most one line a minute. `watch(engine)` marks the database reachable again on the first
successful pool checkout (after `pool_pre_ping`), so the recovery line appears with the first
request that gets through, not after some timer.

The lines carry the driver's first message line only (no SQL, no parameters), with credentials in
URLs and mobile numbers masked.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Literal

import psycopg2
import psycopg2.errors
import sqlalchemy.exc
from eventsourcing import persistence as es
from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger("ledger.availability")

Availability = Literal["unreachable", "busy"]

# SQLite reports both outages and programming errors ("no such table") as OperationalError: only
# these messages mean the file cannot be used right now.
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error", "database or disk is full")
_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")
# PostgreSQL SQLSTATEs of an OperationalError that mean "not now" rather than "not there".
_PG_BUSY_CLASSES = ("40",)  # transaction rollback: deadlock, serialization failure
_PG_BUSY_CODES = {"55P03", "57014", "53300"}  # lock not available, statement timeout, too many connections
_MAX_CHAIN = 16


def availability_of(error: BaseException) -> Availability | None:
    """"unreachable", "busy", or None when `error` (or anything in its cause chain) is not a
    database availability problem."""
    return _decide(error)[0]


def _decide(error: BaseException) -> tuple[Availability | None, BaseException]:
    """The verdict and the exception in the chain that gave it (the one worth quoting)."""
    if isinstance(error, BaseExceptionGroup):  # e.g. from a task group: any member decides
        verdicts = [_decide(e) for e in error.exceptions]
        return next((v for v in verdicts if v[0] == "unreachable"), next((v for v in verdicts if v[0]), (None, error)))
    seen: set[int] = set()
    current: BaseException | None = error
    found: tuple[Availability | None, BaseException] = (None, error)
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        kind = _own_availability(current)
        if kind == "unreachable":
            return kind, current
        if kind is not None and found[0] is None:
            found = (kind, current)
        current = _next_in_chain(current)
    return found


def is_database_unavailable(error: BaseException) -> bool:
    """True if `error` means the database cannot serve the request now (answer 503, retry later)."""
    return availability_of(error) is not None


def _next_in_chain(error: BaseException) -> BaseException | None:
    if isinstance(error, sqlalchemy.exc.DBAPIError) and isinstance(error.orig, BaseException):
        return error.orig
    if error.__cause__ is not None:
        return error.__cause__
    if not error.__suppress_context__:
        return error.__context__
    # The eventsourcing wrappers keep the original as their first argument as well.
    first = error.args[0] if error.args else None
    return first if isinstance(first, BaseException) else None


def _own_availability(error: BaseException) -> Availability | None:
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        if any(m in message for m in _SQLITE_UNREACHABLE):
            return "unreachable"
        return "busy" if any(m in message for m in _SQLITE_BUSY) else None
    if isinstance(error, psycopg2.OperationalError):
        code = error.pgcode or ""
        return "busy" if code[:2] in _PG_BUSY_CLASSES or code in _PG_BUSY_CODES else "unreachable"
    if isinstance(error, psycopg2.InterfaceError):  # "connection already closed"
        return "unreachable"
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return "unreachable"
    if isinstance(error, sqlalchemy.exc.DisconnectionError):
        return "unreachable"
    if isinstance(error, sqlalchemy.exc.TimeoutError):  # no pooled connection became free in time
        return "busy"
    if isinstance(error, es.OperationalError | es.InterfaceError) and not _wraps_exception(error):
        return "unreachable"  # raised by a recorder directly, with only a message
    return None


def _wraps_exception(error: BaseException) -> bool:
    return error.__cause__ is not None or any(isinstance(a, BaseException) for a in error.args)


# -- masking --------------------------------------------------------------------------------------

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]*)@")
_PASSWORD_PARAM = re.compile(r"(?i)(password\s*=\s*)('[^']*'|\S+)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask(text: str) -> str:
    """Hide the password of any URL or `password=` connection parameter and the middle of mobile
    numbers (138****8000), so a log line can be shared as it is."""
    text = _URL_CREDENTIALS.sub(r"\g<scheme>\g<user>:***@", text)
    text = _PASSWORD_PARAM.sub(r"\g<1>***", text)
    return _MOBILE.sub(r"\1****\2", text)


def describe(error: BaseException) -> str:
    """The deciding database error in one masked line: its type and the driver's first message
    line (SQLAlchemy's text adds the statement and its parameters on later lines; they are left
    out)."""
    _, deciding = _decide(error)
    if isinstance(deciding, sqlalchemy.exc.DBAPIError) and isinstance(deciding.orig, BaseException):
        deciding = deciding.orig
    first_line = next((line.strip() for line in str(deciding).splitlines() if line.strip()), "")
    return mask(f"{type(deciding).__name__}: {first_line}"[:300])


# -- monitor --------------------------------------------------------------------------------------


class AvailabilityMonitor:
    """The database's state as one component (`name`) sees it, logged on change only.

    `refused(error)` for each request (or retry) turned away by an availability error;
    `reachable()` whenever the database answered. Thread-safe and cheap on the success path (one
    attribute read), so it can sit on every pool checkout.
    """

    def __init__(
        self,
        name: str = "api",
        *,
        database: str | None = None,
        what: str = "requests refused with 503",
        busy_interval: float = 60.0,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.database = mask(database) if database else "the database"
        self.what = what
        self.busy_interval = busy_interval
        self._log = logger or log
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._refused_in_outage = 0
        self._busy_since: float | None = None
        self._busy_refused = 0
        self.refused_total = 0
        self.outages = 0

    @property
    def is_reachable(self) -> bool:
        return self._down_since is None

    def refused(self, error: BaseException) -> Availability | None:
        """Count a refusal caused by `error`; log the first one of an outage. Returns the kind, or
        None (nothing counted) if `error` is not an availability error."""
        kind = availability_of(error)
        if kind is None:
            return None
        with self._lock:
            self.refused_total += 1
            if kind == "unreachable" or self._down_since is not None:
                self._refused_in_outage += 1
                if self._down_since is None:
                    self._down_since = self._clock()
                    self.outages += 1
                    self._log.warning("database unreachable (%s, %s): %s; %s until it is back",
                                      self.name, self.database, describe(error), self.what)
                return kind
            self._busy_refused += 1
            now = self._clock()
            first = self._busy_since is None
            if not first and now - self._busy_since < self.busy_interval:  # type: ignore[operator]
                return kind
            since = now - (self._busy_since or now)
            count, self._busy_refused, self._busy_since = self._busy_refused, 0, now
        if first:
            self._log.warning("database busy (%s, %s): %s; %s (summed up at most once every %.0f s)",
                              self.name, self.database, describe(error), self.what, self.busy_interval)
        else:
            self._log.warning("database busy (%s, %s): %s; %d %s in the last %.0f s",
                              self.name, self.database, describe(error), count, self.what, since)
        return kind

    def reachable(self) -> None:
        """The database answered: if it was unreachable, log the recovery once."""
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            seconds = self._clock() - self._down_since
            count, self._refused_in_outage, self._down_since = self._refused_in_outage, 0, None
        self._log.warning("database reachable again (%s, %s) after %.1f s; %d %s meanwhile",
                          self.name, self.database, seconds, count, self.what)

    def watch(self, engine: Engine) -> AvailabilityMonitor:
        """Call `reachable()` on every successful checkout from `engine`'s pool (after its
        pre-ping, if configured): the first connection that works ends the outage."""
        event.listen(engine, "checkout", lambda *_: self.reachable())
        _quiet_resets_of_dead_connections(engine)
        return self


class _DeadConnectionResetFilter(logging.Filter):
    """SQLAlchemy's pool logs an ERROR with a traceback when it cannot roll back a connection being
    returned, which happens to every connection the server closed between its last statement and
    its return (a restart, a killed session). The pool discards that connection anyway and the
    outage is reported by the monitors, so those records are dropped; any other reset error stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (record.msg == "Exception during reset or similar" and error is not None
                    and availability_of(error) == "unreachable")


def _quiet_resets_of_dead_connections(engine: Engine) -> None:
    logger = getattr(engine.pool, "logger", None)
    logger = getattr(logger, "logger", logger)  # an echoing pool wraps its logger
    if isinstance(logger, logging.Logger) and not any(isinstance(f, _DeadConnectionResetFilter) for f in logger.filters):
        logger.addFilter(_DeadConnectionResetFilter())
