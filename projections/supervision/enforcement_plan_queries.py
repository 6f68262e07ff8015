"""The enforcement plan as lists, scoped like every read (projections/scope.py: a plan row carries
the enterprise's placement when it was added, so the scope's conditions apply to it directly).

Order: newest period first, then region and enterprise; keyset-paged on (period, region_code,
credit_code), which is unique (an enterprise is on a month's plan once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select

from projections.live import LiveTables, Snapshot
from projections.scope import ReadScope, region_prefix

NAMES = ("enforcement_plan",)


@dataclass(frozen=True)
class PlanFilter:
    period: str | None = None
    region_code: str | None = None  # a region code: its own and every region below it
    status: str | None = None  # planned | withdrawn


@dataclass(frozen=True)
class PlanRow:
    entry_id: str
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    supervision_level: str
    period: str
    status: str
    reason: str
    origin: str
    added_by: str
    added_at: datetime
    reminder_ids: tuple[str, ...]
    withdrawn_reason: str | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    position: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> PlanRow:
        return cls(**{**{k: row[k] for k in cls.__dataclass_fields__ if k != "reminder_ids"},
                      "reminder_ids": tuple((row["reminder_ids"] or "").split())})


@dataclass(frozen=True)
class PlanPage:
    rows: list[PlanRow]
    next_after: str | None
    as_of_position: int


class EnforcementPlanReads:
    def __init__(self, live: LiveTables) -> None:
        self._live = live

    def page(self, scope: ReadScope, where: PlanFilter, limit: int = 50, after: tuple[str, str, str] | None = None) -> PlanPage:
        def query(snap: Snapshot) -> PlanPage:
            p = snap.tables["rm_enforcement_plan"]
            conditions = _conditions(p, scope, where)
            if after is not None:
                period, region, code = after
                conditions.append(or_(p.c.period < period, and_(p.c.period == period, or_(
                    p.c.region_code > region, and_(p.c.region_code == region, p.c.credit_code > code)))))
            found = [PlanRow.of(dict(m)) for m in snap.conn.execute(
                select(p).where(*conditions).order_by(*_order(p)).limit(limit + 1)).mappings()]
            more = len(found) > limit
            found = found[:limit]
            cursor = f"{found[-1].period}|{found[-1].region_code}|{found[-1].credit_code}" if more and found else None
            return PlanPage(found, cursor, snap.as_of_position)

        return self._live.run(NAMES, query)

    def every(self, scope: ReadScope, where: PlanFilter) -> PlanPage:
        """Every matching row in list order, in one snapshot (the Excel export)."""

        def query(snap: Snapshot) -> PlanPage:
            p = snap.tables["rm_enforcement_plan"]
            found = [PlanRow.of(dict(m)) for m in snap.conn.execute(
                select(p).where(*_conditions(p, scope, where)).order_by(*_order(p))).mappings()]
            return PlanPage(found, None, snap.as_of_position)

        return self._live.run(NAMES, query)

    def entry(self, entry_id: str) -> PlanRow | None:
        def query(snap: Snapshot) -> PlanRow | None:
            p = snap.tables["rm_enforcement_plan"]
            found = snap.conn.execute(select(p).where(p.c.entry_id == entry_id)).mappings().first()
            return PlanRow.of(dict(found)) if found is not None else None

        return self._live.run(NAMES, query)


def _conditions(p: Table, scope: ReadScope, where: PlanFilter) -> list[Any]:
    conditions = scope.conditions(p)
    if where.period is not None:
        conditions.append(p.c.period == where.period)
    if where.status is not None:
        conditions.append(p.c.status == where.status)
    if where.region_code is not None:
        conditions.append(p.c.region_code.startswith(region_prefix(where.region_code), autoescape=True))
    return conditions


def _order(p: Table) -> Sequence[Any]:
    return (p.c.period.desc(), p.c.region_code, p.c.credit_code)
