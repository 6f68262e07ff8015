"""时限监察 (time-limit supervision, county seed): what is past its deadline right now, in scope.

- Overdue rectifications: hazards still open (rectifying or awaiting acceptance) whose
  rectification deadline has passed (the registers' rm_hazards, as the `hazards(overdue)` filter).
- Overdue escalations: escalations whose supervisors' response deadline (`respond_by`, a business
  day) has passed with nobody answering that step, while the reminder is still open (not resolved
  or closed): the closed-loop facts. A step that climbed to the next tier stays on the list
  (`climbed`): the scan escalates the first day after the deadline, so "current steps only" would
  hide almost every late county and city supervisor.

Days overdue are calendar days in Asia/Shanghai from the deadline's day to today's: a deadline of
yesterday is 1 day overdue. Most overdue first; keyset pages on (deadline, id), `total` counts the
whole list. Every page names the `as_of_position` it reflects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from domain.reminders.days import china_day
from projections.live import LiveTables, Snapshot
from projections.register.fold import OPEN_STATUSES
from projections.scope import ReadScope, region_prefix

MAX_PAGE = 500
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class TimeLimitPage:
    rows: list[dict[str, Any]]
    total: int
    has_next: bool
    end_cursor: str | None  # "<deadline iso>|<id>" of the last row
    as_of_position: int


@dataclass(frozen=True)
class Where:
    scope: ReadScope
    region_code: str | None = None
    industry: str | None = None


def _split(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    deadline, _, key = cursor.partition("|")
    return deadline, key


class TimeLimitReads:
    def __init__(self, live: LiveTables) -> None:
        self._live = live

    def overdue_rectifications(self, where: Where, now: datetime, first: int = 50, after: str | None = None) -> TimeLimitPage:
        def query(snap: Snapshot) -> TimeLimitPage:
            e, h = snap.tables["rm_enterprises"], snap.tables["rm_hazards"]
            conditions = [h.c.enterprise_id == e.c.enterprise_id, h.c.status.in_(OPEN_STATUSES),
                          h.c.rectification_deadline < now, *where.scope.conditions(e), *_placement(e, where)]
            total = snap.conn.execute(select(func.count()).select_from(h).join(e, h.c.enterprise_id == e.c.enterprise_id)
                                      .where(*conditions)).scalar_one()
            if (cursor := _split(after)) is not None:
                moment = datetime.fromisoformat(cursor[0])
                conditions.append(or_(h.c.rectification_deadline > moment,
                                      and_(h.c.rectification_deadline == moment, h.c.hazard_id > cursor[1])))
            size = max(1, min(first, MAX_PAGE))
            stmt = (select(h.c.hazard_id, h.c.hazard_code, h.c.name, h.c.level, h.c.status, h.c.responsible_person,
                           h.c.rectification_deadline, e.c.credit_code, e.c.name.label("enterprise_name"),
                           e.c.region_code, e.c.industry, e.c.supervision_level)
                    .where(*conditions).order_by(h.c.rectification_deadline, h.c.hazard_id).limit(size + 1))
            rows = [dict(m) for m in snap.conn.execute(stmt).mappings()]
            today = china_day(now)
            for row in rows:
                row["days_overdue"] = (today - china_day(row["rectification_deadline"])).days
            return _page(rows, size, total, snap.as_of_position,
                         lambda r: f"{r['rectification_deadline'].isoformat()}|{r['hazard_id']}")

        return self._live.run(["registers"], query)

    def overdue_escalations(self, where: Where, now: datetime, first: int = 50, after: str | None = None) -> TimeLimitPage:
        today = china_day(now)

        def query(snap: Snapshot) -> TimeLimitPage:
            x = snap.tables["rm_cl_escalations"]
            conditions = [x.c.respond_by < today, x.c.answered_position.is_(None), x.c.ended_position.is_(None),
                          *where.scope.conditions(x), *_placement(x, where)]
            total = snap.conn.execute(select(func.count()).select_from(x).where(*conditions)).scalar_one()
            if (cursor := _split(after)) is not None:
                day = date.fromisoformat(cursor[0])
                conditions.append(or_(x.c.respond_by > day, and_(x.c.respond_by == day, x.c.escalation_key > cursor[1])))
            size = max(1, min(first, MAX_PAGE))
            stmt = (select(x.c.escalation_key, x.c.reminder_id, x.c.credit_code, x.c.enterprise_name, x.c.region_code,
                           x.c.industry, x.c.supervision_level, x.c.kind, x.c.level, x.c.tier, x.c.escalated_at,
                           x.c.respond_by, x.c.usernames, x.c.next_position)
                    .where(*conditions).order_by(x.c.respond_by, x.c.escalation_key).limit(size + 1))
            rows = [dict(m) for m in snap.conn.execute(stmt).mappings()]
            for row in rows:
                row["days_overdue"] = (today - row["respond_by"]).days
                row["usernames"] = list(row["usernames"] or [])
                row["climbed"] = row.pop("next_position") is not None
            return _page(rows, size, total, snap.as_of_position,
                         lambda r: f"{r['respond_by'].isoformat()}|{r['escalation_key']}")

        return self._live.run(["closed_loop"], query)

    def export(self, where: Where, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """Both lists whole (for the .xlsx), read page by page, and the smallest position a page
        reflected (the lists are as of at least that position)."""
        positions: list[int] = []
        rectifications = _all(lambda after: self.overdue_rectifications(where, now, EXPORT_BATCH, after), positions)
        escalations = _all(lambda after: self.overdue_escalations(where, now, EXPORT_BATCH, after), positions)
        return rectifications, escalations, min(positions)


def _all(fetch: Callable[[str | None], TimeLimitPage], positions: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = fetch(after)
        positions.append(page.as_of_position)
        rows.extend(page.rows)
        if not page.has_next:
            return rows
        after = page.end_cursor


def _placement(table: Any, where: Where) -> list[Any]:
    found = []
    if where.region_code:
        found.append(table.c.region_code.startswith(region_prefix(where.region_code), autoescape=True))
    if where.industry:
        found.append(table.c.industry == where.industry)
    return found


def _page(rows: list[dict[str, Any]], size: int, total: int, position: int, cursor: Any) -> TimeLimitPage:
    has_next = len(rows) > size
    rows = rows[:size]
    return TimeLimitPage(rows, int(total), has_next, cursor(rows[-1]) if rows else None, position)

