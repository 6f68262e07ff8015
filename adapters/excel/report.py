"""Reports as .xlsx workbooks: several sheets, each with a title block (what, as of which ledger
position, generated when) above a header row of Chinese column names.

Every text cell is written as a string, never interpreted: a name starting with "=", "+", "-" or
"@" stays text (spreadsheet injection), and the workbook is created with formulas, numbers and
URLs from strings switched off. Times are naive China time (Excel has no offsets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from typing import Any, BinaryIO

import xlsxwriter

from adapters.excel.export import EXCEL_MAX_DATA_ROWS, _local


@dataclass(frozen=True)
class Column:
    header: str  # Chinese, as users read it
    key: str  # the row's key
    width: float = 14


@dataclass
class Sheet:
    name: str  # at most 31 characters, no []:*?/\
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]]
    title: Sequence[str] = field(default_factory=tuple)  # lines above the header (report, position, time)


def write_report_xlsx(sheets: Sequence[Sheet], target: BinaryIO | str | PathLike[str]) -> dict[str, int]:
    """Write the sheets; return the data rows written per sheet (rows past Excel's limit are cut)."""
    workbook = xlsxwriter.Workbook(target, {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    written: dict[str, int] = {}
    try:
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        caption = workbook.add_format({"italic": True})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for spec in sheets:
            sheet = workbook.add_worksheet(spec.name)
            for col, column in enumerate(spec.columns):
                sheet.set_column(col, col, column.width)
            for line, text in enumerate(spec.title):
                sheet.write_string(line, 0, text, caption)
            header = len(spec.title)
            sheet.write_row(header, 0, [c.header for c in spec.columns], bold)
            sheet.freeze_panes(header + 1, 0)
            n = 0
            for row in spec.rows:
                if n >= EXCEL_MAX_DATA_ROWS - header:
                    break
                n += 1
                for col, column in enumerate(spec.columns):
                    _write(sheet, header + n, col, row.get(column.key), when, day)
            sheet.autofilter(header, 0, header + max(n, 1), len(spec.columns) - 1)
            written[spec.name] = n
    finally:
        workbook.close()
    return written


def _write(sheet: Any, row: int, col: int, value: Any, when: Any, day: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, _local(value), when)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), day)
    else:
        sheet.write_string(row, col, str(value))
