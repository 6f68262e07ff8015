"""The auditor's history over the audit index (projections/audit_history/projection.py): which
positions match a filter, in log order, paged by position.

The index is a read model, so it lags the log: `indexed_through` (its tracking position) says up
to which position an answer is complete. The events themselves are read from the event store by
the caller (api/rest/audit.py), so what an auditor sees of an event is what the log holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from projections.audit_history.projection import AuditIndexProjection
from projections.live import LiveTables, Snapshot

READS = ("audit_index",)
MAX_LIMIT = 1000


@dataclass(frozen=True)
class HistoryFilter:
    """Every field narrows; None means any. Times are recorded times (the ledger's clock when it
    accepted the command, `Meta.recorded_at`): `since` inclusive, `until` exclusive."""

    credit_code: str | None = None
    actor: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class IndexedEvent:
    position: int
    aggregate_id: str
    credit_code: str | None
    request_id: str | None


@dataclass(frozen=True)
class HistoryPage:
    rows: list[IndexedEvent]
    has_next: bool
    indexed_through: int  # the index reflects every event up to this position


class AuditHistory:
    def __init__(self, engine: Engine, live: LiveTables | None = None) -> None:
        self.live = live or LiveTables(engine, [AuditIndexProjection()])

    def page(self, f: HistoryFilter, after_position: int = 0, limit: int = 100) -> HistoryPage:
        """Up to `limit` matching events after `after_position`, in log order."""
        limit = max(1, min(limit, MAX_LIMIT))

        def query(snap: Snapshot) -> HistoryPage:
            x = snap.tables["rm_audit_events"]
            rows = snap.conn.execute(
                select(x.c.position, x.c.aggregate_id, x.c.credit_code, x.c.request_id)
                .where(*_where(x, f), x.c.position > after_position).order_by(x.c.position).limit(limit + 1)).all()
            found = [IndexedEvent(r.position, r.aggregate_id, r.credit_code, r.request_id) for r in rows[:limit]]
            return HistoryPage(found, len(rows) > limit, snap.as_of_position)

        return self.live.run(READS, query)

    def pages(self, f: HistoryFilter, after_position: int = 0, chunk: int = MAX_LIMIT) -> Iterator[HistoryPage]:
        """Every matching event, a page at a time (keyset on position: each page is one short
        statement, so an export of millions holds one page in memory and no long transaction)."""
        while True:
            page = self.page(f, after_position, chunk)
            yield page
            if not page.has_next or not page.rows:
                return
            after_position = page.rows[-1].position

    def by_request(self, request_ids: list[str], limit: int = MAX_LIMIT) -> list[IndexedEvent]:
        """The events recorded for these request ids (the call log's link), in log order."""
        if not request_ids:
            return []

        def query(snap: Snapshot) -> list[IndexedEvent]:
            x = snap.tables["rm_audit_events"]
            rows = snap.conn.execute(
                select(x.c.position, x.c.aggregate_id, x.c.credit_code, x.c.request_id)
                .where(x.c.request_id.in_(request_ids)).order_by(x.c.position).limit(limit)).all()
            return [IndexedEvent(r.position, r.aggregate_id, r.credit_code, r.request_id) for r in rows]

        return self.live.run(READS, query)

    def indexed_through(self) -> int:
        return self.live.run(READS, lambda snap: snap.as_of_position)

    def credit_code_of(self, aggregate_id: str) -> str | None:
        def query(snap: Snapshot) -> str | None:
            o = snap.tables["rm_audit_owners"]
            return snap.conn.execute(select(o.c.credit_code).where(o.c.aggregate_id == aggregate_id)).scalar()

        return self.live.run(READS, query)


def _where(x: Any, f: HistoryFilter) -> list[Any]:
    conditions: list[Any] = []
    if f.credit_code is not None:
        conditions.append(x.c.credit_code == f.credit_code)
    if f.actor is not None:
        conditions.append(x.c.actor == f.actor)
    if f.type is not None:
        conditions.append(x.c.type == f.type)
    if f.since is not None:
        conditions.append(x.c.recorded_at >= f.since)
    if f.until is not None:
        conditions.append(x.c.recorded_at < f.until)
    return conditions
