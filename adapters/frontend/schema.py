"""Standard tables -> SQLAlchemy tables for one dialect, and the comparison of a live table with its
declaration. The declarations live in projections/ministry/ (which adapters may not import); this
module states what it needs of them as Protocols, and api/ hands them in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy import types as sqltypes


class ColumnSpec(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...  # varchar | text | datetime | date | decimal | integer
    @property
    def length(self) -> int | None: ...
    @property
    def scale(self) -> int | None: ...
    @property
    def required(self) -> bool: ...


class TableSpec(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def all_columns(self) -> Sequence[ColumnSpec]: ...
    @property
    def primary_key(self) -> tuple[str, ...]: ...
    def index_name(self, max_length: int) -> str: ...


def is_mysql(dialect: Any) -> bool:
    return dialect.name in ("mysql", "mariadb")


def index_name_limit(dialect: Any) -> int:
    """The longest index name the dialect allows: MySQL/MariaDB 64 (SQLAlchemy's general
    identifier limit there is 255, for aliases), PostgreSQL 63."""
    return getattr(dialect, "max_index_name_length", None) or dialect.max_identifier_length


def column_type(spec: ColumnSpec) -> Any:
    kind = str(spec.kind)
    if kind == "varchar":
        return String(spec.length)
    if kind == "text":
        return Text()
    if kind == "datetime":
        return DateTime()
    if kind == "date":
        return Date()
    if kind == "decimal":
        return Numeric(spec.length, spec.scale or 0)
    if kind == "integer":
        return Integer()
    raise ValueError(f"{spec.name}: unknown column kind {kind!r}")


def build(specs: Iterable[TableSpec], dialect: Any) -> MetaData:
    """The tables as this dialect should hold them. The primary-key index carries the standard's
    name: on PostgreSQL the key constraint is named (its index takes the name); MySQL/MariaDB name
    every primary key PRIMARY, so a unique index with the standard's name is added there."""
    metadata = MetaData()
    limit = index_name_limit(dialect)
    for spec in specs:
        name = spec.index_name(limit)
        columns = [Column(c.name, column_type(c), nullable=not c.required and c.name not in spec.primary_key)
                   for c in spec.all_columns]
        options: dict[str, Any] = {}
        extra: list[Any] = []
        if is_mysql(dialect):
            prefix = dialect.name  # mariadb+pymysql:// reads mariadb_* options and ignores mysql_* ones
            options = {f"{prefix}_engine": "InnoDB", f"{prefix}_charset": "utf8mb4",
                       f"{prefix}_collate": "utf8mb4_unicode_ci"}
            extra.append(PrimaryKeyConstraint(*spec.primary_key))
            extra.append(Index(name, *spec.primary_key, unique=True))
        else:
            extra.append(PrimaryKeyConstraint(*spec.primary_key, name=name))
        Table(spec.name, metadata, *columns, *extra, **options)
    return metadata


def reflected_kind(type_: Any) -> tuple[str, int | None, int | None]:
    """A reflected column type in the declarations' terms: (kind, length, scale)."""
    if isinstance(type_, sqltypes.Text):
        return "text", None, None
    if isinstance(type_, sqltypes.String):
        return "varchar", type_.length, None
    if isinstance(type_, sqltypes.DateTime):
        return "datetime", None, None
    if isinstance(type_, sqltypes.Date):
        return "date", None, None
    if isinstance(type_, sqltypes.Integer):
        return "integer", None, None
    if isinstance(type_, sqltypes.Numeric):
        return "decimal", type_.precision, type_.scale
    return type(type_).__name__.lower(), None, None


def declared_kind(spec: ColumnSpec) -> tuple[str, int | None, int | None]:
    kind = str(spec.kind)
    if kind == "varchar":
        return kind, spec.length, None
    if kind == "decimal":
        return kind, spec.length, spec.scale or 0
    return kind, None, None


def _shown(kind: tuple[str, int | None, int | None]) -> str:
    name, length, scale = kind
    if name == "decimal":
        return f"decimal({length},{scale})"
    return f"{name}({length})" if length is not None else name


def column_differences(spec: TableSpec, reflected: list[dict[str, Any]]) -> list[str]:
    """What differs between the declared columns and the live ones, one phrase each."""
    live = {c["name"].lower(): c for c in reflected}
    declared = {c.name: c for c in spec.all_columns}
    problems = [f"missing column {name}" for name in declared if name not in live]
    problems += [f"undeclared column {name}" for name in live if name not in declared]
    for name, column in declared.items():
        if name not in live:
            continue
        want, have = declared_kind(column), reflected_kind(live[name]["type"])
        if want != have:
            problems.append(f"{name} is {_shown(have)}, declared {_shown(want)}")
        if column.required and live[name].get("nullable", True):
            problems.append(f"{name} allows NULL, declared NOT NULL")
    return problems


def index_names(inspector: Any, table: str) -> set[str]:
    """Names under which a table's primary key is indexed: the key constraint's and unique indexes'."""
    names = set()
    pk = inspector.get_pk_constraint(table)
    if pk.get("name"):
        names.add(pk["name"])
    names.update(i["name"] for i in inspector.get_indexes(table) if i.get("unique") and i.get("name"))
    return names
