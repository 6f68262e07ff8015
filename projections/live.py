"""Read access to the live generation of projections' tables, for query functions.

Every query call reads the tracking rows first (one small SELECT): they name the live generation
of each projection's tables and give `as_of_position`, the smallest position among the
projections the query reads (the report reflects every event up to it). On PostgreSQL the call
runs in one REPEATABLE READ transaction, so every statement of a report sees the same snapshot
as those positions. A rebuild swaps generations by updating the tracking row and then drops the
old tables (one per transaction): a call that resolved the old generation just before can find a
table gone (or, on PostgreSQL, be chosen as a deadlock victim), so the call is retried once with
the new generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from projections.base import Projection
from projections.registry import all_projections
from projections.schema import generation_tables
from projections.tracking import read_rows

T = TypeVar("T")


class ReadModelNotReady(RuntimeError):
    """A projection has no tables yet (the runner has not started once)."""


@dataclass
class Snapshot:
    conn: Connection
    tables: dict[str, Table]  # template name -> live table
    positions: dict[str, int]  # projection name -> position

    @property
    def as_of_position(self) -> int:
        return min(self.positions.values())


class LiveTables:
    def __init__(self, engine: Engine, projections: Sequence[Projection] | None = None) -> None:
        self.engine = engine
        self.projections = {p.name: p for p in (projections or all_projections())}

    def run(self, names: Sequence[str], query: Callable[[Snapshot], T]) -> T:
        """Run `query` on a snapshot of the live tables of the named projections."""
        for attempt in (1, 2):
            try:
                return self._run(names, query)
            except DBAPIError as error:
                if attempt == 2 or not _missing_table(error):
                    raise
        raise AssertionError("unreachable")

    def _run(self, names: Sequence[str], query: Callable[[Snapshot], T]) -> T:
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    # Read-model queries are short; JIT compiling one (its cost estimate crosses
                    # jit_above_cost on large scopes) took ~1.4 s of a 2.3 s drill-down.
                    conn.exec_driver_sql("SET LOCAL jit = off")
                rows = read_rows(conn, names)
                missing = [n for n in names if n not in rows]
                if missing:
                    raise ReadModelNotReady(f"read model(s) {', '.join(missing)} not built yet")
                for name in names:
                    _check_readable(self.projections[name], rows[name].version)
                tables: dict[str, Table] = {}
                for name in names:
                    tables |= generation_tables(self.projections[name].tables, rows[name].generation)
                return query(Snapshot(conn, tables, {n: rows[n].position for n in names}))


def _check_readable(projection: Projection, version: int) -> None:
    """A projection whose tables changed shape says since which version its live tables can be read
    (`readable_from`): a generation written by an older version is served while its rebuild runs
    only if this code can read it; otherwise the caller gets a short wait (503), not a SQL error."""
    oldest = getattr(projection, "readable_from", 0)
    if version < oldest:
        raise ReadModelNotReady(f"read model {projection.name} is being rebuilt for version {projection.version} "
                                f"(its live tables, of version {version}, have another shape); retry shortly")


def _missing_table(error: DBAPIError) -> bool:
    """The retired generation's table vanished, or its drop deadlocked with this read."""
    text = str(error.orig).lower()
    code = getattr(error.orig, "pgcode", None)
    return "does not exist" in text or "no such table" in text or code in ("40P01", "40001")
