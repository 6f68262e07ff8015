"""Annotated dependencies: services, the authenticated principal, and the command call (Meta,
If-Match, Idempotency-Key) that every command route hands to `execute`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from adapters.crypto.tokens import TokenInvalid
from adapters.persistence.idempotency import fingerprint
from api.bootstrap import Services
from api.errors import Forbidden, InvalidHeader, Unauthorized
from domain.identity.aggregate import Role, Scope
from domain.shared.meta import Channel, Meta


# Dependencies that do no I/O are `async def`: FastAPI runs a sync dependency in the thread pool,
# and each such hop cost more than the work itself.
async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    credit_code: str | None
    scope: Scope

    @property
    def actor(self) -> str:
        return f"user:{self.username}"


async def current_principal(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required (POST /api/v1/sessions)")
    try:
        claims = services.tokens.verify(token.strip(), services.clock())
    except TokenInvalid as error:
        raise Unauthorized(f"invalid token: {error}") from None
    try:
        return Principal(
            username=claims["sub"],
            role=Role(claims["role"]),
            credit_code=claims.get("ent"),
            scope=Scope(claims.get("region"), tuple(claims.get("industries") or ()), claims.get("level")),
        )
    except (KeyError, ValueError):
        raise Unauthorized("invalid token: missing claims") from None


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role):  # noqa: ANN201
    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {principal.role.value} may not do this (needs {allowed})")
        return principal

    return check


async def enterprise_principal(principal: Annotated[Principal, Depends(require(Role.ENTERPRISE))]) -> Principal:
    if not principal.credit_code:
        raise Forbidden("this user is not bound to an enterprise")
    return principal


EnterpriseDep = Annotated[Principal, Depends(enterprise_principal)]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
AuditorDep = Annotated[Principal, Depends(require(Role.AUDITOR, Role.ADMIN))]
StaffDep = Annotated[Principal, Depends(require(Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR))]


@dataclass(frozen=True)
class CommandCall:
    """How this command arrived: attribution, expected version and idempotency key."""

    principal: Principal
    meta: Meta
    expected_version: int | None
    idempotency_key: str | None
    fingerprint: str


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidHeader("If-Match", "must be the aggregate version, e.g. If-Match: 3")
    return int(text)


async def command_call(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> CommandCall:
    request_id = request.state.request_id
    meta = Meta(
        actor=principal.actor,
        channel=Channel.ADMIN.value if principal.role is Role.ADMIN else Channel.REST.value,
        recorded_at=services.clock(),
        request_id=request_id,
        correlation_id=request.headers.get("x-correlation-id") or request_id,
        causation_id=request.headers.get("x-causation-id"),
    )
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
        raise InvalidHeader("Idempotency-Key", "must be 1-200 characters")
    body = await request.body()
    return CommandCall(
        principal=principal,
        meta=meta,
        expected_version=_expected_version(if_match),
        idempotency_key=idempotency_key,
        fingerprint=fingerprint(request.method, request.url.path, body),
    )


CommandCallDep = Annotated[CommandCall, Depends(command_call)]


def new_request_id() -> str:
    return uuid.uuid4().hex
