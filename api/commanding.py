"""Run one command for a route: replay a stored answer for a repeated Idempotency-Key, otherwise
execute, answer, and store the answer atomically with the events it wrote."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from adapters.persistence.idempotency import StoredResponse
from api.bootstrap import Services
from api.deps import CommandCall
from api.errors import IdempotencyKeyReused
from domain.shared.commands import CommandContext, OnRecorded, Receipt

Respond = Callable[[Receipt], tuple[int, dict[str, Any]]]


def receipt_body(receipt: Receipt, id_name: str) -> dict[str, Any]:
    return {id_name: str(receipt.aggregate_id), "version": receipt.version, "position": receipt.position}


def created(id_name: str) -> Respond:
    """201 when the create wrote events, 200 for an identical repeat that wrote nothing."""
    return lambda r: (201 if r.position is not None else 200, receipt_body(r, id_name))


def changed(id_name: str) -> Respond:
    return lambda r: (200, receipt_body(r, id_name))


def execute(
    call: CommandCall, run: Callable[[CommandContext], Receipt], respond: Respond, also: OnRecorded | None = None
) -> JSONResponse:
    """`also` runs inside the commit transaction too (e.g. the one-time secret hand-over)."""
    services = call.services
    key, principal = call.idempotency_key, call.principal.actor
    if key is not None and (replay := _replay(services, call)) is not None:
        return replay

    def remember(receipt: Receipt, session: Any) -> None:
        status, body = respond(receipt)
        row = services.idempotency.row(principal, key, StoredResponse(call.fingerprint, status, body), call.meta.recorded_at)
        services.idempotency.save_in(session, row)

    hooks = [hook for hook in (remember if key is not None else None, also) if hook is not None]

    def on_recorded(receipt: Receipt, session: Any) -> None:
        for hook in hooks:
            hook(receipt, session)

    context = CommandContext(call.meta, call.expected_version, on_recorded if hooks else None)
    try:
        receipt = run(context)
        status, body = respond(receipt)
        if key is not None and receipt.position is None:  # nothing written, so no transaction stored it
            services.idempotency.save(
                services.idempotency.row(principal, key, StoredResponse(call.fingerprint, status, body), call.meta.recorded_at)
            )
    except Exception:
        # A concurrent retry with the same key may have won the race: answer as it did.
        if key is not None and (replay := _replay(services, call)) is not None:
            return replay
        raise
    return _answer(status, body, call, replayed=False)


def _replay(services: Services, call: CommandCall) -> JSONResponse | None:
    stored = services.idempotency.find(call.principal.actor, call.idempotency_key or "")
    if stored is None:
        return None
    if stored.fingerprint != call.fingerprint:
        raise IdempotencyKeyReused(f"key {call.idempotency_key!r} was first used for a different request")
    return _answer(stored.status, stored.body, call, replayed=True)


def _answer(status: int, body: dict[str, Any], call: CommandCall, replayed: bool) -> JSONResponse:
    headers = {"ETag": f'"{body["version"]}"'} if "version" in body else {}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)
