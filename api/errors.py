"""Every error leaves as RFC 9457 problem+json, mapped here once (routes never catch)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.persistence.availability import Availability, AvailabilityMonitor, availability_of
from projections.live import ReadModelNotReady
from domain.shared.errors import CommandRefused, Conflict, InvalidValue, InvalidValues, NotFound, StaleVersion

log = logging.getLogger("ledger.api.errors")

PROBLEM = "application/problem+json"
TYPE_BASE = "https://dual-prevention-ledger.example/problems/"


class Unauthorized(Exception):
    """No, a malformed, a tampered-with or an expired token; or wrong credentials."""


class Forbidden(Exception):
    """Authenticated, but the role or scope does not allow this."""


class InsufficientScope(Exception):
    """The client token's scope does not include the interface called."""

    def __init__(self, interface: str) -> None:
        super().__init__(f"the token's scope does not include interface {interface}")
        self.interface = interface


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit of the subscription reached; retry after {retry_after} s")
        self.retry_after = retry_after


class InvalidHeader(Exception):
    """A request header breaks its rule (If-Match, Idempotency-Key)."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(f"{header}: {message}")
        self.header = header
        self.message = message


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key was sent before with a different request."""


def problem(status: int, kind: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": TYPE_BASE + kind, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# Seconds a client should wait: an unreachable database takes a while (a restart, a failover); a
# busy one (a lock, a deadlock, no free connection) frees up quickly.
RETRY_AFTER: dict[Availability, int] = {"unreachable": 5, "busy": 1}


def unavailable(kind: Availability) -> JSONResponse:
    """503 + Retry-After: the request did not happen (or its outcome is unknown to the client, who
    retries; commands are idempotent with Idempotency-Key or by business code)."""
    return problem(503, "database-unavailable", "Database unavailable",
                   f"The ledger's database is {kind}; nothing was done. Retry after the time in Retry-After.",
                   headers={"Retry-After": str(RETRY_AFTER[kind])})


class DatabaseUnavailableMiddleware:
    """Every error that means "the database cannot serve this now" leaves as 503 + Retry-After,
    wherever it was raised (a route, a dependency such as the subscription liveness check, the
    token endpoint) and however it was wrapped (the cause chain is walked), and is counted by the
    availability monitor, which logs the outage once instead of a traceback per request.

    A middleware rather than an exception handler: the catch-all `Exception` handler runs in
    Starlette's ServerErrorMiddleware, which re-raises after answering, so the server would still
    log a traceback per request. Installed innermost, so the call log records the 503. Pure ASGI
    (see RequestIdMiddleware)."""

    def __init__(self, app: ASGIApp, monitor: AvailabilityMonitor) -> None:
        self.app = app
        self.monitor = monitor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            kind = availability_of(error)
            if kind is None or started:  # a bug, or too late to answer differently: the 500 path
                raise
            self.monitor.refused(error)
            await unavailable(kind)(scope, receive, send)


def _field_errors(errors: list[InvalidValue]) -> list[dict[str, Any]]:
    return [{"loc": ["body", *e.field.split(".")], "msg": e.message} for e in errors]


def install_error_handlers(app: FastAPI, availability: AvailabilityMonitor | None = None) -> None:
    """Map errors to problem+json. Database outages go through `availability` (by default the
    services' monitor), kept on `app.state.availability` for the other doors (GraphQL)."""
    services = getattr(app.state, "services", None)
    monitor = availability or getattr(services, "availability", None) or AvailabilityMonitor("api")
    app.state.availability = monitor
    app.add_middleware(DatabaseUnavailableMiddleware, monitor=monitor)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return problem(422, "invalid-request", "Invalid request", "The request does not match the data standard.", errors=errors)

    @app.exception_handler(InvalidValue)
    async def invalid_value(_: Request, exc: InvalidValue) -> JSONResponse:
        return problem(422, "invalid-request", "Invalid request", str(exc), errors=_field_errors([exc]))

    @app.exception_handler(InvalidValues)
    async def invalid_values(_: Request, exc: InvalidValues) -> JSONResponse:
        return problem(422, "invalid-request", "Invalid request", str(exc), errors=_field_errors(exc.errors))

    @app.exception_handler(CommandRefused)
    async def refused(_: Request, exc: CommandRefused) -> JSONResponse:
        return problem(409, "command-refused", "Command refused by the current state", str(exc))

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return problem(409, "conflict", "Business code already used with different content", str(exc))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not-found", "Not found", str(exc))

    @app.exception_handler(ReadModelNotReady)
    async def not_ready(_: Request, exc: ReadModelNotReady) -> JSONResponse:
        # A fresh deployment before the projection worker's first round: a short wait, not a fault.
        return problem(503, "read-model-not-ready", "Read model not built yet", str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(StaleVersion)
    async def stale(_: Request, exc: StaleVersion) -> JSONResponse:
        return problem(412, "stale-version", "Precondition failed", str(exc), current_version=exc.actual)

    @app.exception_handler(InvalidHeader)
    async def invalid_header(_: Request, exc: InvalidHeader) -> JSONResponse:
        return problem(422, "invalid-request", "Invalid request", str(exc),
                       errors=[{"loc": ["header", exc.header], "msg": exc.message}])

    @app.exception_handler(IdempotencyKeyReused)
    async def reused_key(_: Request, exc: IdempotencyKeyReused) -> JSONResponse:
        return problem(422, "idempotency-key-reused", "Idempotency-Key reused with another request", str(exc),
                       errors=[{"loc": ["header", "Idempotency-Key"], "msg": str(exc)}])

    @app.exception_handler(Unauthorized)
    async def unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        return problem(401, "unauthorized", "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "forbidden", "Forbidden", str(exc))

    @app.exception_handler(InsufficientScope)
    async def insufficient_scope(_: Request, exc: InsufficientScope) -> JSONResponse:
        return problem(403, "insufficient-scope", "Insufficient scope", str(exc), error="insufficient_scope",
                       headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{exc.interface}"'})

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return problem(429, "rate-limited", "Too many requests", str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http", str(exc.detail), str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal", "Internal error", "An unexpected error occurred; it has been logged.")
