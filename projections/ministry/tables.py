"""The shape of a ministry standard table, as data: columns, key, exchange frequency, who fills it.

Seed package B (2.3.1-2.3.4) and shared/reference/domain-standards.md §4. The tables themselves are
declared in projections/ministry/catalogue.py; this module holds the small types they are made of
and the standard's naming rules (index names, batch numbers), which are pure functions.

Names are declared in lower case: created unquoted, `CD_ID` and `cd_id` then both work on
PostgreSQL, MySQL/MariaDB and Oracle alike (PostgreSQL folds unquoted names to lower case, Oracle
to upper case, MySQL compares column names case-insensitively).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    """Column types of the standard, mapped to each dialect by the front-end adapter."""

    VARCHAR = "varchar"
    TEXT = "text"
    DATETIME = "datetime"  # China Standard Time, no offset (DATETIME / TIMESTAMP WITHOUT TIME ZONE)
    DATE = "date"
    DECIMAL = "decimal"
    INTEGER = "integer"


class Origin(StrEnum):
    """Where a column's name and type come from (docs/ministry-exchange.md prints it per column)."""

    RECOVERED = "recovered"  # read in a public implementation of the standard (reference §4.1-4.5)
    INFERRED = "inferred"  # named by analogy with a recovered table or a stated convention
    DERIVED = "derived"  # the standard's list was not found; the column is what our ledger knows
    TECHNICAL = "technical"  # the exchange columns every table carries (reference §4.1)


class Frequency(StrEnum):
    """Exchange frequency, seed 2.3.1.4 and the per-table list of 2.3.4.2."""

    HOURLY = "hourly"
    DAILY = "daily"

    @property
    def label_zh(self) -> str:
        return {"hourly": "每小时", "daily": "每天"}[self.value]


class Fill(StrEnum):
    """Who writes a table's rows into the front-end database."""

    LEDGER = "ledger"  # converted from our read models by the exchange
    LEDGER_LATER = "ledger (later)"  # ours to fill once the read model it comes from exists
    OTHER_SYSTEMS = "other systems"  # created empty by `ledger frontend init`; fed by other systems


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    zh: str
    kind: Kind
    length: int | None = None  # varchar length in characters; decimal precision
    scale: int | None = None  # decimal scale
    required: bool = False
    origin: Origin = Origin.RECOVERED

    @property
    def type_text(self) -> str:
        if self.kind is Kind.VARCHAR:
            return f"varchar({self.length})"
        if self.kind is Kind.DECIMAL:
            return f"decimal({self.length},{self.scale or 0})"
        return self.kind.value


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    zh: str
    group: str  # the seed's 业务大类 (监管对象基础信息, 政务服务事项办件信息, ...)
    columns: tuple[Column, ...]  # the business columns; the technical ones are added by `all_columns`
    frequency: Frequency
    fill: Fill
    sources: str  # where the column list comes from, one line (printed in the docs)
    note: str = ""
    primary_key: tuple[str, ...] = ("cd_id",)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + TECHNICAL_COLUMNS

    def column(self, name: str) -> Column:
        for column in self.all_columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def index_name(self, max_length: int) -> str:
        return index_name(self.name, self.primary_key, max_length)


# --- the exchange's technical columns (reference §4.1) --------------------------------------------
#
# CD_ID is the source's business key and the table's primary key: the DDL comment recovered for
# the exchange tables reads 「主键（部门编码主键）」. One row per record and key, upserted by the
# exchange; CD_OPERATION says whether its last change was an insert, update or delete, so a
# deletion stays visible to the ministry as a `d` row. DATA_UP_* are the front-end database's own
# bookkeeping, which the governance tools require to be present (reference §4.1, last paragraph).

TECHNICAL_COLUMNS: tuple[Column, ...] = (
    Column("cd_id", "主键（部门编码主键）", Kind.VARCHAR, 100, required=True, origin=Origin.TECHNICAL),
    Column("cd_time", "插入时间", Kind.DATETIME, required=True, origin=Origin.TECHNICAL),
    Column("cd_source", "来源（省份区划代码）", Kind.VARCHAR, 100, required=True, origin=Origin.TECHNICAL),
    Column("cd_batch", "批次号（日期+次数）", Kind.VARCHAR, 100, required=True, origin=Origin.TECHNICAL),
    Column("cd_operation", "操作类型 i/u/d", Kind.VARCHAR, 100, required=True, origin=Origin.TECHNICAL),
    Column("data_up_uuid", "前置库数据主键", Kind.VARCHAR, 36, required=True, origin=Origin.TECHNICAL),
    Column("data_up_time", "数据入库时间", Kind.DATETIME, required=True, origin=Origin.TECHNICAL),
    Column("data_up_status", "数据状态 I/U/D", Kind.VARCHAR, 1, required=True, origin=Origin.TECHNICAL),
)
TECHNICAL_NAMES = tuple(c.name for c in TECHNICAL_COLUMNS)

SOURCE_HENAN = "410000"  # CD_SOURCE: the province's division code (reference §4.1; Henan = 410000)
OPERATIONS = {"i": "I", "u": "U", "d": "D"}  # CD_OPERATION -> DATA_UP_STATUS

# Identifier limits of the databases a front-end may run on (characters).
IDENTIFIER_LIMITS = {"mysql": 64, "mariadb": 64, "postgresql": 63, "oracle": 30}


def index_name(table: str, primary_key: tuple[str, ...], max_length: int) -> str:
    """The seed's rule (2.3.1.3): `I_<table>_<pk>`, or `<table>_<pk>` when that is too long for
    the database. When even that is too long (Oracle up to 12.1 allows 30), the seed says nothing;
    our rule: `<table>_<pk>` cut short, then `_` and 6 hex digits of its SHA-1, so two long names
    sharing a prefix stay distinct. A composite key is joined with `_`."""
    key = "_".join(primary_key)
    for candidate in (f"I_{table}_{key}", f"{table}_{key}"):
        if len(candidate) <= max_length:
            return candidate
    full = f"{table}_{key}"
    digest = hashlib.sha1(full.encode()).hexdigest()[:6]
    return f"{full[:max_length - 7]}_{digest}"


_BATCH = re.compile(r"^\d{8}\d{5}$")


def batch_number(day: date, sequence: int) -> str:
    """CD_BATCH: the date and the day's sequence number in 5 digits; the second batch of
    2026-12-02 is `2026120200002` (reference §4.1)."""
    if not 1 <= sequence <= 99_999:
        raise ValueError(f"batch sequence {sequence} is outside 1..99999")
    return f"{day:%Y%m%d}{sequence:05d}"


def parse_batch_number(text: str) -> tuple[date, int]:
    if not _BATCH.match(text):
        raise ValueError(f"{text!r} is not a batch number (8-digit date and 5-digit sequence, e.g. 2026120200002)")
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])), int(text[8:])


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every declared table, in the seed's order."""

    tables: tuple[Table, ...]
    by_name: dict[str, Table] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {t.name: t for t in self.tables})

    def __getitem__(self, name: str) -> Table:
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"no standard table {name!r}; known: {', '.join(self.by_name)}") from None

    def __iter__(self):  # noqa: ANN204
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)
