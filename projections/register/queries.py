"""Lists and detail views over the registers: an enterprise with its risks, hazards and
inspections, and filtered, keyset-paginated lists of risks, hazards and inspections (the GraphQL
connections read these). Batch lookups for DataLoaders are in projections/register/lookups.py.

Region and industry filters join the enterprise register, so an enterprise that moves region is
listed under its current one. Overdue is computed against the caller's `now`: open (rectifying
or awaiting acceptance) with the rectification deadline before it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, func, select
from sqlalchemy.engine import Engine

from domain.shared.regions import RegionLevel, henan_regions
from projections.live import LiveTables, Snapshot
from projections.register.fold import OPEN_STATUSES
from projections.scope import ReadScope

EVERYTHING = ReadScope()

MAX_PAGE = 500


def _region_condition(e: Table, region_code: str) -> Any:
    region = henan_regions().get(region_code)
    if region is None:
        raise ValueError(f"unknown region code {region_code!r}")
    column = {RegionLevel.PROVINCE: e.c.province_code, RegionLevel.CITY: e.c.city_code}.get(
        region.level, e.c.county_code
    )
    return column == region.code


def _overdue(h: Table, now: datetime) -> Any:
    return and_(h.c.status.in_(OPEN_STATUSES), h.c.rectification_deadline < now)


class Registers:
    def __init__(self, engine: Engine, live: LiveTables | None = None) -> None:
        self.live = live or LiveTables(engine)

    def enterprise(self, credit_code: str, now: datetime) -> dict[str, Any] | None:
        """The enterprise's register row, its risks, hazards and inspections (latest first), in 4
        statements, or None."""

        def query(snap: Snapshot) -> dict[str, Any] | None:
            e, r, h = snap.tables["rm_enterprises"], snap.tables["rm_risks"], snap.tables["rm_hazards"]
            i = snap.tables["rm_inspections"]
            found = snap.conn.execute(select(e).where(e.c.credit_code == credit_code)).mappings().first()
            if found is None:
                return None
            enterprise = dict(found)
            risks = [dict(m) for m in snap.conn.execute(
                select(r).where(r.c.enterprise_id == enterprise["enterprise_id"]).order_by(r.c.risk_code)
            ).mappings()]
            hazards = [dict(m) for m in snap.conn.execute(
                select(h, _overdue(h, now).label("overdue"))
                .where(h.c.enterprise_id == enterprise["enterprise_id"]).order_by(h.c.hazard_code)
            ).mappings()]
            for hazard in hazards:
                hazard["overdue"] = bool(hazard["overdue"])
            enterprise["overdue_rectifications"] = sum(1 for hz in hazards if hz["overdue"])
            inspections = [dict(m) for m in snap.conn.execute(
                select(i).where(i.c.enterprise_id == enterprise["enterprise_id"])
                .order_by(i.c.performed_at.desc(), i.c.inspection_id)
            ).mappings()]
            return {
                "as_of_position": snap.as_of_position, "enterprise": enterprise, "risks": risks, "hazards": hazards,
                "inspections": inspections,
            }

        return self.live.run(("registers",), query)

    def risks(
        self, *, credit_code: str | None = None, region_code: str | None = None, industry: str | None = None,
        level: int | None = None, status: str | None = None, first: int = 50, after: str | None = None,
        scope: ReadScope | None = None,
    ) -> dict[str, Any]:
        """Risks matching the filters, ordered by risk id; `after` is the previous page's last id.
        `scope` limits them to the enterprises the caller may see (projections/scope.py)."""

        def query(snap: Snapshot) -> dict[str, Any]:
            e, r = snap.tables["rm_enterprises"], snap.tables["rm_risks"]
            conditions = [r.c.enterprise_id == e.c.enterprise_id, *(scope or EVERYTHING).conditions(e)]
            conditions += _enterprise_filters(e, credit_code, region_code, industry)
            if level is not None:
                conditions.append(r.c.level == level)
            if status is not None:
                conditions.append(r.c.status == status)
            if after is not None:
                conditions.append(r.c.risk_id > after)
            stmt = select(r, e.c.credit_code).where(*conditions).order_by(r.c.risk_id)
            return _page(snap, stmt, first, "risk_id")

        return self.live.run(("registers",), query)

    def hazards(
        self, now: datetime, *, credit_code: str | None = None, region_code: str | None = None,
        industry: str | None = None, level: str | None = None, status: str | None = None,
        overdue: bool | None = None, first: int = 50, after: str | None = None, scope: ReadScope | None = None,
    ) -> dict[str, Any]:
        """Hazards matching the filters (overdue as of `now`), ordered by hazard id."""

        def query(snap: Snapshot) -> dict[str, Any]:
            e, h = snap.tables["rm_enterprises"], snap.tables["rm_hazards"]
            late = _overdue(h, now)
            conditions = [h.c.enterprise_id == e.c.enterprise_id, *(scope or EVERYTHING).conditions(e)]
            conditions += _enterprise_filters(e, credit_code, region_code, industry)
            if level is not None:
                conditions.append(h.c.level == level)
            if status is not None:
                conditions.append(h.c.status == status)
            if overdue is not None:
                conditions.append(late if overdue else ~late)
            if after is not None:
                conditions.append(h.c.hazard_id > after)
            stmt = select(h, e.c.credit_code, late.label("overdue")).where(*conditions).order_by(h.c.hazard_id)
            page = _page(snap, stmt, first, "hazard_id")
            for item in page["items"]:
                item["overdue"] = bool(item["overdue"])
            return page

        return self.live.run(("registers",), query)

    def inspections(
        self, *, credit_code: str | None = None, region_code: str | None = None, industry: str | None = None,
        first: int = 50, after: str | None = None, scope: ReadScope | None = None,
    ) -> dict[str, Any]:
        """Investigation records matching the filters, ordered by inspection id."""

        def query(snap: Snapshot) -> dict[str, Any]:
            e, i = snap.tables["rm_enterprises"], snap.tables["rm_inspections"]
            conditions = [i.c.enterprise_id == e.c.enterprise_id, *(scope or EVERYTHING).conditions(e)]
            conditions += _enterprise_filters(e, credit_code, region_code, industry)
            if after is not None:
                conditions.append(i.c.inspection_id > after)
            stmt = select(i, e.c.credit_code).where(*conditions).order_by(i.c.inspection_id)
            return _page(snap, stmt, first, "inspection_id")

        return self.live.run(("registers",), query)

    def counts(self) -> dict[str, int]:
        """Row counts of the registers (operations and tests)."""

        def query(snap: Snapshot) -> dict[str, int]:
            return {
                name: snap.conn.execute(select(func.count()).select_from(snap.tables[name])).scalar_one()
                for name in ("rm_enterprises", "rm_risks", "rm_hazards", "rm_inspections")
            }

        return self.live.run(("registers",), query)


def _enterprise_filters(e: Table, credit_code: str | None, region_code: str | None, industry: str | None) -> list[Any]:
    conditions = []
    if credit_code is not None:
        conditions.append(e.c.credit_code == credit_code)
    if region_code is not None:
        conditions.append(_region_condition(e, region_code))
    if industry is not None:
        conditions.append(e.c.industry == industry)
    return conditions


def _page(snap: Snapshot, stmt: Any, first: int, key: str) -> dict[str, Any]:
    first = max(1, min(first, MAX_PAGE))
    items = [dict(m) for m in snap.conn.execute(stmt.limit(first + 1)).mappings()]
    has_next = len(items) > first
    items = items[:first]
    return {
        "as_of_position": snap.as_of_position, "items": items, "has_next": has_next,
        "end_cursor": items[-1][key] if items else None,
    }
