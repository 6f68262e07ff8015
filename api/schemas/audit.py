"""An event as auditors (and a reminder's trail) see it: position, version, type, times, metadata."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditEvent(BaseModel):
    position: int
    version: int
    type: str
    topic: str
    business_time: str | None
    recorded_at: str | None
    metadata: dict[str, Any] | None
    data: dict[str, Any]


class HistoryEvent(AuditEvent):
    """An event of the history across aggregates: where it belongs, who and which call produced it."""

    aggregate_id: str
    credit_code: str | None  # the enterprise the aggregate belongs to (audit index), if any
    actor: str | None
    channel: str | None
    request_id: str | None
    correlation_id: str | None
    causation_id: str | None
    call_log_id: int | None  # the interface call (GET /api/v1/call-logs?...) that carried request_id, if logged


class HistoryPage(BaseModel):
    items: list[HistoryEvent]
    next_after_position: int | None  # pass as after_position for the next page; None: no more (so far)
    indexed_through: int  # the audit index reflects every event up to this position
    head: int  # the log's last position when asked; events after indexed_through are not searched yet


class AggregateState(BaseModel):
    aggregate_id: str
    type: str  # the aggregate class, e.g. Risk
    version: int  # the version the state reflects (its last event's)
    position: int  # that event's log position
    recorded_at: str | None  # that event's recorded time (ledger clock)
    business_time: str | None  # that event's business time (`at`), if it has one
    as_of: dict[str, Any]  # what was asked: at_position | at_time | at_business_time (or head)
    current_version: int  # the aggregate's version now, for comparison
    state: dict[str, Any]
