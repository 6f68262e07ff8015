"""Idempotency-Key support: the first response of a command is stored (atomically with its events
when it wrote any) and replayed for a retry with the same key and the same body."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from adapters.persistence.tables import idempotency


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


class IdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, principal: str, key: str) -> StoredResponse | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(idempotency.c.fingerprint, idempotency.c.status, idempotency.c.body).where(
                    idempotency.c.principal == principal, idempotency.c.key == key
                )
            ).first()
        return StoredResponse(row.fingerprint, row.status, json.loads(row.body)) if row else None

    def row(self, principal: str, key: str, response: StoredResponse, now: datetime) -> dict[str, Any]:
        return {
            "principal": principal, "key": key, "fingerprint": response.fingerprint,
            "status": response.status, "body": json.dumps(response.body), "created_at": now,
        }

    def save_in(self, session: Any, row: dict[str, Any]) -> None:
        """Inside the commit transaction of the command's events (a SQLAlchemy session)."""
        session.execute(insert(idempotency).values(**row))

    def save(self, row: dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(idempotency).values(**row))
