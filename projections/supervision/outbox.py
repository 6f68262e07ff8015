"""The dispatcher's queue: due messages not yet sent, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from projections.live import LiveTables

UNSENT = ("pending", "held", "capped", "retrying")


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    reminder_id: str
    channel: str
    recipient: str
    title: str
    text: str
    status: str
    results: int
    updated_at: datetime


def due_messages(live: LiveTables, now: datetime, limit: int = 200) -> list[QueuedMessage]:
    def query(snap):  # noqa: ANN001, ANN202
        o = snap.tables["rm_outbox"]
        rows = snap.conn.execute(select(o).where(o.c.status.in_(UNSENT), o.c.due_at <= now)
                                 .order_by(o.c.due_at, o.c.message_id).limit(limit)).mappings()
        return [QueuedMessage(r["message_id"], r["reminder_id"], r["channel"], r["recipient"], r["title"], r["text"],
                              r["status"], r["results"], r["updated_at"]) for r in rows]

    return live.run(["reminders"], query)
