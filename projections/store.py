"""What a projection reads and writes through while it applies a batch.

Two things make catch-up fast here, and both live behind this one object:

- A row cache across batches (`RowCache`). A projection loads the rows its batch refers to, folds
  the events into them and writes them back. Most of those rows were written by the previous few
  batches (an enterprise's risks and hazards move for weeks), so the runner keeps them, as this
  runner last wrote them, and only asks the database for the rest. The cache is valid only while
  the projection's tracking position is the one this runner committed last: the runner checks
  that under the tracking-row lock and clears the cache otherwise (another runner applied
  something), on any error, and when it grows past its limit.
- Prepared writes. On PostgreSQL a store can prepare its writes (statements and COPY text, the
  Python work) instead of running them, so a writer thread can run batch N's writes while the
  next batch is read, decoded and folded (projections/runner.py explains why that is safe).

Which tables are cached: those the projection reads back through `fetch` (the registers, the
drill-down facts, the risk-owner maps). Write-only tables (inspections, daily activity counters)
are never read and never cached. A cached table's written rows replace their cache entries, so
the cache holds the state after every batch prepared so far, including one whose writes are
still running: a row that is not cached was not written by it, and its committed state is current.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from projections import sql

DEFAULT_CACHE_ROWS = 50_000


class RowCache:
    """Rows of one projection's tables by primary key, as of tracking position `position`."""

    def __init__(self, limit: int = DEFAULT_CACHE_ROWS) -> None:
        self.limit = limit
        self.position: int | None = None  # None: nothing known; cleared
        self.generation: int | None = None
        self._tables: dict[str, dict[Any, dict[str, Any]]] = {}

    def table(self, name: str) -> dict[Any, dict[str, Any]] | None:
        return self._tables.get(name)

    def cached_table(self, name: str) -> dict[Any, dict[str, Any]]:
        return self._tables.setdefault(name, {})

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self._tables.values())

    @property
    def full(self) -> bool:
        return self.rows > self.limit

    def valid_at(self, position: int, generation: int) -> bool:
        return self.position == position and self.generation == generation

    def keep(self, position: int, generation: int) -> None:
        """The cache now reflects the tables at `position` (after a batch)."""
        self.position, self.generation = position, generation

    def clear(self) -> None:
        self._tables.clear()
        self.position = self.generation = None


class Store:
    """A projection's access to its tables for one batch.

    `conn` is where reads go (and writes, unless `prepared` is given, in which case PostgreSQL
    writes are appended to it as `sql.Write`s for the runner to run later). `cache` is optional."""

    def __init__(self, conn: Connection, cache: RowCache | None = None, prepared: list[sql.Write] | None = None) -> None:
        self.conn = conn
        self.cache = cache
        self.prepared = prepared
        self._pg = conn.dialect.name == "postgresql"

    # --- reads ------------------------------------------------------------------------------------

    def fetch(self, table: Table, key: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Rows whose `key` (the primary key) is in `ids`, keyed by it. The dicts are the cache's
        own: a projection that changes one must write it back in this batch."""
        wanted = set(ids)
        if self.cache is None:
            return sql.fetch_by_ids(self.conn, table, key, wanted)
        cached = self.cache.cached_table(table.name)
        found = {k: cached[k] for k in wanted if k in cached}
        missing = wanted.difference(found)
        if missing:
            loaded = sql.fetch_by_ids(self.conn, table, key, missing)
            cached.update(loaded)
            found.update(loaded)
        return found

    # --- writes -----------------------------------------------------------------------------------

    def insert_new(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        self._remember(table, rows)
        self._write(table, rows, sql.insert_new, sql.prepare_insert_new)

    def update_existing(self, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
        self._remember(table, rows, forget=bool(add))
        self._write(table, rows, sql.update_existing, sql.prepare_update_existing, add=add)

    def upsert(self, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
        self._remember(table, rows, forget=bool(add))
        self._write(table, rows, sql.upsert, sql.prepare_upsert, add=add)

    def insert_ignore(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        self._remember(table, rows, only_new=True)
        self._write(table, rows, sql.insert_ignore, sql.prepare_insert_ignore)

    def _write(self, table: Table, rows: Sequence[Mapping[str, Any]], run: Any, prepare: Any, **options: Any) -> None:
        if not rows:
            return
        if self.prepared is not None and self._pg:
            write = prepare(table, rows, **options)
            if write is not None:
                self.prepared.append(write)
        else:
            run(self.conn, table, rows, **options)

    def _remember(
        self, table: Table, rows: Sequence[Mapping[str, Any]], *, forget: bool = False, only_new: bool = False
    ) -> None:
        """Keep written rows in the cache of a table the projection reads back (see the module)."""
        cached = None if self.cache is None else self.cache.table(table.name)
        if cached is None or not rows:
            return
        keys = [c.name for c in table.primary_key.columns]
        if len(keys) != 1 or forget:
            # Clearing instead could drop rows a batch still being written needs (see the module).
            raise ValueError(f"{table.name} is read back through fetch(), so it must be written as whole rows")
        key = keys[0]
        for row in rows:
            if only_new:
                cached.setdefault(row[key], dict(row))
            else:
                cached[row[key]] = row if isinstance(row, dict) else dict(row)
