"""The province's closed-loop report from the monthly cells equals the report from the fact rows,
on both databases, for periods of every shape (whole months, mid-month starts and ends, across a
year boundary, a day), every kind, several judging days, and per supervisor; after the read
model was caught up in small batches (so cells, chains and links change across batch borders)
and again after more events arrive (answers, climbs and resolutions of reminders already in cells,
reminders raised out of day order before others of their enterprise)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.ledger import Ledger
from domain.reminders.aggregate import Reminder
from domain.shared.meta import Meta
from projections.live import LiveTables, ReadModelNotReady
from projections.runner import ProjectionRunner
from projections.scope import ReadScope
from projections.supervision import closed_loop_fast as fast
from projections.supervision.closed_loop_fast import split, units
from projections.tracking import read_rows
from projections.supervision.closed_loop_queries import ClosedLoopQuery, ClosedLoopReads

KINDS = ("risk_identification", "hazard_investigation", "rectification_overdue")
COUNTIES = ("410102", "410185", "410305", "410323", "419001", "411502")  # 419001: managed by the province
INDUSTRIES = ("power", "chemical", "mining")
COUNTING = {"day_kind": "calendar", "calendar_versions": {}, "fallback_years": []}
START = datetime(2025, 11, 1, 2, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 4, tzinfo=UTC)


def meta(at: datetime, n: int) -> Meta:
    return Meta("scheduler:test", "scheduler", at, f"t-{n}", f"t-{n}")


def reminder_story(rng: random.Random, i: int, n: int, credit_code: str, placement: dict[str, str],
                   supervisors: list[str]) -> list[Any]:
    """One reminder: raised on a day of five months, then any of complied, escalated and answered
    in time or late (by a supervisor told or by one who was not), climbed, left open, closed."""
    raised = START + timedelta(days=rng.randrange(0, 150), hours=rng.randrange(0, 10))
    reminder = Reminder(credit_code, f"企业{i}", placement, rng.choice(KINDS), f"c-{n}-{rng.random()}", raised.date().isoformat(),
                        raised.date().isoformat(), "fact", 1, COUNTING, None, [], raised, meta(raised, i))
    roll, at = rng.random(), raised
    if roll < 0.55:
        at = raised + timedelta(days=rng.choice((1, 2, 3)))
        told = [{"username": u, "reason": "scope"} for u in supervisors]
        reminder._escalated(1, "county", raised.date().isoformat(), 1, COUNTING, told, [], at, meta(at, i),
                            respond_by=(at + timedelta(days=5)).date().isoformat())
        answer = rng.random()
        if answer < 0.5:
            days = rng.choice((0, 1, 2, 4, 5, 6, 9))
            answered = at + timedelta(days=days)
            who = rng.choice([*supervisors, "sup-province"])  # the province answers unasked now and then
            reminder._responded(who, ["phone_call"], "电话督促", answered, [], 1, answered, meta(answered, i),
                                response_days=days, in_time=days <= 5)
            at = answered
        elif answer < 0.7:
            at = at + timedelta(days=6)
            reminder._escalated(2, "city", raised.date().isoformat(), 1, COUNTING,
                                [{"username": "sup-city", "reason": "scope"}], [], at, meta(at, i),
                                respond_by=(at + timedelta(days=5)).date().isoformat())
    ending = rng.random()
    if ending < 0.6:
        done = at + timedelta(days=rng.choice((1, 4, 12)))
        reminder._resolved(1, "domain.risks.aggregate:Risk.Identified", done, done, meta(done, i))
    elif ending < 0.7:
        done = at + timedelta(days=2)
        reminder._closed("deregistered", done, meta(done, i))
    return reminder.collect_events()


def ledger_events(rng: random.Random, enterprises: range, plan_period: str = "2026-03") -> list[Any]:
    events: list[Any] = []
    for i in enterprises:
        credit_code = f"91410000RU{i:08d}"
        county = COUNTIES[i % len(COUNTIES)]
        placement = {"region_code": county, "industry": INDUSTRIES[i % len(INDUSTRIES)], "supervision_level": "county"}
        supervisors = [f"sup-{county}-1", f"sup-{county}-2"]
        for n in range(rng.choice((0, 1, 2, 3, 4, 6))):
            events += reminder_story(rng, i, n, credit_code, placement, supervisors)
        if rng.random() < 0.1:
            at = START + timedelta(days=rng.randrange(0, 150))
            entry = EnforcementPlanEntry(credit_code, f"企业{i}", placement, plan_period, "逾期未整改", None, "supervisor",
                                         supervisors[0], at, meta(at, i))
            events += entry.collect_events()
    return events


def record(ledger: Ledger, events: list[Any]) -> None:
    to_stored = ledger.mapper.to_stored_event
    ledger.recorder.insert_events([to_stored(e) for e in events])


PERIODS = [
    (date(2025, 11, 1), date(2026, 3, 31)), (date(2025, 12, 1), date(2025, 12, 31)),
    (date(2025, 11, 17), date(2026, 2, 28)), (date(2025, 12, 1), date(2026, 2, 10)),
    (date(2025, 11, 20), date(2026, 3, 5)), (date(2026, 1, 31), date(2026, 3, 1)),
    (date(2025, 12, 5), date(2026, 1, 31)), (date(2025, 12, 31), date(2025, 12, 31)),
    (date(2025, 10, 1), date(2026, 12, 31)),
    (date(2025, 11, 10), date(2026, 3, 20)),  # 50 days of fact rows at the ends: read in parallel parts
    (date(2025, 12, 5), date(2026, 1, 30)),  # no whole month, 57 days of fact rows
    (date(1, 1, 1), date(9999, 12, 31)),  # the calendar's ends
]


def generation(conn: Any) -> int:
    return read_rows(conn, ["closed_loop"])["closed_loop"].generation


def compare(reads: ClosedLoopReads, reference: ClosedLoopReads) -> int:
    compared = 0
    for period in PERIODS:
        for kind in (None, *KINDS):
            for judged_on in (None, date(2026, 1, 10)):
                q = reads.pin(ClosedLoopQuery("410000", *period, kind=kind, judged_on=judged_on), NOW)
                fast, facts = reads.report(q, NOW, first=50), reference.report(q, NOW, first=50)
                assert fast == facts, (period, kind, judged_on)
                assert reads.by_supervisor(q, NOW) == reference.by_supervisor(q, NOW), (period, kind, judged_on)
                top = reads.by_supervisor(q, NOW, first=3)
                assert top == reference.by_supervisor(q, NOW, first=3) and len(top["items"]) == 3
                compared += 1
    return compared


def test_the_cells_give_the_fact_rows_figures(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    used: Counter = Counter()
    for name in ("region_cells", "user_counts", "edge_reminders"):
        def counted(*args: Any, _name: str = name, _real: Any = getattr(fast, name)) -> Any:
            used[_name] += 1
            return _real(*args)
        monkeypatch.setattr(fast, name, counted)
    rng = random.Random(20261203)
    events = ledger_events(rng, range(0, 240))
    record(ledger, events[: len(events) // 2])
    runner = ProjectionRunner(ledger, batch_size=13)  # many small batches: chains cross batch borders
    runner.ensure_current()
    try:
        runner.catch_up("closed_loop")
        record(ledger, events[len(events) // 2:])
        runner.catch_up("closed_loop")
        live = LiveTables(runner.engine)
        reads, reference = ClosedLoopReads(live), ClosedLoopReads(live, use_cells=False)
        year = reads.report(reads.pin(ClosedLoopQuery("410000", *PERIODS[0]), NOW), NOW)
        totals = year["totals"]
        # The story has every outcome (or the comparison would prove little).
        assert totals["raised"] > 300 and totals["answered_in_time"] and totals["answered_late"]
        assert totals["unanswered"] and totals["enterprises_complied_before_escalation"] and totals["ended_before_deadline"]
        assert totals["enterprises_notified"] < totals["raised"] and totals["enterprises_on_plan"]
        assert compare(reads, reference) == len(PERIODS) * 4 * 2
        # The cells answered (a comparison of the fact rows with themselves would prove nothing):
        # every period with a whole month, every kind; per supervisor without a kind.
        with_months = sum(1 for period in PERIODS if split(*period).whole is not None)
        with_edges = sum(1 for period in PERIODS if split(*period).edges)
        assert used == {"region_cells": with_months * 4 * 2 + 1, "user_counts": with_months * 2 * 2,
                        "edge_reminders": with_edges * 4 * 2}
        with runner.engine.connect() as conn:
            cells = conn.execute(text(f"SELECT count(*) FROM rm_cl_cells_g{generation(conn)}")).scalar()
        assert 0 < cells < totals["raised"]
        # A province supervisor's scope is the whole province: the cells answer it too.
        q = reads.pin(ClosedLoopQuery("410000", *PERIODS[2]), NOW)
        province = ReadScope(region_prefix="41")
        assert reads.report(q, NOW, province) == reference.report(q, NOW, province)
        assert used["region_cells"] == with_months * 4 * 2 + 2
        # More events on reminders already counted: cells move, and still agree.
        record(ledger, ledger_events(rng, range(120, 160), "2026-04"))
        runner.catch_up("closed_loop")
        compare(reads, reference)
    finally:
        runner.close()


def test_a_period_is_split_into_whole_months_and_its_ends() -> None:
    s = split(date(2025, 11, 17), date(2026, 2, 10))
    assert s.whole == (date(2025, 12, 1), date(2026, 1, 31))
    assert s.edges == ((date(2025, 11, 17), date(2025, 11, 30)), (date(2026, 2, 1), date(2026, 2, 10)))
    assert s.fact_days[0] == (date(2025, 11, 1), date(2025, 11, 30)) and s.head_month == date(2025, 11, 1)
    aligned = split(date(2025, 12, 1), date(2026, 2, 28))
    assert aligned.edges == () and aligned.head_month is None
    short = split(date(2025, 12, 5), date(2026, 1, 20))  # no whole month: every day is an edge day
    assert short.whole is None and short.edges == ((date(2025, 12, 5), date(2026, 1, 20)),) and short.head_month is None
    assert split(date(2024, 2, 1), date(2024, 2, 29)).whole == (date(2024, 2, 1), date(2024, 2, 29))
    assert split(date(9999, 12, 5), date(9999, 12, 31)).whole is None  # the calendar's ends
    assert split(date(1, 1, 1), date(1, 1, 20)).whole is None
    assert split(date(1, 1, 1), date(9999, 12, 31)).whole == (date(1, 1, 1), date(9999, 12, 31))


def test_whole_months_are_read_as_quarters_and_months() -> None:
    assert units(date(2025, 1, 1), date(2025, 12, 31)) == [("2025-Q1", "2025-Q4", True)]
    assert units(date(2025, 2, 1), date(2025, 11, 30)) == [("2025-02", "2025-03", False), ("2025-Q2", "2025-Q3", True),
                                                          ("2025-10", "2025-11", False)]
    assert units(date(2025, 12, 1), date(2026, 1, 31)) == [("2025-12", "2026-01", False)]
    assert units(date(2025, 11, 1), date(2026, 3, 31)) == [("2025-11", "2025-12", False), ("2026-Q1", "2026-Q1", True)]
    assert units(date(1, 1, 1), date(9999, 12, 31)) == [("0001-Q1", "9999-Q4", True)]


def test_tables_of_the_version_before_the_cells_answer_not_ready(runner: ProjectionRunner) -> None:
    """During the rebuild a deployment of version 2 starts, version 1's tables (no cells, no
    links) are not queried: a short wait (503 at the doors), not a SQL error."""
    with runner.engine.begin() as conn:
        conn.execute(text("UPDATE projection_tracking SET version = 1 WHERE name = 'closed_loop'"))
    reads = ClosedLoopReads(LiveTables(runner.engine))
    with pytest.raises(ReadModelNotReady, match="closed_loop is being rebuilt"):
        reads.report(ClosedLoopQuery("410000", date(2025, 12, 1), date(2025, 12, 31)), NOW)
