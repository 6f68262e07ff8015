"""Use cases on the enforcement plan (执法计划): a supervisor adds an enterprise to a month's plan
(optionally answering a reminder with it), withdraws an entry; the reminder scan adds one for an
escalation nobody answered (`plan_automatically`, origin "system").

An entry answers a reminder in two writes: the entry (added, linked or reinstated), then the
reminder's `Responded` with the measure "enforcement_plan" and the attachment
`enforcement-plan:<entry id>`. If the second write is lost (a crash, the reminder closed in
between), repeating the same add completes it: an entry that already names the reminder writes
nothing, and the answer is recorded unless the reminder already carries one for this entry.

A system entry records no answer: the reminder stays unanswered, so the supervisors' inaction
remains visible in the closed-loop report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from uuid import UUID

from domain.enforcement.aggregate import EnforcementPlanEntry, parse_period
from domain.enterprises.aggregate import Enterprise
from domain.enterprises.commands import EnterpriseCommands
from domain.reminders.aggregate import Reminder
from domain.reminders.commands import ReminderCommands
from domain.reminders.days import china_day
from domain.reminders.evaluation import PlanEnforcement
from domain.reminders.facts import EnterpriseFacts
from domain.reminders.responses import ResponseSpec
from domain.rules.commands import CalendarCommands
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.credit_code import CreditCode
from domain.shared.errors import CommandRefused, Conflict, InvalidValue
from domain.shared.validation import Checks, require_text

MAX_REASON = 1000
SYSTEM = "system"


def attachment_of(entry_id: UUID) -> str:
    """How a reminder's answer refers to the entry that gave it."""
    return f"enforcement-plan:{entry_id}"


@dataclass(frozen=True)
class PlanRequest:
    """A validated add: the enterprise and reminder are still to be checked against the ledger."""

    credit_code: str
    period: str
    reason: str

    @classmethod
    def checked(cls, credit_code: str, period: str, reason: str) -> PlanRequest:
        checks = Checks()
        code = checks.run(CreditCode.parse, credit_code)
        month = checks.run(parse_period, period)
        text = checks.run(require_text, reason, "reason", MAX_REASON, multiline=True)
        checks.done()
        return cls(str(code), month or "", text or "")


class EnforcementPlanCommands:
    def __init__(self, runner: CommandRunner, enterprises: EnterpriseCommands, calendar: CalendarCommands) -> None:
        self._runner = runner
        self._enterprises = enterprises
        self._calendar = calendar
        self._reminders = ReminderCommands(runner)  # only to record answers (never plans)

    def get(self, entry_id: UUID) -> EnforcementPlanEntry:
        return self._runner.load(entry_id, EnforcementPlanEntry)

    def add(self, ctx: CommandContext, credit_code: str, period: str, reason: str, reminder_id: UUID | None,
            by: str) -> Receipt:
        """Put the enterprise on `period`'s plan: a new entry; a withdrawn one reinstated; a planned
        one linked to the reminder (without a reminder: refused, it is on the plan already). With a
        reminder, which must be the enterprise's and open, the reminder is answered by the entry."""
        request = PlanRequest.checked(credit_code, period, reason)
        enterprise = self._enterprises.get(request.credit_code)  # NotFound -> 404
        if not enterprise.is_active:
            raise CommandRefused(f"enterprise {request.credit_code} is deregistered")
        reminder = self._open_reminder(reminder_id, request.credit_code) if reminder_id is not None else None
        rid = str(reminder_id) if reminder_id is not None else None
        entry_id = EnforcementPlanEntry.create_id(request.credit_code, request.period)
        at, meta = ctx.meta.recorded_at, ctx.meta

        def build() -> EnforcementPlanEntry:
            return EnforcementPlanEntry(request.credit_code, enterprise.name, _placement(enterprise), request.period,
                                        request.reason, rid, "supervisor", by, at, meta)

        def decide(entry: EnforcementPlanEntry) -> None:
            if entry.status == "withdrawn":
                entry.reinstate(request.reason, rid, "supervisor", by, at, meta)
            elif rid is not None:
                entry.link(rid, by, at, meta)
            else:
                raise CommandRefused(f"enterprise {request.credit_code} is already on the {request.period} plan")

        receipt = self._place(ctx, entry_id, build, decide)
        if reminder is not None and reminder_id is not None:
            self._answer(ctx, reminder, reminder_id, entry_id, request.reason, by)
        return receipt

    def withdraw(self, ctx: CommandContext, entry_id: UUID, reason: str, by: str) -> Receipt:
        """Take an entry off the plan with a reason (never deleted); 409 when it is withdrawn already."""
        text = require_text(reason, "reason", MAX_REASON, multiline=True)
        return self._runner.change(ctx, entry_id, EnforcementPlanEntry,
                                   lambda e: e.withdraw(text, by, ctx.meta.recorded_at, ctx.meta))

    def plan_automatically(self, ctx: CommandContext, due: PlanEnforcement, facts: EnterpriseFacts) -> Receipt | None:
        """The scan's `PlanEnforcement`: add, link or reinstate as the system. No answer is
        recorded on the reminder. None when the entry names the reminder already."""
        if not facts.active:
            return None
        entry_id = EnforcementPlanEntry.create_id(facts.credit_code, due.period)
        at, meta = ctx.meta.recorded_at, ctx.meta
        placement = {"region_code": facts.region_code, "industry": facts.industry,
                     "supervision_level": facts.supervision_level}

        def build() -> EnforcementPlanEntry:
            return EnforcementPlanEntry(facts.credit_code, facts.name, placement, due.period, due.reason[:MAX_REASON],
                                        due.reminder_id, SYSTEM, SYSTEM, at, meta)

        def decide(entry: EnforcementPlanEntry) -> None:
            if entry.status == "withdrawn":
                entry.reinstate(due.reason[:MAX_REASON], due.reminder_id, SYSTEM, SYSTEM, at, meta)
            else:
                entry.link(due.reminder_id, SYSTEM, at, meta)

        receipt = self._place(ctx, entry_id, build, decide)
        return receipt if receipt.position is not None else None

    # -- steps ------------------------------------------------------------------------------------

    def _place(self, ctx: CommandContext, entry_id: UUID, build: Callable[[], EnforcementPlanEntry],
               decide: Callable[[EnforcementPlanEntry], None]) -> Receipt:
        existing = self._runner.exists(entry_id)
        if existing is not None and not isinstance(existing, EnforcementPlanEntry):
            raise Conflict(f"{entry_id} is not an enforcement plan entry")
        if existing is None:
            try:
                return self._runner.create(ctx, entry_id, build, same_as=lambda _: False)
            except Conflict:
                pass  # added concurrently: decide on what won
        return self._runner.change(ctx, entry_id, EnforcementPlanEntry, decide)

    def _open_reminder(self, reminder_id: UUID, credit_code: str) -> Reminder:
        reminder = self._reminders.get(reminder_id)  # NotFound -> 404
        if reminder.credit_code != credit_code:
            raise InvalidValue("reminder_id", f"reminder {reminder_id} is not one of enterprise {credit_code}")
        if reminder.status in ("resolved", "closed"):
            raise CommandRefused(f"reminder {reminder_id} is {reminder.status}; the plan cannot answer it")
        return reminder

    def _answer(self, ctx: CommandContext, reminder: Reminder, reminder_id: UUID, entry_id: UUID, reason: str,
                by: str) -> None:
        attachment = attachment_of(entry_id)
        if any(attachment in r["attachments"] for r in reminder.responses):
            return  # this entry answered it already (a repeated add)
        at = ctx.meta.recorded_at
        year = china_day(at).year
        spec = ResponseSpec(("enforcement_plan",), reason, at, (attachment,))
        answer_ctx = replace(ctx, expected_version=None, on_recorded=None)  # the If-Match and idempotent answer are the entry's
        self._reminders.respond(answer_ctx, reminder_id, by, spec, self._calendar.calendar(year - 1, year))


def _placement(enterprise: Enterprise) -> dict[str, str]:
    return {"region_code": enterprise.region_code, "industry": enterprise.industry,
            "supervision_level": enterprise.supervision_level}
