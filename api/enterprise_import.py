"""Bulk enterprise registration from CSV: every bad row reported with its line number and reason,
good rows imported, and a re-run of the same file changes nothing (creates are idempotent)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from domain.enterprises.commands import EnterpriseCommands, EnterpriseSpec
from domain.shared.commands import CommandContext
from domain.shared.errors import DomainError, InvalidValues

COLUMNS = (
    "credit_code", "name", "region_code", "industry", "supervision_level",
    "safety_officer_name", "safety_officer_mobile", "registered_at",
)


@dataclass
class ImportReport:
    imported: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    return value


def import_enterprises(
    path: Path, commands: EnterpriseCommands, context: Callable[[], CommandContext], progress: Callable[[int], None] | None = None
) -> ImportReport:
    report = ImportReport()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            report.errors.append((1, f"missing columns: {', '.join(missing)} (expected {', '.join(COLUMNS)})"))
            return report
        for row in _rows(reader):
            line, values = row
            try:
                spec = EnterpriseSpec(
                    credit_code=values["credit_code"], name=values["name"], region_code=values["region_code"],
                    industry=values["industry"], supervision_level=values["supervision_level"],
                    safety_officer_name=values["safety_officer_name"],
                    safety_officer_mobile=values["safety_officer_mobile"],
                    registered_at=_parse_time(values["registered_at"]),
                )
                receipt = commands.register(context(), spec)
            except ValueError as error:
                report.errors.append((line, f"registered_at: {error}"))
            except InvalidValues as error:
                report.errors.append((line, "; ".join(str(e) for e in error.errors)))
            except DomainError as error:
                report.errors.append((line, str(error)))
            else:
                if receipt.position is None:
                    report.unchanged += 1
                else:
                    report.imported += 1
            if progress:
                progress(line)
    return report


def _rows(reader: csv.DictReader) -> Iterable[tuple[int, dict[str, str]]]:
    for values in reader:
        yield reader.line_num, {k: (v or "") for k, v in values.items() if k}
