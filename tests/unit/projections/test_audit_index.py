"""The audit index fold: every event gives a row, owned by the enterprise its aggregate belongs to,
whatever shape the event has; and its topics are every event class of the domain."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard
from domain.reminders.aggregate import Reminder
from domain.risks.aggregate import Risk
from domain.shared.meta import Meta
from projections.audit_history.projection import ALL_TOPICS, fold
from projections.audit_history.rebuild import differences, flatten

AT = datetime(2026, 11, 23, 9, tzinfo=UTC)


def event(version: int = 1, **fields: object) -> SimpleNamespace:
    aggregate = fields.pop("originator_id", uuid4())
    return SimpleNamespace(originator_id=aggregate, originator_version=version, **fields)


def test_owner_comes_from_the_creating_event_and_sticks_to_the_aggregate() -> None:
    meta = Meta("user:a", "rest", AT, "req-1", "req-1")
    enterprise, risk = uuid4(), uuid4()
    events = [
        (1, event(originator_id=enterprise, credit_code="91410185MA0000000A", meta=meta)),
        (2, event(originator_id=risk, enterprise_id=str(enterprise), meta=meta)),
        (3, event(2, originator_id=risk, meta=meta)),
        (4, event(enterprise_id=str(uuid4()))),  # an enterprise this log never registered
        (5, event(meta="not a meta", credit_code=7)),  # odd shapes: NULLs, no error
    ]
    owners: dict[str, str] = {}
    rows, new = fold(events, owners)
    assert [r["credit_code"] for r in rows] == ["91410185MA0000000A"] * 3 + [None, None]
    assert new == {str(enterprise): "91410185MA0000000A", str(risk): "91410185MA0000000A"}
    assert (rows[1]["actor"], rows[1]["channel"], rows[1]["request_id"], rows[1]["recorded_at"]) == ("user:a", "rest", "req-1", AT)
    assert rows[4]["actor"] is None and rows[4]["recorded_at"] is None
    assert [r["version"] for r in rows] == [1, 1, 2, 1, 1] and [r["position"] for r in rows] == [1, 2, 3, 4, 5]
    later, _ = fold([(6, event(3, originator_id=risk))], {str(risk): "91410185MA0000000A"})  # known from an earlier batch
    assert later[0]["credit_code"] == "91410185MA0000000A"


def test_every_domain_event_class_is_indexed() -> None:
    for cls in (Enterprise.Registered, Risk.Identified, Risk.Upgraded, Hazard.Registered, Reminder.Raised,
                Reminder.Escalated, EnforcementPlanEntry.Added):
        assert get_topic(cls) in ALL_TOPICS
    assert all(topic.startswith("domain.") for topic in ALL_TOPICS)


def test_differences_name_fields_by_natural_keys() -> None:
    live = {"totals": {"n": 2}, "children": [{"region": {"code": "410100"}, "totals": {"n": 2}}],
            "enterprises": [{"credit_code": "A", "risk": True}]}
    rebuilt = {"totals": {"n": 1}, "children": [{"region": {"code": "410100"}, "totals": {"n": 1}}],
               "enterprises": [{"credit_code": "A", "risk": True}, {"credit_code": "B", "risk": False}]}
    assert "children[410100].totals.n" in flatten(live)
    assert [(d.field, d.live, d.rebuilt) for d in differences(live, rebuilt)] == [
        ("children[410100].totals.n", 2, 1), ("enterprises[B].credit_code", None, "B"),
        ("enterprises[B].risk", None, False), ("totals.n", 2, 1)]
    assert differences(live, live) == []
