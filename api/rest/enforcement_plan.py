"""The enforcement plan (执法计划): supervisors put enterprises on a month's plan (optionally
answering a reminder with it) and withdraw entries; staff read the plan in their scope and export
it as Excel. Enterprises and auditors never write.

Who may plan an enterprise: a supervisor whose scope covers it from its tier or a higher one, or
one the named reminder was escalated to (domain/reminders/responses.py `may_answer`, the rule for
answering a reminder). Who may withdraw: such a supervisor, the one who added the entry, or an admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse

from adapters.excel.report import Column, Sheet, write_report_xlsx
from api.commanding import execute
from api.deps import CommandCall, Principal, ServicesDep, StaffDep, SupervisorCommandDep, command_call
from api.errors import Forbidden
from api.graphql.scope import read_scope
from api.rest.audit import audit_event
from api.rest.xlsx import XLSX_RESPONSE, xlsx_download
from api.schemas.common import PROBLEMS
from api.schemas.enforcement_plan import PlanEntry, PlanEntryAccepted, PlanEntryDetail, PlanEntryIn, PlanPage, WithdrawalIn
from domain.enforcement.aggregate import EnforcementPlanEntry, parse_period
from domain.enforcement.commands import PlanRequest
from domain.identity.aggregate import Role
from domain.reminders.aggregate import Reminder
from domain.reminders.days import CHINA
from domain.reminders.responses import may_answer
from domain.shared.commands import Receipt
from domain.shared.errors import InvalidValue, NotFound
from projections.live import LiveTables
from projections.scope import ReadScope
from projections.scope import region_prefix
from projections.supervision.enforcement_plan_queries import EnforcementPlanReads, PlanFilter, PlanRow

router = APIRouter(prefix="/enforcement-plan", tags=["enforcement plan"], responses=PROBLEMS)

WithdrawCommandDep = Annotated[CommandCall, Depends(command_call(Role.SUPERVISOR, Role.ADMIN))]


def _covers(principal: Principal, placement: dict[str, str], escalated_to: bool = False) -> bool:
    scope = principal.scope
    region = scope.region_prefix.ljust(6, "0") if scope.region_prefix else None
    return may_answer(principal.username, region, tuple(scope.industries), escalated_to, placement.get("region_code", ""),
                      placement.get("industry", ""), placement.get("supervision_level", ""))


def _accepted(receipt: Receipt) -> tuple[int, dict[str, Any]]:
    body = {"entry_id": str(receipt.aggregate_id), "version": receipt.version, "position": receipt.position}
    return (201 if receipt.created else 200), body


@router.post("/entries", response_model=PlanEntryAccepted, status_code=201,
             responses={200: {"model": PlanEntryAccepted, "description": "an existing entry now answers the reminder too, "
                                                                         "or was reinstated"}})
def add_entry(body: PlanEntryIn, call: SupervisorCommandDep) -> JSONResponse:
    """Put an enterprise on the month's plan (supervisors covering it). 201 for a new entry; 200 when
    an existing one is linked to the reminder or a withdrawn one reinstated. 409 when it is on that
    month's plan already (without a reminder), or the reminder is resolved or closed."""
    services, principal = call.services, call.principal
    request = PlanRequest.checked(body.credit_code, body.period, body.reason)  # 422 naming every field
    enterprise = services.write.enterprises.get(request.credit_code)  # 404
    escalated_to = False
    if body.reminder_id is not None:
        reminder = services.write.runner.exists(body.reminder_id)
        if not isinstance(reminder, Reminder):
            raise NotFound(f"no reminder {body.reminder_id}")
        escalated_to = reminder.credit_code == request.credit_code and reminder.escalated_to(principal.username)
    placement = {"region_code": enterprise.region_code, "industry": enterprise.industry,
                 "supervision_level": enterprise.supervision_level}
    if not _covers(principal, placement, escalated_to):
        raise Forbidden("only a supervisor whose scope covers the enterprise (or one the reminder was escalated to) "
                        "may put it on the enforcement plan")
    return execute(call, lambda ctx: services.write.enforcement_plan.add(
        ctx, request.credit_code, request.period, request.reason, body.reminder_id, principal.username), _accepted)


@router.post("/entries/{entry_id}/withdrawal", response_model=PlanEntryAccepted)
def withdraw_entry(entry_id: UUID, body: WithdrawalIn, call: WithdrawCommandDep) -> JSONResponse:
    """Take an entry off the plan with a reason; it stays listed as withdrawn, with its trail.
    409 when it is withdrawn already."""
    services, principal = call.services, call.principal
    entry = services.write.runner.exists(entry_id)
    if not isinstance(entry, EnforcementPlanEntry) or not read_scope(principal).covers(
            {"credit_code": entry.credit_code, **_placement(entry)}):
        raise NotFound(f"no enforcement plan entry {entry_id}")
    if principal.role is not Role.ADMIN and entry.added_by != principal.username and not _covers(principal, _placement(entry)):
        raise Forbidden("only a supervisor whose scope covers the enterprise, the one who added the entry, or an admin "
                        "may withdraw it")
    return execute(call, lambda ctx: services.write.enforcement_plan.withdraw(ctx, entry_id, body.reason, principal.username),
                   lambda r: (200, {"entry_id": str(r.aggregate_id), "version": r.version, "position": r.position}))


def _placement(entry: EnforcementPlanEntry) -> dict[str, str]:
    placement = entry.placement if isinstance(entry.placement, dict) else {}
    return {k: str(placement.get(k, "")) for k in ("region_code", "industry", "supervision_level")}


Status = Literal["planned", "withdrawn"]
PeriodQuery = Annotated[str | None, Query(max_length=7, description="计划月份 YYYY-MM")]
RegionQuery = Annotated[str | None, Query(pattern=r"^\d{6}$", description="行政区划代码: this region and those below it")]


def plan_filter(period: PeriodQuery = None, region_code: RegionQuery = None, status: Status | None = None) -> PlanFilter:
    if period is not None:
        try:
            parse_period(period)
        except InvalidValue:
            raise RequestValidationError([{"loc": ["query", "period"], "msg": "must be a month YYYY-MM"}]) from None
    return PlanFilter(period, region_code, status)


FilterDep = Annotated[PlanFilter, Depends(plan_filter)]


def _scope(principal: Principal, where: PlanFilter) -> ReadScope:
    """The caller's scope; a region filter outside it is refused rather than answered empty."""
    scope = read_scope(principal)
    if where.region_code is not None and scope.region_prefix:
        asked = region_prefix(where.region_code)
        if not (asked.startswith(scope.region_prefix) or scope.region_prefix.startswith(asked)):
            raise Forbidden(f"region {where.region_code} is outside your scope")
    return scope


@router.get("", response_model=PlanPage)
def list_plan(
    principal: StaffDep, services: ServicesDep, where: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=60, description="next_after of the previous page")] = None,
) -> PlanPage:
    """The plan in the caller's scope: newest month first, then by region and enterprise."""
    page = EnforcementPlanReads(LiveTables(services.engine)).page(_scope(principal, where), where, limit, _cursor(after))
    return PlanPage(items=[_item(r) for r in page.rows], next_after=page.next_after, as_of_position=page.as_of_position)


def _cursor(after: str | None) -> tuple[str, str, str] | None:
    if after is None:
        return None
    parts = after.split("|")
    try:
        if len(parts) != 3:
            raise ValueError(after)
        parse_period(parts[0])
    except (ValueError, InvalidValue):
        raise RequestValidationError([{"loc": ["query", "after"], "msg": "not a cursor of this list"}]) from None
    return parts[0], parts[1], parts[2]


def _item(row: PlanRow) -> PlanEntry:
    return PlanEntry(**{k: getattr(row, k) for k in PlanEntry.model_fields if k != "reminder_ids"},
                     reminder_ids=list(row.reminder_ids))


HEADERS = (("计划月份", "period", 10), ("统一社会信用代码", "credit_code", 22), ("企业名称", "enterprise_name", 30),
           ("行政区划代码", "region_code", 12), ("行业", "industry", 18), ("监管层级", "supervision_level", 10),
           ("状态", "status", 10), ("列入原因", "reason", 40), ("来源", "origin", 10), ("列入人", "added_by", 14),
           ("列入时间", "added_at", 20), ("关联提醒", "reminder_ids", 40), ("撤回原因", "withdrawn_reason", 30),
           ("撤回人", "withdrawn_by", 14), ("撤回时间", "withdrawn_at", 20))
LABELS = {"status": {"planned": "已列入", "withdrawn": "已撤回"}, "origin": {"supervisor": "监管人员", "system": "系统自动"},
          "supervision_level": {"province": "省级", "city": "市级", "county": "县级"}}


@router.get("/export.xlsx", response_class=StreamingResponse,
            responses=XLSX_RESPONSE)
def export(principal: StaffDep, services: ServicesDep, where: FilterDep) -> StreamingResponse:
    """The plan as an Excel workbook (Chinese headers; title rows name the ledger position and the
    generation time, China time). Same rows as the list."""
    page = EnforcementPlanReads(LiveTables(services.engine)).every(_scope(principal, where), where)
    generated = services.clock().astimezone(CHINA)
    title = (f"执法计划 {where.period or '全部月份'}" + (f" 区划 {where.region_code}" if where.region_code else "")
             + (f" 状态 {LABELS['status'][where.status]}" if where.status else ""),
             f"账本位置 (as_of_position): {page.as_of_position}",
             f"生成时间: {generated.strftime('%Y-%m-%d %H:%M:%S')} (北京时间)")
    rows = ({**vars(r), "reminder_ids": " ".join(r.reminder_ids),
             **{k: LABELS[k].get(getattr(r, k), getattr(r, k)) for k in LABELS}} for r in page.rows)
    sheet = Sheet("执法计划", [Column(h, k, w) for h, k, w in HEADERS], rows, title)

    def write(file: IO[bytes]) -> dict[str, str]:
        return {"X-Rows": str(write_report_xlsx([sheet], file)["执法计划"])}

    return xlsx_download(write, f"enforcement-plan-{where.period or 'all'}.xlsx",
                         {"X-As-Of-Position": str(page.as_of_position)})


@router.get("/entries/{entry_id}", response_model=PlanEntryDetail)
def get_entry(entry_id: UUID, principal: StaffDep, services: ServicesDep) -> PlanEntryDetail:
    """One entry as the ledger holds it now, with every event of it (404 outside the caller's scope)."""
    entry = services.write.runner.exists(entry_id)
    if not isinstance(entry, EnforcementPlanEntry) or not read_scope(principal).covers(
            {"credit_code": entry.credit_code, **_placement(entry)}):
        raise NotFound(f"no enforcement plan entry {entry_id}")
    withdrawal: dict[str, Any] = entry.withdrawal or {}
    trail = [audit_event(e.position, e.version, e.topic, e.event) for e in services.events.aggregate_events(entry_id)]
    at = withdrawal.get("at")
    return PlanEntryDetail(
        entry_id=str(entry.id), credit_code=entry.credit_code, enterprise_name=entry.enterprise_name, **_placement(entry),
        period=entry.period, status=entry.status, reason=entry.reason, origin=entry.origin, added_by=entry.added_by,
        added_at=entry.added_at, reminder_ids=list(entry.reminder_ids), withdrawn_reason=withdrawal.get("reason"),
        withdrawn_by=withdrawal.get("by"), withdrawn_at=at if isinstance(at, datetime) else None,
        version=entry.version, trail=trail)

