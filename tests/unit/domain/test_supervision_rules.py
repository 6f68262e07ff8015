"""Supervision rules, the calendar and the Reminder aggregate, stored and read back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.ledger import Ledger
from domain.reminders.aggregate import Reminder
from domain.reminders.evaluation import Counting, Escalate, Raise
from domain.reminders.facts import EnterpriseFacts, Evidence, ReminderKind
from domain.reminders.messages import to_enterprise, to_supervisors
from domain.reminders.routing import SupervisorContact, recipients
from domain.rules.aggregate import SupervisionRules
from domain.rules.calendar import CalendarYear, YearDays
from domain.rules.rule_set import QuietHours, RuleSet
from domain.shared.errors import CommandRefused, InvalidValue, InvalidValues
from domain.shared.meta import Meta
from datetime import time

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 9, tzinfo=UTC)


def meta(actor: str = "user:admin") -> Meta:
    return Meta(actor, "admin", AT, "req", "corr")


def ledger() -> Ledger:
    return Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_a_bad_rule_set_reports_every_field_at_once() -> None:
    with pytest.raises(InvalidValues) as refused:
        RuleSet.from_dict({"escalation_delay_days": -1, "supervisor_response_days": "5", "quiet_hours": {"start": "25:00"},
                           "industry_overrides": {"bakery": {"day_kind": "lunar"}}, "routes": [{"usernames": ["a"], "escalation_level": 7}]})
    fields = {e.field for e in refused.value.errors}
    assert fields == {"escalation_delay_days", "supervisor_response_days", "quiet_hours.start", "industry_overrides.bakery",
                      "industry_overrides.bakery.day_kind", "routes.0.escalation_level"}


def test_rule_versions_apply_from_their_effective_time() -> None:
    app = ledger()
    rules = SupervisionRules.first(RuleSet(), datetime(2026, 11, 1, tzinfo=CST), AT, meta("user:li"))
    rules.publish(RuleSet(risk_identification_days=15), datetime(2026, 12, 1, tzinfo=CST), AT, meta("user:wang"))
    app.save(rules)
    stored = app.repository.get(SupervisionRules.create_id())
    assert stored.in_force(datetime(2026, 10, 1, tzinfo=CST)).number == 0  # the seed's defaults
    assert stored.in_force(datetime(2026, 11, 30, tzinfo=CST)).rules.risk_identification_days == 10
    now = stored.in_force(datetime(2026, 12, 1, tzinfo=CST))
    assert (now.number, now.rules.risk_identification_days, now.actor) == (2, 15, "user:wang")
    with pytest.raises(InvalidValue):
        stored.publish(RuleSet(), datetime(2026, 11, 15, tzinfo=CST), AT, meta())


def test_quiet_hours_span_midnight() -> None:
    quiet = QuietHours("22:00", "07:00")
    assert quiet.contains(time(23, 30)) and quiet.contains(time(6, 59)) and not quiet.contains(time(7, 0))
    assert not QuietHours("00:00", "00:00").contains(time(3))


def test_a_calendar_year_is_corrected_by_republishing_it() -> None:
    app = ledger()
    days = YearDays.checked(2026, [date(2026, 10, 1)], [date(2026, 10, 10)])
    year = CalendarYear.publish(days, "chinese-calendar 1.11.0", AT, meta())
    assert not year.correct(days, "again", AT, meta())
    assert year.correct(YearDays.checked(2026, [date(2026, 10, 1), date(2026, 10, 2)], [date(2026, 10, 10)]), "国办发明电", AT, meta())
    app.save(year)
    stored = app.repository.get(CalendarYear.create_id(2026))
    assert stored.days().version == 2 and date(2026, 10, 2) in stored.days().holidays
    with pytest.raises(InvalidValues):
        YearDays.checked(2026, [date(2025, 1, 1), date(2026, 1, 1)], [date(2026, 1, 1)])


FACTS = EnterpriseFacts("91410100MA0000001X", "郑州某化工有限公司", "410185", "hazardous_chemicals", "county",
                        datetime(2026, 11, 2, tzinfo=CST), True)
DIRECTORY = [
    SupervisorContact("county-chem", "410185", ("hazardous_chemicals",), "county"),
    SupervisorContact("county-any", "410185", (), None),
    SupervisorContact("county-mines", "410185", ("non_coal_mine",), "county"),
    SupervisorContact("county-gone", "410185", (), None, active=False),
    SupervisorContact("other-county", "410102", (), None),
    SupervisorContact("city-chem", "410100", ("hazardous_chemicals",), "city"),
    SupervisorContact("province", "410000", (), "province"),
]


def test_default_routing_picks_the_tier_of_the_step() -> None:
    assert [r.username for r in recipients(FACTS, "county", 1, RuleSet(), DIRECTORY)] == ["county-any", "county-chem"]
    assert [r.username for r in recipients(FACTS, "city", 2, RuleSet(), DIRECTORY)] == ["city-chem"]
    assert [r.username for r in recipients(FACTS, "province", 3, RuleSet(), DIRECTORY)] == ["province"]


def test_routes_add_or_replace_recipients() -> None:
    add = RuleSet.from_dict({"routes": [{"usernames": ["province", "county-gone"], "industry": "hazardous_chemicals",
                                         "escalation_level": 1}]})
    assert [r.username for r in recipients(FACTS, "county", 1, add, DIRECTORY)] == ["county-any", "county-chem", "province"]
    only = RuleSet.from_dict({"routes": [{"usernames": ["city-chem"], "supervision_level": "county", "mode": "only"}]})
    [chosen] = recipients(FACTS, "county", 1, only, DIRECTORY)
    assert chosen.username == "city-chem" and "route only" in chosen.reason


def test_a_reminder_keeps_its_whole_trail() -> None:
    app = ledger()
    due = Raise(ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-02", date(2026, 11, 2), date(2026, 11, 12),
                "registered 2026-11-02, no risk reported by 2026-11-12", 1, Counting("working", {"2026": 1}, ()))
    rid = str(Reminder.create_id(FACTS.credit_code, due.kind.value, due.cycle_key))
    messages = to_enterprise(rid, FACTS.credit_code, FACTS.name, due.kind, due.deadline)
    reminder = Reminder.raise_for(due, FACTS.credit_code, FACTS.name, {"region_code": "410185"}, messages, AT, meta("system:scan"))
    assert [m.channel for m in messages] == ["sms", "inapp"] and "风险辨识" in messages[0].text
    assert reminder.record_delivery(messages[0].message_id, "held", "quiet hours", "138****0000", AT, meta())
    assert not reminder.record_delivery(messages[0].message_id, "held", "quiet hours", "138****0000", AT, meta())
    assert reminder.record_delivery(messages[0].message_id, "delivered", "ok", "138****0000", AT, meta())
    assert not reminder.record_delivery(messages[0].message_id, "failed", "late", "138****0000", AT, meta())
    step = Escalate(rid, 1, "county", date(2026, 11, 16), 1, Counting("working", {}, ()))
    chosen = recipients(FACTS, "county", 1, RuleSet(), DIRECTORY)
    sup_messages = to_supervisors(rid, 1, [r.username for r in chosen], FACTS.credit_code, FACTS.name, due.kind, date(2026, 11, 13))
    reminder.escalate(step, chosen, sup_messages, AT, meta("system:scan"))
    with pytest.raises(CommandRefused):
        reminder.escalate(step, chosen, sup_messages, AT, meta("system:scan"))
    reminder.resolve(Evidence(977, "domain.risks.aggregate:Risk.Identified", AT), AT, meta("system:scan"))
    app.save(reminder)
    stored = app.repository.get(reminder.id)
    assert stored.status == "resolved" and stored.escalation_level == 1 and stored.deadline == date(2026, 11, 12)
    assert stored.resolution["position"] == 977
    assert {m["message_id"] for m in stored.undelivered()} == {messages[1].message_id} | {m.message_id for m in sup_messages}
    with pytest.raises(CommandRefused):
        stored.close("again", AT, meta())


def test_enforcement_plan_days_and_assessment_weights_are_rules_with_defaults_and_checks() -> None:
    defaults = RuleSet.from_dict({})
    assert defaults.enforcement_plan_after_days is None and defaults.assessment_weights.answered_in_time == 1.0
    chosen = RuleSet.from_dict({"enforcement_plan_after_days": 10, "assessment_weights": {"answered_late": 0.5}})
    assert chosen.enforcement_plan_after_days == 10 and chosen.assessment_weights.answered_late == 0.5
    assert RuleSet.from_dict(chosen.as_dict()) == chosen  # versions are stored as dicts in the log
    with pytest.raises(InvalidValues) as refused:
        RuleSet.from_dict({"enforcement_plan_after_days": 0,
                           "assessment_weights": {"answered_late": 2, "enforcement_entry": "x", "bribes": 1}})
    assert {e.field for e in refused.value.errors} == {
        "enforcement_plan_after_days", "assessment_weights.answered_late", "assessment_weights.enforcement_entry",
        "assessment_weights.bribes"}
