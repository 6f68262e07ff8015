"""One-time hand-over of a subscription's new client secret.

The secret is written in the same transaction as the approval (or rotation) event, which records
only its hash, and deleted the first time it is shown: to the applicant through the subscription
resource, or to an admin through `ledger subscriptions secret` for offline hand-over."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from adapters.persistence.tables import secret_handover


class SecretHandover:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put_in(self, session: Any, subscription_id: str, secret: str, now: datetime) -> None:
        session.execute(delete(secret_handover).where(secret_handover.c.subscription_id == subscription_id))
        session.execute(insert(secret_handover).values(subscription_id=subscription_id, secret=secret, created_at=now))

    def take(self, subscription_id: str) -> str | None:
        """The secret if it has not been shown yet; never again afterwards."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(secret_handover.c.secret).where(secret_handover.c.subscription_id == subscription_id).with_for_update()
                if self._engine.dialect.name == "postgresql"
                else select(secret_handover.c.secret).where(secret_handover.c.subscription_id == subscription_id)
            ).first()
            if row is None:
                return None
            conn.execute(delete(secret_handover).where(secret_handover.c.subscription_id == subscription_id))
            return row.secret

    def pending(self, subscription_id: str) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(
                select(secret_handover.c.subscription_id).where(secret_handover.c.subscription_id == subscription_id)
            ).first() is not None
