"""Where the seal keeps its checkpoints, and how it reads the event store's rows as canonical bytes.

Two tables beside the event store (same database, own names):
- `ledger_seal_checkpoints`: one row per sealed segment, with its signature and the segment's
  leaf list (position and RFC 6962 leaf hash of each event, 40 bytes an event; its SHA-256 is
  signed), which lets verify name the exact position that differs and lets proofs be built
  without re-reading the segment's events.
- `ledger_seal_members`: which aggregates belong to which enterprise, taken from each aggregate's
  first event (its `credit_code` or `enterprise_id`), written with the checkpoint that sealed it.
  An index for building proofs, not part of what is proven.

Reading: on PostgreSQL the database builds each row's canonical bytes (int8send, uuid_send, ...;
tests/integration/test_audit_seal.py holds them equal to `seal_format.canonical`), so the
verifier's Python does nothing per row but hash; on SQLite Python builds them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, and_, func,
                        insert, or_, select)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy import type_coerce

from adapters.audit.seal_format import Checkpoint, canonical
from adapters.persistence.tables import create_missing

metadata = MetaData()

checkpoints = Table(
    "ledger_seal_checkpoints",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("after", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("chain_hash", LargeBinary, nullable=False),
    Column("merkle_root", LargeBinary, nullable=False),
    Column("leaves", LargeBinary, nullable=False),
    Column("leaves_sha256", LargeBinary, nullable=False),
    Column("sealed_at", String(40), nullable=False),  # the ISO text exactly as signed
    Column("key_id", String(16), nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

members = Table(
    "ledger_seal_members",
    metadata,
    Column("aggregate_id", String(36), primary_key=True),
    Column("credit_code", String(64)),
    Column("enterprise_id", String(36)),
    Column("first_position", BigInteger, nullable=False),
    Index("ix_ledger_seal_members_credit_code", "credit_code"),
    Index("ix_ledger_seal_members_enterprise_id", "enterprise_id"),
)

# Ranges longer than this are read with one binary COPY through a child process (_pg_copy_chunks);
# shorter ones (the follower's polls, one segment) with plain SELECTs: starting the child costs
# about as much as reading this many events.
COPY_FROM_EVENTS = 20_000

CHECKPOINT_COLUMNS = [checkpoints.c.position, checkpoints.c.after, checkpoints.c.count, checkpoints.c.chain_hash,
                      checkpoints.c.merkle_root, checkpoints.c.leaves_sha256, checkpoints.c.sealed_at,
                      checkpoints.c.key_id, checkpoints.c.signature]

# The canonical bytes of format 1 (adapters/audit/seal_format.py), built by PostgreSQL.
_PG_CANONICAL = ("int8send(id) || uuid_send(originator_id) || int8send(originator_version::int8) || "
                 "int4send(octet_length(convert_to(topic, 'UTF8'))) || convert_to(topic, 'UTF8') || "
                 "int4send(octet_length(state)) || state")


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(int(row.position), int(row.after), int(row.count), bytes(row.chain_hash), bytes(row.merkle_root),
                      bytes(row.leaves_sha256), row.sealed_at, row.key_id, bytes(row.signature))


class SealStore:
    def __init__(self, engine: Engine, events_table: Table) -> None:
        self.engine = engine
        self.events = events_table
        self.is_postgres = engine.dialect.name == "postgresql"
        create_missing(engine, metadata.sorted_tables)

    # --- checkpoints ---------------------------------------------------------------------------

    def last_checkpoint(self) -> Checkpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*CHECKPOINT_COLUMNS).order_by(checkpoints.c.position.desc()).limit(1)).first()
        return None if row is None else _checkpoint(row)

    def checkpoints(self, after: int | None = None, upto: int | None = None) -> list[Checkpoint]:
        query = select(*CHECKPOINT_COLUMNS).order_by(checkpoints.c.position)
        if after is not None:
            query = query.where(checkpoints.c.position > after)
        if upto is not None:
            query = query.where(checkpoints.c.position <= upto)
        with self.engine.connect() as conn:
            return [_checkpoint(r) for r in conn.execute(query)]

    def checkpoint_at_or_before(self, position: int) -> Checkpoint | None:
        query = (select(*CHECKPOINT_COLUMNS).where(checkpoints.c.position <= position)
                 .order_by(checkpoints.c.position.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _checkpoint(row)

    def covering(self, position: int) -> Checkpoint | None:
        """The checkpoint whose segment holds `position` (the first at or after it)."""
        query = (select(*CHECKPOINT_COLUMNS).where(checkpoints.c.position >= position)
                 .order_by(checkpoints.c.position).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _checkpoint(row)

    def leaves(self, position: int) -> bytes | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(checkpoints.c.leaves).where(checkpoints.c.position == position)).scalar()
        return None if found is None else bytes(found)

    def append(self, cp: Checkpoint, leaves: bytes, new_members: list[dict[str, Any]], recorded_at: datetime) -> bool:
        """Store a checkpoint and the members it sealed in one transaction, only if the last
        checkpoint is still the one it follows (False when another sealer got there first)."""
        unique = list({m["aggregate_id"]: m for m in reversed(new_members)}.values())[::-1]  # first event wins
        try:
            return self._append(cp, leaves, unique, recorded_at, skip_known=False)
        except IntegrityError:
            # An aggregate has one first event, so its member row is new... unless a direct write
            # made two records look alike: then keep the existing rows rather than stop the seal.
            return self._append(cp, leaves, unique, recorded_at, skip_known=True)

    def _append(self, cp: Checkpoint, leaves: bytes, new_members: list[dict[str, Any]], recorded_at: datetime,
                skip_known: bool) -> bool:
        with self.engine.begin() as conn:
            last = conn.execute(select(func.max(checkpoints.c.position))).scalar() or 0
            if last != cp.after:
                return False
            conn.execute(insert(checkpoints).values(
                position=cp.position, after=cp.after, count=cp.count, chain_hash=cp.chain_hash,
                merkle_root=cp.merkle_root, leaves=leaves, leaves_sha256=cp.leaves_sha256, sealed_at=cp.sealed_at,
                key_id=cp.key_id, signature=cp.signature, recorded_at=recorded_at))
            if new_members and skip_known:
                known = set(conn.execute(select(members.c.aggregate_id).where(
                    members.c.aggregate_id.in_([m["aggregate_id"] for m in new_members]))).scalars())
                new_members = [m for m in new_members if m["aggregate_id"] not in known]
            if new_members:
                conn.execute(insert(members), new_members)  # executemany: batched into multi-row VALUES
        return True

    # --- members -------------------------------------------------------------------------------

    def member_aggregates(self, credit_code: str, enterprise_id: str) -> list[str]:
        query = select(members.c.aggregate_id).where(
            or_(members.c.credit_code == credit_code, members.c.enterprise_id == enterprise_id,
                members.c.aggregate_id == enterprise_id))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    # --- events --------------------------------------------------------------------------------

    def head(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(self.events.c.id))).scalar() or 0)

    def canonical_chunks(self, after: int, upto: int | None, chunk: int = 20_000) -> Iterator[list[Any]]:
        """The canonical bytes of the stored events after `after` (up to `upto`), in position order,
        a list per chunk (each item bytes-like; its first 8 bytes are the position)."""
        if self.is_postgres:
            span = (upto if upto is not None else self.head()) - after
            yield from (self._pg_copy_chunks(after, upto, chunk) if span > COPY_FROM_EVENTS
                        else self._pg_select_chunks(after, upto, chunk))
            return
        for rows in self.row_chunks(after, upto, chunk, raw=True):
            yield [canonical(r[0], _id_bytes(r[1]), _int(r[2]), _text(r[3]), _blob(r[4])) for r in rows]

    def row_chunks(self, after: int, upto: int | None, chunk: int = 5_000, raw: bool = False) -> Iterator[list[Any]]:
        """The stored events' columns (id, originator_id, originator_version, topic, state), in
        order; with `raw`, as the database holds them (no type conversion that could refuse an
        odd value: SQLite keeps whatever a direct write put in a column)."""
        t = self.events
        columns = [t.c.id, *(type_coerce(c, NullType()) if raw else c
                             for c in (t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state))]
        while True:
            query = select(*columns).where(t.c.id > after)
            if upto is not None:
                query = query.where(t.c.id <= upto)
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(t.c.id).limit(chunk)).all()
            if not rows:
                return
            yield rows
            after = rows[-1][0]
            if len(rows) < chunk:
                return

    def _pg_select_chunks(self, after: int, upto: int | None, chunk: int) -> Iterator[list[Any]]:
        """Plain SELECTs of the canonical bytes, a chunk each (a few events: a poll, one segment)."""
        name = self.events.name if self.events.schema is None else f"{self.events.schema}.{self.events.name}"
        sql = f"SELECT {_PG_CANONICAL} FROM {name} WHERE id > %s" + (" AND id <= %s" if upto is not None else "")
        sql += " ORDER BY id LIMIT %s"
        engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                while True:
                    cursor.execute(sql, (after, upto, chunk) if upto is not None else (after, chunk))
                    rows = [bytes(r[0]) for r in cursor.fetchall()]
                    if not rows:
                        return
                    yield rows
                    after = int.from_bytes(rows[-1][:8], "big")
                    if len(rows) < chunk:
                        return
            finally:
                cursor.close()

    def _pg_copy_chunks(self, after: int, upto: int | None, chunk: int) -> Iterator[list[Any]]:
        for records in _copy_records(self._pg_copy_pieces(after, upto)):
            if records:
                yield records

    def _pg_copy_pieces(self, after: int, upto: int | None) -> Iterator[bytes]:
        """One binary `COPY ... TO STDOUT` of the canonical bytes, received by a child process
        (`_copy_child`) and piped here in pieces of 256 KiB. The server packs the events of every
        `_COPY_STEP` positions into one row (in position order, each behind its 4-byte length; a
        range without events is NULL); `_copy_records` splits the stream again.

        Why: the bytes arrive as they are (no hex text to build and parse), the server streams
        from one snapshot without waiting between chunks, and this process only splits and hashes
        while the server and the child work on the other core. psycopg2 costs about 2 us per row
        it receives and takes the GIL back for each: in this process that was the limit, and a
        reading thread beside the hashing one made it worse (the per-row GIL hand-over); psql
        costs about 0.8 us per row, which one row per event made the limit, and one row per 1,024
        positions removed."""
        name = self.events.name if self.events.schema is None else f"{self.events.schema}.{self.events.name}"
        upper = int(upto) if upto is not None else self.head()
        sql = (f"COPY (SELECT (SELECT string_agg(int4send(octet_length(c)) || c, ''::bytea ORDER BY id) FROM "
               f"(SELECT id, {_PG_CANONICAL} AS c FROM {name} WHERE id > lo AND id <= least(lo + {_COPY_STEP}, "
               f"{upper}) OFFSET 0) AS r) FROM generate_series({int(after)}::int8, {upper}::int8 - 1, "
               f"{_COPY_STEP}) AS lo) TO STDOUT WITH (FORMAT binary)")
        child = _copy_child(self.engine.url, sql)
        assert child.stdout is not None and child.stderr is not None
        finished = False
        try:
            _widen_pipe(child.stdout.fileno())
            while data := child.stdout.read(256 << 10):  # small pieces keep the pipe draining (1 MiB: -25 %)
                yield data
            error = child.stderr.read().decode(errors="replace").strip()
            if child.wait() != 0:
                raise _CopyFailed(error.splitlines()[-1] if error else f"exit code {child.returncode}")
            finished = True
        finally:
            if not finished:
                child.kill()
            child.wait()
            for stream in (child.stdout, child.stderr):
                stream.close()

    def chain_segments(self, after: int, upto: int, start: bytes, counts: list[int]) -> Iterator[tuple[bytes, int]]:
        """Extend the chain from `start` over the stored events after `after` (up to `upto`) taking
        them `counts[k]` at a time: per count, the chain hash after those events and how many there
        were (fewer when the events ran out). Then, if events are left over, one more item with
        the hash over them and their number.

        This is verify's hot loop. Counting instead of comparing positions is exact: the chain hash
        commits to every record's bytes, its position included, so a window that does not hold
        exactly the sealed events cannot give the signed hash. On PostgreSQL the COPY stream is
        split and hashed in one loop, with no list of records in between (a quarter faster)."""
        if not (self.is_postgres and upto - after > COPY_FROM_EVENTS):
            yield from _chain_records((r for rows in self.canonical_chunks(after, upto) for r in rows), start, counts)
            return
        sha, row_header, length = hashlib.sha256, _ROW_HEADER.unpack_from, _LENGTH.unpack_from
        h, k, hashed = start, 0, 0
        want = counts[0] if counts else -1
        stream = _CopyStream()
        for data in self._pg_copy_pieces(after, upto):
            if (taken := stream.take(data)) is None:
                continue
            d, at, end, left = taken
            while True:
                if left == 0:  # at a row's header (or the trailer)
                    at, left = stream.row(d, at, end, row_header)
                    if left <= 0:
                        break
                while left and at + 4 <= end:  # the events of the row, as many as this piece holds
                    (size,) = length(d, at)
                    stop = at + 4 + size
                    if stop > end:
                        break
                    h = sha(h + d[at + 4: stop]).digest()
                    left -= stop - at
                    at = stop
                    hashed += 1
                    if hashed == want:
                        yield h, hashed
                        k, hashed = k + 1, 0
                        want = counts[k] if k < len(counts) else -1
                if left:
                    break
            stream.keep(d, at, end, left)
        stream.finish()
        yield from _chain_tail(h, hashed, k, counts)

    def events_of(self, aggregate_ids: list[str], upto: int) -> list[Any]:
        """The stored rows of these aggregates up to `upto`, in position order."""
        import uuid

        t = self.events
        ids = [uuid.UUID(a) for a in aggregate_ids]
        rows: list[Any] = []
        for i in range(0, len(ids), 500):
            query = (select(t.c.id, t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state)
                     .where(and_(t.c.originator_id.in_(ids[i: i + 500]), t.c.id <= upto)))
            with self.engine.connect() as conn:
                rows.extend(conn.execute(query).all())
        return sorted(rows, key=lambda r: r[0])


# SQLite holds any value in any column; the application writes the right types, so the values
# below only come from a direct write. They are sealed (and verified) in a fixed, documented way
# instead of stopping the seal: text as its UTF-8 bytes, an id that is no UUID as the first 16
# bytes of the SHA-256 of its text, a version that is no integer as -2**63.

def _id_bytes(value: Any) -> bytes:
    import hashlib
    import uuid

    if isinstance(value, (bytes, memoryview)) and len(value) == 16:
        return bytes(value)
    text = value.decode(errors="replace") if isinstance(value, (bytes, memoryview)) else str(value)
    try:
        return uuid.UUID(text).bytes
    except ValueError:
        return hashlib.sha256(text.encode()).digest()[:16]


def _int(value: Any) -> int:
    if isinstance(value, int) and -2**63 <= value < 2**63:
        return value
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -2**63
    return number if -2**63 <= number < 2**63 else -2**63


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode(errors="replace")
    return "" if value is None else str(value)


def _blob(value: Any) -> bytes:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode(errors="surrogatepass")
    return b"" if value is None else str(value).encode()


# The Python child of SealStore._pg_copy_chunks (when psql is not installed): the binary COPY stream on stdout.
_COPY_CHILD = """
import os, sys
import psycopg2
connection = psycopg2.connect(os.environ["LEDGER_SEAL_COPY_DSN"])
connection.autocommit = True
connection.cursor().copy_expert(os.environ["LEDGER_SEAL_COPY_SQL"], sys.stdout.buffer)
sys.stdout.buffer.flush()
"""


def _widen_pipe(fd: int) -> None:
    """Let the child run ahead by a megabyte instead of the pipe's default 64 KiB (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ
    except (ImportError, OSError):
        pass


def _copy_child(url: Any, sql: str) -> subprocess.Popen[bytes]:
    """The process that receives the COPY: `psql` when it is installed (C, well under a
    microsecond per row), else a Python child with psycopg2 (about 2 µs per row)."""
    env = dict(os.environ)
    psql = shutil.which("psql")
    if psql is not None:
        parts = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username,
                 **{k: v for k, v in url.query.items() if isinstance(v, str)}}
        conninfo = " ".join(f"{k}='{_libpq_quote(str(v))}'" for k, v in parts.items() if v is not None)
        if url.password is not None:
            env["PGPASSWORD"] = str(url.password)
        return subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    env["LEDGER_SEAL_COPY_DSN"] = url.set(drivername="postgresql").render_as_string(hide_password=False)
    env["LEDGER_SEAL_COPY_SQL"] = sql
    return subprocess.Popen([sys.executable, "-c", _COPY_CHILD], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def _libpq_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class _CopyFailed(RuntimeError):
    """The COPY of the events failed (the database's message)."""


_ROW_HEADER = struct.Struct(">hi")  # a binary COPY row: field count, then the one field's length (-1: NULL)
_LENGTH = struct.Struct(">I")  # each event's canonical bytes inside a row: their length
_COPY_STEP = 1024  # positions per COPY row


class _CopyStream:
    """The state of splitting PostgreSQL's binary COPY stream of `_pg_copy_pieces` (one bytea
    column of length-prefixed records per row) across pieces of any size: the bytes of an
    unfinished record or header are kept for the next piece; rows must come in position order."""

    _SIGNATURE = b"PGCOPY\n\xff\r\n\x00"

    def __init__(self) -> None:
        self.pending = b""
        self.left = 0  # bytes of the current row not yet split
        self.header = True
        self.done = False
        self.last_position = -1

    def take(self, data: bytes) -> tuple[bytes, int, int, int] | None:
        """The bytes to split now (kept ones first), where to start, their end, the row's bytes
        left; None while the stream's header is incomplete."""
        d = self.pending + data if self.pending else data
        at = 0
        if self.header:
            if len(d) < 19:
                self.pending = d
                return None
            if d[:11] != self._SIGNATURE:
                raise ValueError("not a binary COPY stream")
            at, self.header = 19 + int.from_bytes(d[15:19], "big"), False
        return d, at, len(d), self.left

    def row(self, d: bytes, at: int, end: int, row_header: Any) -> tuple[int, int]:
        """Past the next row's header: (offset, bytes in the row); bytes <= 0 to stop this piece."""
        while at + 6 <= end:
            fields, size = row_header(d, at)
            if fields < 0:
                break
            at += 6
            if size <= 0:  # NULL: no events in that range of positions
                continue
            if at + 12 <= end:  # rows must come in order (the query's ranges are generated in order)
                first = int.from_bytes(d[at + 4: at + 12], "big")
                if first <= self.last_position:
                    raise RuntimeError("the database returned the ranges of positions out of order")
                self.last_position = first
            return at, size
        if end - at == 2 and d[at] == 0xFF:
            self.done = True
            return end, -1
        return at, 0

    def keep(self, d: bytes, at: int, end: int, left: int) -> None:
        self.left = max(left, 0)
        self.pending = d[at:] if at < end else b""

    def finish(self) -> None:
        if self.pending or self.left or not self.done:
            raise ValueError("the binary COPY stream ended inside a row")


def _copy_records(pieces: Iterator[bytes]) -> Iterator[list[Any]]:
    """The canonical bytes in a `_pg_copy_pieces` stream: a list per piece."""
    row_header, length = _ROW_HEADER.unpack_from, _LENGTH.unpack_from
    stream = _CopyStream()
    for data in pieces:
        if (taken := stream.take(data)) is None:
            continue
        d, at, end, left = taken
        records: list[Any] = []
        while True:
            if left == 0:
                at, left = stream.row(d, at, end, row_header)
                if left <= 0:
                    break
            while left and at + 4 <= end:
                (size,) = length(d, at)
                stop = at + 4 + size
                if stop > end:
                    break
                records.append(d[at + 4: stop])
                left -= stop - at
                at = stop
            if left:
                break
        stream.keep(d, at, end, left)
        yield records
    stream.finish()


def _chain_records(records: Iterator[Any], start: bytes, counts: list[int]) -> Iterator[tuple[bytes, int]]:
    """`SealStore.chain_segments` over records already split."""
    sha = hashlib.sha256
    h, k, hashed = start, 0, 0
    want = counts[0] if counts else -1
    for record in records:
        h = sha(h + record).digest()
        hashed += 1
        if hashed == want:
            yield h, hashed
            k, hashed = k + 1, 0
            want = counts[k] if k < len(counts) else -1
    yield from _chain_tail(h, hashed, k, counts)


def _chain_tail(h: bytes, hashed: int, k: int, counts: list[int]) -> Iterator[tuple[bytes, int]]:
    """After the last record: the segment in progress, then empty segments for the counts left
    (the records ran out early), or the records past the last count."""
    if k < len(counts):
        yield h, hashed
        for _ in counts[k + 1:]:
            yield h, 0
    elif hashed:
        yield h, hashed
