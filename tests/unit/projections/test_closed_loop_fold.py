"""The closed-loop fold over hand-made events: milestones land with their positions, and events of
odd shape or about unknown reminders change nothing instead of raising (read models are total)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.reminders.aggregate import Reminder
from projections.supervision.closed_loop import ClosedLoopFold

AT = datetime(2026, 12, 8, 2, tzinfo=UTC)  # 10:00 China time
COUNTING = {"day_kind": "calendar", "calendar_versions": {}, "fallback_years": []}


def common(rid: Any, version: int = 1, at: datetime = AT) -> dict[str, Any]:
    return {"originator_id": rid, "originator_version": version, "timestamp": at, "at": at, "meta": None}


def raised(rid: Any, placement: Any = None) -> Any:
    return Reminder.Raised(**common(rid), originator_topic="x", credit_code="91410100MA0000001X", enterprise_name="甲",
                           placement={"region_code": "410185", "industry": "power", "supervision_level": "county"}
                           if placement is None else placement, kind="risk_identification", cycle_key="c",
                           basis_day="2026-11-23", deadline="2026-12-03", fact="f", rule_version=1, counting=COUNTING,
                           subject=None, messages=[])


def escalated(rid: Any, level: Any, names: list[str], respond_by: Any = "2026-12-13") -> Any:
    return Reminder.Escalated(**common(rid, 2), level=level, tier="county", due_since="2026-12-04", rule_version=1,
                              counting=COUNTING, recipients=[{"username": n, "reason": "r"} for n in names], messages=[],
                              respond_by=respond_by)


def responded(rid: Any, level: Any, who: str, days: Any = 1, in_time: Any = True) -> Any:
    return Reminder.Responded(**common(rid, 3), supervisor=who, measures=[], result="r", happened_at=AT, attachments=[],
                              level=level, response_days=days, in_time=in_time)


def fold(events: list[tuple[int, Any]]) -> ClosedLoopFold:
    f = ClosedLoopFold({}, {}, {}, {}, {})
    f.apply_all(events)
    return f


def test_milestones_carry_their_positions() -> None:
    rid = uuid4()
    f = fold([(10, raised(rid)), (11, escalated(rid, 1, ["a", "b"])), (12, responded(rid, 1, "a", 2, True)),
              (13, escalated(rid, 2, ["c"])), (14, Reminder.Closed(**common(rid, 5), reason="gone"))])
    first, second = f.escalations[f"{rid}:1"], f.escalations[f"{rid}:2"]
    assert (first["escalated_position"], first["answered_position"], first["answered_days"]) == (11, 12, 2)
    assert (first["next_position"], first["ended_position"], second["ended_position"]) == (13, 14, 14)
    assert first["respond_by"] == date(2026, 12, 13) and f.reminders[str(rid)]["levels"] == 2
    assert f.recipients[f"{rid}:1:a"]["own_position"] == 12 and f.recipients[f"{rid}:1:b"]["own_position"] is None
    assert f.recipients[f"{rid}:1:b"]["answered_position"] == 12 and f.recipients[f"{rid}:1:b"]["next_position"] == 13
    assert min(f.days.values()) == 10


def test_odd_events_change_nothing_and_raise_nothing() -> None:
    rid, ghost = uuid4(), uuid4()
    f = fold([(1, raised(rid, placement="not a dict")), (2, escalated(ghost, 1, ["a"])), (3, escalated(rid, "x", ["a"])),
              (4, escalated(rid, 1, ["a"], respond_by="garbage")), (5, responded(rid, 0, "a")),
              (6, responded(rid, 7, "a")), (7, responded(rid, 1, "z", days="many", in_time="yes")),
              (8, Reminder.Resolved(**common(ghost, 4), position=1, topic="t", complied_at=AT)),
              (9, EnforcementPlanEntry.Withdrawn(**common(uuid4(), 2), reason="r", by="a"))])
    assert f.reminders[str(rid)]["region_code"] == "" and set(f.escalations) == {f"{rid}:1"}
    row = f.escalations[f"{rid}:1"]
    assert row["respond_by"] == date(2026, 12, 13)  # the default: escalation day + 5 calendar days
    assert (row["answered_position"], row["answered_days"], row["answered_in_time"]) == (7, 0, 1)
    assert f.recipients[f"{rid}:1:z"]["notified"] == 0 and row["usernames"] == ["a", "z"]


def test_a_plan_stint_ends_when_withdrawn_and_a_supervisors_entry_answers() -> None:
    rid, entry = uuid4(), uuid4()
    placement = {"region_code": "410185", "industry": "power", "supervision_level": "county"}
    added = EnforcementPlanEntry.Added(**common(entry), originator_topic="x", credit_code="91410100MA0000001X",
                                       enterprise_name="甲", placement=placement, period="2026-12", reason="r",
                                       reminder_id=str(rid), origin="supervisor", by="a")
    f = fold([(1, raised(rid)), (2, escalated(rid, 1, ["a", "b"])), (3, added),
              (4, EnforcementPlanEntry.Withdrawn(**common(entry, 2), reason="r", by="a")),
              (5, EnforcementPlanEntry.Reinstated(**common(entry, 3), reason="r", reminder_id=None, origin="system",
                                                  by="system"))])
    assert [(s["since_position"], s["until_position"], s["origin"]) for s in f.stints.values()] == [
        (3, 4, "supervisor"), (5, None, "system")]
    assert f.escalations[f"{rid}:1"]["answered_position"] == 3 and f.escalations[f"{rid}:1"]["answered_days"] is None
    assert f.recipients[f"{rid}:1:a"]["own_position"] == 3
