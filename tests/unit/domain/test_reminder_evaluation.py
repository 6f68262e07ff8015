"""The rule evaluation as a table of cases: pure inputs, exact due actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.reminders.evaluation import Close, Escalate, Raise, Resolve, evaluate, tiers_of
from domain.reminders.facts import EnterpriseFacts, Evidence, OpenHazard, OpenReminder, ReminderKind
from domain.rules.aggregate import DEFAULT_VERSION, RuleVersion
from domain.rules.calendar import WorkCalendar, YearDays
from domain.rules.rule_set import RuleSet

CST = timezone(timedelta(hours=8))
# 2026 as the State Council published it (国办发明电〔2025〕): National Day 10-01..10-07, make-up
# working days Sunday 09-20 and Saturday 10-10 (only the autumn part is needed here).
Y2026 = YearDays.checked(2026, [date(2026, 10, d) for d in range(1, 8)] + [date(2026, 9, d) for d in (25, 26, 27)],
                         [date(2026, 9, 20), date(2026, 10, 10)])
CALENDAR = WorkCalendar({2026: Y2026})
WORKING = RuleVersion(2, RuleSet(day_kind="working"), datetime(2026, 1, 1, tzinfo=UTC), "user:admin", None)


def facts(**changes: object) -> EnterpriseFacts:
    base = dict(credit_code="91410100MA0000001X", name="郑州某化工有限公司", region_code="410185",
                industry="hazardous_chemicals", supervision_level="county",
                registered_at=datetime(2026, 11, 2, 10, 0, tzinfo=CST), active=True)
    return EnterpriseFacts(**{**base, **changes})  # type: ignore[arg-type]


def evidence(at: datetime, position: int = 42, topic: str = "domain.risks.aggregate:Risk.Identified") -> Evidence:
    return Evidence(position, topic, at)


def kinds(actions: list) -> list[tuple[str, str]]:
    return [(type(a).__name__, getattr(a, "kind", "")) for a in actions]


def test_the_deadline_day_ends_at_midnight_china_time_not_utc() -> None:
    enterprise = facts(last_investigation=evidence(datetime(2026, 11, 12, 9, tzinfo=CST)))
    last_minute = datetime(2026, 11, 12, 23, 59, tzinfo=CST)  # 15:59 UTC: still the deadline day in China
    assert evaluate(enterprise, [], DEFAULT_VERSION, CALENDAR, last_minute) == []
    first_minute = datetime(2026, 11, 12, 16, 0, tzinfo=UTC)  # 00:00 on 11-13 in China
    [due] = evaluate(enterprise, [], DEFAULT_VERSION, CALENDAR, first_minute)
    assert isinstance(due, Raise) and due.kind is ReminderKind.RISK_IDENTIFICATION
    assert due.deadline == date(2026, 11, 12) and due.cycle_key == "registered-2026-11-02"
    assert due.fact == "2026-11-02 注册，截至 2026-11-12 未上报安全风险辨识"
    assert due.rule_version == 0 and due.counting.day_kind == "calendar"


def test_an_enterprise_registered_yesterday_is_not_reminded() -> None:
    assert evaluate(facts(), [], DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 3, 12, tzinfo=CST)) == []


@pytest.mark.parametrize(("kind", "deadline"), [("calendar", date(2026, 10, 5)), ("working", date(2026, 10, 13))])
def test_an_investigation_deadline_over_national_day(kind: str, deadline: date) -> None:
    """Seven days after Monday 09-28: in working days the holiday week does not count and the
    make-up Saturday 10-10 does, so the deadline is Tuesday 10-13, not Monday 10-05."""
    version = RuleVersion(2, RuleSet(day_kind=kind), datetime(2026, 1, 1, tzinfo=UTC), "user:admin", None)
    enterprise = facts(registered_at=datetime(2026, 1, 5, tzinfo=CST), first_risk=evidence(datetime(2026, 1, 6, tzinfo=CST)),
                       last_investigation=evidence(datetime(2026, 9, 28, 15, tzinfo=CST)))
    day_after = datetime.combine(deadline + timedelta(days=1), datetime.min.time(), CST)
    assert evaluate(enterprise, [], version, CALENDAR, day_after - timedelta(seconds=1)) == []
    [due] = evaluate(enterprise, [], version, CALENDAR, day_after)
    assert due.kind is ReminderKind.HAZARD_INVESTIGATION and due.deadline == deadline
    assert due.cycle_key == f"due-{deadline.isoformat()}" and due.basis_day == date(2026, 9, 28)
    assert due.counting.calendar_versions == ({"2026": 1} if kind == "working" else {})


def test_a_make_up_sunday_is_a_working_day() -> None:
    assert CALENDAR.is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert not CALENDAR.is_working_day(date(2026, 10, 5))  # Monday, National Day
    assert CALENDAR.add_days(date(2026, 9, 18), 1, "working") == date(2026, 9, 20)


def test_an_unpublished_year_counts_calendar_days_and_says_so() -> None:
    enterprise = facts(registered_at=datetime(2031, 3, 3, tzinfo=CST))
    due, investigation = evaluate(enterprise, [], WORKING, CALENDAR, datetime(2031, 3, 20, tzinfo=CST))
    assert due.kind is ReminderKind.RISK_IDENTIFICATION and due.deadline == date(2031, 3, 13)
    assert investigation.counting.fallback_years == (2031,)
    assert due.counting.fallback_years == (2031,)


def test_a_rule_change_takes_effect_mid_cycle_for_deadlines_not_yet_reached() -> None:
    now = datetime(2026, 11, 14, 9, tzinfo=CST)  # day 12 after registration
    longer = RuleVersion(3, RuleSet(risk_identification_days=15), datetime(2026, 11, 10, tzinfo=CST), "user:admin", None)
    assert ("Raise", "risk_identification") in kinds(evaluate(facts(), [], DEFAULT_VERSION, CALENDAR, now))
    assert ("Raise", "risk_identification") not in kinds(evaluate(facts(), [], longer, CALENDAR, now))


def test_a_per_industry_override_applies_to_that_industry_only() -> None:
    rules = RuleVersion(4, RuleSet.from_dict({"industry_overrides": {"hazardous_chemicals": {"investigation_interval_days": 3}}}),
                        datetime(2026, 1, 1, tzinfo=UTC), "user:admin", None)
    first = evidence(datetime(2026, 11, 3, tzinfo=CST))
    now = datetime(2026, 11, 7, 1, tzinfo=CST)  # 4 days after registration
    chemicals = evaluate(facts(first_risk=first), [], rules, CALENDAR, now)
    machinery = evaluate(facts(first_risk=first, industry="machinery"), [], rules, CALENDAR, now)
    assert kinds(chemicals) == [("Raise", "hazard_investigation")] and machinery == []


def test_a_deregistered_enterprise_is_never_reminded_and_its_reminders_close() -> None:
    late = datetime(2026, 12, 30, tzinfo=CST)
    open_one = OpenReminder("r1", ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-02", datetime(2026, 11, 13, tzinfo=CST))
    assert evaluate(facts(active=False), [], DEFAULT_VERSION, CALENDAR, late) == []
    assert evaluate(facts(active=False), [open_one], DEFAULT_VERSION, CALENDAR, late) == [
        Close("r1", "the enterprise was deregistered")]


def test_an_open_cycle_is_not_raised_again() -> None:
    now = datetime(2026, 11, 14, tzinfo=CST)
    open_one = OpenReminder("r1", ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-02", now, basis_day=date(2026, 11, 2))
    assert [a for a in evaluate(facts(), [open_one], DEFAULT_VERSION, CALENDAR, now) if isinstance(a, Raise)
            and a.kind is ReminderKind.RISK_IDENTIFICATION] == []


def test_escalation_climbs_one_tier_per_unanswered_step_up_to_the_province() -> None:
    raised = datetime(2026, 11, 13, 0, 5, tzinfo=CST)
    reminder = OpenReminder("r1", ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-02", raised, basis_day=date(2026, 11, 2))
    assert not [a for a in evaluate(facts(), [reminder], DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 16, 23, tzinfo=CST))
                if isinstance(a, Escalate)]
    [step] = [a for a in evaluate(facts(), [reminder], DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 17, tzinfo=CST))
              if isinstance(a, Escalate)]
    assert (step.level, step.tier, step.due_since) == (1, "county", date(2026, 11, 16))
    level1 = OpenReminder("r1", reminder.kind, reminder.cycle_key, raised, 1, datetime(2026, 11, 17, 1, tzinfo=CST),
                          basis_day=reminder.basis_day)
    [step] = [a for a in evaluate(facts(), [level1], DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 23, tzinfo=CST))
              if isinstance(a, Escalate)]
    assert (step.level, step.tier) == (2, "city")
    answered = OpenReminder("r1", reminder.kind, reminder.cycle_key, raised, 1, datetime(2026, 11, 17, 1, tzinfo=CST),
                            answered=True, basis_day=reminder.basis_day)
    assert not [a for a in evaluate(facts(), [answered], DEFAULT_VERSION, CALENDAR, datetime(2026, 12, 30, tzinfo=CST))
                if isinstance(a, Escalate)]
    top = OpenReminder("r1", reminder.kind, reminder.cycle_key, raised, 3, datetime(2026, 11, 30, tzinfo=CST),
                       basis_day=reminder.basis_day)
    assert not [a for a in evaluate(facts(), [top], DEFAULT_VERSION, CALENDAR, datetime(2026, 12, 30, tzinfo=CST))
                if isinstance(a, Escalate)]
    assert tiers_of("city") == ("city", "province")


def test_compliance_resolves_with_the_event_that_caused_it() -> None:
    raised = datetime(2026, 11, 13, tzinfo=CST)
    risk = evidence(datetime(2026, 11, 20, tzinfo=CST), position=977)
    reminder = OpenReminder("r1", ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-02", raised, 1, raised,
                            basis_day=date(2026, 11, 2))
    actions = evaluate(facts(first_risk=risk), [reminder], DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 20, 1, tzinfo=CST))
    assert Resolve("r1", risk) in actions and not [a for a in actions if isinstance(a, Escalate)]


def test_an_investigation_reminder_resolves_only_on_a_newer_investigation() -> None:
    basis = datetime(2026, 11, 3, tzinfo=CST)
    reminder = OpenReminder("r2", ReminderKind.HAZARD_INVESTIGATION, "due-2026-11-10", datetime(2026, 11, 11, tzinfo=CST),
                            basis_day=date(2026, 11, 3))
    old = facts(first_risk=evidence(basis), last_investigation=evidence(basis, 10))
    assert not [a for a in evaluate(old, [reminder], DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 12, tzinfo=CST))
                if isinstance(a, Resolve)]
    newer = evidence(datetime(2026, 11, 12, 8, tzinfo=CST), 55, "domain.inspections.aggregate:Inspection.Recorded")
    assert Resolve("r2", newer) in evaluate(facts(first_risk=evidence(basis), last_investigation=newer), [reminder],
                                            DEFAULT_VERSION, CALENDAR, datetime(2026, 11, 12, 9, tzinfo=CST))


def test_an_overdue_rectification_is_raised_and_resolved_on_acceptance() -> None:
    deadline = datetime(2026, 11, 20, 18, tzinfo=CST)
    hazard = OpenHazard("h1", "YH-001", deadline)
    base = dict(first_risk=evidence(datetime(2026, 11, 3, tzinfo=CST)),
                last_investigation=evidence(datetime(2026, 11, 20, tzinfo=CST)))
    assert evaluate(facts(**base, open_hazards=(hazard,)), [], DEFAULT_VERSION, CALENDAR, deadline) == []
    [due] = evaluate(facts(**base, open_hazards=(hazard,)), [], DEFAULT_VERSION, CALENDAR, deadline + timedelta(minutes=1))
    assert due.kind is ReminderKind.RECTIFICATION_OVERDUE and due.subject == "h1"
    off = RuleVersion(5, RuleSet(rectification_overdue=False), datetime(2026, 1, 1, tzinfo=UTC), "user:admin", None)
    assert evaluate(facts(**base, open_hazards=(hazard,)), [], off, CALENDAR, deadline + timedelta(minutes=1)) == []
    reminder = OpenReminder("r3", due.kind, due.cycle_key, deadline, subject="h1", basis_day=due.basis_day)
    accepted = evidence(deadline + timedelta(days=1), 88, "domain.hazards.aggregate:Hazard.AcceptancePassed")
    actions = evaluate(facts(**base, closed_hazards=(("h1", accepted),)), [reminder], DEFAULT_VERSION, CALENDAR,
                       deadline + timedelta(days=1, hours=1))
    assert actions == [Resolve("r3", accepted)]
