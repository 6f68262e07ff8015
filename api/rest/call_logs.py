"""Admin door to the interface platform's call log: search, Excel export, statistics.

The export is written by xlsxwriter in constant-memory mode from a streaming query into a spooled
temporary file (memory up to 8 MB, then disk) in the request's worker thread, then streamed out in
chunks: the workbook is a zip whose directory is written last, so it cannot be streamed while it is
being built, but neither the rows nor the file ever sit in memory whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from adapters.excel.export import write_call_log_xlsx
from adapters.persistence.call_log import CallLogFilter
from api.deps import AdminDep, ServicesDep
from api.schemas.call_logs import CallLogItem, CallLogPage, CallLogStat
from api.rest.xlsx import XLSX, xlsx_download
from api.schemas.common import PROBLEMS

router = APIRouter(prefix="/call-logs", tags=["call log (admin)"], responses=PROBLEMS)

MAX_ID = 2**63 - 1  # ids are BIGINT: a larger `after` is refused (422) instead of failing in the driver

Since = Annotated[datetime | None, Query(description="from this time, inclusive (with a UTC offset)")]
Until = Annotated[datetime | None, Query(description="before this time, exclusive (with a UTC offset)")]


def _window(since: datetime | None, until: datetime | None) -> None:
    """422 (via the RequestValidationError handler) for a naive time or an empty window."""
    errors = [{"loc": ["query", name], "msg": "must include a UTC offset, e.g. 2026-11-23T09:00:00+08:00"}
              for name, value in (("since", since), ("until", until)) if value is not None and value.tzinfo is None]
    if not errors and since is not None and until is not None and since >= until:
        errors.append({"loc": ["query", "until"], "msg": "must be later than since"})
    if errors:
        raise RequestValidationError(errors)


async def call_log_filter(
    since: Since = None,
    until: Until = None,
    enterprise: Annotated[str | None, Query(max_length=32, description="统一社会信用代码")] = None,
    interface: Annotated[str | None, Query(max_length=64, description="interface code")] = None,
    status_class: Annotated[int | None, Query(ge=2, le=5, description="2..5 for 2xx..5xx")] = None,
) -> CallLogFilter:
    _window(since, until)
    return CallLogFilter(enterprise, interface, status_class, since, until)


FilterDep = Annotated[CallLogFilter, Depends(call_log_filter)]


@router.get("", response_model=CallLogPage)
def search(
    _: AdminDep, services: ServicesDep, f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    after: Annotated[int | None, Query(ge=1, le=MAX_ID, description="next_after of the previous page")] = None,
) -> CallLogPage:
    """Logged calls matching the filters, newest first, paged by id (stable while new calls arrive)."""
    rows = services.call_log.query(f, limit + 1, after)
    items = [CallLogItem(**row) for row in rows[:limit]]
    next_after = items[-1].id if len(rows) > limit else None
    return CallLogPage(items=items, next_after=next_after, total=services.call_log.count(f))


@router.get("/export.xlsx", response_class=StreamingResponse,
            responses={200: {"content": {XLSX: {}}, "description": "the matching calls, oldest first"}})
def export(_: AdminDep, services: ServicesDep, f: FilterDep) -> StreamingResponse:
    """Every matching call as an Excel workbook (Chinese headers, China time), oldest first."""
    return xlsx_download(lambda file: {"X-Call-Log-Rows": str(write_call_log_xlsx(services.call_log.iter_rows(f), file))},
                         "call-log.xlsx")


@router.get("/stats", response_model=list[CallLogStat])
def stats(
    _: AdminDep, services: ServicesDep, since: Since = None, until: Until = None,
    group_by: Annotated[Literal["interface", "enterprise"], Query()] = "interface",
) -> list[CallLogStat]:
    """Calls, errors, error rate and p95 latency per interface or per enterprise, busiest first."""
    _window(since, until)
    return [CallLogStat(**s) for s in services.call_log.stats(CallLogFilter(since=since, until=until), group_by)]
