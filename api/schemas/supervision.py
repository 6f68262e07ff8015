"""Supervision rules, reminders and inbox messages as the REST door shows them.

The rule set's ranges and cross-field rules live in the domain (domain/rules/rule_set.py) and come
back as 422 field errors; the models here fix the shape (unknown fields refused) and document it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import MultiLineText, StandardModel
from api.schemas.audit import AuditEvent

IndustryOverride = dict[str, int | bool | str]
Username = Annotated[str, Field(min_length=1, max_length=64)]


class QuietHoursIn(StandardModel):
    start: str = Field("22:00", max_length=5, description="HH:MM, Asia/Shanghai: SMS held from here")
    end: str = Field("07:00", max_length=5, description="HH:MM: held SMS go out from here")


class RouteIn(StandardModel):
    usernames: list[Username] = Field(min_length=1, max_length=50, description="supervisors to notify")
    industry: str | None = Field(None, max_length=40, description="监管行业; null: any")
    supervision_level: str | None = Field(None, max_length=10, description="监管层级; null: any")
    escalation_level: int | None = Field(None, description="1, 2 or 3 (county, city, province step); null: every step")
    mode: Literal["add", "only"] = Field("add", description="add: besides the default recipients; only: instead of them")


class AssessmentWeightsIn(StandardModel):
    """绩效考核 weights: what each received escalation scores (0-1), points per enforcement-plan entry (0-20)."""

    answered_in_time: float = Field(1.0, description="answered by the response deadline")
    answered_late: float = Field(0.6, description="answered after the deadline")
    answered_by_others: float = Field(0.8, description="a colleague answered it")
    unanswered: float = Field(0.0, description="nobody answered by the deadline")
    enforcement_entry: float = Field(2.0, description="points per enforcement-plan entry recorded")


class RuleSetIn(StandardModel):
    """The whole rule set (PUT replaces it with a new version)."""

    risk_identification_days: int = Field(description="风险辨识时限: days after registration (1-365)")
    investigation_interval_days: int = Field(description="隐患排查周期: days between investigations (1-365)")
    rectification_overdue: bool = Field(description="remind hazards past their rectification deadline")
    escalation_delay_days: int = Field(description="days after the enterprise's notice before supervisors are told (0-90)")
    supervisor_response_days: int = Field(description="days a supervisor has before the next tier is told (1-90)")
    day_kind: Literal["calendar", "working"] = Field(description="count calendar days or statutory working days")
    quiet_hours: QuietHoursIn = Field(default_factory=QuietHoursIn)
    industry_overrides: dict[str, IndustryOverride] = Field(default_factory=dict, max_length=16,
                                                            description="per industry code: any day count, rectification_overdue or day_kind")
    routes: list[RouteIn] = Field(default_factory=list, max_length=200)
    enforcement_plan_after_days: int | None = Field(
        None, description="自动列入执法计划: an escalation unanswered this many days puts the enterprise on next "
                          "month's enforcement plan (1-90); null: never automatically")
    assessment_weights: AssessmentWeightsIn = Field(default_factory=lambda: AssessmentWeightsIn())
    effective_from: AwareDatetime | None = Field(None, description="when the version takes effect (default: now)")

    def rules(self) -> dict[str, Any]:
        return self.model_dump(exclude={"effective_from"})


class RuleVersionView(BaseModel):
    version: int = Field(description="0: the seed's defaults, never published")
    effective_from: AwareDatetime | None
    actor: str | None
    recorded_at: AwareDatetime | None
    rules: dict[str, Any]


class ReminderSummary(BaseModel):
    reminder_id: str
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    supervision_level: str
    kind: str
    status: str
    escalation_level: int
    deadline: str
    fact: str
    rule_version: int
    raised_at: AwareDatetime


class ReminderPage(BaseModel):
    items: list[ReminderSummary]
    next_after: str | None
    as_of_position: int = Field(description="the read model reflects every event up to this log position")


class ReminderDetail(ReminderSummary):
    cycle_key: str
    basis_day: str
    subject: str | None
    counting: dict[str, Any] = Field(description="day kind, calendar versions used, years counted in calendar days")
    escalations: list[dict[str, Any]]
    deliveries: dict[str, str] = Field(description="message id -> latest delivery result")
    resolution: dict[str, Any] | None
    trail: list[AuditEvent] = Field(description="every event of the reminder with its log position and metadata")


class InboxMessage(BaseModel):
    message_id: str
    reminder_id: str
    title: str
    text: str
    created_at: AwareDatetime
    read_at: AwareDatetime | None


class Inbox(BaseModel):
    items: list[InboxMessage]
    unread: int
    as_of_position: int


Measure = Literal["phone_call", "on_site_inspection", "written_order", "interview", "enforcement", "other"]
Attachment = Annotated[str, Field(min_length=1, max_length=500)]


class ResponseIn(StandardModel):
    """处理措施和结果: what a supervisor did about an escalated reminder."""

    measures: list[Measure] = Field(min_length=1, max_length=6, description="措施: phone_call 电话督促, on_site_inspection 现场检查, "
                                    "written_order 下达整改指令书, interview 约谈, enforcement 立案处罚, other 其他")
    result: MultiLineText = Field(min_length=1, max_length=2000, description="结果")
    happened_at: AwareDatetime = Field(description="when the measures were taken (business time)")
    attachments: list[Attachment] = Field(default_factory=list, max_length=10, description="references to documents kept elsewhere")
