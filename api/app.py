"""The FastAPI app factory: pure wiring of routers, error handlers and the services' lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bootstrap import Services
from api.deps import new_request_id
from api.errors import install_error_handlers
from domain.shared.commands import CommandContext
from domain.shared.meta import Channel, Meta
from api.call_logging import CallLogMiddleware
from api.graphql import graphql_router
from api.dashboard import mount_dashboard
from projections import failures
from projections.registry import all_projections
from projections.tracking import read_rows
from api.interfaces import declared_interfaces
from adapters.calendar.chinese_calendar_source import publish_missing_years
from api.openapi_docs import install_api_docs
from api.request_limits import BodySizeLimit, refuse_control_characters_in_url
from api.rest import audit_proof
from api.rest import exchange as exchange_log_rest
from api.rest import (audit, calendar, call_logs, catalog, enforcement_plan, enterprises, hazards, inbox, inspections, oauth,
                      reminders, reports, risks, sessions, subscriptions, supervision_rules, time_limits, users)

DESCRIPTION = """
双重预防 regulatory ledger — enterprise data exchange interface, v1.

Enterprises push risk points (风险点), hidden hazards (隐患) and investigation records (隐患排查记录);
every change is kept as an event. Errors are RFC 9457 `application/problem+json`.
Commands accept `If-Match: <version>` (412 when stale) and `Idempotency-Key` (the first answer is
replayed for a retry with the same body).
"""


class RequestIdMiddleware:
    """Give every request an id (X-Request-ID, echoed back) for the events' metadata and the logs.

    Plain ASGI rather than BaseHTTPMiddleware, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:128]
        request_id = given or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_id)


def system_context(services: Services) -> CommandContext:
    request_id = new_request_id()
    return CommandContext(Meta("system:startup", Channel.ADMIN.value, services.clock(), request_id, request_id))


def read_model_lag(engine: Engine, head: int) -> dict[str, dict[str, int]]:
    """Each projection's position, how far it trails the log, and how many events its tables lack
    because it set them aside (projections/failures.py); empty before the first run."""
    with engine.connect() as conn:
        rows = read_rows(conn, [p.name for p in all_projections()])
        failed = failures.counts(conn, rows)
    return {name: {"position": row.position, "lag": max(0, head - row.position), "failed_events": failed[name]}
            for name, row in rows.items()}


def create_app(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Command handlers are sync (the event store is): they run in anyio's thread pool. More
        # threads than the database can keep busy only fight over the GIL, and the group-commit
        # writer then waits behind them for every round trip.
        to_thread.current_default_thread_limiter().total_tokens = services.settings.threadpool_size
        services.start()
        # The catalog always matches what this app serves: declared from its own OpenAPI document.
        services.write.catalog.declare(system_context(services), declared_interfaces(app))
        # The statutory calendar years the package knows and the ledger lacks (working-day rules).
        publish_missing_years(services.write.calendar, system_context(services))
        try:
            yield
        finally:
            services.close()

    app = FastAPI(title="双重预防 regulatory ledger", version="1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # served by install_api_docs, without a CDN
    app.state.services = services
    install_error_handlers(app)
    install_api_docs(app)

    app.add_middleware(BodySizeLimit, max_bytes=services.settings.max_body_bytes)  # 413 before anything parses a body
    if services.settings.call_log_enabled:
        app.add_middleware(CallLogMiddleware, call_log=services.call_log, clock=services.clock)
    app.add_middleware(RequestIdMiddleware)  # outermost: the call log and the events see its id

    @app.get("/healthz", tags=["operations"])
    def health() -> dict[str, object]:
        """Liveness plus the ledger's log head."""
        committer = services.committer
        head = services.events.head()
        return {"status": "ok", "log_head": head, "read_models": read_model_lag(services.engine, head),
                "group_commit": {"transactions": committer.batches, "commands": committer.commits,
                                 "seconds": round(committer.seconds_in_transactions, 3)}}

    for router in (sessions.router, enterprises.router, risks.router, hazards.router, inspections.router, audit.router,
                   call_logs.router, catalog.router, subscriptions.router, oauth.router, users.router,
                   supervision_rules.router, calendar.router, reminders.router, inbox.router, enforcement_plan.router,
                   reports.router, time_limits.router, audit_proof.router, exchange_log_rest.router):
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(refuse_control_characters_in_url)])
    app.include_router(graphql_router(services.settings), prefix="/graphql", tags=["graphql"])
    mount_dashboard(app)  # the zh-CN dashboard at /dashboard/, a client of /graphql and the REST doors
    return app


def app_from_settings() -> FastAPI:
    """uvicorn's factory for worker processes: each process builds its own services from LEDGER_*."""
    import sys

    from api.bootstrap import bootstrap
    from api.settings import Settings

    settings = Settings()
    sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
    return create_app(bootstrap(settings))
