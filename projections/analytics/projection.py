"""The drill-down facts projection (projections/analytics/facts.py): per enterprise, where it is,
what it is, when it was registered, and on which business days it reported.

Which days count is the daily activity's definition (projections/activity/projection.py): a risk
identified, its level changed or its measures revised -> `risk_days`; a hazard registered or an
inspection recorded (with or without hazards found) -> `hazard_days`. Invalidations are not
reports. Days are sets, so applying an event twice could not change a row (tracking prevents it
anyway). Per batch: two SELECTs by key lists, then one upsert per table (projections/sql.py).
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
from projections.analytics.facts import day_number, drilldown_facts, drilldown_risk_owners
from projections.base import ENVELOPE, Positioned
from projections.register.fold import region_parts
from projections.sql import business_day
from projections.store import Store

_RISK_CHANGES = {Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised}
_HAZARD_DAYS = {Hazard.Registered, Inspection.Recorded}
EVENTS = (
    Enterprise.Registered, Enterprise.DetailsChanged, Enterprise.Deregistered, Risk.Identified,
    Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised, Hazard.Registered, Inspection.Recorded,
)
CHANGEABLE = ("region_code", "industry", "supervision_level")


class FactsFold:
    """(rows before, events) -> rows after; pure, so unit tests can drive it with dicts."""

    def __init__(self, rows: dict[str, dict[str, Any]], owners: dict[str, str]) -> None:
        self.rows = rows
        self.owners = owners
        self.new_owners: dict[str, str] = {}
        self.changed: set[str] = set()
        self._days: dict[str, tuple[set[int], set[int]]] = {}

    def apply_all(self, events: Sequence[Positioned]) -> None:
        for position, e in events:
            kind = type(e)
            if kind is Enterprise.Registered:
                self._registered(position, e)
            elif kind is Enterprise.DetailsChanged:
                self._details_changed(position, e)
            elif kind is Enterprise.Deregistered:
                self._update(str(e.originator_id), position, deregistered_at=e.at)
            elif kind is Risk.Identified:
                self.new_owners[str(e.originator_id)] = e.enterprise_id
                self._day(e.enterprise_id, position, e.at, risk=True)
            elif kind in _RISK_CHANGES:
                key = str(e.originator_id)
                owner = self.new_owners.get(key) or self.owners.get(key)
                if owner is not None:
                    self._day(owner, position, e.at, risk=True)
            elif kind in _HAZARD_DAYS:
                self._day(e.enterprise_id, position, e.at, risk=False)
        for enterprise_id, (risk, hazard) in self._days.items():
            row = self.rows[enterprise_id]
            row["risk_days"] = sorted(set(row["risk_days"]) | risk)
            row["hazard_days"] = sorted(set(row["hazard_days"]) | hazard)

    def _registered(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        if key in self.rows:
            return
        province, city, county = region_parts(e.region_code)
        self.rows[key] = {
            "enterprise_id": key, "credit_code": e.credit_code, "region_code": e.region_code,
            "province_code": province, "city_code": city, "county_code": county, "industry": e.industry,
            "supervision_level": e.supervision_level, "registered_at": e.at, "deregistered_at": None,
            "risk_days": [], "hazard_days": [], "position": position,
        }
        self.changed.add(key)

    def _details_changed(self, position: int, e: Any) -> None:
        changes = {name: e.changes[name] for name in CHANGEABLE if name in e.changes}
        if "region_code" in changes:
            changes["province_code"], changes["city_code"], changes["county_code"] = region_parts(changes["region_code"])
        self._update(str(e.originator_id), position, **changes)

    def _update(self, enterprise_id: str, position: int, **values: Any) -> None:
        row = self.rows.get(enterprise_id)
        if row is None:
            return  # not registered in this log: nothing to attach it to
        row.update(values, position=position)
        self.changed.add(enterprise_id)

    def _day(self, enterprise_id: str, position: int, at: Any, *, risk: bool) -> None:
        row = self.rows.get(enterprise_id)
        if row is None:
            return
        days = self._days.setdefault(enterprise_id, (set(), set()))
        days[0 if risk else 1].add(day_number(business_day(at)))
        row["position"] = position
        self.changed.add(enterprise_id)


class DrilldownProjection:
    name = "drilldown"
    version = 2  # 2: city/county indexes end with the credit code (the page order)
    tables = (drilldown_facts, drilldown_risk_owners)
    topics = tuple(get_topic(cls) for cls in EVENTS)
    unread_fields = ENVELOPE

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        facts, owners_table = tables["rm_drilldown_facts"], tables["rm_drilldown_risk_owners"]
        created = {str(e.originator_id) for _, e in events if type(e) is Risk.Identified}
        wanted_owners = {str(e.originator_id) for _, e in events if type(e) in _RISK_CHANGES} - created
        owners = {k: r["enterprise_id"] for k, r in store.fetch(owners_table, "risk_id", wanted_owners).items()}
        # Registrations are not looked up: their rows can only be new (see the registers projection).
        wanted = {getattr(e, "enterprise_id", None) or str(e.originator_id) for _, e in events
                  if type(e) not in _RISK_CHANGES and type(e) is not Enterprise.Registered}
        wanted |= set(owners.values())
        fold = FactsFold(store.fetch(facts, "enterprise_id", wanted), owners)
        fold.apply_all(events)
        store.insert_ignore(owners_table, [{"risk_id": k, "enterprise_id": v} for k, v in sorted(fold.new_owners.items())])
        store.upsert(facts, [fold.rows[k] for k in sorted(fold.changed)])
