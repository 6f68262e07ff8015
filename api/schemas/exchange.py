"""Answers of the exchange log endpoint (admin): one batch of the ministry exchange, a page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class FieldFinding(BaseModel):
    field: str = Field(description="the standard column")
    kind: str = Field(description="missing | not_in_code_list | too_long | bad_value")
    rows: int = Field(description="rows of the batch with this finding")
    examples: list[list[Any]] = Field(description="up to 3 [CD_ID, value] pairs")


class Findings(BaseModel):
    rows_with_findings: int = 0
    held_back: int = Field(0, description="rows the table's policy kept out of the front-end database")
    by_field: list[FieldFinding] = Field(default_factory=list)


class Operations(BaseModel):
    i: int = Field(description="rows sent as inserts")
    u: int = Field(description="rows sent as updates")
    d: int = Field(description="rows sent as deletions")


class ExchangeBatch(BaseModel):
    id: int = Field(description="log order; pass the last one seen as `after` for the next (older) page")
    table: str = Field(description="the standard table, e.g. jg_jgdx_qyjbxx")
    kind: str = Field(description="full (存量) | incremental (增量)")
    batch_number: str | None = Field(description="CD_BATCH (date + the day's sequence); null for a failed batch")
    from_position: int = Field(description="the ledger positions the batch covers: (from_position, to_position]")
    to_position: int
    rows: Operations
    held_back: int
    checksum: str | None = Field(description="SHA-256 over the sent rows' `cd_id:hash` lines in key order")
    findings: Findings = Field(description="the completeness check (查漏补缺) of the batch's rows")
    started_at: datetime = Field(description="UTC")
    duration_ms: int
    result: str = Field(description="ok | failed | recovered (written, its log row restored from the front-end)")
    error: str | None


class ExchangeBatchPage(BaseModel):
    items: list[ExchangeBatch] = Field(description="newest first")
    next_after: int | None = Field(description="`after` for the next page; null on the last page")
