"""The failure policy: an event a projection cannot apply is retried, then set aside and recorded,
so one bad event never halts the read models for good.

Read models must be total: whatever an event in the log says, the projections get past it.
Values a database cannot store are made storable (projections/storable.py); what remains is an
event a projection's fold raises on (say, a level no counter exists for, written by a bug or by
hand) or whose rows the database still refuses (a cut value colliding in a unique column).

The policy (projections/runner.py carries it out):
1. A catch-up that fails because of the events (`event_at_fault`) is tried again, `attempts`
   times in all (3 by default, waiting 0.5 s, then 1 s). Errors of the database itself
   (unreachable, connection lost, deadlock, lock timeout, table missing) are not the events'
   fault: they are raised as before and the worker retries them with backoff for as long as
   it takes, and set nothing aside.
2. Then each projection of the catch-up applies its next batch on its own, in one transaction,
   bisecting with savepoints: the events that fail alone are recorded here (projection,
   generation, position, topic, error) and skipped by that projection only; every other event
   is applied, by every projection, and the positions advance past the bad ones.
3. Each set-aside event is logged once, in one line at ERROR, and counted in `/healthz`
   (`read_models.<name>.failed_events`) and `ledger projections status --json`.

A recorded failure belongs to a generation of tables: a rebuild (after fixing the fold and
bumping the projection's version) applies every event again, and the failures of the retired
generation are deleted with its tables.
"""

from __future__ import annotations

import traceback
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from projections import storable
from projections.schema import failures
from projections.tracking import REBUILD_SUFFIX, TrackingRow

ERROR_TEXT = 2000  # characters of an error kept

# PEP 249 exception names (the DBAPI's and SQLAlchemy's wrappers alike carry them in their MRO).
_ROW_ERRORS = {"DataError", "IntegrityError"}  # the database refused these values
_DATABASE_ERRORS = {"DatabaseError", "InterfaceError"}  # every other DBAPI error: the database's
_PACKAGES = {"projections", "domain", "adapters", "schedulers", "api", "eventsourcing", "sqlalchemy"}


def event_at_fault(error: BaseException) -> bool:
    """Whether applying the same events again fails the same way (the events', or the fold's,
    fault) rather than because of the database (worth waiting for, never worth skipping for).

    The events: any error raised by decoding or folding (KeyError, ValueError, TypeError, ...,
    including a driver refusing a value before sending it), and the database refusing values
    (DataError, IntegrityError). The database: every other DBAPI error (OperationalError covers
    lost connections, deadlocks and lock timeouts; ProgrammingError a missing table), raised
    by the driver itself (our COPY path) or wrapped by SQLAlchemy, and SQLAlchemy's own errors
    (pool timeout, closed connection)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & _ROW_ERRORS:
        return True
    if names & _DATABASE_ERRORS:
        return False
    if isinstance(error, SQLAlchemyError):
        orig = getattr(error, "orig", None)  # a StatementError wrapping a Python error
        return orig is not None and event_at_fault(orig)
    return isinstance(error, Exception) and not isinstance(error, (OSError, MemoryError))


def describe(error: BaseException) -> str:
    """One line: the error and where it was raised ("KeyError: 9 (projections/register/fold.py:214
    in risk_identified)")."""
    text = f"{type(error).__name__}: {' '.join(str(error).split())}"
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        text += f" ({_relative(last.filename)}:{last.lineno} in {last.name})"
    return storable.text(text)[:ERROR_TEXT]


def _relative(path: str) -> str:
    """A source path from its package on ("projections/register/fold.py"), else the file name."""
    parts = Path(path).parts
    for i, part in enumerate(parts):
        if part in _PACKAGES:
            return "/".join(parts[i:])
    return Path(path).name


def record(conn: Connection, projection: str, generation: int, position: int, topic: str, error: BaseException) -> None:
    """Record that `projection` skipped the event at `position` in its tables of `generation`
    (in the caller's transaction, with the position that moves past it)."""
    values = {
        "projection": projection.removesuffix(REBUILD_SUFFIX), "generation": generation, "position": position,
        "topic": storable.text(topic), "error": describe(error), "recorded_at": datetime.now(UTC),
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(failures).values(**values).on_conflict_do_nothing())


def counts(conn: Connection, rows: Mapping[str, TrackingRow]) -> dict[str, int]:
    """Events each projection's live tables lack because they were set aside (by tracking row)."""
    if not rows:
        return {}
    found = conn.execute(
        select(failures.c.projection, failures.c.generation, func.count())
        .group_by(failures.c.projection, failures.c.generation)
    ).all()
    by_generation = {(name, generation): n for name, generation, n in found}
    return {name: by_generation.get((name, row.generation), 0) for name, row in rows.items()}


def listed(conn: Connection, projection: str, generation: int) -> list[dict[str, object]]:
    """The failures recorded for one generation of a projection's tables, in log order."""
    query = (
        select(failures).where(failures.c.projection == projection, failures.c.generation == generation)
        .order_by(failures.c.position)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def forget(conn: Connection, projection: str, generations: Collection[int] | None = None, *, keep: Collection[int] = ()) -> None:
    """Delete the failures of `generations` of a projection (all but `keep` when None): their
    tables are gone, or about to be made afresh."""
    condition = failures.c.projection == projection
    if generations is not None:
        condition &= failures.c.generation.in_(list(generations))
    elif keep:
        condition &= failures.c.generation.not_in(list(keep))
    conn.execute(delete(failures).where(condition))
