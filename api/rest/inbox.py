"""In-app messages (站内消息): an enterprise's users and systems share the enterprise's inbox;
supervisors, admins and auditors have their own. Marking a message read is an event on its
reminder, so a rebuilt inbox keeps it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.commanding import execute, receipt_body
from api.deps import Principal, PrincipalDep, ReaderCommandDep, ServicesDep
from api.schemas.common import PROBLEMS
from api.schemas.supervision import Inbox, InboxMessage
from domain.shared.errors import NotFound
from projections.live import LiveTables
from projections.supervision.queries import ReminderReads

router = APIRouter(prefix="/inbox", tags=["inbox"], responses=PROBLEMS)


def recipients_of(principal: Principal) -> list[str]:
    if principal.credit_code:
        return [f"enterprise:{principal.credit_code}"]
    return [f"user:{principal.username}"]


@router.get("", response_model=Inbox)
def my_inbox(
    principal: PrincipalDep, services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[datetime | None, Query(description="older than this (created_at of the last message seen)")] = None,
    unread: Annotated[bool, Query(description="only unread messages")] = False,
) -> Inbox:
    """My messages, newest first, and how many are unread."""
    rows, count, position = ReminderReads(LiveTables(services.engine)).inbox(recipients_of(principal), limit, before, unread)
    return Inbox(items=[InboxMessage(**{k: r[k] for k in InboxMessage.model_fields}) for r in rows], unread=count,
                 as_of_position=position)


@router.post("/{message_id}/read")
def mark_read(message_id: UUID, call: ReaderCommandDep) -> JSONResponse:
    """Mark one of my messages read (again: nothing changes). 404 when it is not in my inbox."""
    reads = ReminderReads(LiveTables(call.services.engine))
    message = reads.message(str(message_id), recipients_of(call.principal))
    if message is None:
        raise NotFound(f"no message {message_id} in your inbox")
    reminders = call.services.write.reminders
    return execute(call, lambda ctx: reminders.mark_read(ctx, UUID(message["reminder_id"]), str(message_id),
                                                         call.principal.actor), _read(str(message_id)))


def _read(message_id: str):  # noqa: ANN202
    def respond(receipt):  # noqa: ANN001, ANN202
        return 200, receipt_body(receipt, "reminder_id") | {"message_id": message_id, "read": True}

    return respond

