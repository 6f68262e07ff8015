"""The ministry projection's tables and the rules of a staging row.

Staging (`mx_staging`) holds one row per standard table and CD_ID: the converted row exactly as it
is to be sent (text cut to its column), its CD_OPERATION (i/u/d), a hash, the ledger position of
the last event that changed it, and the conversion's findings. The exchange
(schedulers/exchange.py) sends the rows whose position lies in (watermark, head].

A row's operation follows its record's life: `i` when it first appears (or reappears after a
deletion), `u` when its converted content changes, `d` when the record is deregistered,
deactivated or withdrawn. An event that changes nothing the standard carries (a risk event for the
enterprise table, say) leaves the row and its position alone, so it is not sent again.

The other tables are the projection's own sources (a projection reads only its own tables, which
may be at another position than the register's): `mx_enterprises` (the register's enterprise row
plus the safety officer), thin `mx_risks` / `mx_hazards` (what the enterprise counters need), and
`mx_sources` (users, reminders, plan entries and plan periods as JSON, keyed `<kind>:<id>`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table

from projections import schema
from projections.ministry.conversion import Converted, TableMapping
from projections.ministry.tables import Kind
from projections.ministry.tables import Table as StandardTable  # noqa: F401  (fitted's parameter)
from projections.schema import ID, metadata

enterprises = Table(
    "mx_enterprises", metadata,
    *(column._copy() for column in schema.enterprises.columns),
    Column("safety_officer_name", String(100)),
    Column("safety_officer_mobile", String(40)),
)

risks = Table(
    "mx_risks", metadata,
    Column("risk_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
    Column("level", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
)

hazards = Table(
    "mx_hazards", metadata,
    Column("hazard_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
    Column("level", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("failed_acceptances", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
)

sources = Table(
    "mx_sources", metadata,
    Column("skey", String(120), primary_key=True),  # user:<id> | reminder:<id> | entry:<id> | period:<YYYY-MM>
    Column("data", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
)

staging = Table(
    "mx_staging", metadata,
    Column("skey", String(170), primary_key=True),  # <table>/<cd_id>
    Column("table_name", String(64), nullable=False),
    Column("cd_id", String(100), nullable=False),
    Column("operation", String(1), nullable=False),  # i | u | d
    Column("row", JSON, nullable=False),  # standard column -> value (datetimes as ISO text, China time)
    Column("row_hash", String(64), nullable=False),
    Column("findings", JSON, nullable=False),  # [[column, kind, value or null], ...]
    Column("position", BigInteger, nullable=False),
    Index("ix_mx_staging_table_position", "table_name", "position"),
)

TABLES = (enterprises, risks, hazards, sources, staging)


def staging_key(table: str, cd_id: str) -> str:
    return f"{table}/{cd_id}"


def plain(value: Any) -> Any:
    """A value as JSON holds it: times and dates as ISO text (seconds), decimals as text."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def fitted(table: StandardTable, row: Mapping[str, Any]) -> dict[str, Any]:
    """The converted row as JSON holds it, text cut to its column (a finding says it was too long)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        value = plain(value)
        if isinstance(value, str):
            column = table.column(name)
            if column.kind is Kind.VARCHAR and column.length and len(value) > column.length:
                value = value[:column.length]
        out[name] = value
    return out


def row_hash(row: Mapping[str, Any], operation: str) -> str:
    """SHA-256 of the operation and the row (keys sorted, values as JSON holds them)."""
    text = json.dumps([operation, {k: plain(v) for k, v in row.items()}], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def findings_of(converted: Converted) -> list[list[Any]]:
    return [[f.column, f.kind, None if f.value is None else str(plain(f.value))[:200]] for f in converted.findings]


_GETTERS: dict[str, Any] = {}


def _getter(mapping: TableMapping) -> Any:
    getter = _GETTERS.get(mapping.table)
    if getter is None:
        getter = _GETTERS[mapping.table] = itemgetter(mapping.key, *(f.source for f in mapping.fields))
    return getter


def fingerprint(mapping: TableMapping, source: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a record's standard row is made of (the key and the mapped fields): equal fingerprints
    convert to equal rows."""
    try:
        return _getter(mapping)(source)
    except KeyError:  # a source row without some field (an odd event): the field is empty
        return (source.get(mapping.key), *(source.get(f.source) for f in mapping.fields))


State = tuple[tuple[Any, ...] | None, bool]  # (fingerprint, alive); no fingerprint is needed while not alive


class Transitions:
    """The operation and position of each record's last change in a batch, judged event by event,
    so that a record's staging row is the same however the log was cut into batches (a record
    registered and renamed in one batch is `u` at the rename, as it is when the two events arrive
    in two batches): `i` when it becomes alive, `u` when its fingerprint changes while alive, `d`
    when it stops being alive. A deleted record's later changes are not staged: its `d` row keeps
    what it was when it was deleted."""

    def __init__(self) -> None:
        self.changes: dict[tuple[str, str], tuple[TableMapping, str, int]] = {}

    def note(self, key: str, mapping: TableMapping, before: State | None, after: State, position: int) -> None:
        before_fp, before_alive = before if before is not None else (None, False)
        after_fp, after_alive = after
        if after_alive:
            if before_alive and after_fp == before_fp:
                return
            operation = "u" if before_alive else "i"
        elif before_alive:
            operation = "d"
        else:
            return
        self.changes[(mapping.table, key)] = (mapping, operation, position)


def staging_row(mapping: TableMapping, converted: Converted, operation: str, position: int) -> dict[str, Any] | None:
    """The staging row of a record after its last change (None without a key: nothing to stage)."""
    cd_id = converted.row.get("cd_id")
    if cd_id is None:
        return None
    row = fitted(mapping.target, converted.row)
    return {
        "skey": staging_key(mapping.table, str(cd_id)), "table_name": mapping.table, "cd_id": str(cd_id)[:100],
        "operation": operation, "row": row, "row_hash": row_hash(row, operation), "findings": findings_of(converted),
        "position": position,
    }


def checksum(hashes: Sequence[tuple[str, str]]) -> str:
    """A batch's checksum: SHA-256 over its rows' `cd_id:hash` lines in key order."""
    digest = hashlib.sha256()
    for cd_id, hashed in sorted(hashes):
        digest.update(f"{cd_id}:{hashed}\n".encode())
    return digest.hexdigest()
