"""Answers of the call-log endpoints (admin): one logged call, a page of them, per-key statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CallLogItem(BaseModel):
    id: int = Field(description="write order; pass the last one seen as `after` for the next page")
    at: datetime = Field(description="when the call arrived (UTC)")
    enterprise: str | None = Field(description="统一社会信用代码 of the caller, when known")
    subscription_id: str | None
    interface_code: str | None
    method: str
    path: str
    status: int
    latency_ms: float
    request_id: str
    client_ip: str | None
    error_title: str | None = Field(description="the problem+json title when the call failed")


class CallLogPage(BaseModel):
    items: list[CallLogItem] = Field(description="newest first")
    next_after: int | None = Field(description="`after` for the next page; null on the last page")
    total: int = Field(description="calls matching the filters (all pages)")


class CallLogStat(BaseModel):
    key: str | None = Field(description="interface code or credit code; null for calls without one")
    count: int
    errors: int = Field(description="calls answered with status >= 400")
    error_rate: float = Field(description="errors / count")
    p95_latency_ms: float = Field(description="PostgreSQL: percentile_cont(0.95); SQLite: nearest rank")
