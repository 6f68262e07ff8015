"""The reminder scan's facts per enterprise (tables.scan_enterprises, tables.scan_hazards).

"Investigation" is an inspection record or a hazard registration (seed: 隐患排查情况); the latest
by business time counts, with the event that stated it. The first risk is the first identified
(invalidating it later does not undo that the enterprise identified its risks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard
from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import Risk
from projections.base import ENVELOPE, Positioned
from projections.store import Store
from projections.supervision import tables

EVENTS = (Enterprise.Registered, Enterprise.DetailsChanged, Enterprise.Deregistered, Risk.Identified,
          Hazard.Registered, Hazard.AcceptancePassed, Hazard.Invalidated, Inspection.Recorded)
PLACEMENT = ("name", "region_code", "industry", "supervision_level")


class ScanFactsProjection:
    name = "scan_facts"
    version = 1
    tables = (tables.scan_enterprises, tables.scan_hazards)
    topics = tuple(get_topic(cls) for cls in EVENTS)
    unread_fields = ENVELOPE

    def apply(self, store: Store, tables_: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        ent_table, haz_table = tables_["rm_scan_enterprises"], tables_["rm_scan_hazards"]
        wanted_enterprises = {getattr(e, "enterprise_id", None) or str(e.originator_id) for _, e in events
                              if type(e) is not Hazard.AcceptancePassed and type(e) is not Hazard.Invalidated}
        wanted_hazards = {str(e.originator_id) for _, e in events if type(e) in (Hazard.AcceptancePassed, Hazard.Invalidated)}
        enterprises = {k: dict(v) for k, v in store.fetch(ent_table, "enterprise_id", wanted_enterprises).items()}
        hazards = {k: dict(v) for k, v in store.fetch(haz_table, "hazard_id", wanted_hazards).items()}
        touched_e: set[str] = set()
        touched_h: set[str] = set()
        for position, e in events:
            kind = type(e)
            topic = get_topic(kind)
            if kind is Enterprise.Registered:
                key = str(e.originator_id)
                enterprises[key] = {"enterprise_id": key, "credit_code": e.credit_code, "name": e.name,
                                    "region_code": e.region_code, "industry": e.industry,
                                    "supervision_level": e.supervision_level, "status": "active", "registered_at": e.at,
                                    "first_risk_at": None, "first_risk_position": None, "first_risk_topic": None,
                                    "last_investigation_at": None, "last_investigation_position": None,
                                    "last_investigation_topic": None, "position": position}
                touched_e.add(key)
                continue
            if kind in (Hazard.AcceptancePassed, Hazard.Invalidated):
                row = hazards.get(str(e.originator_id))
                if row is not None and row["open"]:
                    row.update(open=0, closed_at=e.at, closed_position=position, closed_topic=topic)
                    touched_h.add(row["hazard_id"])
                continue
            key = getattr(e, "enterprise_id", None) or str(e.originator_id)
            row = enterprises.get(key)
            if row is None:
                continue  # an event of an enterprise this projection never saw registered: nothing to scan
            if kind is Enterprise.DetailsChanged:
                row.update({k: v for k, v in e.changes.items() if k in PLACEMENT})
            elif kind is Enterprise.Deregistered:
                row["status"] = "deregistered"
            elif kind is Risk.Identified:
                if row["first_risk_at"] is None or e.at < row["first_risk_at"]:
                    row.update(first_risk_at=e.at, first_risk_position=position, first_risk_topic=topic)
            else:  # an investigation: Hazard.Registered or Inspection.Recorded
                _investigated(row, e.at, position, topic)
                if kind is Hazard.Registered and e.rectification_deadline is not None:
                    hazard_id = str(e.originator_id)
                    hazards[hazard_id] = {"hazard_id": hazard_id, "enterprise_id": key, "hazard_code": e.hazard_code,
                                          "deadline": e.rectification_deadline, "open": 1, "closed_at": None,
                                          "closed_position": None, "closed_topic": None}
                    touched_h.add(hazard_id)
            row["position"] = position
            touched_e.add(key)
        store.upsert(ent_table, [enterprises[k] for k in sorted(touched_e)])
        store.upsert(haz_table, [hazards[k] for k in sorted(touched_h)])


def _investigated(row: dict[str, Any], at: Any, position: int, topic: str) -> None:
    if row["last_investigation_at"] is None or at >= row["last_investigation_at"]:
        row.update(last_investigation_at=at, last_investigation_position=position, last_investigation_topic=topic)
