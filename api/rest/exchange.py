"""Admin door to the ministry exchange log: the batches written into the front-end database (and
the failed ones), newest first, filtered by table and time, paged by id."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import AdminDep, ServicesDep
from api.schemas.common import PROBLEMS
from api.schemas.exchange import ExchangeBatch, ExchangeBatchPage, Findings, Operations
from projections.ministry import exchange_log
from projections.ministry.catalogue import CATALOGUE
from projections.ministry.tables import Fill

router = APIRouter(prefix="/exchange", tags=["ministry exchange (admin)"], responses=PROBLEMS)

CHINA = ZoneInfo("Asia/Shanghai")
MAX_ID = 2**31 - 1
TABLES = sorted(t.name for t in CATALOGUE if t.fill is Fill.LEDGER)

TimeText = Annotated[str | None, Query(max_length=40, description="a day (YYYY-MM-DD, China time) or a time with a UTC offset")]


def _moment(name: str, text: str | None, end: bool) -> datetime | None:
    """A day (its start, or for `to` the next day's start: the day is included) or an aware time."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if not 2000 <= day.year <= 2100:
                raise ValueError(text)
            return datetime.combine(date.fromordinal(day.toordinal() + 1) if end else day, time(), CHINA)
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not 2000 <= moment.year <= 2100:
        raise RequestValidationError([{"loc": ["query", name], "type": "value_error",
                                       "msg": "a day YYYY-MM-DD or a time with a UTC offset, e.g. 2026-12-02T09:00:00+08:00"}])
    return moment


@router.get("/batches", response_model=ExchangeBatchPage)
def batches(
    _: AdminDep, services: ServicesDep,
    table: Annotated[str | None, Query(max_length=64, description="one standard table the ledger fills")] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40,
                                       description="batches started from this day or time (inclusive)")] = None,
    to: Annotated[str | None, Query(max_length=40, description="up to this day (inclusive) or time (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[int | None, Query(ge=1, le=MAX_ID, description="next_after of the previous page")] = None,
) -> ExchangeBatchPage:
    """The exchange log: each batch's table, kind, CD_BATCH, ledger position range, rows by operation,
    checksum, completeness findings, duration and result."""
    if table is not None and table not in TABLES:
        raise RequestValidationError([{"loc": ["query", "table"], "type": "value_error",
                                       "msg": f"one of: {', '.join(TABLES)}"}])
    start, end = _moment("from", from_, False), _moment("to", to, True)
    if start is not None and end is not None and start >= end:
        raise RequestValidationError([{"loc": ["query", "to"], "type": "value_error", "msg": "must be later than from"}])
    with services.engine.connect() as conn:
        page = exchange_log.batches(conn, table=table, start=start, end=end, limit=limit, before_id=after)
    return ExchangeBatchPage(items=[_item(row) for row in page.items], next_after=page.next_cursor)


def _item(row: dict) -> ExchangeBatch:
    return ExchangeBatch(
        id=row["id"], table=row["table_name"], kind=row["kind"], batch_number=row["batch_number"],
        from_position=row["from_position"], to_position=row["to_position"],
        rows=Operations(i=row["inserted"], u=row["updated"], d=row["deleted"]), held_back=row["held_back"],
        checksum=row["checksum"], findings=Findings(**(row["findings"] or {})), started_at=row["started_at"],
        duration_ms=row["duration_ms"], result=row["result"], error=row["error"],
    )
