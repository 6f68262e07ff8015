"""The registers' logic as a pure fold: (rows before, events) -> rows after. No I/O.

Inspections are kept row by row (`rm_inspections`, for the enterprise detail view and lists) and
also move the enterprise's `last_inspection_at`. An inspection is a one-event aggregate
(`Inspection.Recorded`), so its row is written once and never changes.

Rows are plain dicts with every column of their table (projections/schema.py), so the projection
can write them back with one upsert per table, and unit tests can drive the fold with dicts.

Counting rules (what the enterprise register's counters mean):
- `risks_<level>`: valid risks at their current level. Identified adds, a level change moves the
  risk between levels, invalidation removes it.
- `hazards_open_<level>`: hazards rectifying or awaiting acceptance. A passed acceptance or an
  invalidation removes it; a failed acceptance keeps it open.
- `last_risk_report_at`: the latest business time of an identification, a level change or a
  measures revision (the events by which an enterprise reports its risk list; invalidation is not
  a report). Business times may arrive out of order, hence min/max rather than "latest event".
- Overdue rectifications depend on "now", so they are not stored: the hazard register keeps each
  deadline and status, and queries count open hazards whose deadline is before their `now`.

Each row keeps the aggregate version it reflects; an event at or below it is skipped, so applying
a batch twice (which tracking prevents anyway) could not double count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard
from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import Risk
from domain.shared.regions import henan_regions
from projections.base import Positioned

RISK_COUNT = {1: "risks_low", 2: "risks_general", 3: "risks_significant", 4: "risks_major"}
HAZARD_OPEN = {"general": "hazards_open_general", "major": "hazards_open_major"}
OPEN_STATUSES = ("rectifying", "awaiting_acceptance")
ENTERPRISE_FIELDS = ("name", "region_code", "industry", "supervision_level")


@lru_cache(maxsize=4096)
def region_parts(code: str) -> tuple[str | None, str | None, str | None]:
    """(province, city, county) codes of a region code; unknown codes keep only the province prefix."""
    region = henan_regions().get(code)
    if region is None:
        return (code[:2] + "0000" if len(code) == 6 else None, None, None)
    return region.province_code, region.city_code, region.county_code


def _later(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at > current else current


def _earlier(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at < current else current


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


class RegisterState:
    """The rows a batch touches, and which of them changed."""

    def __init__(
        self,
        enterprises: dict[str, dict[str, Any]] | None = None,
        risks: dict[str, dict[str, Any]] | None = None,
        hazards: dict[str, dict[str, Any]] | None = None,
        inspections: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.enterprises = enterprises if enterprises is not None else {}
        self.risks = risks if risks is not None else {}
        self.hazards = hazards if hazards is not None else {}
        self.inspections = inspections if inspections is not None else {}
        self.dirty: dict[str, set[str]] = {"enterprises": set(), "risks": set(), "hazards": set(), "inspections": set()}
        self.loaded = {kind: set(getattr(self, kind)) for kind in self.dirty}  # rows that exist in the tables

    def changed(self, kind: str) -> list[dict[str, Any]]:
        rows = getattr(self, kind)
        return [rows[key] for key in sorted(self.dirty[kind])]

    def split(self, kind: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Changed rows as (new rows, rows that were loaded): inserted and updated differently."""
        rows, loaded = getattr(self, kind), self.loaded[kind]
        new = [rows[key] for key in sorted(self.dirty[kind]) if key not in loaded]
        old = [rows[key] for key in sorted(self.dirty[kind]) if key in loaded]
        return new, old


class RegisterFold:
    """Applies ledger events to enterprise, risk, hazard and inspection rows."""

    def __init__(self, state: RegisterState) -> None:
        self.state = state
        self._handlers: dict[type, Callable[[int, Any], None]] = {
            Enterprise.Registered: self.enterprise_registered,
            Enterprise.DetailsChanged: self.enterprise_details_changed,
            Enterprise.Deregistered: self.enterprise_deregistered,
            Risk.Identified: self.risk_identified,
            Risk.Upgraded: self.risk_level_changed,
            Risk.Downgraded: self.risk_level_changed,
            Risk.MeasuresRevised: self.risk_measures_revised,
            Risk.Invalidated: self.risk_invalidated,
            Hazard.Registered: self.hazard_registered,
            Hazard.RectificationReported: self.hazard_rectification_reported,
            Hazard.AcceptancePassed: self.hazard_acceptance_passed,
            Hazard.AcceptanceFailed: self.hazard_acceptance_failed,
            Hazard.Invalidated: self.hazard_invalidated,
            Inspection.Recorded: self.inspection_recorded,
        }

    def apply_all(self, events: Sequence[Positioned]) -> RegisterState:
        handlers = self._handlers
        for position, event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(position, event)
        return self.state

    # --- helpers ----------------------------------------------------------------------------------

    def _fresh(self, kind: str, key: str, event: Any) -> dict[str, Any] | None:
        """The row an event changes, or None when it is missing or already reflects the event."""
        row = getattr(self.state, kind).get(key)
        if row is None or row["version"] >= event.originator_version:
            return None
        return row

    def _touch(self, kind: str, key: str, row: dict[str, Any], position: int, event: Any | None = None) -> None:
        if event is not None:
            row["version"] = event.originator_version
        row["position"] = max(row["position"], position)
        self.state.dirty[kind].add(key)

    def _enterprise(self, enterprise_id: str, position: int) -> dict[str, Any] | None:
        row = self.state.enterprises.get(enterprise_id)
        if row is not None:
            self._touch("enterprises", enterprise_id, row, position)
        return row

    # --- enterprises ------------------------------------------------------------------------------

    def enterprise_registered(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        if key in self.state.enterprises:
            return  # already registered (a replayed batch)
        province, city, county = region_parts(e.region_code)
        row = {
            "enterprise_id": key, "credit_code": e.credit_code, "name": e.name, "region_code": e.region_code,
            "province_code": province, "city_code": city, "county_code": county, "industry": e.industry,
            "supervision_level": e.supervision_level, "status": "active", "registered_at": e.at,
            "deregistered_at": None, "first_risk_identified_at": None, "last_risk_report_at": None,
            "last_hazard_registered_at": None, "last_inspection_at": None,
            "risks_low": 0, "risks_general": 0, "risks_significant": 0, "risks_major": 0,
            "hazards_open_general": 0, "hazards_open_major": 0, "version": 0, "position": 0,
        }
        self.state.enterprises[key] = row
        self._touch("enterprises", key, row, position, e)

    def enterprise_details_changed(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("enterprises", key, e)
        if row is None:
            return
        for name in ENTERPRISE_FIELDS:
            if name in e.changes:
                row[name] = e.changes[name]
        if "region_code" in e.changes:
            row["province_code"], row["city_code"], row["county_code"] = region_parts(row["region_code"])
        self._touch("enterprises", key, row, position, e)

    def enterprise_deregistered(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("enterprises", key, e)
        if row is None:
            return
        row["status"] = "deregistered"
        row["deregistered_at"] = e.at
        self._touch("enterprises", key, row, position, e)

    # --- risks ------------------------------------------------------------------------------------

    def risk_identified(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        if key in self.state.risks:
            return
        row = {
            "risk_id": key, "enterprise_id": e.enterprise_id, "risk_code": e.risk_code, "name": e.name,
            "location": e.location, "assessment_method": e.assessment_method,
            "assessment_score": float(e.assessment_score), "inherent_level": int(e.inherent_level),
            "level": int(e.current_level), "status": "valid", "identified_at": e.at, "level_changed_at": e.at,
            "last_reported_at": e.at, "invalidated_at": None,
            "details": {
                "hazard_factors": list(e.hazard_factors), "accident_types": list(e.accident_types),
                "control_measures": list(e.control_measures),
            },
            "version": 0, "position": 0,
        }
        self.state.risks[key] = row
        self._touch("risks", key, row, position, e)
        enterprise = self._enterprise(e.enterprise_id, position)
        if enterprise is not None:
            enterprise[RISK_COUNT[row["level"]]] += 1
            enterprise["first_risk_identified_at"] = _earlier(enterprise["first_risk_identified_at"], e.at)
            enterprise["last_risk_report_at"] = _later(enterprise["last_risk_report_at"], e.at)

    def risk_level_changed(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("risks", key, e)
        if row is None:
            return
        enterprise = self._enterprise(row["enterprise_id"], position)
        if enterprise is not None:
            if row["status"] == "valid":
                enterprise[RISK_COUNT[row["level"]]] -= 1
                enterprise[RISK_COUNT[int(e.level)]] += 1
            enterprise["last_risk_report_at"] = _later(enterprise["last_risk_report_at"], e.at)
        row["level"] = int(e.level)
        row["level_changed_at"] = e.at
        row["last_reported_at"] = _later(row["last_reported_at"], e.at)
        self._touch("risks", key, row, position, e)

    def risk_measures_revised(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("risks", key, e)
        if row is None:
            return
        row["details"] = dict(row["details"], control_measures=list(e.control_measures))
        row["last_reported_at"] = _later(row["last_reported_at"], e.at)
        enterprise = self._enterprise(row["enterprise_id"], position)
        if enterprise is not None:
            enterprise["last_risk_report_at"] = _later(enterprise["last_risk_report_at"], e.at)
        self._touch("risks", key, row, position, e)

    def risk_invalidated(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("risks", key, e)
        if row is None:
            return
        if row["status"] == "valid":
            enterprise = self._enterprise(row["enterprise_id"], position)
            if enterprise is not None:
                enterprise[RISK_COUNT[row["level"]]] -= 1
        row["status"] = "invalidated"
        row["invalidated_at"] = e.at
        row["details"] = dict(row["details"], invalidation_reason=e.reason)
        self._touch("risks", key, row, position, e)

    # --- hazards ----------------------------------------------------------------------------------

    def hazard_registered(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        if key in self.state.hazards:
            return
        row = {
            "hazard_id": key, "enterprise_id": e.enterprise_id, "hazard_code": e.hazard_code, "name": e.name,
            "description": e.description, "level": e.level, "source": e.source, "risk_id": e.risk_id,
            "governance_type": e.governance_type, "responsible_person": e.responsible_person, "found_at": e.at,
            "rectification_deadline": e.rectification_deadline, "status": "rectifying", "rectified_at": None,
            "closed_at": None, "invalidated_at": None, "failed_acceptances": 0,
            "details": {"rectification_plan": e.rectification_plan, "rectification": None, "acceptances": []},
            "version": 0, "position": 0,
        }
        self.state.hazards[key] = row
        self._touch("hazards", key, row, position, e)
        enterprise = self._enterprise(e.enterprise_id, position)
        if enterprise is not None:
            enterprise[HAZARD_OPEN[e.level]] += 1
            enterprise["last_hazard_registered_at"] = _later(enterprise["last_hazard_registered_at"], e.at)

    def hazard_rectification_reported(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("hazards", key, e)
        if row is None:
            return
        row["status"] = "awaiting_acceptance"
        row["rectified_at"] = e.at
        rectification = {"measures": e.measures, "responsible_person": e.responsible_person, "cost": e.cost,
                         "completed_at": _iso(e.at)}
        row["details"] = dict(row["details"], rectification=rectification)
        self._touch("hazards", key, row, position, e)

    def _acceptance(self, row: dict[str, Any], e: Any, passed: bool) -> None:
        entry = {"passed": passed, "accepted_by": e.accepted_by, "opinion": e.opinion, "accepted_at": _iso(e.at)}
        row["details"] = dict(row["details"], acceptances=[*row["details"].get("acceptances", []), entry])

    def _close(self, row: dict[str, Any], position: int) -> None:
        if row["status"] in OPEN_STATUSES:
            enterprise = self._enterprise(row["enterprise_id"], position)
            if enterprise is not None:
                enterprise[HAZARD_OPEN[row["level"]]] -= 1

    def hazard_acceptance_passed(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("hazards", key, e)
        if row is None:
            return
        self._close(row, position)
        self._acceptance(row, e, True)
        row["status"] = "accepted"
        row["closed_at"] = e.at
        self._touch("hazards", key, row, position, e)

    def hazard_acceptance_failed(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("hazards", key, e)
        if row is None:
            return
        self._acceptance(row, e, False)
        row["status"] = "rectifying"
        row["rectified_at"] = None
        row["failed_acceptances"] += 1
        row["details"] = dict(row["details"], rectification=None)
        self._touch("hazards", key, row, position, e)

    def hazard_invalidated(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        row = self._fresh("hazards", key, e)
        if row is None:
            return
        self._close(row, position)
        row["status"] = "invalidated"
        row["invalidated_at"] = e.at
        row["details"] = dict(row["details"], invalidation_reason=e.reason)
        self._touch("hazards", key, row, position, e)

    # --- inspections ------------------------------------------------------------------------------

    def inspection_recorded(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        if key in self.state.inspections:
            return
        row = {
            "inspection_id": key, "enterprise_id": e.enterprise_id, "inspection_code": e.inspection_code,
            "scope": e.scope, "hazards_found": int(e.hazards_found), "inspector": e.inspector, "performed_at": e.at,
            "version": 0, "position": 0,
        }
        self.state.inspections[key] = row
        self._touch("inspections", key, row, position, e)
        enterprise = self._enterprise(e.enterprise_id, position)
        if enterprise is not None:
            enterprise["last_inspection_at"] = _later(enterprise["last_inspection_at"], e.at)
