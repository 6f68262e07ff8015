"""Enterprise door: hidden hazards (隐患新增 / 整改 / 验收 / 作废)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import changed, created, execute
from api.deps import CommandCall, EnterpriseDep, ServicesDep, interface_call
from api.interfaces import exposes
from api.schemas.common import PROBLEMS, Invalidation
from api.schemas.hazards import AcceptanceReport, HazardAccepted, HazardRegistration, HazardView, RectificationReport
from domain.hazards.aggregate import Hazard, RectificationPlan
from domain.hazards.commands import HazardSpec

router = APIRouter(prefix="/hazards", tags=["hazards (enterprise)"], responses=PROBLEMS)


@router.post("", response_model=HazardAccepted, status_code=201, openapi_extra=exposes("hazard.add"))
def register_hazard(body: HazardRegistration, call: Annotated[CommandCall, interface_call("hazard.add")]) -> JSONResponse:
    """隐患信息新增: register a hidden hazard (a major one needs a deadline and a rectification plan)."""
    plan = RectificationPlan(**body.rectification_plan.model_dump()) if body.rectification_plan else None
    spec = HazardSpec(
        hazard_code=body.hazard_code, name=body.name, description=body.description, level=body.level,
        source=body.source.value, found_at=body.found_at, responsible_person=body.responsible_person,
        governance_type=body.governance_type.value, rectification_deadline=body.rectification_deadline,
        risk_id=body.risk_id, rectification_plan=plan,
    )
    return execute(call, lambda ctx: call.services.write.hazards.register(ctx, call.credit_code, spec), created("hazard_id"))


@router.post("/{hazard_id}/rectification", response_model=HazardAccepted, openapi_extra=exposes("hazard.maintain"))
def report_rectification(
    hazard_id: UUID, body: RectificationReport, call: Annotated[CommandCall, interface_call("hazard.maintain")]
) -> JSONResponse:
    """隐患整改: report the rectification as done; the hazard then awaits acceptance."""
    return execute(
        call,
        lambda ctx: call.services.write.hazards.report_rectification(
            ctx, call.credit_code, hazard_id, body.measures, body.completed_at, body.responsible_person, body.cost
        ),
        changed("hazard_id"),
    )


@router.post("/{hazard_id}/acceptance", response_model=HazardAccepted, openapi_extra=exposes("hazard.maintain"))
def report_acceptance(
    hazard_id: UUID, body: AcceptanceReport, call: Annotated[CommandCall, interface_call("hazard.maintain")]
) -> JSONResponse:
    """隐患验收: passed closes the hazard; failed returns it to rectification. Before rectification: 409."""
    return execute(
        call,
        lambda ctx: call.services.write.hazards.accept(
            ctx, call.credit_code, hazard_id, body.passed, body.accepted_by, body.accepted_at, body.opinion
        ),
        changed("hazard_id"),
    )


@router.post("/{hazard_id}/invalidation", response_model=HazardAccepted, openapi_extra=exposes("hazard.invalidate"))
def invalidate_hazard(
    hazard_id: UUID, body: Invalidation, call: Annotated[CommandCall, interface_call("hazard.invalidate")]
) -> JSONResponse:
    """隐患信息删除 (变更有效状态)."""
    return execute(
        call, lambda ctx: call.services.write.hazards.invalidate(ctx, call.credit_code, hazard_id, body.reason),
        changed("hazard_id"),
    )


@router.get("/{hazard_id}", response_model=HazardView)
def get_hazard(hazard_id: UUID, who: EnterpriseDep, services: ServicesDep) -> HazardView:
    """Current state and version of one of the enterprise's own hazards."""
    return hazard_view(services.write.hazards.get(who.credit_code, hazard_id))


def hazard_view(h: Hazard) -> HazardView:
    return HazardView(
        hazard_id=str(h.id), hazard_code=h.hazard_code, name=h.name, description=h.description, level=h.level,
        source=h.source, risk_id=h.risk_id, found_at=h.found_at, rectification_deadline=h.rectification_deadline,
        responsible_person=h.responsible_person, governance_type=h.governance_type,
        rectification_plan=h.rectification_plan, status=h.status.value, rectification=h.rectification,
        acceptances=h.acceptances, version=h.version,
    )
