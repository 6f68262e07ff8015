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
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
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


def existing_keys(conn: Connection, table: Table, keys: Iterable[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """Which of these primary keys (tuples, in primary-key column order) exist."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    names = [c.name for c in table.primary_key.columns]
    if _pg(conn):
        _, casts = _pg_casts(table)
        key_casts = [casts[[c.name for c in table.columns].index(n)] for n in names]
        unnest = ", ".join(f"%s::{cast}[]" for cast in key_casts)
        cursor = _cursor(conn)
        try:
            cursor.execute(
                f'SELECT {_columns(names)} FROM "{table.name}" WHERE ({_columns(names)}) IN (SELECT * FROM unnest({unnest}))',
                [list(column) for column in zip(*wanted, strict=True)],
            )
            return {tuple(row) for row in cursor.fetchall()}
        finally:
            cursor.close()
    columns = [table.c[n] for n in names]
    found: set[tuple[Any, ...]] = set()
    for part in chunks(wanted, IN_CHUNK):
        found.update(tuple(row) for row in conn.execute(select(*columns).where(tuple_(*columns).in_(part))))
    return found


# --- writes ---------------------------------------------------------------------------------------


def insert_new(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows known not to exist yet (the batch looked for them and did not find them)."""
    if not rows:
        return
    if not _pg(conn):
        conn.execute(sqlite.insert(table), list(rows))
        return
    names, formats = _copy_formats(table)
    pairs = list(zip(names, formats, strict=True))
    lines = ["\t".join(["\\N" if (v := row[n]) is None else f(v) for n, f in pairs]) for row in rows]
    lines.append("")
    cursor = _cursor(conn)
    try:
        cursor.copy_expert(f'COPY "{table.name}" ({_columns(names)}) FROM STDIN', io.StringIO("\n".join(lines)))
    finally:
        cursor.close()


def update_existing(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
    """Overwrite rows that exist (loaded by the batch); columns in `add` are incremented instead.

    PostgreSQL: one `UPDATE ... FROM (VALUES ...)` per 1,000 rows, cheaper than an upsert's
    speculative insertion since the rows are known to exist.
    """
    if not rows:
        return
    if not _pg(conn):
        upsert(conn, table, rows, add=add)
        return
    from psycopg2.extras import execute_values

    keys = [c.name for c in table.primary_key.columns]
    names, casts = _pg_casts(table)
    sets = ", ".join(
        f'"{n}" = t."{n}" + v."{n}"' if n in add else f'"{n}" = v."{n}"' for n in names if n not in keys
    )
    where = " AND ".join(f't."{k}" = v."{k}"' for k in keys)
    sql = f'UPDATE "{table.name}" AS t SET {sets} FROM (VALUES %s) AS v({_columns(names)}) WHERE {where}'
    template = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    cursor = _cursor(conn)
    try:
        execute_values(cursor, sql, _values(table, names, rows), template=template, page_size=1000)
    finally:
        cursor.close()


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
    """Insert rows or replace the existing ones with the same primary key (`add`: increment).

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
    from psycopg2.extras import execute_values

    sets = ", ".join(
        f'"{n}" = "{table.name}"."{n}" + EXCLUDED."{n}"' if n in add else f'"{n}" = EXCLUDED."{n}"'
        for n in names
        if n not in keys
    )
    sql = f'INSERT INTO "{table.name}" ({_columns(names)}) VALUES %s ON CONFLICT ({_columns(keys)}) DO UPDATE SET {sets}'
    cursor = _cursor(conn)
    try:
        execute_values(cursor, sql, _values(table, names, rows), page_size=1000)
    finally:
        cursor.close()


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows whose key is not there yet (write-once rows)."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    if not _pg(conn):
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=keys), list(rows))
        return
    from psycopg2.extras import execute_values

    names = [c.name for c in table.columns]
    sql = f'INSERT INTO "{table.name}" ({_columns(names)}) VALUES %s ON CONFLICT ({_columns(keys)}) DO NOTHING'
    cursor = _cursor(conn)
    try:
        execute_values(cursor, sql, _values(table, names, rows), page_size=1000)
    finally:
        cursor.close()


def _values(table: Table, names: list[str], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    from psycopg2.extras import Json

    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    if not json_columns:
        return [tuple(row[n] for n in names) for row in rows]
    return [
        tuple(Json(row[n]) if n in json_columns and row[n] is not None else row[n] for n in names) for row in rows
    ]


# --- PostgreSQL formats (cached per table) --------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_ESCAPES)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder: json.dumps
# with arguments builds a new one per call


def _json(value: Any) -> str:
    return _JSON(value).translate(_ESCAPES)


def _iso(value: date) -> str:
    return value.isoformat()


def _number(value: Any) -> str:
    return repr(value)


@lru_cache(maxsize=512)
def _copy_formats(table: Table) -> tuple[list[str], list[Callable[[Any], str]]]:
    """Column names and, per column, how to write a (non-null) value in COPY's text format."""
    formats: list[Callable[[Any], str]] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, JSON):
            formats.append(_json)
        elif isinstance(kind, (DateTime, Date)) or isinstance(getattr(kind, "impl", None), DateTime):
            formats.append(_iso)
        elif isinstance(kind, (Integer, Float)):
            formats.append(_number)
        else:
            formats.append(_text)
    return [c.name for c in table.columns], formats


@lru_cache(maxsize=512)
def _pg_casts(table: Table) -> tuple[list[str], list[str]]:
    dialect = postgresql.dialect()
    return [c.name for c in table.columns], [c.type.compile(dialect=dialect) for c in table.columns]
