"""Reminders (提醒): the list in the caller's scope, and one reminder with its whole trail ("why
was I reminded": rule version, calendar versions, deadline, the fact, every event with its log
position). Enterprise users and systems see their own; supervisors those in their scope; admins
and auditors all."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from fastapi.exceptions import RequestValidationError

from api.commanding import created, execute
from api.deps import Principal, PrincipalDep, ServicesDep, SupervisorCommandDep
from api.errors import Forbidden
from api.graphql.scope import read_scope
from api.schemas.common import PROBLEMS, Accepted
from api.rest.audit import audit_event, plain
from api.schemas.supervision import ReminderDetail, ReminderPage, ReminderSummary, ResponseIn
from domain.reminders.aggregate import Reminder
from domain.reminders.responses import ResponseSpec, may_answer
from domain.shared.errors import NotFound
from projections.live import LiveTables
from projections.scope import ReadScope
from projections.supervision.queries import ReminderFilter, ReminderReads

router = APIRouter(prefix="/reminders", tags=["reminders"], responses=PROBLEMS)

Kind = Literal["risk_identification", "hazard_investigation", "rectification_overdue"]
Status = Literal["open", "escalated", "resolved", "closed"]


def reminder_scope(principal: Principal) -> ReadScope:
    """An enterprise system's client token reads its own enterprise's reminders; others as in GraphQL."""
    if principal.subscription_id is not None:
        return ReadScope(credit_code=principal.credit_code) if principal.credit_code else ReadScope(nothing=True)
    return read_scope(principal)


@router.get("", response_model=ReminderPage)
def list_reminders(
    principal: PrincipalDep, services: ServicesDep,
    kind: Kind | None = None, status: Status | None = None,
    credit_code: Annotated[str | None, Query(max_length=18, description="统一社会信用代码")] = None,
    from_: Annotated[date | None, Query(alias="from", description="raised on or after this China day")] = None,
    to: Annotated[date | None, Query(description="raised on or before this China day")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=120, description="next_after of the previous page")] = None,
) -> ReminderPage:
    """Reminders in the caller's scope, newest first."""
    reads = ReminderReads(LiveTables(services.engine))
    page = reads.page(reminder_scope(principal), ReminderFilter(kind, status, credit_code, from_, to), limit,
                      _cursor(after))
    return ReminderPage(items=[_summary(r) for r in page.rows], next_after=page.next_after,
                        as_of_position=page.as_of_position)


@router.get("/{reminder_id}", response_model=ReminderDetail)
def get_reminder(reminder_id: UUID, principal: PrincipalDep, services: ServicesDep) -> ReminderDetail:
    """One reminder and its whole trail; 404 when it is not in the caller's scope."""
    reminder = services.write.runner.exists(reminder_id)
    scope = reminder_scope(principal)
    if not isinstance(reminder, Reminder) or not scope.covers({"credit_code": reminder.credit_code, **reminder.placement}):
        raise NotFound(f"no reminder {reminder_id}")
    trail = [audit_event(e.position, e.version, e.topic, e.event) for e in services.events.aggregate_events(reminder_id)]
    return ReminderDetail(
        reminder_id=str(reminder.id), credit_code=reminder.credit_code, enterprise_name=reminder.enterprise_name,
        region_code=reminder.placement.get("region_code", ""), industry=reminder.placement.get("industry", ""),
        supervision_level=reminder.placement.get("supervision_level", ""), kind=reminder.kind.value,
        status=reminder.status, escalation_level=reminder.escalation_level, deadline=reminder.deadline.isoformat(),
        fact=reminder.fact, rule_version=reminder.rule_version, raised_at=reminder.raised_at,
        cycle_key=reminder.cycle_key, basis_day=reminder.basis_day.isoformat(), subject=reminder.subject,
        counting=reminder.counting, escalations=plain(reminder.escalations),
        deliveries=dict(reminder.deliveries), resolution=plain(reminder.resolution),
        trail=trail,
    )


def _cursor(after: str | None) -> str | None:
    if after is None:
        return None
    at, sep, rid = after.partition("|")
    try:
        datetime.fromisoformat(at)
        UUID(rid)
    except ValueError:
        raise RequestValidationError([{"loc": ["query", "after"], "msg": "not a cursor of this list"}]) from None
    return after if sep else None


def _summary(row: dict[str, Any]) -> ReminderSummary:
    return ReminderSummary(**{k: row[k] for k in ReminderSummary.model_fields if k != "deadline"},
                           deadline=row["deadline"].isoformat())


@router.post("/{reminder_id}/responses", response_model=Accepted, status_code=201)
def respond(reminder_id: UUID, body: ResponseIn, call: SupervisorCommandDep) -> JSONResponse:
    """Record the measures taken and their result (supervisors). Allowed for a supervisor the
    reminder was escalated to, or whose scope covers the enterprise from its tier or a higher one;
    others 403; a resolved or closed reminder 409. Several supervisors may answer."""
    services, principal = call.services, call.principal
    reminder = services.write.runner.exists(reminder_id)
    if not isinstance(reminder, Reminder):
        raise NotFound(f"no reminder {reminder_id}")
    scope = principal.scope
    region = (scope.region_prefix or "").ljust(6, "0") if scope.region_prefix else None
    if not may_answer(principal.username, region, tuple(scope.industries), reminder.escalated_to(principal.username),
                      reminder.placement.get("region_code", ""), reminder.placement.get("industry", ""),
                      reminder.placement.get("supervision_level", "")):
        raise Forbidden("only a supervisor the reminder was escalated to, or whose scope covers the enterprise, may answer")
    spec = ResponseSpec(tuple(body.measures), body.result, body.happened_at, tuple(body.attachments))
    year = call.services.clock().year
    calendar = services.write.calendar.calendar(year - 1, year)  # an escalation of last year answered this year
    return execute(call, lambda ctx: services.write.reminders.respond(ctx, reminder_id, principal.username, spec, calendar),
                   created("reminder_id"))
