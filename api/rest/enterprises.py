"""Admin door: the enterprise register."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import changed, created, execute
from api.deps import AdminCommandDep, ServicesDep, StaffDep
from api.schemas.common import PROBLEMS
from api.schemas.enterprises import (
    Deregistration,
    EnterpriseAccepted,
    EnterpriseRegistration,
    EnterpriseUpdate,
    EnterpriseView,
    SafetyOfficer,
)
from domain.enterprises.aggregate import Enterprise
from domain.enterprises.commands import EnterpriseSpec
from domain.identity.aggregate import Role
from domain.shared.codes import Industry
from domain.shared.errors import NotFound
from domain.shared.regions import henan_regions

router = APIRouter(prefix="/enterprises", tags=["enterprises (admin)"], responses=PROBLEMS)


@router.post("", response_model=EnterpriseAccepted, status_code=201)
def register_enterprise(body: EnterpriseRegistration, call: AdminCommandDep) -> JSONResponse:
    """Register an enterprise (201); an identical repeat answers 200, different content 409."""
    spec = EnterpriseSpec(
        credit_code=body.credit_code, name=body.name, region_code=body.region_code, industry=body.industry.value,
        supervision_level=body.supervision_level.value, safety_officer_name=body.safety_officer.name,
        safety_officer_mobile=body.safety_officer.mobile, registered_at=body.registered_at,
    )
    return execute(call, lambda ctx: call.services.write.enterprises.register(ctx, spec), created("enterprise_id"))


@router.get("/{credit_code}", response_model=EnterpriseView)
def get_enterprise(credit_code: str, principal: StaffDep, services: ServicesDep) -> EnterpriseView:
    """Current state of one enterprise (supervisors only within their scope)."""
    enterprise = services.write.enterprises.get(credit_code)
    if principal.role is Role.SUPERVISOR and not principal.scope.covers(
        enterprise.region_code, enterprise.industry, enterprise.supervision_level
    ):
        raise NotFound(f"no enterprise {credit_code} in your supervision scope")
    return enterprise_view(enterprise)


@router.patch("/{credit_code}", response_model=EnterpriseAccepted)
def change_enterprise(
    credit_code: str, body: EnterpriseUpdate, call: AdminCommandDep
) -> JSONResponse:
    """Change an enterprise's details (name, region, industry, level, safety officer)."""
    changes = body.changes()
    return execute(
        call, lambda ctx: call.services.write.enterprises.change_details(ctx, credit_code, changes),
        changed("enterprise_id"),
    )


@router.post("/{credit_code}/deregistration", response_model=EnterpriseAccepted)
def deregister_enterprise(
    credit_code: str, body: Deregistration, call: AdminCommandDep
) -> JSONResponse:
    """Deregister (注销) an enterprise: its history stays, it accepts no new data."""
    return execute(
        call, lambda ctx: call.services.write.enterprises.deregister(ctx, credit_code, body.reason),
        changed("enterprise_id"),
    )


def enterprise_view(e: Enterprise) -> EnterpriseView:
    region = henan_regions().get(e.region_code)
    return EnterpriseView(
        enterprise_id=str(e.id), credit_code=e.credit_code, name=e.name, region_code=e.region_code,
        region_name=region.name if region else "", industry=e.industry, industry_label=Industry(e.industry).label_zh,
        supervision_level=e.supervision_level,
        safety_officer=SafetyOfficer(name=e.safety_officer_name, mobile=e.safety_officer_mobile),
        registered_at=e.registered_at, status="active" if e.is_active else "deregistered", version=e.version,
    )

