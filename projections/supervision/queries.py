"""Reminder lists and inboxes, scoped like every read (projections/scope.py: the reminder rows
carry the enterprise's placement, so the scope's conditions apply to them directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from domain.reminders.days import CHINA
from projections.live import LiveTables, Snapshot
from projections.scope import ReadScope

MAX_PAGE = 500


@dataclass(frozen=True)
class ReminderFilter:
    kind: str | None = None
    status: str | None = None
    credit_code: str | None = None
    since: date | None = None  # raised on or after (China day)
    until: date | None = None  # raised on or before


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_after: str | None
    as_of_position: int


class ReminderReads:
    def __init__(self, live: LiveTables) -> None:
        self._live = live

    def page(self, scope: ReadScope, where: ReminderFilter, limit: int = 50, after: str | None = None) -> Page:
        """Newest first, keyset-paged on (raised_at, reminder_id) encoded as `after`."""

        def query(snap: Snapshot) -> Page:
            r = snap.tables["rm_reminders"]
            conditions = scope.conditions(r)
            for column, value in (("kind", where.kind), ("status", where.status), ("credit_code", where.credit_code)):
                if value is not None:
                    conditions.append(r.c[column] == value)
            if where.since is not None:
                conditions.append(r.c.raised_at >= _day_start(where.since))
            if where.until is not None:
                conditions.append(r.c.raised_at < _day_start(where.until, 1))
            if after:
                at, _, rid = after.partition("|")
                moment = datetime.fromisoformat(at)
                conditions.append(or_(r.c.raised_at < moment, and_(r.c.raised_at == moment, r.c.reminder_id < rid)))
            rows = [dict(m) for m in snap.conn.execute(
                select(r).where(*conditions).order_by(r.c.raised_at.desc(), r.c.reminder_id.desc()).limit(limit + 1))
                .mappings()]
            more = len(rows) > limit
            rows = rows[:limit]
            cursor = f"{rows[-1]['raised_at'].isoformat()}|{rows[-1]['reminder_id']}" if more and rows else None
            return Page(rows, cursor, snap.as_of_position)

        return self._live.run(["reminders"], query)

    def placement(self, reminder_id: str) -> dict[str, Any] | None:
        def query(snap: Snapshot) -> dict[str, Any] | None:
            r = snap.tables["rm_reminders"]
            found = snap.conn.execute(select(r).where(r.c.reminder_id == reminder_id)).mappings().first()
            return dict(found) if found is not None else None

        return self._live.run(["reminders"], query)

    def inbox(self, recipients: list[str], limit: int = 50, before: datetime | None = None,
              unread_only: bool = False) -> tuple[list[dict[str, Any]], int, int]:
        """(messages newest first, unread count, as_of_position)."""

        def query(snap: Snapshot) -> tuple[list[dict[str, Any]], int, int]:
            i = snap.tables["rm_inbox"]
            mine = i.c.recipient.in_(recipients)
            conditions = [mine]
            if before is not None:
                conditions.append(i.c.created_at < before)
            if unread_only:
                conditions.append(i.c.read_at.is_(None))
            rows = [dict(m) for m in snap.conn.execute(
                select(i).where(*conditions).order_by(i.c.created_at.desc(), i.c.message_id).limit(limit)).mappings()]
            unread = snap.conn.execute(select(func.count()).select_from(i).where(mine, i.c.read_at.is_(None))).scalar_one()
            return rows, int(unread), snap.as_of_position

        return self._live.run(["reminders"], query)

    def message(self, message_id: str, recipients: list[str]) -> dict[str, Any] | None:
        def query(snap: Snapshot) -> dict[str, Any] | None:
            i = snap.tables["rm_inbox"]
            found = snap.conn.execute(select(i).where(i.c.message_id == message_id, i.c.recipient.in_(recipients))) \
                .mappings().first()
            return dict(found) if found is not None else None

        return self._live.run(["reminders"], query)


def _day_start(day: date, plus_days: int = 0) -> datetime:
    """Midnight China time starting `day` (+ days): the list's from/to are China days."""
    return datetime.combine(day + timedelta(days=plus_days), datetime.min.time(), CHINA)
