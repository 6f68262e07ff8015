"""Log every call to an enterprise interface and to the token endpoint, and every other call made
with a subscription's client token (reads, GraphQL), off the request path: the entry is handed to
the call log's background writer after the response has been sent.

A call outside the interfaces is logged under its method and route template (e.g.
`GET /api/v1/risks/{risk_id}`), so the log's interface statistics group reads per route. Calls with
a user's session token are not interface calls and are not logged; neither is a client token that
fails verification (its subscription is unknown until it is verified)."""

from __future__ import annotations

import json
import time
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.persistence.call_log import CallLog, CallLogEntry
from domain.shared.time import Clock

MAX_ERROR_BODY = 4096


class CallLogMiddleware:
    def __init__(self, app: ASGIApp, call_log: CallLog, clock: Clock) -> None:
        self.app = app
        self.call_log = call_log
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at: datetime = self.clock()
        status = 500
        error_body = bytearray()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status >= 400 and len(error_body) < MAX_ERROR_BODY:
                error_body.extend(message.get("body", b"")[:MAX_ERROR_BODY])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            state = scope.get("state") or {}
            code = state.get("interface_code")
            if code is None and state.get("subscription_id") is not None:  # authenticated by a client token
                code = _route_label(scope)
            if code is not None:
                self.call_log.record(CallLogEntry(
                    at=at, enterprise=state.get("enterprise"), subscription_id=state.get("subscription_id"),
                    interface_code=code, method=scope["method"], path=scope["path"], status=status,
                    latency_ms=round((time.perf_counter() - started) * 1000, 3), request_id=state.get("request_id", ""),
                    client_ip=(scope.get("client") or (None,))[0], error_title=state.get("error_title") or _title(error_body),
                ))


def _route_label(scope: Scope) -> str:
    """'GET /api/v1/risks/{risk_id}': the matched route's template under the prefix it was included
    with (the route knows only its own part, e.g. '/risks/{risk_id}'; a parameter is one segment)."""
    path, template = scope["path"], getattr(scope.get("route"), "path", None) or ""
    segments = path.split("/")
    tail = template.count("/")
    if not template.startswith("/") or tail >= len(segments):
        return f"{scope['method']} {path}"
    return f"{scope['method']} {'/'.join(segments[:len(segments) - tail])}{template}"


def _title(body: bytes | bytearray) -> str | None:
    if not body:
        return None
    try:
        data = json.loads(bytes(body))
    except ValueError:
        return None
    return (data.get("title") or data.get("error")) if isinstance(data, dict) else None
