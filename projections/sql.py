"""Set-based reads and writes shared by the projections: one statement per table per batch.

Catch-up speed comes from touching each table a bounded number of times per batch: load the rows
the batch refers to (`fetch_by_ids`), fold the events in Python, then write the changed rows
with one statement per table. No ORM objects.

On PostgreSQL these go straight to the psycopg2 cursor of the SQLAlchemy connection (same
transaction). Rows travel by COPY (several times cheaper per row than INSERT on this class of
machine), formatted by a function generated per table (`_copy_line`): new rows straight into
their table; changed rows into a temporary table dropped at commit, then one set-based
`UPDATE ... FROM` or `INSERT ... SELECT ... ON CONFLICT` (a multi-row VALUES list costs PostgreSQL
a parse and a cast per value, ~100 µs per row of the enterprise register). SQLAlchemy's own
executemany sends an upsert once per row (sqlalchemy#13130) and its per-row parameter processing
cost more than the database did. SQLite runs in-process, where SQLAlchemy Core executemany is
cheap enough, and its DateTime storage format is kept by using it.

Every write makes its rows storable first, on both paths (projections/storable.py: NUL and lone
surrogates become U+FFFD, text is cut to its column's length), so no event's content can make a
write fail.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Table, Text, TypeDecorator, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from projections import storable
from projections.decoding import orjson

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
#
# Each PostgreSQL write is prepared in Python first (`prepare_*`: the statement and its COPY text)
# and run on a cursor later (`run_writes`): the pipelined catch-up (projections/runner.py) prepares
# batch N+1 while a writer thread runs batch N's writes. The plain functions do both at once.

Write = Callable[[Any], None]  # runs on a psycopg2 cursor of the transaction


def run_writes(conn: Connection, writes: Iterable[Write | None]) -> None:
    cursor = _cursor(conn)
    try:
        for write in writes:
            if write is not None:
                write(cursor)
    finally:
        cursor.close()


def prepare_insert_new(table: Table, rows: Sequence[Mapping[str, Any]]) -> Write | None:
    if not rows:
        return None
    target, names, data = table.name, _columns(c.name for c in table.columns), _copy_text(table, rows)
    return lambda cursor: cursor.copy_expert(f'COPY "{target}" ({names}) FROM STDIN', _copy_file(cursor, data))


def prepare_update_existing(table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> Write | None:
    """PostgreSQL: the rows are COPYed into a temporary table, then one `UPDATE ... FROM` it (no
    speculative insertion: the rows are known to exist)."""
    if not rows:
        return None
    keys = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    sets = ", ".join(
        f'"{n}" = t."{n}" + s."{n}"' if n in add else f'"{n}" = s."{n}"' for n in names if n not in keys
    )
    where = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    return _staged(table, rows, lambda stage: f'UPDATE "{table.name}" AS t SET {sets} FROM "{stage}" AS s WHERE {where}')


def prepare_upsert(table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> Write | None:
    """PostgreSQL: COPY into a temporary table, then one `INSERT ... SELECT ... ON CONFLICT DO UPDATE`."""
    if not rows:
        return None
    keys = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    sets = ", ".join(
        f'"{n}" = "{table.name}"."{n}" + EXCLUDED."{n}"' if n in add else f'"{n}" = EXCLUDED."{n}"'
        for n in names
        if n not in keys
    )
    return _staged(table, rows, lambda stage: (
        f'INSERT INTO "{table.name}" ({_columns(names)}) SELECT {_columns(names)} FROM "{stage}" '
        f"ON CONFLICT ({_columns(keys)}) DO UPDATE SET {sets}"
    ))


def prepare_insert_ignore(table: Table, rows: Sequence[Mapping[str, Any]]) -> Write | None:
    if not rows:
        return None
    keys = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    return _staged(table, rows, lambda stage: (
        f'INSERT INTO "{table.name}" ({_columns(names)}) SELECT {_columns(names)} FROM "{stage}" '
        f"ON CONFLICT ({_columns(keys)}) DO NOTHING"
    ))


def insert_new(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows known not to exist yet (the batch looked for them and did not find them)."""
    if rows and not _pg(conn):
        conn.execute(sqlite.insert(table), storable.rows(table, rows))
    elif rows:
        run_writes(conn, [prepare_insert_new(table, rows)])


def update_existing(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
    """Overwrite rows that exist (loaded by the batch); columns in `add` are incremented instead."""
    if rows and not _pg(conn):
        upsert(conn, table, rows, add=add)
    elif rows:
        run_writes(conn, [prepare_update_existing(table, rows, add=add)])


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, add: Sequence[str] = ()) -> None:
    """Insert rows or replace the existing ones with the same primary key (`add`: increment).

    Rows must not repeat a key (PostgreSQL refuses to update one row twice in a statement)."""
    if rows and not _pg(conn):
        keys = [c.name for c in table.primary_key.columns]
        stmt = sqlite.insert(table)
        changes = {
            c.name: (table.c[c.name] + stmt.excluded[c.name]) if c.name in add else stmt.excluded[c.name]
            for c in table.columns if c.name not in keys
        }
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes), storable.rows(table, rows))
    elif rows:
        run_writes(conn, [prepare_upsert(table, rows, add=add)])


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows whose key is not there yet (write-once rows)."""
    if rows and not _pg(conn):
        keys = [c.name for c in table.primary_key.columns]
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=keys), storable.rows(table, rows))
    elif rows:
        run_writes(conn, [prepare_insert_ignore(table, rows)])


# --- PostgreSQL: COPY, and staging tables ---------------------------------------------------------

def _copy_text(table: Table, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Rows (dicts with every column of `table`) in COPY's text format, UTF-8 encoded and made
    storable (text cut to length by `_copy_line`, NUL and lone surrogates replaced while encoding
    the whole: psycopg2 would encode it anyway, so the check costs nothing extra)."""
    line = _copy_line(table)
    lines = [line(row) for row in rows]
    lines.append("")
    return storable.copy_bytes("\n".join(lines))


def _copy_file(cursor: Any, data: bytes) -> io.IOBase:
    """What COPY reads: the UTF-8 bytes as they are, or as text on a connection with another
    client encoding (psycopg2 then encodes it to that)."""
    if cursor.connection.encoding in ("UTF8", "UNICODE"):
        return io.BytesIO(data)
    return io.StringIO(data.decode("utf-8"))


def _staged(table: Table, rows: Sequence[Mapping[str, Any]], statement: Callable[[str], str]) -> Write:
    """COPY rows into the session's staging table for `table`, then run `statement(its name)`.

    COPY + one set-based statement costs a fraction of a multi-row VALUES list (which
    PostgreSQL parses and casts value by value) for the same rows. The staging table is a
    temporary table kept for the session and emptied at every commit (ON COMMIT DELETE ROWS):
    creating and dropping one per statement (ON COMMIT DROP) cost catalog work each time, about
    1-2 ms per staged write, a dozen per batch. It is emptied before use as well, in case a
    transaction stages the same table twice.
    """
    stage = f"stage_{table.name}"
    data, names, sql = _copy_text(table, rows), _columns(c.name for c in table.columns), statement(stage)

    def write(cursor: Any) -> None:
        cursor.execute(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS "{stage}" (LIKE "{table.name}") ON COMMIT DELETE ROWS; '
            f'DELETE FROM "{stage}"'
        )
        cursor.copy_expert(f'COPY "{stage}" ({names}) FROM STDIN', _copy_file(cursor, data))
        cursor.execute(sql)

    return write


# --- PostgreSQL formats (cached per table) --------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    # Most values need no escape: four substring tests are ~10x cheaper than translate() on them.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder: json.dumps
# with arguments builds a new one per call


def _json(value: Any) -> str:
    encoded = _encode_json(value)
    if storable.escaped_nul(encoded):  # an escaped NUL: PostgreSQL's JSON operators refuse it
        encoded = _encode_json(storable.json_value(value))
    return _text(encoded)


def _encode_json(value: Any) -> str:
    """JSON text; a lone surrogate stays a raw character here (orjson refuses it, the standard
    encoder keeps it) and is replaced with the rest of the COPY text (storable.copy_bytes)."""
    if orjson is not None:  # same JSON text for the plain values read models hold, ~10x faster
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            pass  # what orjson does not take (non-str keys, surrogates, ...): the standard encoder decides
    return _JSON(value)


def _iso(value: date) -> str:
    return value.isoformat()


def _number(value: Any) -> str:
    return repr(value)


def _int_array(value: Any) -> str:
    return "{" + ",".join(str(int(v)) for v in value) + "}"


@lru_cache(maxsize=512)
def _copy_formats(table: Table) -> tuple[list[str], list[Callable[[Any], str]]]:
    """Column names and, per column, how to write a (non-null) value in COPY's text format.

    A TypeDecorator is classified by the type it stores on PostgreSQL (UtcDateTime: timestamptz,
    the drill-down's DayList: integer[])."""
    dialect = postgresql.dialect()
    formats: list[Callable[[Any], str]] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, TypeDecorator):
            kind = kind.load_dialect_impl(dialect)
        if isinstance(kind, postgresql.ARRAY) and isinstance(kind.item_type, Integer):
            formats.append(_int_array)
        elif isinstance(kind, JSON):
            formats.append(_json)
        elif isinstance(kind, (DateTime, Date)):
            formats.append(_iso)
        elif isinstance(kind, (Integer, Float)):
            formats.append(_number)
        elif isinstance(kind, (String, Text)):
            formats.append(_text)
        else:
            raise TypeError(f"no COPY text format for {table.name}.{column.name} ({column.type!r})")
    return [c.name for c in table.columns], formats


@lru_cache(maxsize=512)
def _copy_line(table: Table) -> Callable[[Mapping[str, Any]], str]:
    """A function that writes one row (a dict) as a line of COPY text, generated once per table.

    The same formats as `_copy_formats`, but one expression per column in one function: the
    generic loop (zip, a call and a None test per value) cost more than the values themselves.
    Only nullable columns test for None; None in a NOT NULL column fails loudly, as it would in
    the database. Text is cut to its column's length (slicing a shorter str returns it as is).
    """
    names, formats = _copy_formats(table)
    helpers = {_json: "_json", _iso: "_iso", _number: "_number", _text: "_text", _int_array: "_int_array"}
    fields = []
    inline = {_iso: "{}.isoformat()", _number: "repr({})"}  # the helpers' bodies, without a call
    for i, (name, fmt) in enumerate(zip(names, formats, strict=True)):
        write = inline.get(fmt, helpers[fmt] + "({})")
        length = storable.column_length(table, name) if fmt is _text else None
        if length is not None:
            write = f"_text({{}}[:{length}])"
        if table.c[name].nullable:
            fields.append(f"('\\\\N' if (v{i} := row[{name!r}]) is None else {write.format(f'v{i}')})")
        else:
            fields.append(write.format(f"row[{name!r}]"))
    source = f"def line(row):\n    return '\\t'.join(({', '.join(fields)},))\n"
    namespace = {"_json": _json, "_iso": _iso, "_number": _number, "_text": _text, "_int_array": _int_array}
    exec(compile(source, f"<copy line {table.name}>", "exec"), namespace)  # noqa: S102 - names from our schema
    return namespace["line"]


@lru_cache(maxsize=512)
def _pg_casts(table: Table) -> tuple[list[str], list[str]]:
    dialect = postgresql.dialect()
    return [c.name for c in table.columns], [c.type.compile(dialect=dialect) for c in table.columns]
