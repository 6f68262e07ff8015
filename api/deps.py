"""Annotated dependencies: the authenticated principal and the command call (Meta, If-Match,
Idempotency-Key) that every command route hands to `execute`.

Each route depends on one flat dependency that does no I/O and is `async def`: FastAPI runs a sync
dependency in the thread pool, and solving nested dependency graphs per request cost more than the
work itself."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from adapters.crypto.tokens import TokenInvalid
from adapters.persistence.idempotency import fingerprint
from api.bootstrap import Services
from api.errors import Forbidden, InsufficientScope, InvalidHeader, RateLimited, Unauthorized
from domain.identity.aggregate import Role, Scope
from domain.shared.meta import Channel, Meta


@dataclass(frozen=True)
class Principal:
    """A logged-in user, or an enterprise system calling with a subscription's client token."""

    username: str
    role: Role
    credit_code: str | None
    scope: Scope
    subscription_id: str | None = None
    interfaces: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        return f"subscription:{self.subscription_id}" if self.subscription_id else f"user:{self.username}"


def services_of(request: Request) -> Services:
    return request.app.state.services


async def get_services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


def authenticate(request: Request, roles: tuple[Role, ...] = (), enterprise: bool = False) -> Principal:
    """The bearer token's principal (401 if absent/invalid/expired), checked against the roles (403)."""
    services = services_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required (POST /api/v1/sessions)")
    try:
        claims = services.tokens.verify(token.strip(), services.clock())
        principal = Principal(
            username=claims["sub"],
            role=Role(claims["role"]),
            credit_code=claims.get("ent"),
            scope=Scope(claims.get("region"), tuple(claims.get("industries") or ()), claims.get("level")),
            subscription_id=claims.get("sid"),
            interfaces=frozenset((claims.get("scope") or "").split()),
        )
    except TokenInvalid as error:
        raise Unauthorized(f"invalid token: {error}") from None
    except (KeyError, ValueError):
        raise Unauthorized("invalid token: missing claims") from None
    if principal.subscription_id is not None:
        request.state.subscription_id = principal.subscription_id
        request.state.enterprise = principal.credit_code
        if not services.gate.live(principal.subscription_id):
            raise Unauthorized("invalid token: the subscription is no longer approved")
    elif (refusal := services.user_gate.refusal(principal.username, claims["iat"])) is not None:
        raise Unauthorized(f"invalid token: {refusal}")  # every user token, enterprise users' too
    if roles and principal.role not in roles:
        raise Forbidden(f"role {principal.role.value} may not do this (needs {', '.join(r.value for r in roles)})")
    if enterprise and not principal.credit_code:
        raise Forbidden("this user is not bound to an enterprise")
    return principal


def require(*roles: Role, enterprise: bool = False) -> Callable[[Request], Awaitable[Principal]]:
    async def principal(request: Request) -> Principal:
        return authenticate(request, roles, enterprise)

    return principal


PrincipalDep = Annotated[Principal, Depends(require())]
EnterpriseDep = Annotated[Principal, Depends(require(Role.ENTERPRISE, enterprise=True))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
AuditorDep = Annotated[Principal, Depends(require(Role.AUDITOR, Role.ADMIN))]
StaffDep = Annotated[Principal, Depends(require(Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR))]


@dataclass(frozen=True)
class CommandCall:
    """How this command arrived: who, attribution, expected version and idempotency key."""

    services: Services
    principal: Principal
    meta: Meta
    expected_version: int | None
    idempotency_key: str | None
    fingerprint: str

    @property
    def credit_code(self) -> str:
        """The enterprise an enterprise user acts for (checked present by the dependency)."""
        return self.principal.credit_code or ""


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidHeader("If-Match", "must be the aggregate version, e.g. If-Match: 3")
    return int(text)


def check_interface(request: Request, principal: Principal, interface: str) -> None:
    """Enterprise interfaces are called by enterprise systems with a subscription's client token
    whose scope names the interface; each call counts against the subscription's rate limit."""
    if principal.subscription_id is None:
        raise Forbidden("enterprise interfaces need a client-credentials token of an approved subscription "
                        "(POST /api/v1/oauth/token)")
    if interface not in principal.interfaces:
        raise InsufficientScope(interface)
    wait = services_of(request).limiter.retry_after(principal.subscription_id)
    if wait is not None:
        raise RateLimited(wait)


def command_call(*roles: Role, enterprise: bool = False, interface: str | None = None) -> Callable[..., Awaitable[CommandCall]]:
    async def call(
        request: Request,
        if_match: Annotated[str | None, Header()] = None,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> CommandCall:
        if interface is not None:
            request.state.interface_code = interface  # before authenticating: refused calls are logged too
        principal = authenticate(request, roles, enterprise)
        if interface is not None:
            check_interface(request, principal, interface)
        elif principal.subscription_id is not None:
            raise Forbidden("a client-credentials token only calls the subscribed interfaces; log in as a user")
        services = services_of(request)
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
        return CommandCall(
            services=services,
            principal=principal,
            meta=meta,
            expected_version=_expected_version(if_match),
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(request.method, request.url.path, await request.body()),
        )

    return call


def interface_call(code: str) -> object:
    """The dependency of a command route that implements enterprise interface `code`."""
    return Depends(command_call(Role.ENTERPRISE, enterprise=True, interface=code))


EnterpriseCommandDep = Annotated[CommandCall, Depends(command_call(Role.ENTERPRISE, enterprise=True))]
PortalCommandDep = EnterpriseCommandDep  # enterprise users in the portal (subscriptions), not interfaces
AdminCommandDep = Annotated[CommandCall, Depends(command_call(Role.ADMIN))]
SupervisorCommandDep = Annotated[CommandCall, Depends(command_call(Role.SUPERVISOR))]
ReaderCommandDep = Annotated[CommandCall, Depends(command_call())]  # any logged-in user, e.g. marking a message read


def new_request_id() -> str:
    return uuid.uuid4().hex
