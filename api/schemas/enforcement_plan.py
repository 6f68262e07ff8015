"""The enforcement plan (执法计划) as the REST door shows it."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.audit import AuditEvent
from api.schemas.common import MultiLineText, StandardModel

Period = Field(min_length=7, max_length=7, description="计划月份, YYYY-MM, e.g. 2026-12")


class PlanEntryIn(StandardModel):
    """Put an enterprise on a month's plan; naming a reminder answers it with the entry."""

    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码")
    period: str = Period
    reason: MultiLineText = Field(min_length=1, max_length=1000, description="列入原因")
    reminder_id: UUID | None = Field(None, description="the reminder the entry answers (it then counts as answered)")


class WithdrawalIn(StandardModel):
    reason: MultiLineText = Field(min_length=1, max_length=1000, description="撤回原因")


class PlanEntryAccepted(BaseModel):
    entry_id: str
    version: int
    position: int | None = Field(description="global position in the ledger's log; null when nothing was written")


class PlanEntry(BaseModel):
    entry_id: str
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    supervision_level: str
    period: str
    status: str = Field(description="planned | withdrawn")
    reason: str
    origin: str = Field(description="supervisor | system (planned automatically for an unanswered escalation)")
    added_by: str = Field(description="the supervisor's username, or system")
    added_at: AwareDatetime
    reminder_ids: list[str] = Field(description="the reminders the entry answers (a system entry answers none)")
    withdrawn_reason: str | None
    withdrawn_by: str | None
    withdrawn_at: AwareDatetime | None


class PlanPage(BaseModel):
    items: list[PlanEntry]
    next_after: str | None
    as_of_position: int = Field(description="the read model reflects every event up to this log position")


class PlanEntryDetail(PlanEntry):
    version: int
    trail: list[AuditEvent] = Field(description="every event of the entry with its log position and metadata")
