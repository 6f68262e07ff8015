"""Report workbooks: title lines, Chinese headers, typed cells, and formula-like text kept as text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import openpyxl

from adapters.excel.report import Column, Sheet, write_report_xlsx


def test_sheets_carry_title_headers_and_rows_with_formula_like_text_as_text() -> None:
    target = BytesIO()
    rows = [{"name": "=HYPERLINK(\"http://evil\")", "count": 3, "day": date(2026, 12, 1),
             "at": datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "late": True},
            {"name": "+1", "count": 0, "day": None, "at": None, "late": False}]
    columns = [Column("名称", "name"), Column("数量", "count"), Column("日期", "day"), Column("时间", "at"), Column("逾期", "late")]
    written = write_report_xlsx([Sheet("地区", columns, rows, ("闭环分析", "数据截至日志位置 42")),
                                 Sheet("空表", columns, [])], target)
    assert written == {"地区": 2, "空表": 0}
    book = openpyxl.load_workbook(BytesIO(target.getvalue()))
    sheet = book["地区"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "闭环分析" and values[1][0] == "数据截至日志位置 42"
    assert values[2] == ("名称", "数量", "日期", "时间", "逾期")
    assert values[3][0] == "=HYPERLINK(\"http://evil\")" and sheet.cell(4, 1).data_type == "s"
    assert values[3][1:] == (3, datetime(2026, 12, 1), datetime(2026, 12, 1, 8, 30), "是")
    assert values[4] == ("+1", 0, None, None, "否")
    assert [c.value for c in book["空表"][1]] == ["名称", "数量", "日期", "时间", "逾期"]
