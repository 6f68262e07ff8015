"""Reports as Excel workbooks for government users (admins, auditors, supervisors in their scope).

`GET /reports/closed-loop.xlsx`: the closed-loop report (监管信息闭环情况分析) of GraphQL `closedLoop`
as three sheets, the child regions (with the region itself as a total row first), the supervisors
and the inaction list, each under title rows naming the region, period, log position, the day
deadlines were judged on and the generation time. The figures are the GraphQL ones, read at one
position; docs/supervision.md, "Closed-loop report", defines them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from adapters.excel.report import Column, Sheet, write_report_xlsx
from api.graphql.scope import read_scope
from api.rest.xlsx import XLSX, xlsx_download
from api.deps import ServicesDep, StaffDep
from api.errors import Forbidden
from api.schemas.common import PROBLEMS
from domain.reminders.days import CHINA
from domain.shared.regions import henan_regions
from projections.live import LiveTables
from projections.supervision.closed_loop_queries import ClosedLoopQuery, ClosedLoopReads

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEMS)

INACTION_ROWS = 100_000  # one sheet; Excel's own limit is about ten times that

FIGURES = [
    Column("提醒数", "raised", 10), Column("风险辨识提醒", "risk_identification", 12),
    Column("隐患排查提醒", "hazard_investigation", 12), Column("整改逾期提醒", "rectification_overdue", 12),
    Column("被提醒企业数", "enterprises_notified", 12), Column("升级前整改企业数", "enterprises_complied_before_escalation", 16),
    Column("升级通知数", "escalations", 12), Column("按时处理", "answered_in_time", 10), Column("超时处理", "answered_late", 10),
    Column("未处理(不作为)", "unanswered", 14), Column("处理期限内", "pending", 10),
    Column("期限前已结束", "ended_before_deadline", 12), Column("列入执法计划企业数", "enterprises_on_plan", 16),
    Column("响应天数中位数", "response_days_median", 14), Column("响应天数P90", "response_days_p90", 12),
]
SUPERVISOR_COLUMNS = [
    Column("监管人员", "username", 18), Column("收到升级通知", "received", 12), Column("按时处理", "answered_in_time", 10),
    Column("超时处理", "answered_late", 10), Column("他人已处理", "answered_by_others", 12),
    Column("未处理(不作为)", "unanswered", 14), Column("处理期限内", "pending", 10),
    Column("期限前已结束", "ended_before_deadline", 12), Column("主动处理(未被通知)", "answered_unasked", 16),
    Column("列入执法计划", "plan_entries", 12), Column("响应天数中位数", "response_days_median", 14),
]
INACTION_COLUMNS = [
    Column("提醒编号", "reminder_id", 38), Column("统一社会信用代码", "credit_code", 22), Column("企业名称", "enterprise_name", 30),
    Column("行政区划", "region_code", 10), Column("行业", "industry", 16), Column("提醒类型", "kind", 20),
    Column("提醒日期", "raised_day", 12), Column("升级级别", "level", 8), Column("层级", "tier", 8),
    Column("升级时间", "escalated_at", 20), Column("处理期限", "respond_by", 12), Column("原因", "why", 18),
    Column("被通知监管人员", "supervisors", 30), Column("日志位置", "escalated_position", 12),
]
WHY_ZH = {"climbed": "未处理，已升级至上一级", "deadline_passed": "超过处理期限未处理", "ended_after_deadline": "期限后提醒结束，未处理"}


@router.get("/closed-loop.xlsx", response_class=StreamingResponse,
            responses={200: {"content": {XLSX: {}}, "description": "regions, supervisors, the inaction list"}})
def closed_loop_xlsx(
    principal: StaffDep, services: ServicesDep,
    region_code: Annotated[str, Query(min_length=6, max_length=6, pattern=r"^\d{6}$", description="行政区划代码")],
    from_: Annotated[date, Query(alias="from", description="first business day of raising (Asia/Shanghai)")],
    to: Annotated[date, Query(description="last business day of raising")],
    industry: Annotated[str | None, Query(max_length=40)] = None,
    kind: Literal["risk_identification", "hazard_investigation", "rectification_overdue"] | None = None,
    as_of_position: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> StreamingResponse:
    """The closed-loop report as .xlsx (Chinese headers); 403 outside the caller's scope."""
    region = henan_regions().get(region_code)
    errors = []
    if region is None:
        errors.append({"loc": ["query", "region_code"], "msg": "unknown region code"})
    if to < from_:
        errors.append({"loc": ["query", "to"], "msg": "must not be before from"})
    if errors:
        raise RequestValidationError(errors)
    scope = read_scope(principal)
    if not scope.covers_region(region_code) or (industry is not None and scope.industries and industry not in scope.industries):
        raise Forbidden(f"region {region_code} / industry {industry} is outside your scope")
    reads = ClosedLoopReads(LiveTables(services.engine))
    now = services.clock()
    query = ClosedLoopQuery(region_code, from_, to, industry, kind, as_of_position)
    try:
        report = reads.report(query, now, scope, first=1)
        query = replace(query, as_of_position=report["as_of_position"], judged_on=date.fromisoformat(report["judged_on"]))
        supervisors = reads.by_supervisor(query, now, scope)["items"]
        inaction = reads.inaction(query, now, scope, first=INACTION_ROWS)["items"]
    except ValueError as error:
        raise RequestValidationError([{"loc": ["query"], "msg": str(error)}]) from None
    title = [
        f"监管信息闭环情况分析  {report['region']['name']}（{region_code}）"
        + (f"  行业：{industry}" if industry else "") + (f"  类型：{kind}" if kind else ""),
        f"提醒日期：{from_.isoformat()} 至 {to.isoformat()}（北京时间）  处理期限判定日：{report['judged_on']}",
        f"账本位置：{report['as_of_position']}  生成时间：{now.astimezone(CHINA).strftime('%Y-%m-%d %H:%M:%S')}",
    ]
    sheets = [
        Sheet("地区", [Column("行政区划", "code", 10), Column("地区名称", "name", 16), *FIGURES],
              [_region_row(report["region"], report["totals"])]
              + [_region_row(c["region"], c["figures"]) for c in report["children"]], title),
        Sheet("监管人员", SUPERVISOR_COLUMNS, supervisors, title),
        Sheet("不作为清单", INACTION_COLUMNS,
              ({**row, "why": WHY_ZH.get(row["why"], row["why"]), "supervisors": "、".join(row["usernames"])}
               for row in inaction), title),
    ]

    def write(file: IO[bytes]) -> dict[str, str]:
        return {"X-Report-Rows": ",".join(str(n) for n in write_report_xlsx(sheets, file).values())}

    return xlsx_download(write, "closed-loop.xlsx", {"X-As-Of-Position": str(report["as_of_position"])})


def _region_row(region: dict[str, str], figures: dict[str, Any]) -> dict[str, Any]:
    return {"code": region["code"], "name": region["name"], **figures, **figures["raised_by_kind"]}
