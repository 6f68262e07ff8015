"""Enterprise door: investigation records (隐患排查记录)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import created, execute
from api.deps import CommandCall, EnterpriseDep, ServicesDep, interface_call
from api.interfaces import exposes
from api.schemas.common import PROBLEMS
from api.schemas.inspections import InspectionAccepted, InspectionRecord, InspectionView
from domain.inspections.commands import InspectionSpec

router = APIRouter(prefix="/inspections", tags=["inspections (enterprise)"], responses=PROBLEMS)


@router.post("", response_model=InspectionAccepted, status_code=201, openapi_extra=exposes("inspection.record"))
def record_inspection(body: InspectionRecord, call: Annotated[CommandCall, interface_call("inspection.record")]) -> JSONResponse:
    """Record an investigation, also (especially) when it found no hazard."""
    spec = InspectionSpec(body.inspection_code, body.performed_at, body.scope, body.hazards_found, body.inspector)
    return execute(
        call, lambda ctx: call.services.write.inspections.record(ctx, call.credit_code, spec), created("inspection_id")
    )


@router.get("/{inspection_id}", response_model=InspectionView)
def get_inspection(inspection_id: UUID, who: EnterpriseDep, services: ServicesDep) -> InspectionView:
    i = services.write.inspections.get(who.credit_code, inspection_id)
    return InspectionView(
        inspection_id=str(i.id), inspection_code=i.inspection_code, performed_at=i.performed_at, scope=i.scope,
        hazards_found=i.hazards_found, inspector=i.inspector, version=i.version,
    )
