"""Set-based reads and writes shared by the projections: one statement per table per batch.

Catch-up speed comes from touching each table a bounded number of times per batch: load the rows
the batch refers to (`fetch_by_ids`), fold the events in Python, then write the changed rows
with one statement per table. No ORM objects.

On PostgreSQL these go straight to the psycopg2 cursor of the SQLAlchemy connection (same
transaction): new rows with COPY (several times cheaper per row than INSERT on this class of
machine), changed rows with one multi-row `INSERT ... ON CONFLICT DO UPDATE` (execute_values).
SQLAlchemy's own executemany sends an upsert once per row (sqlalchemy#13130) and its per-row
parameter processing cost more than the database did. SQLite runs in-process, where SQLAlchemy
Core executemany is cheap enough, and its DateTime storage format is kept by using it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

# Business dates are Chinese dates. China has kept UTC+8 without daylight saving since 1991, so a
# fixed offset is exact for every date the ledger holds and needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

IN_CHUNK = 500


def business_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def day_start(day: date) -> datetime:
    """00:00 of a business date in Asia/Shanghai, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _columns(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


# --- reads ----------------------------------------------------------------------------------------


def fetch_by_ids(conn: Connection, table: Table, key: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Rows whose `key` is in `ids`, as plain dicts keyed by that column."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if _pg(conn):
        names = [c.name for c in table.columns]
        cursor = _cursor(conn)
        try:
            cursor.execute(f'SELECT {_columns(names)} FROM "{table.name}" WHERE "{key}" = ANY(%s)', (wanted,))
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()
        return {row[key]: row for row in rows}
    found: dict[str, dict[str, Any]] = {}
    column = table.c[key]
    for part in chunks(wanted, IN_CHUNK):
        for row in conn.execute(select(table).where(column.in_(part))).mappings():
            found[row[key]] = dict(row)
    return found


# --- writes ---------------------------------------------------------------------------------------


def insert_new(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows known not to exist yet (the batch loaded and did not find them)."""
    if not rows:
        return
    if not _pg(conn):
        conn.execute(sqlite.insert(table), list(rows))
        return
    names = [c.name for c in table.columns]
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        write("\t".join([_copy_text(row[name]) for name in names]))
        write("\n")
    buffer.seek(0)
    cursor = _cursor(conn)
    try:
        cursor.copy_expert(f'COPY "{table.name}" ({_columns(names)}) FROM STDIN', buffer)
    finally:
        cursor.close()


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
    """Insert rows or replace the existing ones with the same primary key.

    Columns named in `add` are incremented instead of replaced (counters written as deltas).
    Rows must not repeat a key (PostgreSQL refuses to update one row twice in a statement).
    """
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    if not _pg(conn):
        stmt = sqlite.insert(table)
        changes = {
            n: (table.c[n] + stmt.excluded[n]) if n in add else stmt.excluded[n] for n in names if n not in keys
        }
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes), list(rows))
        return
    sets = ", ".join(
        f'"{n}" = "{table.name}"."{n}" + EXCLUDED."{n}"' if n in add else f'"{n}" = EXCLUDED."{n}"'
        for n in names
        if n not in keys
    )
    sql = f'INSERT INTO "{table.name}" ({_columns(names)}) VALUES %s ON CONFLICT ({_columns(keys)}) DO UPDATE SET {sets}'
    _execute_values(conn, sql, table, rows, names)


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows whose key is not there yet (write-once rows)."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    if not _pg(conn):
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=keys), list(rows))
        return
    names = [c.name for c in table.columns]
    sql = f'INSERT INTO "{table.name}" ({_columns(names)}) VALUES %s ON CONFLICT ({_columns(keys)}) DO NOTHING'
    _execute_values(conn, sql, table, rows, names)


def _execute_values(conn: Connection, sql: str, table: Table, rows: Sequence[Mapping[str, Any]], names: list[str]) -> None:
    from psycopg2.extras import Json, execute_values

    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    values = [
        tuple(Json(row[n]) if n in json_columns and row[n] is not None else row[n] for n in names) for row in rows
    ] if json_columns else [tuple(row[n] for n in names) for row in rows]
    cursor = _cursor(conn)
    try:
        execute_values(cursor, sql, values, page_size=1000)
    finally:
        cursor.close()


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES)
    raise TypeError(f"cannot COPY a {type(value).__name__}")
