"""Reads the event store's table directly with SQLAlchemy Core, for what the library's recorder does
not offer: an aggregate's events together with their notification positions (the audit view)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from sqlalchemy import select


@dataclass(frozen=True)
class PositionedEvent:
    position: int
    version: int
    topic: str
    event: Any


class EventReader:
    def __init__(self, app: Application) -> None:
        self._app = app
        recorder: Any = app.recorder
        self._table = recorder.events_record_cls.__table__
        self._engine = recorder.datastore.engine

    def aggregate_events(self, aggregate_id: UUID) -> list[PositionedEvent]:
        t = self._table
        query = (
            select(t.c.id, t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state)
            .where(t.c.originator_id == aggregate_id)
            .order_by(t.c.originator_version)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            PositionedEvent(
                position=row.id,
                version=row.originator_version,
                topic=row.topic,
                event=self._app.mapper.to_domain_event(
                    StoredEvent(row.originator_id, row.originator_version, row.topic, bytes(row.state))
                ),
            )
            for row in rows
        ]

    def head(self) -> int:
        return self._app.recorder.max_notification_id() or 0
