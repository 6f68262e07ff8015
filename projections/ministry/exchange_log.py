"""The exchange log in the ledger's database: one row per batch tried (written, or failed), for the
admins' REST view (`GET /api/v1/exchange/batches`) and `ledger exchange status`.

Not a projection's table: batches are log data of their own (docs/ministry-exchange-operations.md).
The front-end database's `ledger_exchange_batches` is the truth about what it holds; a batch
committed there whose ledger row was lost (a crash between the two commits) is copied back here
by the next run, marked `recovered`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, Text, and_, func, select
from sqlalchemy.engine import Connection, Engine

from projections.schema import Time

metadata = MetaData()

exchange_log = Table(
    "ledger_exchange_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # full | incremental
    Column("batch_number", String(13)),  # CD_BATCH; none for a failed batch
    Column("from_position", BigInteger, nullable=False),
    Column("to_position", BigInteger, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("deleted", Integer, nullable=False),
    Column("held_back", Integer, nullable=False),
    Column("checksum", String(64)),
    Column("findings", JSON, nullable=False),
    Column("started_at", Time, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("result", String(16), nullable=False),  # ok | failed | recovered
    Column("error", Text),
    Index("ix_ledger_exchange_log_table", "table_name", "started_at"),
    Index("ix_ledger_exchange_log_started", "started_at"),
)

ERROR_TEXT = 2000


def ensure(engine: Engine) -> None:
    with engine.begin() as conn:
        metadata.create_all(conn, checkfirst=True)


def record(conn: Connection, values: Mapping[str, Any]) -> None:
    row = dict(values)
    if row.get("error"):
        row["error"] = str(row["error"])[:ERROR_TEXT]
    conn.execute(exchange_log.insert().values(**row))


def known_batches(conn: Connection) -> set[tuple[str, str]]:
    query = select(exchange_log.c.table_name, exchange_log.c.batch_number).where(exchange_log.c.batch_number.is_not(None))
    return {(t, b) for t, b in conn.execute(query)}


def last_batches(conn: Connection) -> dict[str, dict[str, Any]]:
    """The latest written batch per table (ok or recovered)."""
    latest = (select(exchange_log.c.table_name, func.max(exchange_log.c.id).label("id"))
              .where(exchange_log.c.result != "failed").group_by(exchange_log.c.table_name).subquery())
    rows = conn.execute(select(exchange_log).join(latest, exchange_log.c.id == latest.c.id)).all()
    return {r.table_name: dict(r._mapping) for r in rows}


def last_failures(conn: Connection) -> dict[str, dict[str, Any]]:
    latest = (select(exchange_log.c.table_name, func.max(exchange_log.c.id).label("id"))
              .where(exchange_log.c.result == "failed").group_by(exchange_log.c.table_name).subquery())
    rows = conn.execute(select(exchange_log).join(latest, exchange_log.c.id == latest.c.id)).all()
    return {r.table_name: dict(r._mapping) for r in rows}


@dataclass(frozen=True, slots=True)
class BatchPage:
    items: list[dict[str, Any]]
    next_cursor: int | None  # the id to pass as `after` for the next (older) page


def batches(conn: Connection, *, table: str | None, start: datetime | None, end: datetime | None, limit: int,
            before_id: int | None) -> BatchPage:
    """Newest first; `start` inclusive, `end` exclusive (times of the batch's start); keyset paging by id."""
    query = select(exchange_log)
    conditions = []
    if table:
        conditions.append(exchange_log.c.table_name == table)
    if start is not None:
        conditions.append(exchange_log.c.started_at >= start)
    if end is not None:
        conditions.append(exchange_log.c.started_at < end)
    if before_id is not None:
        conditions.append(exchange_log.c.id < before_id)
    if conditions:
        query = query.where(and_(*conditions))
    rows = conn.execute(query.order_by(exchange_log.c.id.desc()).limit(limit + 1)).all()
    items = [dict(r._mapping) for r in rows[:limit]]
    return BatchPage(items, items[-1]["id"] if len(rows) > limit else None)

