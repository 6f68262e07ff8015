"""The hidden hazard (隐患) and its governance loop: 整改中 -> 待验收 -> 已验收, a failed acceptance
returning it to 整改中, and invalidation (变更有效状态) instead of deletion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused, InvalidValue
from domain.shared.meta import Meta


class HazardSource(StrEnum):
    SELF_INSPECTION = "self_inspection"  # 企业自查
    SUPERVISION = "supervision"          # 监督检查


class GovernanceType(StrEnum):
    IMMEDIATE = "immediate"  # 即查即改
    DEADLINE = "deadline"    # 限期整改


class HazardStatus(StrEnum):
    RECTIFYING = "rectifying"                    # 整改中 (national dangerState 0)
    AWAITING_ACCEPTANCE = "awaiting_acceptance"  # 待验收 (1)
    ACCEPTED = "accepted"                        # 已验收 (9), closed
    INVALIDATED = "invalidated"                  # 无效 (deleted = 1)


@dataclass(frozen=True)
class RectificationPlan:
    """治理方案 of a major hazard: the six elements the 16号令 requires."""

    objectives: str
    methods_and_measures: str
    funds_and_materials: str
    responsible_organisation: str
    time_limit_and_requirements: str
    safety_and_emergency_measures: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Hazard(LedgerAggregate):
    @staticmethod
    def create_id(enterprise_id: str, hazard_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/enterprises/{enterprise_id}/hazards/{hazard_code}")

    @event("Registered")
    def __init__(
        self,
        enterprise_id: str,
        hazard_code: str,
        name: str,
        description: str,
        level: str,
        source: str,
        risk_id: str | None,
        rectification_deadline: datetime | None,
        responsible_person: str,
        governance_type: str,
        rectification_plan: dict[str, str] | None,
        at: datetime,
        meta: Meta,
    ) -> None:
        self.enterprise_id = enterprise_id
        self.hazard_code = hazard_code
        self.name = name
        self.description = description
        self.level = level
        self.source = source
        self.risk_id = risk_id
        self.rectification_deadline = rectification_deadline
        self.responsible_person = responsible_person
        self.governance_type = governance_type
        self.rectification_plan = rectification_plan
        self.found_at = at
        self.status = HazardStatus.RECTIFYING
        self.rectification: dict[str, Any] | None = None
        self.acceptances: list[dict[str, Any]] = []
        self.closed_at: datetime | None = None
        self.registration = {
            "hazard_code": hazard_code, "name": name, "description": description, "level": level,
            "source": source, "risk_id": risk_id, "rectification_deadline": rectification_deadline,
            "responsible_person": responsible_person, "governance_type": governance_type,
            "rectification_plan": rectification_plan, "found_at": at,
        }

    def report_rectification(
        self, measures: str, responsible_person: str, cost: float | None, at: datetime, meta: Meta
    ) -> None:
        self._require_open()
        if self.status != HazardStatus.RECTIFYING:
            raise CommandRefused(f"hazard {self.hazard_code} is {self.status.value}; rectification is reported while rectifying")
        if at < self.found_at:
            raise InvalidValue("completed_at", "must not be before the hazard was found")
        if self.acceptances and at < self.acceptances[-1]["accepted_at"]:
            raise InvalidValue("completed_at", "must not be before the last (failed) acceptance")
        self._rectification_reported(measures=measures, responsible_person=responsible_person, cost=cost, at=at, meta=meta)

    @event("RectificationReported")
    def _rectification_reported(
        self, measures: str, responsible_person: str, cost: float | None, at: datetime, meta: Meta
    ) -> None:
        self.status = HazardStatus.AWAITING_ACCEPTANCE
        self.rectification = {"measures": measures, "responsible_person": responsible_person, "cost": cost, "completed_at": at}

    def accept(self, passed: bool, accepted_by: str, opinion: str, at: datetime, meta: Meta) -> None:
        """验收: passing closes the hazard; failing sends it back to rectification."""
        self._require_open()
        if self.status != HazardStatus.AWAITING_ACCEPTANCE:
            raise CommandRefused(
                f"hazard {self.hazard_code} is {self.status.value}; acceptance needs a reported rectification"
            )
        if self.rectification is not None and at < self.rectification["completed_at"]:
            raise InvalidValue("accepted_at", "must not be before the rectification was completed")
        decide = self._acceptance_passed if passed else self._acceptance_failed
        decide(accepted_by=accepted_by, opinion=opinion, at=at, meta=meta)

    @event("AcceptancePassed")
    def _acceptance_passed(self, accepted_by: str, opinion: str, at: datetime, meta: Meta) -> None:
        self.acceptances.append({"passed": True, "accepted_by": accepted_by, "opinion": opinion, "accepted_at": at})
        self.status = HazardStatus.ACCEPTED
        self.ended_reason = "closed (accepted)"
        self.closed_at = at

    @event("AcceptanceFailed")
    def _acceptance_failed(self, accepted_by: str, opinion: str, at: datetime, meta: Meta) -> None:
        self.acceptances.append({"passed": False, "accepted_by": accepted_by, "opinion": opinion, "accepted_at": at})
        self.status = HazardStatus.RECTIFYING
        self.rectification = None

    def invalidate(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._invalidated(reason=reason, at=at, meta=meta)

    @event("Invalidated")
    def _invalidated(self, reason: str, at: datetime, meta: Meta) -> None:
        self.status = HazardStatus.INVALIDATED
        self.ended_reason = "invalidated"
        self.invalidation_reason = reason
        self.invalidated_at = at

    def describe(self) -> str:
        return f"hazard {self.hazard_code}"
