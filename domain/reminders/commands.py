"""Use cases on reminders: carry out the scan's due actions and record deliveries.

Each action is one command on one Reminder, so a scan that stops halfway leaves every reminder it
touched complete, and the next scan carries on: raising is idempotent (the id is derived from the
cycle), escalation is refused unless it is the next level, resolution only while open.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.reminders.aggregate import Reminder
from domain.reminders.evaluation import Close, DueAction, Escalate, PlanEnforcement, Raise, Resolve
from domain.reminders.facts import EnterpriseFacts
from domain.reminders.messages import to_enterprise, to_supervisors
from domain.reminders.responses import ResponseSpec
from domain.reminders.routing import SupervisorContact, recipients
from domain.reminders.days import china_day
from domain.rules.calendar import WorkCalendar
from domain.rules.rule_set import RuleSet
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import CommandRefused


class Planner(Protocol):
    def plan_automatically(self, ctx: CommandContext, due: PlanEnforcement, facts: EnterpriseFacts) -> Receipt | None:
        """Put the enterprise on the plan for an unanswered escalation (origin "system"); None when
        the entry already names the reminder."""


class ReminderCommands:
    """`planner` carries out `PlanEnforcement` (domain/enforcement/commands.py); without one the
    scan leaves automatic planning undone."""

    def __init__(self, runner: CommandRunner, planner: Planner | None = None) -> None:
        self._runner = runner
        self._planner = planner

    def get(self, reminder_id: UUID) -> Reminder:
        return self._runner.load(reminder_id, Reminder)

    def apply(self, ctx: CommandContext, action: DueAction, facts: EnterpriseFacts, rules: RuleSet,
              directory: list[SupervisorContact]) -> Receipt | None:
        """Carry out one due action; None when it turned out to be done already (another scan)."""
        if isinstance(action, Raise):
            return self._raise(ctx, action, facts)
        if isinstance(action, PlanEnforcement):
            return self._planner.plan_automatically(ctx, action, facts) if self._planner is not None else None
        reminder_id = UUID(action.reminder_id)
        try:
            if isinstance(action, Escalate):
                chosen = recipients(facts, action.tier, action.level, rules, directory)
                return self._runner.change(ctx, reminder_id, Reminder, lambda r: r.escalate(
                    action, chosen, to_supervisors(str(r.id), action.level, [c.username for c in chosen], r.credit_code,
                                                   r.enterprise_name, r.kind, china_day(r.raised_at)),
                    ctx.meta.recorded_at, ctx.meta))
            if isinstance(action, Resolve):
                return self._runner.change(ctx, reminder_id, Reminder,
                                           lambda r: r.resolve(action.evidence, ctx.meta.recorded_at, ctx.meta))
            if isinstance(action, Close):
                return self._runner.change(ctx, reminder_id, Reminder,
                                           lambda r: r.close(action.reason, ctx.meta.recorded_at, ctx.meta))
        except CommandRefused:
            return None  # resolved, closed or escalated meanwhile: the state already moved on
        raise TypeError(f"not a due action: {action!r}")

    def _raise(self, ctx: CommandContext, due: Raise, facts: EnterpriseFacts) -> Receipt | None:
        reminder_id = Reminder.create_id(facts.credit_code, due.kind.value, due.cycle_key)
        placement = {"region_code": facts.region_code, "industry": facts.industry,
                     "supervision_level": facts.supervision_level}
        messages = to_enterprise(str(reminder_id), facts.credit_code, facts.name, due.kind, due.deadline)
        receipt = self._runner.create(
            ctx, reminder_id,
            build=lambda: Reminder.raise_for(due, facts.credit_code, facts.name, placement, messages,
                                             ctx.meta.recorded_at, ctx.meta),
            same_as=lambda existing: existing.same_registration(
                {"credit_code": facts.credit_code, "kind": due.kind.value, "cycle_key": due.cycle_key}),
        )
        return receipt if receipt.created else None

    def respond(self, ctx: CommandContext, reminder_id: UUID, supervisor: str, spec: ResponseSpec,
                calendar: WorkCalendar) -> Receipt:
        """Record a supervisor's measures and result (the caller checked that they may answer);
        `calendar` counts the response time in working days when the rule says so."""
        checked = spec.validated(ctx.meta.recorded_at)
        return self._runner.change(ctx, reminder_id, Reminder, lambda r: r.respond(
            supervisor, list(checked.measures), checked.result, checked.happened_at, list(checked.attachments),
            calendar, ctx.meta.recorded_at, ctx.meta))

    def mark_read(self, ctx: CommandContext, reminder_id: UUID, message_id: str, reader: str) -> Receipt:
        """Mark an in-app message read; a second time writes nothing (the receipt has no position)."""
        return self._runner.change(ctx, reminder_id, Reminder,
                                   lambda r: r.mark_read(message_id, reader, ctx.meta.recorded_at, ctx.meta))

    def record_delivery(self, ctx: CommandContext, reminder_id: UUID, message_id: str, result: str, detail: str,
                        recipient: str) -> Receipt | None:
        written: list[bool] = []
        receipt = self._runner.change(ctx, reminder_id, Reminder, lambda r: written.append(
            r.record_delivery(message_id, result, detail, recipient, ctx.meta.recorded_at, ctx.meta)))
        return receipt if written and written[-1] else None
