"""eventsourcing-sqlalchemy's recorder with its hot paths on SQLAlchemy Core instead of the ORM.

The library builds an ORM object per stored event on every read and write; on this class of
machine that, not PostgreSQL, is what limits commands and catch-up. Same tables, same
transaction shape (the exclusive table lock and NOTIFY per insert transaction are kept exactly, so
the notification log stays gapless in commit order), only fewer Python objects.

Select it with PERSISTENCE_MODULE=adapters.persistence.lean_recorder (bootstrap does).

What the fast paths skip, compared to the library's recorder (the one list; keep it current):

- Every `insert_events`: a Core `INSERT ... RETURNING` inside the library's session transaction,
  not ORM records, so ORM events on the record classes do not fire. The transaction, its error
  translation, lock and NOTIFY are the library's.
- Reads outside a transaction on PostgreSQL (`select_notifications`, `select_events`): an
  autocommit connection, or for an aggregate's whole sequence (no `lte`, `desc`, `limit`) a bare
  psycopg2 cursor, not the datastore's transaction. So SQLAlchemy's or psycopg2's own exceptions
  can surface instead of `eventsourcing.persistence` ones (the cursor translates only integrity
  and operational errors; `adapters/persistence/availability.py` classifies them all), and a
  scoped session (SQLALCHEMY_SCOPED_SESSION_TOPIC, unused here) is not consulted. Inside a
  transaction they read in it, as the library does.
- `insert_events_single_trip` (the group committer's path when no command has an `on_recorded`
  hook): no session at all, so no hook can write in the same transaction and no tracking row can
  go with it (a process recorder needs `insert_events`). Its callers also bypass
  `Application.save`: no snapshots are taken and no `Application` hooks run on that path.

What they keep is held to the library's own recorder test cases, on both databases, by
tests/integration/test_recorder_contract.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg2
from eventsourcing.persistence import IntegrityError, Notification, OperationalError, StoredEvent
from psycopg2 import Binary
from functools import partial

import eventsourcing_sqlalchemy.factory
from eventsourcing.utils import Environment
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from eventsourcing_sqlalchemy.datastore import transactions
from sqlalchemy import Row, Select, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def _bytes(state: Any) -> bytes:
    return bytes(state) if isinstance(state, memoryview) else state


class LeanApplicationRecorder(SQLAlchemyApplicationRecorder):
    _autocommit_engine: Engine | None = None

    @property
    def _table(self):  # noqa: ANN202
        return self.events_record_cls.__table__

    def create_table(self) -> None:
        """Also index (topic, id): followers and registers select events by topic."""
        super().create_table()
        name = self._qualified_name
        with self.datastore.engine.begin() as conn:  # not an Index object: the Table is shared between datastores
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {self.events_table_name}_topic_idx ON {name} (topic, id)"))

    def _read(self, query: Select) -> list[Row]:
        """Run a read. Outside a transaction on PostgreSQL, use an autocommit connection: one round
        trip instead of BEGIN + SELECT + ROLLBACK (a single SELECT sees one consistent snapshot)."""
        engine = self.datastore.engine
        if transactions.get(None) is None and engine is not None and engine.dialect.name == "postgresql":
            if self._autocommit_engine is None:
                self._autocommit_engine = _autocommit(engine)
            with self._autocommit_engine.connect() as conn:
                return conn.execute(query).all()
        with self.transaction(commit=False) as session:
            return session.execute(query).all()

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        if lte is None and not desc and limit is None and self._is_postgres and transactions.get(None) is None:
            return self._select_events_raw(originator_id, gt)
        t = self._table
        query = select(t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state).where(
            t.c.originator_id == originator_id
        )
        if gt is not None:
            query = query.where(t.c.originator_version > gt)
        if lte is not None:
            query = query.where(t.c.originator_version <= lte)
        query = query.order_by(t.c.originator_version.desc() if desc else t.c.originator_version)
        if limit is not None:
            query = query.limit(limit)
        rows = self._read(query)
        return [StoredEvent(r[0], r[1], r[2], _bytes(r[3])) for r in rows]

    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        t = self._table
        values = [
            {"originator_id": e.originator_id, "originator_version": e.originator_version, "topic": e.topic, "state": e.state}
            for e in stored_events
        ]
        if self.datastore.engine.dialect.name == "postgresql":
            # The library's two statements in one round trip: the exclusive lock serialises insert
            # transactions so commit order equals notification order; NOTIFY (delivered at commit)
            # wakes subscribers.
            name = self._qualified_name
            session.execute(text(f"LOCK TABLE {name} IN EXCLUSIVE MODE; NOTIFY {self.channel_name}"))
        else:
            self._lock_table(session)
        ids: list[int] = []
        if values:
            result = session.execute(insert(t).returning(t.c.id, sort_by_parameter_order=True), values)
            ids = [row[0] for row in result]
        return ids

    @property
    def _qualified_name(self) -> str:
        return f"{self.schema_name}.{self.events_table_name}" if self.schema_name else self.events_table_name

    @contextmanager
    def _raw_cursor(self) -> Iterator[Any]:
        """A psycopg2 cursor on a pooled autocommit connection; driver errors become the
        library's persistence errors, as its own recorder's are."""
        if self._autocommit_engine is None:
            self._autocommit_engine = _autocommit(self.datastore.engine)
        with self._autocommit_engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                yield cursor
            except psycopg2.IntegrityError as error:
                raise IntegrityError(error) from error
            except psycopg2.OperationalError as error:
                if cursor.connection.closed:  # the server ended the session: keep it out of the pool
                    conn.invalidate()
                raise OperationalError(error) from error
            finally:
                cursor.close()

    @property
    def _is_postgres(self) -> bool:
        return self.datastore.engine is not None and self.datastore.engine.dialect.name == "postgresql"

    def _select_events_raw(self, originator_id: UUID | str, gt: int | None) -> list[StoredEvent]:
        """The repository's hot read (an aggregate's events after a version) as one prepared-shape
        query on a pooled DB-API connection: every command does it, and SQLAlchemy's statement
        machinery cost more than the query.

        No `gt` means no lower bound, as on the Core path: versions start where the aggregate
        class says (0 is allowed), so there is no "before the first version" to stand in for it."""
        sql = f"SELECT originator_version, topic, state FROM {self._qualified_name} WHERE originator_id = %s"
        params: tuple[Any, ...] = (str(originator_id),)
        if gt is not None:
            sql += " AND originator_version > %s"
            params += (gt,)
        with self._raw_cursor() as cursor:
            cursor.execute(sql + " ORDER BY originator_version", params)
            rows = cursor.fetchall()
        uid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
        return [StoredEvent(uid, r[0], r[1], _bytes(r[2])) for r in rows]

    @property
    def supports_single_trip_insert(self) -> bool:
        return self.datastore.engine is not None and self.datastore.engine.dialect.name == "postgresql"

    def insert_events_single_trip(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """Insert in one round trip: `LOCK; NOTIFY; INSERT ... RETURNING` sent as one simple query,
        which PostgreSQL runs as one implicit transaction and commits at its end.

        The same statements as the library's insert transaction, so the same ordering guarantee;
        but the writer needs the network (and, in Python, the GIL) once instead of five times, which
        is what limits a group-commit writer under load. Returns notification ids in input order.

        Nothing to insert is no statement at all (SQL has no empty VALUES list); it returns [], as
        `insert_events([])` does.
        """
        if not stored_events:
            return []
        name = self._qualified_name
        with self._raw_cursor() as cursor:
            rows = b",".join(
                cursor.mogrify("(%s,%s,%s,%s)", (str(e.originator_id), e.originator_version, e.topic, Binary(e.state)))
                for e in stored_events
            )
            cursor.execute(
                f"LOCK TABLE {name} IN EXCLUSIVE MODE; NOTIFY {self.channel_name}; ".encode()
                + f"INSERT INTO {name} (originator_id, originator_version, topic, state) VALUES ".encode()
                + rows + b" RETURNING id, originator_id, originator_version"
            )
            returned = {(str(r[1]), r[2]): r[0] for r in cursor.fetchall()}
        return [returned[(str(e.originator_id), e.originator_version)] for e in stored_events]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        t = self._table
        query = select(t.c.id, t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state)
        if start is not None:
            query = query.where(t.c.id >= start if inclusive_of_start else t.c.id > start)
        if stop is not None:
            query = query.where(t.c.id <= stop)
        if topics:
            query = query.where(t.c.topic.in_(topics))
        query = query.order_by(t.c.id).limit(limit)
        rows = self._read(query)
        return [Notification(id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=_bytes(r[4])) for r in rows]


def _autocommit(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class Factory(eventsourcing_sqlalchemy.factory.Factory):
    """Also sizes the connection pool (SQLALCHEMY_POOL_SIZE): SQLAlchemy's default of 5 (+10
    overflow connections that are closed when returned) made PostgreSQL fork a new backend for
    many commands under load. And checks each pooled connection before use (pool_pre_ping): after
    a database restart the pool holds dead connections, and without the check the first request
    on each of them failed."""

    application_recorder_class = LeanApplicationRecorder
    SQLALCHEMY_POOL_SIZE = "SQLALCHEMY_POOL_SIZE"

    def __init__(self, env: Environment) -> None:
        url = env.get(self.SQLALCHEMY_URL) or ""
        size = int(env.get(self.SQLALCHEMY_POOL_SIZE) or 0)
        options: dict[str, Any] = {"pool_pre_ping": True}
        if size and url.startswith("postgresql"):
            options.update(pool_size=size, max_overflow=size)
        self.datastore_class = partial(SQLAlchemyDatastore, **options)  # type: ignore[assignment]
        super().__init__(env)

    def close(self) -> None:
        """Release the pooled connections (the library's factory leaves them to the garbage collector)."""
        super().close()
        if self.datastore.engine is not None:
            self.datastore.engine.dispose()
