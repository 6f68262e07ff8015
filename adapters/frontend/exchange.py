"""Writing batches into the front-end database: rows upserted by CD_ID, the batch's log row and the
table's watermark, all in ONE transaction per table, so a crash leaves either the whole batch and
its watermark or neither (the next run starts again from the old watermark: no gap, and the
rows it writes again are upserts of the same values: no duplicate).

Two bookkeeping tables of ours sit beside the standard tables (created here when missing):
`ledger_exchange_watermark` (per table: the last ledger position sent, the day and sequence of
the last CD_BATCH) and `ledger_exchange_batches` (one row per batch written). They are the truth
about what the front-end database holds; the ledger keeps a copy of the batch log for the admins'
REST view, recovered from here after a crash between the two commits.

Also `<table>_his.sql` scripts (seed 2.3.4.1) for sites that load by script: multi-row INSERTs in
the front-end database's dialect.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Connection, Engine

from adapters.frontend.schema import TableSpec, build, is_mysql

WATERMARK_TABLE = "ledger_exchange_watermark"
BATCHES_TABLE = "ledger_exchange_batches"
CHUNK = 5000  # rows per statement round trip
SCRIPT_ROWS = 500  # rows per INSERT in a _his.sql script


def bookkeeping(dialect: Any) -> MetaData:
    options: dict[str, Any] = {}
    if is_mysql(dialect):
        options = {f"{dialect.name}_engine": "InnoDB", f"{dialect.name}_charset": "utf8mb4"}
    md = MetaData()
    Table(WATERMARK_TABLE, md,
          Column("table_name", String(64), primary_key=True),
          Column("position", BigInteger, nullable=False),
          Column("batch_day", Date),
          Column("batch_seq", Integer, nullable=False),
          Column("last_batch", String(13)),
          Column("updated_at", DateTime, nullable=False),
          **options)
    Table(BATCHES_TABLE, md,
          Column("batch_id", String(100), primary_key=True),  # <table>/<cd_batch>
          Column("table_name", String(64), nullable=False),
          Column("kind", String(16), nullable=False),
          Column("cd_batch", String(13), nullable=False),
          Column("from_position", BigInteger, nullable=False),
          Column("to_position", BigInteger, nullable=False),
          Column("inserted", Integer, nullable=False),
          Column("updated", Integer, nullable=False),
          Column("deleted", Integer, nullable=False),
          Column("held_back", Integer, nullable=False),
          Column("checksum", String(64), nullable=False),
          Column("findings", Text, nullable=False),  # JSON
          Column("started_at", DateTime, nullable=False),
          Column("written_at", DateTime, nullable=False),
          **options)
    return md


@dataclass(frozen=True, slots=True)
class Watermark:
    table: str
    position: int
    batch_day: date | None
    batch_seq: int
    last_batch: str | None
    updated_at: datetime | None


class BatchWriter:
    """Rows of one batch of one table, inside the transaction `FrontendExchange.batch` opened.

    One multi-row statement per chunk through the driver (psycopg2's `execute_values`, pymysql's
    multi-row VALUES): SQLAlchemy's executemany ran one statement per row for these upserts."""

    def __init__(self, conn: Connection, table: Table, script: TextIO | None) -> None:
        self.conn = conn
        self.table = table
        self.script = script
        self._mysql = is_mysql(conn.dialect)
        names = [c.name for c in table.columns]
        keep = {"cd_id", "data_up_uuid"}  # the front-end row's own id stays as first written
        columns = ", ".join(names)
        if self._mysql:
            updates = ", ".join(f"{n} = VALUES({n})" for n in names if n not in keep)
            self._head = f"INSERT INTO {table.name} ({columns}) VALUES "
            self._tail = f" ON DUPLICATE KEY UPDATE {updates}"
            self._one = "(" + ", ".join(["%s"] * len(names)) + ")"
        else:
            updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in keep)
            self._sql = f"INSERT INTO {table.name} ({columns}) VALUES %s ON CONFLICT (cd_id) DO UPDATE SET {updates}"
        self._names = names
        self._dialect = "mysql" if self._mysql else "postgresql"
        self._formats = [_formatter(c.type, self._dialect) for c in table.columns]
        self.rows = 0

    def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        names = self._names
        values = [tuple(row.get(n) for n in names) for row in rows]
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if self._mysql:
                for start in range(0, len(values), SCRIPT_ROWS):
                    part = values[start:start + SCRIPT_ROWS]
                    cursor.execute(self._head + ", ".join([self._one] * len(part)) + self._tail,
                                   [v for row in part for v in row])
            else:
                from psycopg2.extras import execute_values

                execute_values(cursor, self._sql, values, page_size=SCRIPT_ROWS)
        finally:
            cursor.close()
        if self.script is not None:
            formats = self._formats
            head = f"INSERT INTO {self.table.name} ({', '.join(names)}) VALUES\n"
            for start in range(0, len(values), SCRIPT_ROWS):
                lines = ",\n".join("(" + ", ".join(f(v) for f, v in zip(formats, row, strict=True)) + ")"
                                    for row in values[start:start + SCRIPT_ROWS])
                self.script.write(f"{head}{lines};\n")
        self.rows += len(rows)


def _formatter(kind: Any, dialect: str) -> Any:
    """A literal renderer for one column's values (chosen once per column)."""
    if isinstance(kind, (DateTime, Date)) or isinstance(kind, (Integer, BigInteger)):
        return lambda value: literal(value, dialect)
    mysql_like = dialect == "mysql"

    def text_literal(value: Any) -> str:
        if value is None:
            return "NULL"
        text = str(value).replace("'", "''")
        if mysql_like and "\\" in text:
            text = text.replace("\\", "\\\\")
        return f"'{text}'"

    return text_literal


class FrontendExchange:
    def __init__(self, engine: Engine, specs: Iterable[TableSpec]) -> None:
        self.engine = engine
        self.specs = {s.name: s for s in specs}
        self._tables = build(self.specs.values(), engine.dialect)
        self._book = bookkeeping(engine.dialect)
        self.watermarks = self._book.tables[WATERMARK_TABLE]
        self.batches = self._book.tables[BATCHES_TABLE]

    @property
    def dialect(self) -> str:
        return "mysql" if is_mysql(self.engine.dialect) else "postgresql"

    def ensure(self) -> None:
        """Create the bookkeeping tables when missing (the standard ones: `ledger frontend init`)."""
        with self.engine.begin() as conn:
            self._book.create_all(conn, checkfirst=True)

    def watermark(self, table: str) -> Watermark:
        with self.engine.connect() as conn:
            found = conn.execute(select(self.watermarks).where(self.watermarks.c.table_name == table)).first()
        if found is None:
            return Watermark(table, 0, None, 0, None, None)
        return Watermark(table, found.position, found.batch_day, found.batch_seq, found.last_batch, found.updated_at)

    def all_watermarks(self) -> dict[str, Watermark]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.watermarks)).all()
        return {r.table_name: Watermark(r.table_name, r.position, r.batch_day, r.batch_seq, r.last_batch, r.updated_at)
                for r in rows}

    def batch_log(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """The batches written (since a time, China time without offset, as the column holds it)."""
        query = select(self.batches).order_by(self.batches.c.written_at)
        if since is not None:
            query = query.where(self.batches.c.written_at >= since)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    @contextmanager
    def batch(self, table: str, expected: int, script: Path | None = None) -> Iterator[BatchWriter]:
        """One transaction: yields a writer for the rows; the caller then calls `finish` on it.
        `expected`: the watermark position the batch starts from; if another exchanger moved it
        meanwhile, the transaction is refused (nothing written twice). With `script`, the rows
        also go to that file, which replaces the old one only when the transaction commits."""
        partial = script.with_name(script.name + ".partial") if script is not None else None
        handle = partial.open("w", encoding="utf-8") if partial is not None else None
        try:
            with self.engine.begin() as conn:
                current = self._locked_watermark(conn, table)
                if current != expected:
                    raise WatermarkMoved(f"{table}: the watermark is at {current}, not {expected}: "
                                         "another exchanger wrote a batch meanwhile; run again")
                if handle is not None:
                    handle.write(script_header(table, self.dialect))
                yield BatchWriter(conn, self._tables.tables[table], handle)
            if handle is not None:
                handle.close()
                handle = None
                assert partial is not None and script is not None
                partial.replace(script)
        finally:
            if handle is not None:
                handle.close()
                if partial is not None:
                    partial.unlink(missing_ok=True)

    def _locked_watermark(self, conn: Connection, table: str) -> int:
        query = select(self.watermarks.c.position).where(self.watermarks.c.table_name == table).with_for_update()
        found = conn.execute(query).scalar()
        return int(found) if found is not None else 0

    def finish(self, writer: BatchWriter, watermark: Watermark, log: Mapping[str, Any] | None) -> None:
        """In the batch's transaction: the new watermark and (when rows were sent) the log row."""
        conn = writer.conn
        values = {"position": watermark.position, "batch_day": watermark.batch_day, "batch_seq": watermark.batch_seq,
                  "last_batch": watermark.last_batch, "updated_at": watermark.updated_at}
        if is_mysql(conn.dialect):
            stmt = mysql.insert(self.watermarks).values(table_name=watermark.table, **values)
            conn.execute(stmt.on_duplicate_key_update(values))
        else:
            stmt = postgresql.insert(self.watermarks).values(table_name=watermark.table, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["table_name"], set_=values))
        if log is not None:
            conn.execute(self.batches.insert().values(**log))

    def rows(self, table: str, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every row of a standard table (the named columns), for reconciliation, streamed."""
        target = self._tables.tables[table]
        query = select(*(target.c[c] for c in columns))
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
            for row in result:
                yield dict(row._mapping)


class WatermarkMoved(RuntimeError):
    """Another exchanger wrote a batch of this table since this one read the watermark."""


# --- scripts (<table>_his.sql) --------------------------------------------------------------------


def script_header(table: str, dialect: str) -> str:
    encoding = "SET NAMES utf8mb4;" if dialect == "mysql" else "SET client_encoding = 'UTF8';"
    return f"-- {table}: full load (存量), INSERT statements for {dialect}\n{encoding}\n"


def literal(value: Any, dialect: str) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value:%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, date):
        return f"'{value:%Y-%m-%d}'"
    text = str(value).replace("'", "''")
    if dialect == "mysql":  # MySQL reads backslash escapes in string literals (unless NO_BACKSLASH_ESCAPES)
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


def insert_script(table: str, names: Sequence[str], rows: Sequence[Mapping[str, Any]], dialect: str) -> str:
    values = ",\n".join("(" + ", ".join(literal(row.get(n), dialect) for n in names) + ")" for row in rows)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES\n{values};\n"
