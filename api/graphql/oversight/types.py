"""GraphQL types of time-limit supervision (built from projections/supervision/time_limits.py rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from api.graphql.types import PageInfo


@strawberry.type(description="隐患整改逾期: an open hazard past its rectification deadline")
class OverdueRectification:
    hazard_id: strawberry.ID
    hazard_code: str
    name: str
    level: str
    status: str
    responsible_person: str
    rectification_deadline: datetime
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    days_overdue: int = strawberry.field(description="calendar days from the deadline's day to today (Asia/Shanghai)")


@strawberry.type(description="督办超时: an escalation nobody answered by its response deadline")
class OverdueEscalation:
    reminder_id: strawberry.ID
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    kind: str
    level: int
    tier: str = strawberry.field(description="county | city | province: whose supervisors were told")
    escalated_at: datetime
    respond_by: date
    supervisors: list[str] = strawberry.field(description="usernames of the supervisors told")
    climbed: bool = strawberry.field(description="escalated to the next tier since, for want of an answer")
    days_overdue: int = strawberry.field(description="calendar days since the response deadline's day")


@strawberry.type
class OverdueRectificationEdge:
    cursor: str
    node: OverdueRectification


@strawberry.type
class OverdueEscalationEdge:
    cursor: str
    node: OverdueEscalation


@strawberry.type
class OverdueRectificationConnection:
    as_of_position: int
    total_count: int
    edges: list[OverdueRectificationEdge]
    page_info: PageInfo


@strawberry.type
class OverdueEscalationConnection:
    as_of_position: int
    total_count: int
    edges: list[OverdueEscalationEdge]
    page_info: PageInfo


RECTIFICATION_CURSOR = "overdue-rectification"
ESCALATION_CURSOR = "overdue-escalation"


def rectification(row: dict[str, Any]) -> OverdueRectification:
    return OverdueRectification(**{k: row[k] for k in OverdueRectification.__annotations__})


def escalation(row: dict[str, Any]) -> OverdueEscalation:
    fields = {k: row[k] for k in OverdueEscalation.__annotations__ if k != "supervisors"}
    return OverdueEscalation(**fields, supervisors=list(row["usernames"]))
