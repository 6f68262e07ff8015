"""Supervisors' answers to reminders: who may answer, what an answer holds, and that it stops the climb."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.ledger import Ledger
from domain.reminders.aggregate import Reminder
from domain.reminders.evaluation import Counting, Escalate, Raise
from domain.reminders.facts import ReminderKind
from domain.reminders.responses import ResponseSpec, may_answer
from domain.reminders.routing import Recipient
from domain.rules.calendar import WorkCalendar, YearDays
from domain.services import ledger_services
from domain.shared.commands import CommandContext
from domain.shared.errors import CommandRefused, InvalidValues
from domain.shared.meta import Meta

AT = datetime(2026, 12, 8, 2, tzinfo=UTC)


def ctx() -> CommandContext:
    return CommandContext(Meta("user:county-sup", "rest", AT, "req", "corr"))


def escalated_reminder() -> tuple[object, Reminder]:
    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    due = Raise(ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-23", date(2026, 11, 23), date(2026, 12, 3),
                "registered 2026-11-23, no risk reported by 2026-12-03", 0, Counting("calendar", {}, ()))
    reminder = Reminder.raise_for(due, "91410185MA0000001X", "企业", {"region_code": "410185", "industry": "machinery",
                                  "supervision_level": "county"}, [], AT - timedelta(days=4), ctx().meta)
    reminder.escalate(Escalate(str(reminder.id), 1, "county", date(2026, 12, 7), 0, Counting("calendar", {}, ())),
                      [Recipient("county-sup", "scope covers 410185")], [], AT, ctx().meta)
    services.ledger.save(reminder)
    return services, reminder


def test_an_answer_is_recorded_and_marks_the_escalation_answered() -> None:
    services, reminder = escalated_reminder()
    spec = ResponseSpec(("phone_call", "on_site_inspection"), "已电话督促并现场检查，企业承诺三日内上报。", AT - timedelta(hours=1))
    services.reminders.respond(ctx(), reminder.id, "county-sup", spec, WorkCalendar())  # type: ignore[attr-defined]
    stored = services.reminders.get(reminder.id)  # type: ignore[attr-defined]
    assert stored.answered and stored.responses[0]["measures"] == ["phone_call", "on_site_inspection"]
    assert stored.responses[0]["level"] == 1 and stored.escalated_to("county-sup")


def test_a_bad_answer_names_every_field() -> None:
    services, reminder = escalated_reminder()
    with pytest.raises(InvalidValues) as refused:
        services.reminders.respond(ctx(), reminder.id, "x", ResponseSpec(("telepathy",), " ", AT + timedelta(days=1)), WorkCalendar())  # type: ignore[attr-defined]
    assert {e.field for e in refused.value.errors} == {"measures.0", "result", "happened_at"}


def test_a_closed_reminder_takes_no_answer() -> None:
    services, reminder = escalated_reminder()
    services.reminders._runner.change(ctx(), reminder.id, Reminder, lambda r: r.close("deregistered", AT, ctx().meta))  # type: ignore[attr-defined]
    with pytest.raises(CommandRefused):
        services.reminders.respond(ctx(), reminder.id, "county-sup", ResponseSpec(("other",), "x", AT), WorkCalendar())  # type: ignore[attr-defined]


@pytest.mark.parametrize(("region", "industries", "escalated", "allowed"), [
    ("410185", (), False, True),            # the county's own supervisor
    ("410100", (), False, True),            # the city above it
    ("410000", ("machinery",), False, True),  # the province, for the industry
    ("410000", ("fireworks",), False, False),  # another industry
    ("410102", (), False, False),           # another county
    ("410300", (), False, False),           # another city (Luoyang)
    ("410300", (), True, True),             # routed to them by the rules
    (None, (), False, False),
])
def test_who_may_answer(region: str | None, industries: tuple[str, ...], escalated: bool, allowed: bool) -> None:
    assert may_answer("u", region, industries, escalated, "410185", "machinery", "county") is allowed


def test_a_county_supervisor_may_not_answer_for_a_city_supervised_enterprise() -> None:
    assert not may_answer("u", "410185", (), False, "410185", "machinery", "city")
    assert may_answer("u", "410100", (), False, "410185", "machinery", "city")


def _escalated_on_working_days(escalated: datetime, respond_by: date) -> tuple[object, Reminder]:
    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    due = Raise(ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-13", date(2026, 11, 13), date(2026, 11, 23),
                "registered 2026-11-13, no risk reported by 2026-11-23", 0, Counting("working", {}, ()))
    reminder = Reminder.raise_for(due, "91410185MA0000001X", "企业", {"region_code": "410185", "industry": "machinery",
                                  "supervision_level": "county"}, [], escalated - timedelta(days=4), ctx().meta)
    reminder.escalate(Escalate(str(reminder.id), 1, "county", date(2026, 11, 30), 0, Counting("working", {}, ()), respond_by),
                      [Recipient("county-sup", "scope covers 410185")], [], escalated, ctx().meta)
    services.ledger.save(reminder)  # type: ignore[attr-defined]
    return services, reminder


@pytest.mark.parametrize(("answered", "holidays", "days", "in_time"), [
    (datetime(2026, 12, 8, 2, tzinfo=UTC), (), 5, True),                  # Tue 12-01 -> Tue 12-08: 5 working days
    (datetime(2026, 12, 8, 17, tzinfo=UTC), (), 6, False),                # 01:00 on 12-09 in China: a day late
    (datetime(2026, 12, 8, 2, tzinfo=UTC), (date(2026, 12, 3),), 4, True),  # a holiday on Thursday is not counted
])
def test_an_answer_records_its_response_days_in_the_rules_day_kind_and_whether_it_was_in_time(
        answered: datetime, holidays: tuple[date, ...], days: int, in_time: bool) -> None:
    services, reminder = _escalated_on_working_days(datetime(2026, 12, 1, 2, tzinfo=UTC), date(2026, 12, 8))
    calendar = WorkCalendar({2026: YearDays(2026, frozenset(holidays), frozenset())})
    late_ctx = CommandContext(Meta("user:county-sup", "rest", answered, "req", "corr"))
    services.reminders.respond(late_ctx, reminder.id, "county-sup",  # type: ignore[attr-defined]
                               ResponseSpec(("phone_call",), "已督促", datetime(2026, 12, 2, tzinfo=UTC)), calendar)
    answer = services.reminders.get(reminder.id).responses[0]  # type: ignore[attr-defined]
    assert (answer["response_days"], answer["in_time"]) == (days, in_time)


def test_an_answer_before_any_escalation_has_no_timeliness() -> None:
    services = ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    due = Raise(ReminderKind.RISK_IDENTIFICATION, "registered-2026-11-23", date(2026, 11, 23), date(2026, 12, 3),
                "late", 0, Counting("calendar", {}, ()))
    reminder = Reminder.raise_for(due, "91410185MA0000001X", "企业", {"region_code": "410185", "industry": "machinery",
                                  "supervision_level": "county"}, [], AT - timedelta(days=1), ctx().meta)
    services.ledger.save(reminder)
    services.reminders.respond(ctx(), reminder.id, "county-sup", ResponseSpec(("other",), "x", AT), WorkCalendar())
    answer = services.reminders.get(reminder.id).responses[0]
    assert (answer["response_days"], answer["in_time"]) == (None, None)
