"""时限监察 as Excel: the overdue rectifications and the overdue escalations in the caller's scope
(the same lists as GraphQL `timeLimits`; projections/supervision/time_limits.py defines them)."""

from __future__ import annotations

from typing import IO, Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from adapters.excel.report import Column, Sheet, write_report_xlsx
from api.deps import ServicesDep, StaffDep
from api.errors import Forbidden
from api.graphql.scope import read_scope
from api.rest.xlsx import XLSX_RESPONSE, xlsx_download
from api.schemas.common import PROBLEMS
from domain.reminders.days import CHINA
from domain.shared.errors import InvalidValue
from domain.shared.regions import henan_regions
from projections.live import LiveTables
from projections.supervision.time_limits import TimeLimitReads, Where

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEMS)

RECTIFICATIONS = [Column("统一社会信用代码", "credit_code", 22), Column("企业名称", "enterprise_name", 30),
                  Column("行政区划", "region_code", 10), Column("行业", "industry", 16), Column("隐患编号", "hazard_code", 20),
                  Column("隐患名称", "name", 30), Column("隐患等级", "level", 10), Column("状态", "status", 16),
                  Column("整改责任人", "responsible_person", 14), Column("整改期限", "rectification_deadline", 20),
                  Column("逾期天数", "days_overdue", 10)]
ESCALATIONS = [Column("统一社会信用代码", "credit_code", 22), Column("企业名称", "enterprise_name", 30),
               Column("行政区划", "region_code", 10), Column("行业", "industry", 16), Column("提醒类型", "kind", 20),
               Column("督办级别", "level", 10), Column("督办层级", "tier", 10), Column("督办时间", "escalated_at", 20),
               Column("答复期限", "respond_by", 12), Column("被督办人员", "supervisors", 30), Column("逾期天数", "days_overdue", 10),
               Column("已上报上级", "climbed", 10), Column("提醒ID", "reminder_id", 38)]


@router.get("/time-limits.xlsx", response_class=StreamingResponse, responses=XLSX_RESPONSE)
def time_limits_xlsx(
    principal: StaffDep, services: ServicesDep,
    region_code: Annotated[str | None, Query(min_length=6, max_length=6, pattern=r"^\d{6}$", description="行政区划代码")] = None,
    industry: Annotated[str | None, Query(max_length=40, description="行业代码")] = None,
) -> StreamingResponse:
    """时限监察 workbook: sheet 整改逾期 (open hazards past their rectification deadline) and sheet
    督办超时 (escalations past their response deadline, unanswered), most overdue first."""
    scope = read_scope(principal)
    if region_code is not None:
        if henan_regions().get(region_code) is None:
            raise InvalidValue("region_code", f"unknown region code {region_code}")
        if not scope.covers_region(region_code):
            raise Forbidden(f"region {region_code} is outside your scope")
    if industry is not None and scope.industries and industry not in scope.industries:
        raise Forbidden(f"industry {industry} is outside your scope")
    now = services.clock()
    reads = TimeLimitReads(LiveTables(services.engine))
    where = Where(scope, region_code, industry)
    rectifications, escalations, position = reads.export(where, now)
    title = (f"时限监察 {region_code or '全部'}{' ' + industry if industry else ''}",
             f"数据截至日志位置 {position}，生成时间 {now.astimezone(CHINA):%Y-%m-%d %H:%M:%S}")
    escalation_rows = ({**row, "supervisors": "、".join(row["usernames"])} for row in escalations)

    def write(file: IO[bytes]) -> None:
        write_report_xlsx([Sheet("整改逾期", RECTIFICATIONS, rectifications, title),
                           Sheet("督办超时", ESCALATIONS, escalation_rows, title)], file)

    return xlsx_download(write, "time-limits.xlsx", {"X-As-Of-Position": str(position)})


