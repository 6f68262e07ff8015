"""The registers projection: load the rows a batch refers to, fold, write back.

One projection owns the enterprise, risk, hazard and inspection registers because the enterprise
counters are derived from risk and hazard state (an invalidation must know the risk's level and
enterprise): keeping them in one transaction and one tracking position keeps them consistent.

Per batch: at most 3 SELECTs (risks, hazards, then enterprises, by key lists, for the rows the
runner's cache does not hold: projections/store.py), then per table one COPY of new rows and one
UPDATE of changed ones. The rows a creation event makes (an identified risk, a registered hazard,
a recorded inspection) are not looked up: they can only be new (tracking applies each event once;
were one applied again, the COPY would fail on the primary key rather than count anything twice).

Version 2 added `rm_inspections` (one row per investigation record).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard
from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import Risk
from projections import schema
from projections.base import ENVELOPE, Positioned
from projections.register.fold import RegisterFold, RegisterState
from projections.store import Store

EVENTS = (
    Enterprise.Registered, Enterprise.DetailsChanged, Enterprise.Deregistered,
    Risk.Identified, Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised, Risk.Invalidated,
    Hazard.Registered, Hazard.RectificationReported, Hazard.AcceptancePassed, Hazard.AcceptanceFailed,
    Hazard.Invalidated,
    Inspection.Recorded,
)

_ENTERPRISE_EVENTS = {Enterprise.Registered, Enterprise.DetailsChanged, Enterprise.Deregistered}
_RISK_EVENTS = {Risk.Identified, Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised, Risk.Invalidated}
_HAZARD_EVENTS = {
    Hazard.Registered, Hazard.RectificationReported, Hazard.AcceptancePassed, Hazard.AcceptanceFailed,
    Hazard.Invalidated,
}


class RegisterProjection:
    name = "registers"
    version = 2
    tables = (schema.enterprises, schema.risks, schema.hazards, schema.inspections)
    topics = tuple(get_topic(cls) for cls in EVENTS)
    unread_fields = ENVELOPE

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        state = self.load(store, tables, events)
        RegisterFold(state).apply_all(events)
        self.save(store, tables, state)

    @staticmethod
    def load(store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> RegisterState:
        enterprise_ids: set[str] = set()
        risk_ids: set[str] = set()
        hazard_ids: set[str] = set()
        for _, e in events:
            kind = type(e)
            if kind in _ENTERPRISE_EVENTS and kind is not Enterprise.Registered:
                enterprise_ids.add(str(e.originator_id))
            elif kind in _RISK_EVENTS and kind is not Risk.Identified:
                risk_ids.add(str(e.originator_id))
            elif kind in _HAZARD_EVENTS and kind is not Hazard.Registered:
                hazard_ids.add(str(e.originator_id))
            enterprise_id = getattr(e, "enterprise_id", None)  # creation events name their enterprise
            if enterprise_id is not None:
                enterprise_ids.add(enterprise_id)
        risks = store.fetch(tables["rm_risks"], "risk_id", risk_ids)
        hazards = store.fetch(tables["rm_hazards"], "hazard_id", hazard_ids)
        enterprise_ids.update(r["enterprise_id"] for r in risks.values())
        enterprise_ids.update(h["enterprise_id"] for h in hazards.values())
        enterprises = store.fetch(tables["rm_enterprises"], "enterprise_id", enterprise_ids)
        return RegisterState(enterprises, risks, hazards)

    @staticmethod
    def save(store: Store, tables: Mapping[str, Table], state: RegisterState) -> None:
        for kind in ("enterprises", "risks", "hazards", "inspections"):
            new, old = state.split(kind)
            store.insert_new(tables[f"rm_{kind}"], new)
            store.update_existing(tables[f"rm_{kind}"], old)

