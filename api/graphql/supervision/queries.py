"""Query fields of the supervision feature; scoped by the caller like every read (context.scope)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from api.graphql.context import GraphQLContext
from api.graphql.schema import DEFAULT_PAGE, bad_input, decode_cursor, encode_cursor, page_size, read
from api.graphql.supervision.types import (Inbox, InboxMessage, Reminder, ReminderConnection, ReminderEdge,
                                          SupervisionRules, from_row)
from api.graphql.types import PageInfo
from projections.supervision.queries import ReminderFilter

KINDS = ("risk_identification", "hazard_investigation", "rectification_overdue")
STATUSES = ("open", "escalated", "resolved", "closed")


@strawberry.type
class SupervisionQuery:
    @strawberry.field(description="监管规则 in force now")
    async def supervision_rules(self, info: Info[GraphQLContext, None]) -> SupervisionRules:
        context = info.context
        return SupervisionRules.of(await run_in_threadpool(context.services.write.rules.in_force, context.now))

    @strawberry.field(description="published versions of the supervision rules, newest first")
    async def supervision_rule_versions(self, info: Info[GraphQLContext, None], first: int = 20) -> list[SupervisionRules]:
        history = await run_in_threadpool(info.context.services.write.rules.history)
        return [SupervisionRules.of(v) for v in reversed(history)][:page_size(first)]

    @strawberry.field(description="提醒 in your scope, newest first")
    async def reminders(
        self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE, after: str | None = None,
        kind: str | None = None, status: str | None = None, credit_code: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None, to: date | None = None,
    ) -> ReminderConnection:
        if kind is not None and kind not in KINDS:
            raise bad_input(f"kind must be one of {', '.join(KINDS)}", "kind")
        if status is not None and status not in STATUSES:
            raise bad_input(f"status must be one of {', '.join(STATUSES)}", "status")
        context = info.context
        key = decode_cursor("reminder", after)
        page = await read(context.read.reminders.page, context.scope, ReminderFilter(kind, status, credit_code, from_, to),
                          page_size(first), key)
        edges = [ReminderEdge(cursor=encode_cursor("reminder", f"{r['raised_at'].isoformat()}|{r['reminder_id']}"),
                              node=from_row(Reminder, r)) for r in page.rows]
        info_ = PageInfo(has_next_page=page.next_after is not None, start_cursor=edges[0].cursor if edges else None,
                         end_cursor=edges[-1].cursor if edges else None, earlier=None)
        return ReminderConnection(as_of_position=page.as_of_position, edges=edges, page_info=info_)

    @strawberry.field(description="站内消息: my in-app messages, newest first, and the unread count")
    async def inbox(self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE, unread_only: bool = False) -> Inbox:
        principal = info.context.principal
        if principal is None:
            raise bad_input("log in first")
        recipient = f"enterprise:{principal.credit_code}" if principal.credit_code else f"user:{principal.username}"
        rows, unread, position = await read(info.context.read.reminders.inbox, [recipient], page_size(first), None, unread_only)
        return Inbox(as_of_position=position, unread=unread, items=[from_row(InboxMessage, r) for r in rows])
