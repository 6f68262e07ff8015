"""Enterprise door: the risk list (风险点新增 / 升级降级 / 作废)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import changed, created, execute
from api.deps import CommandCall, EnterpriseDep, ServicesDep, interface_call
from api.interfaces import exposes
from api.schemas.common import PROBLEMS, Invalidation
from api.schemas.risks import MeasuresRevision, RiskAccepted, RiskIdentification, RiskLevelChange, RiskView
from domain.risks.aggregate import ControlMeasure, Risk
from domain.risks.commands import RiskSpec

router = APIRouter(prefix="/risks", tags=["risks (enterprise)"], responses=PROBLEMS)


def _measures(items: list) -> list[ControlMeasure]:  # noqa: ANN001
    return [ControlMeasure(m.description, m.control_level.value, m.department, m.responsible_person) for m in items]


@router.post("", response_model=RiskAccepted, status_code=201, openapi_extra=exposes("risk.add"))
def identify_risk(body: RiskIdentification, call: Annotated[CommandCall, interface_call("risk.add")]) -> JSONResponse:
    """风险点新增: add a risk point to the enterprise's risk list."""
    spec = RiskSpec(
        risk_code=body.risk_code, name=body.name, location=body.location, hazard_factors=body.hazard_factors,
        accident_types=body.accident_types, assessment_method=body.assessment.method.value,
        assessment_score=body.assessment.score, current_level=body.current_level, inherent_level=body.inherent_level,
        control_measures=_measures(body.control_measures), identified_at=body.identified_at,
    )
    return execute(call, lambda ctx: call.services.write.risks.identify(ctx, call.credit_code, spec), created("risk_id"))


@router.post("/{risk_id}/level-changes", response_model=RiskAccepted, openapi_extra=exposes("risk.maintain"))
def change_risk_level(
    risk_id: UUID, body: RiskLevelChange, call: Annotated[CommandCall, interface_call("risk.maintain")]
) -> JSONResponse:
    """风险升级/降级: recorded as Upgraded or Downgraded by level order; the same level is refused (409)."""
    return execute(
        call,
        lambda ctx: call.services.write.risks.change_level(ctx, call.credit_code, risk_id, body.level, body.reason, body.changed_at),
        changed("risk_id"),
    )


@router.post("/{risk_id}/measure-revisions", response_model=RiskAccepted, openapi_extra=exposes("risk.maintain"))
def revise_risk_measures(
    risk_id: UUID, body: MeasuresRevision, call: Annotated[CommandCall, interface_call("risk.maintain")]
) -> JSONResponse:
    """管控措施修订: replace the risk's control measures."""
    measures = _measures(body.control_measures)
    return execute(
        call,
        lambda ctx: call.services.write.risks.revise_measures(ctx, call.credit_code, risk_id, measures, body.reason),
        changed("risk_id"),
    )


@router.post("/{risk_id}/invalidation", response_model=RiskAccepted, openapi_extra=exposes("risk.invalidate"))
def invalidate_risk(
    risk_id: UUID, body: Invalidation, call: Annotated[CommandCall, interface_call("risk.invalidate")]
) -> JSONResponse:
    """风险点删除 (变更有效状态): never a physical delete; no later change is accepted."""
    return execute(
        call, lambda ctx: call.services.write.risks.invalidate(ctx, call.credit_code, risk_id, body.reason),
        changed("risk_id"),
    )


@router.get("/{risk_id}", response_model=RiskView)
def get_risk(risk_id: UUID, who: EnterpriseDep, services: ServicesDep) -> RiskView:
    """Current state and version of one of the enterprise's own risks."""
    return risk_view(services.write.risks.get(who.credit_code, risk_id))


def risk_view(r: Risk) -> RiskView:
    return RiskView(
        risk_id=str(r.id), risk_code=r.risk_code, name=r.name, location=r.location, hazard_factors=r.hazard_factors,
        accident_types=r.accident_types, assessment={"method": r.assessment_method, "score": r.assessment_score},
        inherent_level=r.inherent_level.code, current_level=r.level.code, current_level_label=r.level.label_zh,
        control_measures=r.control_measures, identified_at=r.identified_at, level_changed_at=r.level_changed_at,
        status=r.status, version=r.version,
    )
