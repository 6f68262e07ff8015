"""Builders shared by the domain unit tests: an in-memory ledger, command contexts and valid specs.

Business times are stated relative to T0; the ledger clock (`recorded_at`) is NOW, a month later,
so every business time below is in the ledger's past.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.enterprises.aggregate import Enterprise
from domain.enterprises.commands import EnterpriseSpec
from domain.hazards.aggregate import RectificationPlan
from domain.hazards.commands import HazardSpec
from domain.inspections.commands import InspectionSpec
from domain.ledger import Ledger
from domain.risks.aggregate import ControlMeasure
from domain.risks.assessment import AssessmentBands
from domain.risks.commands import RiskSpec
from domain.services import LedgerServices, ledger_services
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from tests.support.builders import T0, a_credit_code

__all__ = ["T0", "NOW", "a_credit_code"]

NOW = T0 + timedelta(days=30)  # the ledger's clock in these tests
REGISTERED_AT = T0 - timedelta(days=30)
IDENTIFIED_AT = T0 + timedelta(days=1)
FOUND_AT = T0 + timedelta(days=2)
DEADLINE = FOUND_AT + timedelta(days=7)
PERFORMED_AT = T0 + timedelta(days=3)

_ids = itertools.count(1)


def new_services(bands: AssessmentBands | None = None) -> LedgerServices:
    """A fresh in-memory ledger with the DirectCommitter."""
    return ledger_services(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}), bands=bands)


def ctx(
    recorded_at: datetime = NOW,
    expected_version: int | None = None,
    actor: str = "alice",
    request_id: str | None = None,
    correlation_id: str = "corr-1",
) -> CommandContext:
    meta = Meta(actor, "rest", recorded_at, request_id or f"req-{next(_ids)}", correlation_id)
    return CommandContext(meta, expected_version=expected_version)


def position(services: LedgerServices) -> int | None:
    """The ledger's last notification id: unchanged means nothing was written."""
    return services.ledger.recorder.max_notification_id()


@contextmanager
def writes_nothing(services: LedgerServices) -> Iterator[None]:
    before = position(services)
    yield
    assert position(services) == before, "a rejected command wrote an event"


def event_names(services: LedgerServices, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in services.ledger.events.get(aggregate_id)]


def events(services: LedgerServices, aggregate_id: UUID) -> list[Any]:
    return list(services.ledger.events.get(aggregate_id))


def stored(services: LedgerServices, aggregate_id: UUID) -> Any:
    """The aggregate as replayed from the event store."""
    return services.ledger.repository.get(aggregate_id)


# --- specs ----------------------------------------------------------------------------------------


def enterprise_spec(credit_code: str | None = None, **overrides: Any) -> EnterpriseSpec:
    spec = EnterpriseSpec(
        credit_code=credit_code or a_credit_code(),
        name="登封市示范化工有限公司",
        region_code="410185",
        industry="hazardous_chemicals",
        supervision_level="county",
        safety_officer_name="张伟",
        safety_officer_mobile="13800138000",
        registered_at=REGISTERED_AT,
    )
    return replace(spec, **overrides)


def measure(**overrides: Any) -> ControlMeasure:
    base = {
        "description": "安装有毒气体报警仪并联锁", "control_level": "company",
        "department": "安全环保部", "responsible_person": "李强",
    }
    return ControlMeasure(**(base | overrides))


def risk_spec(code: str | None = None, **overrides: Any) -> RiskSpec:
    spec = RiskSpec(
        risk_code=code or f"R-{next(_ids)}",
        name="液氯储罐区",
        location="二号罐区",
        hazard_factors=["压力容器超压", "有毒气体泄漏"],
        accident_types=["17", "中毒和窒息"],
        assessment_method="lec",
        assessment_score=180,
        inherent_level="significant",
        current_level="general",
        control_measures=[measure()],
        identified_at=IDENTIFIED_AT,
    )
    return replace(spec, **overrides)


def a_plan() -> RectificationPlan:
    return RectificationPlan(
        objectives="消除泄漏风险", methods_and_measures="更换阀门", funds_and_materials="5 万元",
        responsible_organisation="设备部", time_limit_and_requirements="30 日内", safety_and_emergency_measures="设警戒区",
    )


def hazard_spec(code: str | None = None, **overrides: Any) -> HazardSpec:
    spec = HazardSpec(
        hazard_code=code or f"H-{next(_ids)}",
        name="储罐区可燃气体报警器失效",
        description="2 号报警器无响应",
        level="general",
        source="self_inspection",
        found_at=FOUND_AT,
        responsible_person="王磊",
        governance_type="deadline",
        rectification_deadline=DEADLINE,
    )
    return replace(spec, **overrides)


def inspection_spec(code: str | None = None, **overrides: Any) -> InspectionSpec:
    spec = InspectionSpec(
        inspection_code=code or f"I-{next(_ids)}",
        performed_at=PERFORMED_AT,
        scope="罐区日常排查",
        hazards_found=0,
        inspector="赵敏",
    )
    return replace(spec, **overrides)


# --- arranged state -------------------------------------------------------------------------------


def registered_enterprise(services: LedgerServices, **overrides: Any) -> str:
    """Register an enterprise and return its credit code."""
    spec = enterprise_spec(**overrides)
    services.enterprises.register(ctx(), spec)
    return spec.credit_code


def deregistered_enterprise(services: LedgerServices) -> str:
    credit_code = registered_enterprise(services)
    services.enterprises.deregister(ctx(), credit_code, "注销")
    return credit_code


def identified_risk(services: LedgerServices, credit_code: str, **overrides: Any) -> UUID:
    return services.risks.identify(ctx(), credit_code, risk_spec(**overrides)).aggregate_id


def registered_hazard(services: LedgerServices, credit_code: str, **overrides: Any) -> UUID:
    return services.hazards.register(ctx(), credit_code, hazard_spec(**overrides)).aggregate_id


def enterprise_id(credit_code: str) -> str:
    return str(Enterprise.create_id(credit_code))
