"""The enforcement plan (执法计划): automatic planning as a table of cases over the pure
evaluation, and the commands (add, link, refuse, reinstate, withdraw; a supervisor's entry answers
the reminder, the system's does not)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from domain.enforcement.aggregate import EnforcementPlanEntry, next_period, parse_period
from domain.enforcement.commands import attachment_of
from domain.reminders.aggregate import Reminder
from domain.reminders.evaluation import Counting, Escalate, PlanEnforcement, Raise, evaluate
from domain.reminders.facts import EnterpriseFacts, Evidence, OpenReminder, ReminderKind
from domain.reminders.routing import Recipient
from domain.rules.aggregate import RuleVersion
from domain.rules.calendar import WorkCalendar, YearDays
from domain.rules.rule_set import RuleSet
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.errors import CommandRefused, InvalidValue, InvalidValues, NotFound
from domain.shared.meta import Meta
from tests.unit.domain.helpers import enterprise_spec, new_services

CST = timezone(timedelta(hours=8))
Y2026 = YearDays.checked(2026, [date(2026, 10, d) for d in range(1, 8)], [date(2026, 9, 20), date(2026, 10, 10)])
CALENDAR = WorkCalendar({2026: Y2026})


def rules(after: int | None, day_kind: str = "calendar") -> RuleVersion:
    return RuleVersion(3, RuleSet(day_kind=day_kind, enforcement_plan_after_days=after), datetime(2026, 1, 1, tzinfo=UTC),
                       "user:admin", None)


FACTS = EnterpriseFacts("91410100MA0000001X", "郑州某化工有限公司", "410185", "hazardous_chemicals", "city",
                        datetime(2026, 8, 1, tzinfo=CST), True)
# First escalated (level 1, the city) on 09-28, then to the province (level 2) on 10-03: the plan
# counts from the first escalation.
FIRST = datetime(2026, 9, 28, 10, tzinfo=CST)
BASE = OpenReminder("r1", ReminderKind.RISK_IDENTIFICATION, "registered-2026-08-01", datetime(2026, 8, 15, tzinfo=CST),
                    escalation_level=2, escalated_at=datetime(2026, 10, 3, tzinfo=CST), basis_day=date(2026, 8, 1),
                    first_escalated_at=FIRST)


def plans(reminder: OpenReminder, version: RuleVersion, now: datetime) -> list[PlanEnforcement]:
    return [a for a in evaluate(FACTS, [reminder], version, CALENDAR, now) if isinstance(a, PlanEnforcement)]


@pytest.mark.parametrize(("case", "reminder", "version", "now", "period"), [
    # 09-28 + 10 calendar days = 10-08: past from 10-09 00:00 China time
    ("due the day after the deadline", BASE, rules(10), datetime(2026, 10, 9, 0, 0, tzinfo=CST), "2026-11"),
    ("not on the deadline day", BASE, rules(10), datetime(2026, 10, 8, 23, 59, tzinfo=CST), None),
    ("midnight in China, not UTC", BASE, rules(10), datetime(2026, 10, 8, 16, 0, tzinfo=UTC), "2026-11"),
    ("rule unset: never", BASE, rules(None), datetime(2026, 12, 1, tzinfo=CST), None),
    ("answered: never", replace(BASE, answered=True), rules(10), datetime(2026, 12, 1, tzinfo=CST), None),
    ("planned already: never", replace(BASE, planned=True), rules(10), datetime(2026, 12, 1, tzinfo=CST), None),
    ("not escalated: never", replace(BASE, escalation_level=0, escalated_at=None, first_escalated_at=None), rules(1),
     datetime(2026, 12, 1, tzinfo=CST), None),
    # working days: the National Day week does not count, make-up Saturday 10-10 does -> 10-16
    ("working days over National Day", BASE, rules(10, "working"), datetime(2026, 10, 16, 12, tzinfo=CST), None),
    ("working days, the day after", BASE, rules(10, "working"), datetime(2026, 10, 17, tzinfo=CST), "2026-11"),
    ("December plans into January", BASE, rules(10), datetime(2026, 12, 31, 23, tzinfo=CST), "2027-01"),
    ("counted from the first escalation", replace(BASE, escalated_at=datetime(2026, 10, 30, tzinfo=CST)), rules(10),
     datetime(2026, 10, 9, tzinfo=CST), "2026-11"),
    ("without a first day, from the latest", replace(BASE, first_escalated_at=None), rules(10),
     datetime(2026, 10, 13, 23, tzinfo=CST), None),
])
def test_automatic_planning(case: str, reminder: OpenReminder, version: RuleVersion, now: datetime, period: str | None) -> None:
    found = plans(reminder, version, now)
    if period is None:
        assert found == [], case
    else:
        [plan] = found
        assert plan.reminder_id == "r1" and plan.period == period and plan.rule_version == 3, case
        assert "unanswered for more than 10" in plan.reason and "2026-09-28" in plan.reason


def test_a_resolved_lateness_plans_nothing() -> None:
    complied = replace(FACTS, first_risk=Evidence(7, "domain.risks.aggregate:Risk.Identified", datetime(2026, 11, 1, tzinfo=CST)))
    actions = evaluate(complied, [BASE], rules(1), CALENDAR, datetime(2026, 12, 1, tzinfo=CST))
    assert "PlanEnforcement" not in [type(a).__name__ for a in actions] and "Resolve" in [type(a).__name__ for a in actions]


def test_a_deregistered_enterprise_is_closed_not_planned() -> None:
    actions = evaluate(replace(FACTS, active=False), [BASE], rules(1), CALENDAR, datetime(2026, 12, 1, tzinfo=CST))
    assert [type(a).__name__ for a in actions] == ["Close"]


def test_periods() -> None:
    assert parse_period("2026-12") == "2026-12" and next_period(date(2026, 12, 5)) == "2027-01"
    for bad in ("2026-13", "2026-00", "26-12", "2026-1", "1999-12", "2026-12\x00", ""):
        with pytest.raises(InvalidValue):
            parse_period(bad)


# -- commands ---------------------------------------------------------------------------------------

AT = datetime(2026, 12, 8, 2, tzinfo=UTC)


def ctx(actor: str = "user:county-sup", at: datetime = AT) -> CommandContext:
    return CommandContext(Meta(actor, "rest", at, f"req-{uuid4().hex[:6]}", "corr"))


def setup() -> tuple[LedgerServices, str, Reminder]:
    services = new_services()
    spec = enterprise_spec(region_code="410185", industry="machinery")
    services.enterprises.register(ctx(), spec)
    due = Raise(ReminderKind.RISK_IDENTIFICATION, "registered-x", date(2026, 11, 1), date(2026, 11, 11), "late", 0,
                Counting("calendar", {}, ()))
    reminder = Reminder.raise_for(due, spec.credit_code, spec.name, {"region_code": "410185", "industry": "machinery",
                                  "supervision_level": "county"}, [], AT - timedelta(days=10), ctx().meta)
    reminder.escalate(Escalate(str(reminder.id), 1, "county", date(2026, 11, 20), 0, Counting("calendar", {}, ()),
                               date(2026, 12, 1)), [Recipient("county-sup", "scope")], [], AT - timedelta(days=7), ctx().meta)
    services.ledger.save(reminder)
    return services, spec.credit_code, reminder


def test_a_supervisors_entry_answers_the_reminder() -> None:
    services, code, reminder = setup()
    receipt = services.enforcement_plan.add(ctx(), code, "2026-12", "多次督促未整改，\n列入本月执法检查。", reminder.id, "county-sup")
    entry = services.enforcement_plan.get(receipt.aggregate_id)
    assert receipt.aggregate_id == EnforcementPlanEntry.create_id(code, "2026-12") and receipt.position
    assert entry.status == "planned" and entry.origin == "supervisor" and entry.added_by == "county-sup"
    assert entry.reminder_ids == [str(reminder.id)] and entry.placement["region_code"] == "410185"
    answered = services.reminders.get(reminder.id)
    [response] = answered.responses
    assert answered.answered and response["measures"] == ["enforcement_plan"] and response["supervisor"] == "county-sup"
    assert response["attachments"] == [attachment_of(receipt.aggregate_id)] and response["in_time"] is False
    # the same add again writes nothing, and does not answer twice
    again = services.enforcement_plan.add(ctx(), code, "2026-12", "多次督促未整改，\n列入本月执法检查。", reminder.id, "county-sup")
    assert again.position is None and len(services.reminders.get(reminder.id).responses) == 1


def test_without_a_reminder_a_second_add_is_refused_and_a_withdrawn_entry_is_reinstated() -> None:
    services, code, _ = setup()
    entry_id = services.enforcement_plan.add(ctx(), code, "2026-12", "专项检查", None, "city-sup").aggregate_id
    with pytest.raises(CommandRefused, match="already on the 2026-12 plan"):
        services.enforcement_plan.add(ctx(), code, "2026-12", "again", None, "city-sup")
    services.enforcement_plan.withdraw(ctx(), entry_id, "企业已整改完毕", "city-sup")
    with pytest.raises(CommandRefused, match="already withdrawn"):
        services.enforcement_plan.withdraw(ctx(), entry_id, "twice", "city-sup")
    assert services.enforcement_plan.get(entry_id).withdrawal["by"] == "city-sup"
    services.enforcement_plan.add(ctx(), code, "2026-12", "复查仍未整改", None, "county-sup")
    entry = services.enforcement_plan.get(entry_id)
    assert entry.status == "planned" and entry.reason == "复查仍未整改"
    names = [type(e).__name__ for e in services.ledger.events.get(entry_id)]
    assert names == ["Added", "Withdrawn", "Reinstated"]


def test_a_planned_entry_links_a_further_reminder() -> None:
    services, code, reminder = setup()
    entry_id = services.enforcement_plan.add(ctx(), code, "2026-12", "专项检查", None, "city-sup").aggregate_id
    services.enforcement_plan.add(ctx(), code, "2026-12", "也回应此提醒", reminder.id, "county-sup")
    assert services.enforcement_plan.get(entry_id).reminder_ids == [str(reminder.id)]
    assert [type(e).__name__ for e in services.ledger.events.get(entry_id)] == ["Added", "Linked"]
    assert services.reminders.get(reminder.id).answered


def test_refusals_write_nothing() -> None:
    services, code, reminder = setup()
    head = services.ledger.recorder.max_notification_id()
    with pytest.raises(InvalidValues) as bad:
        services.enforcement_plan.add(ctx(), "not-a-code", "2026-13", "bad\x00", None, "x")
    assert {e.field for e in bad.value.errors} == {"credit_code", "period", "reason"}
    with pytest.raises(InvalidValue):
        services.enforcement_plan.add(ctx(), code, "2026-12", "x" * 1001, None, "x")
    with pytest.raises(NotFound):
        services.enforcement_plan.add(ctx(), enterprise_spec().credit_code, "2026-12", "unknown", None, "x")
    with pytest.raises(NotFound):
        services.enforcement_plan.add(ctx(), code, "2026-12", "unknown reminder", uuid4(), "x")
    other = enterprise_spec(region_code="410185")
    services.enterprises.register(ctx(), other)
    head = services.ledger.recorder.max_notification_id()
    with pytest.raises(InvalidValue, match="not one of enterprise"):
        services.enforcement_plan.add(ctx(), other.credit_code, "2026-12", "wrong reminder", reminder.id, "x")
    services.reminders._runner.change(ctx(), reminder.id, Reminder, lambda r: r.close("gone", AT, ctx().meta))  # type: ignore[attr-defined]
    head = services.ledger.recorder.max_notification_id()
    with pytest.raises(CommandRefused, match="closed"):
        services.enforcement_plan.add(ctx(), code, "2026-12", "closed reminder", reminder.id, "x")
    assert services.ledger.recorder.max_notification_id() == head
    with pytest.raises(NotFound):
        services.enforcement_plan.withdraw(ctx(), UUID(int=5), "no such entry", "x")


def test_a_system_entry_does_not_answer_the_reminder() -> None:
    services, code, reminder = setup()
    facts = EnterpriseFacts(code, "企业", "410185", "machinery", "county", AT - timedelta(days=60), True)
    due = PlanEnforcement(str(reminder.id), "2027-01", "unanswered", 0, Counting("calendar", {}, ()))
    first = services.reminders.apply(ctx("system:reminder-scan"), due, facts, RuleSet(), [])
    assert first is not None and first.created
    entry = services.enforcement_plan.get(first.aggregate_id)
    assert entry.origin == "system" and entry.added_by == "system" and entry.period == "2027-01"
    assert services.reminders.get(reminder.id).responses == [] and not services.reminders.get(reminder.id).answered
    assert services.reminders.apply(ctx("system:reminder-scan"), due, facts, RuleSet(), []) is None  # done already
