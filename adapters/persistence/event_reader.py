"""Reads the event store's table directly with SQLAlchemy Core, for what the library's recorder does
not offer: an aggregate's events together with their notification positions, and events by
position (the audit views)."""

from __future__ import annotations

from collections.abc import Iterable
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
    aggregate_id: UUID | None = None


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
        return [self._positioned(row) for row in rows]

    def events_at(self, positions: Iterable[int]) -> dict[int, PositionedEvent]:
        """The events at these notification positions (ids), by position; positions not in the
        log are absent. One statement per 1,000 positions."""
        wanted = sorted(set(positions))
        t = self._table
        found: dict[int, PositionedEvent] = {}
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), 1000):
                query = (select(t.c.id, t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state)
                         .where(t.c.id.in_(wanted[i:i + 1000])))
                for row in conn.execute(query):
                    found[row.id] = self._positioned(row)
        return found

    def _positioned(self, row: Any) -> PositionedEvent:
        return PositionedEvent(
            position=row.id, version=row.originator_version, topic=row.topic,
            event=self._app.mapper.to_domain_event(
                StoredEvent(row.originator_id, row.originator_version, row.topic, bytes(row.state))),
            aggregate_id=row.originator_id,
        )

    def head(self) -> int:
        return self._app.recorder.max_notification_id() or 0
