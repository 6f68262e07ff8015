"""The risk point (风险点) on an enterprise's risk list, and its control measures.

A risk is never deleted: invalidation (变更有效状态) ends it and keeps the history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.codes import RiskLevel
from domain.shared.errors import CommandRefused, InvalidValue
from domain.shared.meta import Meta
from domain.shared.validation import require_clean_text


class ControlLevel(StrEnum):
    """管控层级: who controls the risk."""

    COMPANY = "company"    # 公司级
    WORKSHOP = "workshop"  # 车间级
    TEAM = "team"          # 班组级
    POST = "post"          # 岗位级


@dataclass(frozen=True)
class ControlMeasure:
    description: str
    control_level: str
    department: str
    responsible_person: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def measures_as_dicts(measures: list[ControlMeasure], field: str = "control_measures") -> list[dict[str, str]]:
    if not measures:
        raise InvalidValue(field, "at least one control measure is required")
    for i, m in enumerate(measures):
        for name in ("description", "department", "responsible_person"):
            require_clean_text(getattr(m, name), f"{field}.{i}.{name}", multiline=name == "description")
            if not getattr(m, name).strip():
                raise InvalidValue(f"{field}.{i}.{name}", "must not be empty")
        if m.control_level not in {c.value for c in ControlLevel}:
            raise InvalidValue(f"{field}.{i}.control_level", f"unknown control level {m.control_level!r}")
    return [m.as_dict() for m in measures]


class Risk(LedgerAggregate):
    @staticmethod
    def create_id(enterprise_id: str, risk_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/enterprises/{enterprise_id}/risks/{risk_code}")

    @event("Identified")
    def __init__(
        self,
        enterprise_id: str,
        risk_code: str,
        name: str,
        location: str,
        hazard_factors: list[str],
        accident_types: list[str],
        assessment_method: str,
        assessment_score: float,
        inherent_level: int,
        current_level: int,
        control_measures: list[dict[str, str]],
        at: datetime,
        meta: Meta,
    ) -> None:
        self.enterprise_id = enterprise_id
        self.risk_code = risk_code
        self.name = name
        self.location = location
        self.hazard_factors = list(hazard_factors)
        self.accident_types = list(accident_types)
        self.assessment_method = assessment_method
        self.assessment_score = assessment_score
        self.inherent_level = RiskLevel(inherent_level)
        self.level = RiskLevel(current_level)
        self.control_measures = list(control_measures)
        self.identified_at = at
        self.level_changed_at = at
        self.registration = self._content()

    def _content(self) -> dict[str, Any]:
        return {
            "risk_code": self.risk_code, "name": self.name, "location": self.location,
            "hazard_factors": self.hazard_factors, "accident_types": self.accident_types,
            "assessment_method": self.assessment_method, "assessment_score": self.assessment_score,
            "inherent_level": int(self.inherent_level), "current_level": int(self.level),
            "control_measures": self.control_measures, "identified_at": self.identified_at,
        }

    @property
    def status(self) -> str:
        return "invalidated" if self.ended_reason else "valid"

    def change_level(self, level: RiskLevel, reason: str, at: datetime, meta: Meta) -> None:
        """风险升级/降级: the direction follows the level order; the same level is an error."""
        self._require_open()
        if level == self.level:
            raise CommandRefused(f"risk {self.risk_code} is already at level {self.level.code}")
        if at < self.level_changed_at:
            raise InvalidValue("changed_at", "must not be before the risk's identification or its last level change")
        change = self._upgraded if level > self.level else self._downgraded
        change(level=int(level), previous_level=int(self.level), reason=reason, at=at, meta=meta)

    @event("Upgraded")
    def _upgraded(self, level: int, previous_level: int, reason: str, at: datetime, meta: Meta) -> None:
        self.level = RiskLevel(level)
        self.level_changed_at = at

    @event("Downgraded")
    def _downgraded(self, level: int, previous_level: int, reason: str, at: datetime, meta: Meta) -> None:
        self.level = RiskLevel(level)
        self.level_changed_at = at

    def revise_measures(self, measures: list[ControlMeasure], reason: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        revised = measures_as_dicts(measures)
        if revised == self.control_measures:
            raise CommandRefused(f"risk {self.risk_code}: the revision changes no control measure")
        self._measures_revised(control_measures=revised, reason=reason, at=at, meta=meta)

    @event("MeasuresRevised")
    def _measures_revised(self, control_measures: list[dict[str, str]], reason: str, at: datetime, meta: Meta) -> None:
        self.control_measures = list(control_measures)

    def invalidate(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._invalidated(reason=reason, at=at, meta=meta)

    @event("Invalidated")
    def _invalidated(self, reason: str, at: datetime, meta: Meta) -> None:
        self.ended_reason = "invalidated"
        self.invalidated_at = at
        self.invalidation_reason = reason

    def describe(self) -> str:
        return f"risk {self.risk_code}"
