"""The call log as an .xlsx workbook for operators and auditors.

xlsxwriter in `constant_memory` mode flushes each row to a temporary file as soon as the next one
starts, so an export of hundreds of thousands of rows holds one row in memory (plus the shared
strings it never builds in this mode). Times are Excel datetimes in China Standard Time (UTC+8,
no daylight saving since 1991, hence a fixed offset and no tz database), shown with a format.
Strings are always written as text: a path or error title starting with "=" must never become a
formula (spreadsheet injection).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from os import PathLike
from typing import Any, BinaryIO

import xlsxwriter

CHINA = timezone(timedelta(hours=8), "CST")
EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows per sheet, less the header

# (header, row key, column width)
COLUMNS: list[tuple[str, str, float]] = [
    ("时间", "at", 24),
    ("企业(统一社会信用代码)", "enterprise", 24),
    ("订阅ID", "subscription_id", 20),
    ("接口编码", "interface_code", 16),
    ("请求方法", "method", 10),
    ("路径", "path", 48),
    ("HTTP状态", "status", 10),
    ("耗时(毫秒)", "latency_ms", 12),
    ("请求ID", "request_id", 34),
    ("客户端IP", "client_ip", 16),
    ("错误", "error_title", 40),
]
HEADERS = [header for header, _, _ in COLUMNS]


def _local(value: datetime) -> datetime:
    """Naive China time (Excel has no offsets); a naive input is taken as UTC."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).replace(tzinfo=None)


def write_call_log_xlsx(rows: Iterable[dict[str, Any]], target: BinaryIO | str | PathLike[str]) -> int:
    """Write one sheet "调用日志" (header + a row per dict) to `target`; return the data rows
    written. Rows past Excel's sheet limit are not written (the caller sees the count)."""
    workbook = xlsxwriter.Workbook(target, {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    try:
        sheet = workbook.add_worksheet("调用日志")
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"})
        millis = workbook.add_format({"num_format": "0.0"})
        for col, (_, _, width) in enumerate(COLUMNS):
            sheet.set_column(col, col, width)
        sheet.write_row(0, 0, HEADERS, bold)
        sheet.freeze_panes(1, 0)
        n = 0
        for row in rows:
            if n >= EXCEL_MAX_DATA_ROWS:
                break
            n += 1
            sheet.write_datetime(n, 0, _local(row["at"]), when)
            for col, key in ((1, "enterprise"), (2, "subscription_id"), (3, "interface_code"), (4, "method"), (5, "path")):
                if row[key] is not None:
                    sheet.write_string(n, col, row[key])
            sheet.write_number(n, 6, row["status"])
            sheet.write_number(n, 7, row["latency_ms"], millis)
            for col, key in ((8, "request_id"), (9, "client_ip"), (10, "error_title")):
                if row[key] is not None:
                    sheet.write_string(n, col, row[key])
        sheet.autofilter(0, 0, max(n, 1), len(COLUMNS) - 1)
    finally:
        workbook.close()
    return n
