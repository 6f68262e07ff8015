"""Auditor door (auditors and admins; others 403): an aggregate's events, the history across
aggregates with filters and exports, an aggregate's state as of a position or a time.
What these answer and how (the audit index, its lag, which time is which): api/audit_history.py
and docs/audit.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from adapters.excel.report import Column, Sheet, write_report_xlsx
from api.audit_history import (AsOfRefused, aggregate_state, call_events, event_view, history, history_rows,
                               plain)  # noqa: F401 - plain: used by other routers through this module
from api.deps import AuditorDep, ServicesDep
from api.rest.xlsx import XLSX_RESPONSE, xlsx_download
from api.schemas.audit import AggregateState, AuditEvent, HistoryEvent, HistoryPage
from api.schemas.common import PROBLEMS
from domain.shared.errors import NotFound
from projections.audit_history.queries import MAX_LIMIT, HistoryFilter

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEMS)

MAX_POSITION = 2**63 - 1  # positions are BIGINT: larger is refused (422), not sent to the driver
JSONL = "application/x-ndjson"


@router.get("/aggregates/{aggregate_id}/events", response_model=list[AuditEvent])
def aggregate_history(aggregate_id: UUID, _: AuditorDep, services: ServicesDep) -> list[AuditEvent]:
    """Every event of the aggregate in version order with its log position and metadata."""
    events = services.events.aggregate_events(aggregate_id)
    if not events:
        raise NotFound(f"no aggregate {aggregate_id}")
    return [audit_event(e.position, e.version, e.topic, e.event) for e in events]


def audit_event(position: int, version: int, topic: str, event: Any) -> AuditEvent:
    return AuditEvent(**event_view(position, version, topic, event))


# --- history across aggregates ----------------------------------------------------------------------

Time = Annotated[datetime | None, Query(description="recorded time (ledger clock), with a UTC offset")]


async def history_filter(
    credit_code: Annotated[str | None, Query(min_length=1, max_length=18, description="统一社会信用代码: the enterprise's aggregates")] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=200, description="e.g. user:demo-admin, subscription:<id>")] = None,
    type: Annotated[str | None, Query(min_length=1, max_length=100, description="event type, e.g. Risk.Upgraded")] = None,  # noqa: A002
    from_: Annotated[datetime | None, Query(alias="from", description="recorded at or after (with a UTC offset)")] = None,
    to: Annotated[datetime | None, Query(description="recorded before (with a UTC offset)")] = None,
) -> HistoryFilter:
    errors = [{"loc": ["query", name], "msg": "must include a UTC offset, e.g. 2026-11-23T09:00:00+08:00"}
              for name, value in (("from", from_), ("to", to)) if value is not None and value.tzinfo is None]
    if not errors and from_ is not None and to is not None and from_ >= to:
        errors.append({"loc": ["query", "to"], "msg": "must be later than from"})
    if errors:
        raise RequestValidationError(errors)
    return HistoryFilter(credit_code, actor, type, from_, to)


FilterDep = Annotated[HistoryFilter, Depends(history_filter)]
After = Annotated[int, Query(ge=0, le=MAX_POSITION, description="next_after_position of the previous page")]


@router.get("/events", response_model=HistoryPage)
def events(_: AuditorDep, services: ServicesDep, f: FilterDep, after_position: After = 0,
           limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100) -> HistoryPage:
    """Events of every aggregate matching the filters, in log order, paged by position, each with
    its attribution and the call-log entry of the call that produced it. Complete up to
    `indexed_through` (the audit index lags the log slightly; see docs/audit.md)."""
    page = history(services, f, after_position, limit)
    return HistoryPage(items=[HistoryEvent(**item) for item in page.items], next_after_position=page.next_after_position,
                       indexed_through=page.indexed_through, head=page.head)


COLUMNS = [Column("位置 position", "position", 10), Column("类型 type", "type", 26), Column("聚合 aggregate", "aggregate_id", 38),
           Column("版本 version", "version", 8), Column("统一社会信用代码", "credit_code", 22),
           Column("操作者 actor", "actor", 30), Column("渠道 channel", "channel", 10),
           Column("记录时间 recorded", "recorded", 20), Column("业务时间 business", "business", 20),
           Column("请求 request id", "request_id", 34), Column("关联 correlation id", "correlation_id", 34),
           Column("起因 causation id", "causation_id", 20), Column("调用日志 call log id", "call_log_id", 12),
           Column("内容 data (JSON)", "data_json", 80)]


def _sheet_row(item: dict[str, Any]) -> dict[str, Any]:
    return item | {"recorded": _time(item["recorded_at"]), "business": _time(item["business_time"]),
                   "data_json": json.dumps(item["data"], ensure_ascii=False)[:32_000]}


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@router.get("/events/export.xlsx", response_class=StreamingResponse, responses=XLSX_RESPONSE)
def export_xlsx(_: AuditorDep, services: ServicesDep, f: FilterDep, after_position: After = 0) -> StreamingResponse:
    """Every matching event as an Excel workbook (Chinese headers, China time), in log order."""
    head = services.events.head()
    counted: dict[str, str] = {}

    def write(file: IO[bytes]) -> dict[str, str]:
        title = [f"审计事件 audit history, log head {head}", f"filters: {_describe(f)}"]
        written = write_report_xlsx([Sheet("events", COLUMNS, map(_sheet_row, history_rows(services, f, after_position)),
                                           title)], file)
        counted["X-Audit-Rows"] = str(written.get("events", 0))
        return counted

    response = xlsx_download(write, "audit-events.xlsx")
    response.headers.update(counted)
    return response


@router.get("/events/export.jsonl", response_class=StreamingResponse,
            responses={200: {"content": {JSONL: {}}, "description": "one event per line, in log order"}})
def export_jsonl(_: AuditorDep, services: ServicesDep, f: FilterDep, after_position: After = 0) -> StreamingResponse:
    """Every matching event as JSON lines (one history row per line), streamed page by page."""
    rows = history_rows(services, f, after_position)
    first = next(rows, None)  # the first page before the response starts: an outage is a 503, not a cut stream

    def lines() -> Iterator[bytes]:
        if first is None:
            return
        yield (json.dumps(first, ensure_ascii=False) + "\n").encode()
        for row in rows:
            yield (json.dumps(row, ensure_ascii=False) + "\n").encode()

    return StreamingResponse(lines(), media_type=JSONL,
                             headers={"Content-Disposition": 'attachment; filename="audit-events.jsonl"'})


def _describe(f: HistoryFilter) -> str:
    given = {k: plain(v) for k, v in vars(f).items() if v is not None}
    return ", ".join(f"{k}={v}" for k, v in given.items()) or "none"


# --- state as of --------------------------------------------------------------------------------------


@router.get("/aggregates/{aggregate_id}/state", response_model=AggregateState)
def state(
    aggregate_id: UUID, _: AuditorDep, services: ServicesDep,
    at_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION, description="log position")] = None,
    at_time: Annotated[datetime | None, Query(description="recorded time (ledger clock), with a UTC offset")] = None,
    at_business_time: Annotated[datetime | None, Query(description="business time (the events' `at`), with a UTC offset")] = None,
) -> AggregateState:
    """The aggregate's state as of a log position, a recorded time or a business time (one of
    them; none: now), with the version and the position it reflects (docs/audit.md)."""
    errors = [{"loc": ["query", name], "msg": "must include a UTC offset, e.g. 2026-11-23T09:00:00+08:00"}
              for name, value in (("at_time", at_time), ("at_business_time", at_business_time))
              if value is not None and value.tzinfo is None]
    if errors:
        raise RequestValidationError(errors)
    try:
        found = aggregate_state(services, aggregate_id, at_position=at_position, at_time=at_time,
                                at_business_time=at_business_time)
    except AsOfRefused as refusal:
        raise RequestValidationError([{"loc": ["query"], "msg": str(refusal)}]) from None
    return AggregateState(**found)


# --- from an interface call to its events (and back: a history row's call_log_id) --------------------


@router.get("/call-logs/{call_log_id}/events", response_model=list[HistoryEvent])
def call_log_events(call_log_id: Annotated[int, Path(ge=1, le=MAX_POSITION)], _: AuditorDep,
                    services: ServicesDep) -> list[HistoryEvent]:
    """The events the logged call produced (the events whose request id is the call's), in log
    order; empty for a call that changed nothing (a read, a refused command). 404: no such entry."""
    return [HistoryEvent(**item) for item in call_events(services, call_log_id)]
