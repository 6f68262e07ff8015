"""The interface catalog: what enterprises may subscribe to (admin publishes, revises, withdraws)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import changed, created, execute
from api.deps import AdminCommandDep, PrincipalDep, ServicesDep
from api.schemas.common import PROBLEMS
from api.schemas.platform import InterfaceIn, InterfaceView, Withdrawal
from domain.catalog.aggregate import Interface
from domain.catalog.commands import InterfaceSpec
from domain.identity.aggregate import Role

router = APIRouter(prefix="/interfaces", tags=["interface platform"], responses=PROBLEMS)


def _spec(body: InterfaceIn) -> InterfaceSpec:
    return InterfaceSpec(
        code=body.code, name_zh=body.name_zh, name_en=body.name_en, description=body.description, version=body.version,
        operations=[op.model_dump() for op in body.operations],
        request_schema=body.request_schema, response_schema=body.response_schema,
    )


def interface_view(i: Interface) -> InterfaceView:
    return InterfaceView(code=i.code, **i.definition, status=i.status, version_in_ledger=i.version)


@router.get("", response_model=list[InterfaceView])
def list_interfaces(principal: PrincipalDep, services: ServicesDep) -> list[InterfaceView]:
    """Published interfaces (the list in the enterprise portal); admins also see withdrawn ones."""
    everything = services.write.catalog.all()
    return [interface_view(i) for i in everything if i.status == "published" or principal.role is Role.ADMIN]


@router.post("", status_code=201)
def publish_interface(body: InterfaceIn, call: AdminCommandDep) -> JSONResponse:
    """Publish an interface (201; identical repeat 200)."""
    return execute(call, lambda ctx: call.services.write.catalog.publish(ctx, _spec(body)), created("interface_id"))


@router.put("/{code}")
def revise_interface(code: str, body: InterfaceIn, call: AdminCommandDep) -> JSONResponse:
    """Revise an interface's definition (the code in the body must match the path)."""
    spec = _spec(body.model_copy(update={"code": code}))
    return execute(call, lambda ctx: call.services.write.catalog.revise(ctx, spec), changed("interface_id"))


@router.post("/{code}/withdrawal")
def withdraw_interface(code: str, body: Withdrawal, call: AdminCommandDep) -> JSONResponse:
    """Withdraw an interface: no new subscriptions to it."""
    return execute(call, lambda ctx: call.services.write.catalog.withdraw(ctx, code, body.reason), changed("interface_id"))
