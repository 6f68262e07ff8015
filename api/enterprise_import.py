"""Bulk enterprise registration from CSV, where every physical line of the file is accounted for:
the header, imported, unchanged (an identical registration exists), skipped (blank), or rejected
with its line number and reason. A re-run of the same file changes nothing (creates are idempotent).

Why line by line rather than `csv.DictReader` over the whole file: a quote that never closes made
the reader swallow every following line into one cell (half of a 100,000-line file vanished
without a word), and one byte that is not UTF-8 stopped the whole import with a traceback. Here
each physical line is decoded and parsed on its own, so a bad line is rejected and the next line
starts afresh. The price: a quoted cell cannot span lines, which no column of the register needs
(and a line break in a cell would be refused as a control character anyway).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.enterprises.commands import EnterpriseCommands, EnterpriseSpec
from domain.ledger import Ledger
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import DomainError, InvalidValues
from domain.shared.text import find_control_character

COLUMNS = (
    "credit_code", "name", "region_code", "industry", "supervision_level",
    "safety_officer_name", "safety_officer_mobile", "registered_at",
)
MAX_LINE_BYTES = 64 * 1024  # a register line is a few hundred bytes; a longer one is not a register line
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    """Counts that add up to `lines`, the physical lines read (see `accounted`)."""

    lines: int = 0
    header: int = 0
    imported: int = 0  # in a dry run: would be imported
    unchanged: int = 0
    skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    stopped: Rejection | None = None  # a failure that ended the import early (e.g. the database went away)

    @property
    def accounted(self) -> int:
        return self.header + self.imported + self.unchanged + self.skipped + len(self.rejected)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(Rejection(line, reason))


def write_rejections(path: Path, report: ImportReport) -> None:
    """Every rejected line as CSV (line,reason), for the operator to fix and re-run."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "reason"])
        writer.writerows((r.line, r.reason) for r in report.rejected)


class _Rejected(Exception):
    """The line is rejected; the message is the reason."""


def import_enterprises(
    path: Path,
    commands: EnterpriseCommands,
    context: Callable[[], CommandContext],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import `path` (a dry run with `dry_run_commands`); never raises for what is in the file. A
    failure of the ledger itself (the database unreachable) ends the import with `report.stopped`
    set and the counts so far intact."""
    report = ImportReport()
    columns: tuple[str, ...] | None = None
    header_line = 0
    for number, raw in _physical_lines(path):
        report.lines = number
        try:
            cells = _cells(raw, first=number == 1)
        except _Rejected as error:
            report.reject(number, str(error))
            header_line = header_line or number  # an unreadable first record is an invalid header
            continue
        if cells is None:
            report.skipped += 1
            continue
        if not header_line:
            header_line, problem = number, _header_problem(cells)
            if problem:
                report.reject(number, problem)
            else:
                columns = tuple(cell.strip() for cell in cells)
                report.header = 1
            continue
        if columns is None:
            report.reject(number, f"not imported: the header (line {header_line}) is invalid")
            continue
        try:
            outcome = _register(commands, context, columns, cells)
        except _Rejected as error:
            report.reject(number, str(error))
            continue
        except Exception as error:  # noqa: BLE001 - not the line's fault: stop, but report
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""  # no SQL, no parameters
            report.stopped = Rejection(number, f"the import stopped here: {type(error).__name__}: {first_line}")
            report.reject(number, f"not imported: {type(error).__name__} (the import stopped here)")
            break
        if outcome == "unchanged":
            report.unchanged += 1
        else:
            report.imported += 1
        if progress:
            progress(number)
    return report


def _physical_lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """Each line's bytes without its line ending (LF or CRLF), or None for a line longer than
    MAX_LINE_BYTES (read past, never held in memory whole)."""
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
            else:
                yield number, raw.removesuffix(b"\n").removesuffix(b"\r")


def _cells(raw: bytes | None, first: bool) -> list[str] | None:
    """The line's cells, None for a blank line, or _Rejected with the reason."""
    if raw is None:
        raise _Rejected(f"line longer than {MAX_LINE_BYTES} bytes")
    if first:
        raw = raw.removeprefix(BOM)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Rejected(f"invalid UTF-8 at byte {error.start + 1} of the line (the file must be UTF-8)") from None
    if not text.strip():
        return None
    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise _Rejected("unterminated quote (a quoted cell must close on the same line)") from None
        raise _Rejected(f"malformed CSV: {error}") from None


def _header_problem(cells: list[str]) -> str | None:
    names = [cell.strip() for cell in cells]
    unknown = [name for name in names if name not in COLUMNS]
    missing = [name for name in COLUMNS if name not in names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems = [
        f"{label}: {', '.join(found)}"
        for label, found in (("unknown columns", unknown), ("missing columns", missing), ("repeated columns", repeated))
        if found
    ]
    return "; ".join(problems) + f" (expected {', '.join(COLUMNS)})" if problems else None


def _register(
    commands: EnterpriseCommands, context: Callable[[], CommandContext], columns: tuple[str, ...], cells: list[str]
) -> str:
    """'imported' or 'unchanged'; _Rejected for a rejected line; anything else is not the line's fault."""
    if len(cells) != len(columns):
        raise _Rejected(f"{len(cells)} cells, expected {len(columns)} ({', '.join(columns)})")
    values = dict(zip(columns, cells, strict=True))
    for column in columns:
        if (found := find_control_character(values[column])) is not None:
            raise _Rejected(f"{column}: {found.message()}")
    try:
        registered_at = datetime.fromisoformat(values["registered_at"].strip())
    except ValueError:
        raise _Rejected(f"registered_at: {values['registered_at']!r} is not an ISO 8601 time, "
                          "e.g. 2026-01-05T09:00:00+08:00") from None
    spec = EnterpriseSpec(
        credit_code=values["credit_code"], name=values["name"], region_code=values["region_code"],
        industry=values["industry"], supervision_level=values["supervision_level"],
        safety_officer_name=values["safety_officer_name"], safety_officer_mobile=values["safety_officer_mobile"],
        registered_at=registered_at,
    )
    try:
        receipt = commands.register(context(), spec)
    except InvalidValues as error:
        raise _Rejected("; ".join(str(e) for e in error.errors)) from None
    except DomainError as error:
        raise _Rejected(str(error)) from None
    return "unchanged" if receipt.position is None else "imported"


@dataclass(frozen=True)
class _Planned:
    """What a dry run remembers of an enterprise it would register: enough to compare a repeat."""

    id: UUID
    version: int
    registration: Any

    def same_registration(self, content: dict[str, Any]) -> bool:
        return self.registration == content


class DryRunner(CommandRunner):
    """Runs each command through the same validation and decisions as a real import, but keeps what
    it would commit in memory instead of writing it, so a later line of the same file sees it (a
    repeat is unchanged, a different one a conflict), exactly as in the real run."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger, self)
        self._planned: dict[UUID, _Planned] = {}

    def exists(self, aggregate_id: UUID) -> Any:
        return self._planned.get(aggregate_id) or super().exists(aggregate_id)

    def commit(self, aggregate: Any, context: CommandContext) -> Receipt:
        self._planned[aggregate.id] = _Planned(aggregate.id, aggregate.version, aggregate.registration)
        return Receipt(aggregate.id, aggregate.version, position=0, created=True)


def dry_run_commands(ledger: Ledger) -> EnterpriseCommands:
    """Enterprise commands that validate and decide but never write."""
    return EnterpriseCommands(DryRunner(ledger))
