"""GraphQL types of the supervision feature, built from read-model rows and rule versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.graphql.types import PageInfo
from domain.rules.aggregate import RuleVersion

T = TypeVar("T")


def from_row(cls: type[T], row: dict[str, Any]) -> T:
    """A type whose fields are all columns of a read-model row, by name."""
    return cls(**{name: row[name] for name in cls.__annotations__})


@strawberry.type(description="监管规则: one version of the supervision rules")
class SupervisionRules:
    version: int = strawberry.field(description="0: the seed's defaults, never published")
    effective_from: datetime | None
    actor: str | None
    rules: JSON

    @classmethod
    def of(cls, version: RuleVersion) -> SupervisionRules:
        return cls(version=version.number, effective_from=version.effective_from, actor=version.actor,
                   rules=version.rules.as_dict())


@strawberry.type(description="提醒: one reminder (the REST door /api/v1/reminders/{id} has its whole trail)")
class Reminder:
    reminder_id: str
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    supervision_level: str
    kind: str = strawberry.field(description="risk_identification | hazard_investigation | rectification_overdue")
    status: str = strawberry.field(description="open | escalated | resolved | closed")
    escalation_level: int
    deadline: date
    fact: str
    rule_version: int
    raised_at: datetime

    @strawberry.field(description="the messages sent for this reminder (SMS and in-app, to the enterprise and the "
                                  "supervisors) with their delivery status")
    async def messages(self, info: strawberry.Info, first: int = 50) -> list[ReminderMessage]:
        from api.graphql.schema import page_size, read  # the schema module imports this one

        rows = await read(info.context.read.closed_loop.messages_of, self.reminder_id, page_size(first))
        return [from_row(ReminderMessage, r) for r in rows]

    @strawberry.field(description="every event of the reminder with its log position and metadata (as the REST door)")
    async def trail(self, info: strawberry.Info, first: int = 100) -> list[TrailEvent]:
        from starlette.concurrency import run_in_threadpool

        from api.graphql.schema import page_size
        from api.rest.audit import audit_event

        size = page_size(first)
        events = await run_in_threadpool(lambda: list(info.context.services.events.aggregate_events(UUID(self.reminder_id))))
        return [TrailEvent(**audit_event(e.position, e.version, e.topic, e.event).model_dump()) for e in events[:size]]


@strawberry.type(description="a message sent for a reminder (rm_outbox): who, through which channel, its delivery")
class ReminderMessage:
    message_id: str
    channel: str = strawberry.field(description="sms | inapp")
    recipient: str = strawberry.field(description="enterprise:<credit code> | user:<username>")
    title: str
    text: str
    due_at: datetime
    status: str = strawberry.field(description="pending | held | capped | retrying | delivered | failed | cancelled")
    updated_at: datetime


@strawberry.type(description="one event of a reminder's trail")
class TrailEvent:
    position: int
    version: int
    type: str
    topic: str
    business_time: str | None
    recorded_at: str | None
    metadata: JSON | None
    data: JSON


@strawberry.type
class ReminderEdge:
    cursor: str
    node: Reminder


@strawberry.type
class ReminderConnection:
    as_of_position: int
    edges: list[ReminderEdge]
    page_info: PageInfo


@strawberry.type(description="站内消息")
class InboxMessage:
    message_id: str
    reminder_id: str
    title: str
    text: str
    created_at: datetime
    read_at: datetime | None



@strawberry.type
class Inbox:
    as_of_position: int
    unread: int
    items: list[InboxMessage]
