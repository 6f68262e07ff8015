"""The rule evaluation: (enterprise facts, open reminders, rules, calendar, now) -> due actions.

Pure: no clock, no I/O, so every rule is unit tested with a table of cases. The rules in force at
`now` apply (a rule change takes effect for deadlines not yet reached; a reminder already raised
keeps the version it was raised under). Deadlines are whole China days: "within 10 days of
registration on 11-02" is late from 11-13 00:00 Asia/Shanghai in calendar days.

- risk identification (facts are written in Chinese, as users read them): no risk reported `risk_identification_days` after registration.
- hazard investigation: no inspection record or hazard registration `investigation_interval_days`
  after the last one (or after registration). Each late period is its own cycle.
- rectification overdue: a hazard past its rectification deadline, not accepted nor invalidated.
- escalation: `escalation_delay_days` after the enterprise's notice, still late -> the supervisors of
  the enterprise's own tier; unanswered `supervisor_response_days` later -> one tier up, until the
  province.
- automatic enforcement plan (seed 1.4.2.3 自动将企业列入执法计划): when the rules set
  `enforcement_plan_after_days`, an escalated reminder nobody answered, not yet on a plan, whose
  first escalation is more than that many days (in the rule's day kind) ago -> the enterprise
  goes onto next month's plan (China day of `now`), done by the system.
- a deregistered enterprise is never reminded; its open reminders are closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.enforcement.aggregate import next_period
from domain.reminders.days import china_day, china_minute, is_past
from domain.reminders.facts import EnterpriseFacts, Evidence, OpenReminder, ReminderKind
from domain.rules.aggregate import RuleVersion
from domain.rules.calendar import WorkCalendar
from domain.rules.rule_set import EffectiveRules

TIERS = ("county", "city", "province")


@dataclass(frozen=True)
class Counting:
    """How a deadline was counted: recorded on the reminder so "why" has an exact answer."""

    day_kind: str
    calendar_versions: dict[str, int]
    fallback_years: tuple[int, ...]  # working days were asked for, but these years are unpublished


@dataclass(frozen=True)
class Raise:
    kind: ReminderKind
    cycle_key: str
    basis_day: date
    deadline: date
    fact: str
    rule_version: int
    counting: Counting
    subject: str | None = None


@dataclass(frozen=True)
class Escalate:
    reminder_id: str
    level: int
    tier: str  # county / city / province: whose supervisors are notified
    due_since: date
    rule_version: int
    counting: Counting
    respond_by: date | None = None  # the last day the notified supervisors have to answer in time


@dataclass(frozen=True)
class Resolve:
    reminder_id: str
    evidence: Evidence


@dataclass(frozen=True)
class Close:
    reminder_id: str
    reason: str


@dataclass(frozen=True)
class PlanEnforcement:
    """Put the enterprise on `period`'s enforcement plan because of this unanswered escalation."""

    reminder_id: str
    period: str  # YYYY-MM: the month after the scan's China day
    reason: str
    rule_version: int
    counting: Counting


DueAction = Raise | Escalate | Resolve | Close | PlanEnforcement


def tiers_of(supervision_level: str) -> tuple[str, ...]:
    """The escalation ladder of an enterprise: its own tier, then each one above it."""
    return TIERS[TIERS.index(supervision_level):] if supervision_level in TIERS else ("province",)


def evaluate(facts: EnterpriseFacts, reminders: list[OpenReminder], rules: RuleVersion,
             calendar: WorkCalendar, now: datetime) -> list[DueAction]:
    if not facts.active:
        return [Close(r.reminder_id, "the enterprise was deregistered") for r in reminders]
    effective = rules.rules.for_industry(facts.industry)
    actions: list[DueAction] = []
    open_cycles = {(r.kind, r.cycle_key) for r in reminders}
    for reminder in reminders:
        evidence = _compliance(facts, reminder)
        if evidence is not None:
            actions.append(Resolve(reminder.reminder_id, evidence))
        else:
            if (escalation := _escalation(facts, reminder, effective, rules.number, calendar, now)) is not None:
                actions.append(escalation)
            plan = _planning(reminder, rules.rules.enforcement_plan_after_days, effective, rules.number, calendar, now)
            if plan is not None:
                actions.append(plan)
    for due in _due(facts, effective, rules, calendar, now):
        if (due.kind, due.cycle_key) not in open_cycles:
            actions.append(due)
    return actions


def _due(facts: EnterpriseFacts, rules: EffectiveRules, version: RuleVersion, calendar: WorkCalendar,
         now: datetime) -> list[Raise]:
    due: list[Raise] = []
    registered = china_day(facts.registered_at)
    if facts.first_risk is None:
        deadline, counting = _count(calendar, registered, rules.risk_identification_days, rules.day_kind)
        if is_past(deadline, now):
            due.append(Raise(ReminderKind.RISK_IDENTIFICATION, f"registered-{registered.isoformat()}", registered, deadline,
                             f"{registered.isoformat()} 注册，截至 {deadline.isoformat()} 未上报安全风险辨识",
                             version.number, counting))
    last = facts.last_investigation
    basis = max(registered, china_day(last.at)) if last is not None else registered
    deadline, counting = _count(calendar, basis, rules.investigation_interval_days, rules.day_kind)
    if is_past(deadline, now):
        since = f"上次隐患排查登记于 {basis.isoformat()}" if last is not None else f"{basis.isoformat()} 注册"
        due.append(Raise(ReminderKind.HAZARD_INVESTIGATION, f"due-{deadline.isoformat()}", basis, deadline,
                         f"{since}，截至 {deadline.isoformat()} 未登记隐患排查", version.number, counting))
    if rules.rectification_overdue:
        for hazard in facts.open_hazards:
            if hazard.deadline is not None and hazard.deadline < now:
                day = china_day(hazard.deadline)
                due.append(Raise(ReminderKind.RECTIFICATION_OVERDUE, f"hazard-{hazard.hazard_id}-{hazard.deadline.isoformat()}",
                                 day, day, f"隐患 {hazard.hazard_code} 整改期限 {china_minute(hazard.deadline)} 已过，"
                                 "尚未整改验收", version.number, Counting("calendar", {}, ()),
                                 subject=hazard.hazard_id))
    return due


def _compliance(facts: EnterpriseFacts, reminder: OpenReminder) -> Evidence | None:
    """The event that ended the reminder's lateness, if one has happened."""
    if reminder.kind is ReminderKind.RISK_IDENTIFICATION:
        return facts.first_risk
    if reminder.kind is ReminderKind.HAZARD_INVESTIGATION:
        last = facts.last_investigation
        if last is not None and reminder.basis_day is not None and china_day(last.at) > reminder.basis_day:
            return last
        return None
    return dict(facts.closed_hazards).get(reminder.subject or "")  # accepted or invalidated


def _escalation(facts: EnterpriseFacts, reminder: OpenReminder, rules: EffectiveRules, version: int,
                calendar: WorkCalendar, now: datetime) -> Escalate | None:
    ladder = tiers_of(facts.supervision_level)
    if reminder.escalation_level == 0:
        start, wait = china_day(reminder.raised_at), rules.escalation_delay_days
    elif reminder.answered or reminder.escalation_level >= len(ladder) or reminder.escalated_at is None:
        return None
    else:
        start, wait = china_day(reminder.escalated_at), rules.supervisor_response_days
    deadline, counting = _count(calendar, start, wait, rules.day_kind)
    if not is_past(deadline, now):
        return None
    level = reminder.escalation_level + 1
    respond_by = calendar.add_days(china_day(now), rules.supervisor_response_days, rules.day_kind)
    return Escalate(reminder.reminder_id, level, ladder[level - 1], deadline, version, counting, respond_by)


def _planning(reminder: OpenReminder, days: int | None, rules: EffectiveRules, version: int, calendar: WorkCalendar,
              now: datetime) -> PlanEnforcement | None:
    """Due when the escalation has stayed unanswered more than `enforcement_plan_after_days`
    after the first one (counted like every deadline: whole China days, in the rule's day kind).
    An answer to the escalation in force stops the ladder, so "answered" there means answered
    since the first escalation. `days` is the rule set's (no industry overrides it); the day kind
    is the industry's."""
    first = reminder.first_escalated_at or reminder.escalated_at
    if days is None or reminder.planned or reminder.answered or reminder.escalation_level < 1 or first is None:
        return None
    start = china_day(first)
    deadline, counting = _count(calendar, start, days, rules.day_kind)
    if not is_past(deadline, now):
        return None
    unit = "working days" if rules.day_kind == "working" else "days"
    reason = (f"escalated to the supervisors on {start.isoformat()} and unanswered for more than {days} {unit} "
              f"(by {deadline.isoformat()}); planned automatically under rules v{version}")
    return PlanEnforcement(reminder.reminder_id, next_period(china_day(now)), reason, version, counting)


def _count(calendar: WorkCalendar, start: date, days: int, kind: str) -> tuple[date, Counting]:
    deadline = calendar.add_days(start, days, kind)
    fallback = tuple(calendar.fallback_years(start, deadline, kind))
    versions = calendar.versions(start, deadline) if kind == "working" else {}
    return deadline, Counting(kind, versions, fallback)
