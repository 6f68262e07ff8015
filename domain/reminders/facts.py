"""What the scan knows about an enterprise and its open reminders: read from read models, never
by replaying events per enterprise. Plain values, so evaluation is a pure function of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class ReminderKind(StrEnum):
    RISK_IDENTIFICATION = "risk_identification"      # 风险辨识
    HAZARD_INVESTIGATION = "hazard_investigation"    # 隐患排查
    RECTIFICATION_OVERDUE = "rectification_overdue"  # 隐患整改逾期

    @property
    def label_zh(self) -> str:
        return {"risk_identification": "风险辨识", "hazard_investigation": "隐患排查",
                "rectification_overdue": "隐患整改逾期"}[self.value]


@dataclass(frozen=True)
class Evidence:
    """The event that made an enterprise compliant: a reminder resolved by it names it."""

    position: int
    topic: str
    at: datetime


@dataclass(frozen=True)
class OpenHazard:
    """A hazard not yet accepted nor invalidated, with its rectification deadline (if any)."""

    hazard_id: str
    hazard_code: str
    deadline: datetime | None


@dataclass(frozen=True)
class EnterpriseFacts:
    credit_code: str
    name: str
    region_code: str
    industry: str
    supervision_level: str
    registered_at: datetime
    active: bool
    first_risk: Evidence | None = None
    last_investigation: Evidence | None = None  # an inspection record or a hazard registration
    open_hazards: tuple[OpenHazard, ...] = ()
    # hazards that left the open set, by id: the event that closed them (accepted or invalidated)
    closed_hazards: tuple[tuple[str, Evidence], ...] = ()


@dataclass(frozen=True)
class OpenReminder:
    reminder_id: str
    kind: ReminderKind
    cycle_key: str
    raised_at: datetime
    escalation_level: int = 0  # 0: only the enterprise was told
    escalated_at: datetime | None = None
    answered: bool = False  # a supervisor responded to the latest escalation
    subject: str | None = None  # the hazard id of a rectification reminder
    basis_day: date | None = None  # the day the cycle was counted from
    first_escalated_at: datetime | None = None  # when the supervisors were first told (level 1)
    planned: bool = False  # an enforcement-plan entry names this reminder (ever: a withdrawal does not undo it)
