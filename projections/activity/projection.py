"""Daily activity: per enterprise and business day (Asia/Shanghai date of the event's `at`), how
many risks it identified or changed, hazards it registered and inspections it recorded.

This turns "did this enterprise report within [from, to]" into a range probe on the primary key
(enterprise_id, day) instead of a scan of events. Counters are written as deltas, one upsert per
batch (`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`). Risk change events do not name
their enterprise, so the projection keeps its own risk -> enterprise map.

A "change" is a level change or a measures revision (the same events as the register's
`last_risk_report_at`); invalidation is not counted as reporting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from domain.hazards.aggregate import Hazard
from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import Risk
from projections import schema
from projections.base import ENVELOPE, Positioned
from projections.sql import business_day
from projections.store import Store

COUNTERS = ("risks_identified", "risks_changed", "hazards_registered", "inspections_recorded")
_CHANGES = {Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised}
EVENTS = (Risk.Identified, *sorted(_CHANGES, key=lambda c: c.__qualname__), Hazard.Registered, Inspection.Recorded)


def fold(
    events: Sequence[Positioned], owners: Mapping[str, str]
) -> tuple[dict[tuple[str, date], list[int]], dict[str, str]]:
    """Counter deltas per (enterprise, day), and the risk owners this batch introduced.

    `owners` maps risk ids (of risks identified before this batch) to their enterprise.
    """
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    new_owners: dict[str, str] = {}
    for _, e in events:
        kind = type(e)
        if kind is Risk.Identified:
            new_owners[str(e.originator_id)] = e.enterprise_id
            counts[(e.enterprise_id, business_day(e.at))][0] += 1
        elif kind in _CHANGES:
            key = str(e.originator_id)
            enterprise_id = new_owners.get(key) or owners.get(key)
            if enterprise_id is not None:
                counts[(enterprise_id, business_day(e.at))][1] += 1
        elif kind is Hazard.Registered:
            counts[(e.enterprise_id, business_day(e.at))][2] += 1
        elif kind is Inspection.Recorded:
            counts[(e.enterprise_id, business_day(e.at))][3] += 1
    return dict(counts), new_owners


class ActivityProjection:
    name = "activity"
    version = 1
    tables = (schema.daily_activity, schema.activity_risk_owners)
    topics = tuple(get_topic(cls) for cls in EVENTS)
    unread_fields = ENVELOPE

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        owners_table = tables["rm_activity_risk_owners"]
        created = {str(e.originator_id) for _, e in events if type(e) is Risk.Identified}
        wanted = {str(e.originator_id) for _, e in events if type(e) in _CHANGES} - created
        known = store.fetch(owners_table, "risk_id", wanted)
        counts, new_owners = fold(events, {k: row["enterprise_id"] for k, row in known.items()})
        store.insert_ignore(owners_table, [{"risk_id": k, "enterprise_id": v} for k, v in sorted(new_owners.items())])
        rows = [
            {"enterprise_id": enterprise_id, "day": day, "risks_identified": n[0], "risks_changed": n[1],
             "hazards_registered": n[2], "inspections_recorded": n[3]}
            for (enterprise_id, day), n in counts.items()
        ]
        store.upsert(tables["rm_daily_activity"], rows, add=COUNTERS)
