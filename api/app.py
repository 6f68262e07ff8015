"""The FastAPI app factory: pure wiring of routers, error handlers and the services' lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from api.bootstrap import Services
from api.deps import new_request_id
from api.errors import install_error_handlers
from api.rest import audit, enterprises, hazards, inspections, risks, sessions

DESCRIPTION = """
双重预防 regulatory ledger — enterprise data exchange interface, v1.

Enterprises push risk points (风险点), hidden hazards (隐患) and investigation records (隐患排查记录);
every change is kept as an event. Errors are RFC 9457 `application/problem+json`.
Commands accept `If-Match: <version>` (412 when stale) and `Idempotency-Key` (the first answer is
replayed for a retry with the same body).
"""


def create_app(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.close()

    app = FastAPI(title="双重预防 regulatory ledger", version="1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.services = services
    install_error_handlers(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: RequestResponseEndpoint) -> Response:
        request.state.request_id = request.headers.get("x-request-id") or new_request_id()
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.get("/healthz", tags=["operations"])
    def health() -> dict[str, object]:
        """Liveness plus the ledger's log head."""
        return {"status": "ok", "log_head": services.events.head()}

    for router in (sessions.router, enterprises.router, risks.router, hazards.router, inspections.router, audit.router):
        app.include_router(router, prefix="/api/v1")
    return app
