"""Tracking rows: where each projection is in the log, and which generation of tables is live.

Shared by the runner (which locks them) and the queries (which read them to find the live tables
and to report `as_of_position`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from projections.schema import tracking

REBUILD_SUFFIX = "~rebuild"


@dataclass
class TrackingRow:
    name: str
    version: int
    position: int
    generation: int


def read_rows(conn: Connection, names: Iterable[str], *, lock: bool = False) -> dict[str, TrackingRow]:
    """The rows of `names`; with `lock`, held until the transaction ends.

    PostgreSQL: `SELECT ... ORDER BY name FOR UPDATE` (rows locked in one order by every caller, so
    two runners cannot deadlock). SQLite has no row locks but one writer at a time: a no-op UPDATE
    first takes the database write lock (pysqlite only opens a transaction before DML), so the
    SELECT after it reads positions nobody else can change before we commit.
    """
    wanted = sorted(set(names))
    if lock and conn.dialect.name == "sqlite":
        conn.execute(update(tracking).where(tracking.c.name.in_(wanted)).values(position=tracking.c.position))
    query = select(tracking).where(tracking.c.name.in_(wanted)).order_by(tracking.c.name)
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return {r.name: TrackingRow(r.name, r.version, r.position, r.generation) for r in conn.execute(query)}


def rebuild_name(name: str) -> str:
    return name + REBUILD_SUFFIX
