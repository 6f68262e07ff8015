"""Standard conversion (标准转换, seed 2.3.3.1) as data: which read-model field fills which standard
column, in which format, through which code list; and one pure function that applies it.

The mappings themselves are in projections/ministry/mappings.py. A change of standard (a renamed
column, a new code) is a change there, not here. `convert` never raises on bad data: it returns
the standard row and what it found wrong with it (missing required values, values outside a code
list, text too long for its column), which is what the completeness check (查漏补缺, seed 2.3.3.2)
reports per table and field and a per-table policy acts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from projections.ministry.catalogue import CATALOGUE
from projections.ministry.tables import Kind, Table

CHINA = ZoneInfo("Asia/Shanghai")


class Format(StrEnum):
    TEXT = "text"  # str(value), surrounding blanks removed; "" becomes NULL
    CST = "cst"  # an aware time -> China Standard Time without offset (the standard's datetimes)
    CODE = "code"  # our code -> the standard's code, through the field's code list
    LABEL = "label"  # our code -> the standard's label (中文 name), through the field's code list
    INTEGER = "integer"


@dataclass(frozen=True, slots=True)
class CodeList:
    """Our codes (domain/shared/codes.py) -> the standard's (code, label)."""

    name: str
    zh: str
    source: str  # where the standard's codes come from (or that they are inferred)
    entries: Mapping[str, tuple[str | None, str]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))


@dataclass(frozen=True, slots=True)
class FieldMap:
    column: str  # the standard column
    source: str  # the read-model field
    format: Format = Format.TEXT
    code_list: CodeList | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class TableMapping:
    """How one read model becomes one standard table. `key` fills CD_ID; `only` keeps the rows
    whose field holds one of the values (an industry extension table takes its industries only)."""

    table: str
    read_model: str
    key: str
    fields: tuple[FieldMap, ...]
    only: tuple[str, frozenset[str]] | None = None

    @property
    def target(self) -> Table:
        return CATALOGUE[self.table]

    def applies_to(self, row: Mapping[str, Any]) -> bool:
        if self.only is None:
            return True
        field, values = self.only
        return str(row.get(field)) in values


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with one converted row, in the words the completeness check reports."""

    table: str
    column: str
    kind: str  # missing | not_in_code_list | too_long | bad_value
    key: str | None
    value: Any = None

    def __str__(self) -> str:
        what = {"missing": "required value missing", "not_in_code_list": "value outside the code list",
                "too_long": "value longer than the column", "bad_value": "value of the wrong kind"}[self.kind]
        shown = "" if self.value is None else f": {self.value!r}"
        return f"{self.table}.{self.column} ({self.key}): {what}{shown}"


@dataclass(frozen=True, slots=True)
class Converted:
    row: dict[str, Any]  # standard column -> value (business columns and CD_ID; no other exchange column)
    findings: tuple[Finding, ...]

    @property
    def complete(self) -> bool:
        return not self.findings


def convert(mapping: TableMapping, source: Mapping[str, Any]) -> Converted:
    """One read-model row -> one standard row and its findings. Pure."""
    target = mapping.target
    key = _text(source.get(mapping.key))
    findings: list[Finding] = []
    row: dict[str, Any] = {"cd_id": key}
    for field in mapping.fields:
        value, problem = _apply(field, source.get(field.source))
        if problem:
            findings.append(Finding(target.name, field.column, problem, key, source.get(field.source)))
        row[field.column] = value
    for column in target.columns:
        value = row.get(column.name)
        if column.required and value is None and not any(f.column == column.name for f in findings):
            findings.append(Finding(target.name, column.name, "missing", key))
        elif column.kind is Kind.VARCHAR and isinstance(value, str) and len(value) > (column.length or 0):
            findings.append(Finding(target.name, column.name, "too_long", key, value))
    if key is None:
        findings.append(Finding(target.name, "cd_id", "missing", None))
    return Converted(row, tuple(findings))


def _apply(field: FieldMap, value: Any) -> tuple[Any, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if field.format is Format.TEXT:
        return _text(value), None
    if field.format is Format.INTEGER:
        try:
            return int(value), None
        except (TypeError, ValueError):
            return None, "bad_value"
    if field.format is Format.CST:
        return _china_time(value)
    assert field.code_list is not None, f"{field.column}: a {field.format} field names its code list"
    entry = field.code_list.entries.get(str(value).strip())
    if entry is None:
        return None, "not_in_code_list"
    return (entry[0] if field.format is Format.CODE else entry[1]), None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _china_time(value: Any) -> tuple[datetime | None, str | None]:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None, "bad_value"
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=CHINA)
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None, "bad_value"  # a naive time cannot be placed: read models store aware times only
    return value.astimezone(CHINA).replace(tzinfo=None, microsecond=0), None
