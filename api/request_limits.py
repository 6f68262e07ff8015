"""Limits every request meets before a route sees it: the size of its body, and the characters of
its path and query parameters.

The body limit is plain ASGI, outside FastAPI, so an oversize body is refused before anything reads
or parses it (FastAPI reads the whole body before it validates a single field): a declared
Content-Length over the limit is answered at once without reading a byte; a body of unknown length
(chunked) is read up to the limit, no further, and handed on to the app only if it fits.

The URL check is a dependency of the REST routers, so it can name the parameter it refuses
(`["path", "risk_id"]`, `["query", "interface"]`) with the same 422 problem+json as any other field;
request bodies are checked by the data standard's models themselves (api/schemas/common.py).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from api.interfaces import EXTENSION
from domain.shared.text import find_control_character


class BodySizeLimit:
    """413 problem+json for a request body over `max_bytes` (LEDGER_MAX_BODY_BYTES)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            # The server delivers exactly Content-Length bytes, so a declared length that fits is enough.
            if declared > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        body = await self._read_at_most(receive)
        if body is None:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_at_most(self, receive: Receive) -> bytes | None:
        """The whole body of unknown length, or None as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Connection: close, so the server does not read the rest of a body nobody wants.
        response = problem(413, "body-too-large", "Request body too large",
                           f"The request body exceeds {self.max_bytes} bytes (LEDGER_MAX_BODY_BYTES).",
                           headers={"Connection": "close"}, max_body_bytes=self.max_bytes)
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed Content-Length before we see it
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out the buffered body once, then listens on for the disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def refuse_control_characters_in_url(request: Request) -> None:
    """422 naming each path or query parameter that holds a control character (NUL, ...).

    A route that implements an enterprise interface is named in the call log before refusing,
    as its own dependency does before authenticating: refused calls are logged too.
    """
    errors = [{"loc": ["path", name], "msg": found.message()}
              for name, value in request.path_params.items()
              if isinstance(value, str) and (found := find_control_character(value)) is not None]
    for name, value in request.query_params.multi_items():
        found = find_control_character(name) or find_control_character(value)
        if found is not None:
            errors.append({"loc": ["query", _printable(name)], "msg": found.message()})
    if not errors:
        return
    route = request.scope.get("route")
    interface = (getattr(route, "openapi_extra", None) or {}).get(EXTENSION)
    if interface is not None:
        request.state.interface_code = interface
    raise RequestValidationError(errors)


def _printable(name: str) -> str:
    """A parameter name fit to echo back: control characters escaped (\\x00)."""
    return name if find_control_character(name) is None else name.encode("unicode_escape").decode("ascii")
