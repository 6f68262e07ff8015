"""Drill-down by region, industry and period (seed package A, 1.4.2.4), over the read models.

For a scope (region code, optional industry) and a period [date_from, date_to] of business dates
(Asia/Shanghai):
- enterprises: registered by the end of the period and not deregistered by then (their current
  region and industry are used);
- risk_identified: of those, enterprises with a risk identified or changed (level change or
  measures revision) on a day of the period; risk_not_identified: the rest;
- hazard_registered: enterprises that registered a hazard or recorded an inspection (found
  nothing or not) on a day of the period; hazard_not_registered: the rest.

A call is a bounded number of statements whatever the scope: the tracking rows, one GROUP BY over
the drill-down facts (child region x industry; each row knows its reporting days, see
projections/analytics/facts.py), from which totals, the industry split and the children are summed
in Python, and one keyset page of enterprises (facts joined to the enterprise register) with their
status. Every result carries `as_of_position`, the smaller position of the projections read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, case, exists, func, literal, not_, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from domain.shared.regions import Region, RegionLevel, henan_regions
from projections.analytics.facts import day_number
from projections.live import LiveTables, Snapshot
from projections.register.fold import OPEN_STATUSES
from projections.scope import ReadScope
from projections.sql import day_start

READS = ("registers", "drilldown")
FILTERS = ("risk_identified", "risk_not_identified", "hazard_registered", "hazard_not_registered")
MAX_PAGE = 500


def empty_totals() -> dict[str, int]:
    return {"enterprises": 0, "risk_identified": 0, "risk_not_identified": 0,
            "hazard_registered": 0, "hazard_not_registered": 0}


def _add(totals: dict[str, int], enterprises: int, risk: int, hazard: int) -> None:
    totals["enterprises"] += enterprises
    totals["risk_identified"] += risk
    totals["risk_not_identified"] += enterprises - risk
    totals["hazard_registered"] += hazard
    totals["hazard_not_registered"] += enterprises - hazard


def region_info(region: Region) -> dict[str, str]:
    return {"code": region.code, "name": region.name, "level": region.level.value}


class Analytics:
    def __init__(self, engine: Engine, live: LiveTables | None = None) -> None:
        self.live = live or LiveTables(engine)

    def drilldown(
        self,
        region_code: str,
        industry: str | None,
        date_from: date,
        date_to: date,
        now: datetime,
        *,
        first: int = 50,
        after: str | None = None,
        status: str | None = None,
        scope: ReadScope | None = None,
    ) -> dict[str, Any]:
        """Totals, by industry, children regions, and a page of enterprises (keyset on credit code:
        `after` is the last credit code of the previous page). `scope` restricts every figure to
        the enterprises the caller may see (projections/scope.py)."""
        region = henan_regions().get(region_code)
        if region is None:
            raise ValueError(f"unknown region code {region_code!r}")
        if date_to < date_from:
            raise ValueError("date_to is before date_from")
        if status is not None and status not in FILTERS:
            raise ValueError(f"unknown status filter {status!r}; expected one of {', '.join(FILTERS)}")
        first = max(1, min(first, MAX_PAGE))
        visible = scope or ReadScope()

        def query(snap: Snapshot) -> dict[str, Any]:
            scope = _Scope(snap.tables, region, industry, date_from, date_to, visible, snap.conn.dialect.name)
            totals, by_industry, children = self._grouped(snap, scope, region)
            page = self._page(snap, scope, now, first, after, status)
            return {
                "as_of_position": snap.as_of_position,
                "region": region_info(region),
                "industry": industry,
                "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
                "totals": totals,
                "by_industry": by_industry,
                "children": children,
                "enterprises": page,
            }

        return self.live.run(READS, query)

    def _grouped(self, snap: Snapshot, scope: _Scope, region: Region) -> tuple[dict, list, list]:
        e = scope.f
        child = {
            RegionLevel.PROVINCE: func.coalesce(e.c.city_code, e.c.county_code),
            RegionLevel.CITY: e.c.county_code,
        }.get(region.level)  # a county has no children
        keys = [e.c.industry] if child is None else [child, e.c.industry]
        query = (
            select(
                (literal(None) if child is None else child).label("child"), e.c.industry, func.count().label("n"),
                # FILTER rather than SUM(CASE ...): ~20 % less per row on the province's 100k rows.
                func.count().filter(scope.risk_flag).label("risk"),
                func.count().filter(scope.hazard_flag).label("hazard"),
            )
            .where(*scope.conditions)
            .group_by(*keys)
        )
        totals = empty_totals()
        industries: dict[str, dict[str, int]] = {}
        by_child: dict[str, dict[str, int]] = {}
        with _parallel(snap.conn, region.level is RegionLevel.PROVINCE):
            rows = snap.conn.execute(query).all()
        for row in rows:
            n, risk, hazard = int(row.n), int(row.risk or 0), int(row.hazard or 0)
            _add(totals, n, risk, hazard)
            _add(industries.setdefault(row.industry, empty_totals()), n, risk, hazard)
            if row.child is not None:
                _add(by_child.setdefault(row.child, empty_totals()), n, risk, hazard)
        table = henan_regions()
        children = [] if region.level is RegionLevel.COUNTY else table.children(region.code)
        known = {r.code for r in children}
        children += [r for code in sorted(by_child) if code not in known and (r := table.get(code)) is not None]
        return (
            totals,
            [{"industry": name, "totals": industries[name]} for name in sorted(industries)],
            [{"region": region_info(r), "totals": by_child.get(r.code, empty_totals())} for r in children],
        )

    def _page(
        self, snap: Snapshot, scope: _Scope, now: datetime, first: int, after: str | None, status: str | None
    ) -> dict[str, Any]:
        f, e, h = scope.f, snap.tables["rm_enterprises"], snap.tables["rm_hazards"]
        overdue = (
            select(func.count()).select_from(h)
            .where(h.c.enterprise_id == e.c.enterprise_id, h.c.status.in_(OPEN_STATUSES),
                   h.c.rectification_deadline < now)
            .scalar_subquery()
        )
        conditions = [*scope.conditions, e.c.enterprise_id == f.c.enterprise_id]
        if after is not None:
            conditions.append(f.c.credit_code > after)
        if status is not None:
            flag = scope.risk_flag if status.startswith("risk") else scope.hazard_flag
            conditions.append(not_(flag) if "_not_" in status else flag)
        query = (
            select(
                e.c.enterprise_id, e.c.credit_code, e.c.name, e.c.region_code, e.c.province_code, e.c.city_code,
                e.c.county_code, e.c.industry, e.c.supervision_level, e.c.status, e.c.registered_at,
                e.c.deregistered_at, e.c.first_risk_identified_at, e.c.last_risk_report_at,
                e.c.last_hazard_registered_at, e.c.last_inspection_at, e.c.risks_low, e.c.risks_general,
                e.c.risks_significant, e.c.risks_major, e.c.hazards_open_general, e.c.hazards_open_major,
                case((scope.risk_flag, True), else_=False).label("risk_identified"),
                case((scope.hazard_flag, True), else_=False).label("hazard_registered"),
                overdue.label("overdue_rectifications"),
            )
            .where(*conditions)
            .order_by(f.c.credit_code)
            .limit(first + 1)
        )
        items = [dict(row._mapping) for row in snap.conn.execute(query)]
        has_next = len(items) > first
        items = items[:first]
        for item in items:
            item["risk_identified"] = bool(item["risk_identified"])
            item["hazard_registered"] = bool(item["hazard_registered"])
        return {"items": items, "has_next": has_next, "end_cursor": items[-1]["credit_code"] if items else None}


@contextmanager
def _parallel(conn: Connection, wanted: bool) -> Iterator[None]:
    """Let PostgreSQL scan a province's facts with parallel workers.

    Its default costs (parallel_setup_cost 1000, parallel_tuple_cost 0.1) keep the grouped
    statement serial on 100,000 rows; in parallel (two workers and the leader, each aggregating
    its share) it took 40 instead of 56 ms on the bench's province. Only for the province's
    grouped statement: a city's reads its rows through the city index (18 ms serial, 32 ms when
    forced into a parallel scan), and the page stays serial."""
    if not wanted or conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("SET LOCAL parallel_setup_cost = 0")
    conn.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0")
    try:
        yield
    finally:
        conn.exec_driver_sql("SET LOCAL parallel_setup_cost TO DEFAULT")
        conn.exec_driver_sql("SET LOCAL parallel_tuple_cost TO DEFAULT")


class _Scope:
    """The WHERE clause of a drill-down over the facts table, and its two per-enterprise flags."""

    def __init__(
        self, tables: Mapping[str, Table], region: Region, industry: str | None, date_from: date, date_to: date,
        visible: ReadScope, dialect: str,
    ) -> None:
        f = tables["rm_drilldown_facts"]
        self.f = f
        end = day_start(date_to + timedelta(days=1))
        column = {RegionLevel.PROVINCE: f.c.province_code, RegionLevel.CITY: f.c.city_code}.get(
            region.level, f.c.county_code
        )
        self.conditions: list[ColumnElement[bool]] = [
            column == region.code,
            f.c.registered_at < end,
            or_(f.c.deregistered_at.is_(None), f.c.deregistered_at >= end),
        ]
        if industry is not None:
            self.conditions.append(f.c.industry == industry)
        self.conditions += visible.conditions(f)
        first, last = day_number(date_from), day_number(date_to)
        self.risk_flag = _reported(dialect, f.c.risk_days, first, last)
        self.hazard_flag = _reported(dialect, f.c.hazard_days, first, last)


def _reported(dialect: str, days: Any, first: int, last: int) -> ColumnElement[bool]:
    """Whether a sorted day list has a day in [first, last].

    PostgreSQL: width_bucket(x, sorted array) is the number of elements <= x (a binary search in
    C), so the difference counts the days in the range without unnesting. Other databases (SQLite,
    development data): an EXISTS over json_each."""
    if dialect == "postgresql":
        return func.width_bucket(last, days) > func.width_bucket(first - 1, days)
    each = func.json_each(days).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value.between(first, last)))
