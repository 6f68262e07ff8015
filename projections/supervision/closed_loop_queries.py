"""The closed-loop report over the closed-loop facts (projections/supervision/closed_loop.py).

Every call is pinned to a log position P and a day D:
- P (`as_of_position`): the read model's current position, or an earlier one asked for (a position
  beyond the read model's, or negative, is refused). A milestone counts iff its position is <= P.
- D (`judged_on`): the business day (Asia/Shanghai) deadlines are judged on: the one given, else
  today (the clock's) for a current report, else for an earlier P the latest business day the
  ledger's reminder and plan events had reached by P ("as the ledger stood then"). Give both P and
  D to rebuild a figure exactly; every answer names both.

The period is the business days (Asia/Shanghai) on which reminders were raised: every reminder,
escalation and answer figure is about reminders raised in [from, to]; plan figures are about
entries added (or reinstated) in [from, to]. docs/supervision.md, "Closed-loop report", defines
each figure.

A call is a bounded number of statements whatever the scope: one GROUP BY per fact table (child
region x industry [x outcome x response days]); medians and p90 are computed from the response-day
histograms in Python. At the province, a report of the current position over whole months adds
up monthly cells instead (closed_loop_fast.py, closed_loop_rollup.py): the same figures, read from
~1,200 cells a year instead of ~350,000 fact rows.
"""

from __future__ import annotations

from collections import Counter
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from copy import copy
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, case, distinct, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from domain.reminders.days import china_day
from domain.shared.regions import Region, RegionLevel, henan_regions
from projections.live import LiveTables, Snapshot
from projections.supervision.closed_loop_figures import (KINDS, SUPERVISOR_FIGURE, Tally, count_outcome, empty_figures, finish,
                                                         percentile)
from projections.scope import ReadScope
from projections.supervision import closed_loop_fast as fast

READS = ("closed_loop",)
CELL_PARTS = ("cells", "cells_reminders", "cells_escalations")  # parts of a report read from the cells
MAX_PAGE = 500
EPOCH = date(2000, 1, 1)


@dataclass(frozen=True)
class ClosedLoopQuery:
    region_code: str
    date_from: date
    date_to: date
    industry: str | None = None
    kind: str | None = None
    as_of_position: int | None = None
    judged_on: date | None = None


def region_info(region: Region) -> dict[str, str]:
    return {"code": region.code, "name": region.name, "level": region.level.value}


class ClosedLoopReads:
    def __init__(self, live: LiveTables, *, use_cells: bool = True) -> None:
        """`use_cells` False: always read the fact rows (the reference the cells are tested against)."""
        self._live = live
        self._use_cells = use_cells

    def pin(self, q: ClosedLoopQuery, now: datetime) -> ClosedLoopQuery:
        """`q` with its position and judging day fixed (see the module): calls given the result read
        the same figures whenever and on whichever connection they run (rows past P are not counted)."""
        _check(q)

        def query(snap: Snapshot) -> ClosedLoopQuery:
            at = _Pin(snap, q, now)
            return replace(q, as_of_position=at.position, judged_on=at.day)

        return self._live.run(READS, query)

    def _cells(self, region: Region, q: ClosedLoopQuery, scope: ReadScope) -> bool:
        return self._use_cells and fast.applies(region, q.industry, scope)

    # -- the report ---------------------------------------------------------------------------------------

    def report(self, q: ClosedLoopQuery, now: datetime, scope: ReadScope | None = None, first: int = 20,
               after: str | None = None) -> dict[str, Any]:
        """Totals, by industry, by child region, and a page of enterprises (keyset on credit code).

        The figures are read in parts side by side, each on a connection of its own, every part
        pinned to the same position and day (`pin`), so they agree whatever snapshot each
        connection sees. At the province, over a period holding a whole month, one part reads the
        monthly cells (closed_loop_fast.py) and the other the plan and the page; otherwise the
        reminder figures are read from the fact rows in two halves of the children (an
        enterprise's reminders all fall in its child, so distinct enterprise counts add up) and the
        escalation and plan figures with the page in a third."""
        region = _check(q)
        first = max(1, min(first, MAX_PAGE))
        if q.as_of_position is None or q.judged_on is None:
            q = self.pin(q, now)
        scope = scope or ReadScope()
        cells = fast.split(q.date_from, q.date_to) if self._cells(region, q, scope) else None

        def part(figures: str | None, page: bool,
                 half: tuple[bool, tuple[str, ...]] | None = None) -> Callable[[Snapshot], dict[str, Any]]:
            """figures: "cells" (falling back to the facts if the read model moved on; or only its
            "cells_reminders" / "cells_escalations"), or of the fact rows "reminders" (in `half` of
            the children), "escalations" or "facts" (both), or None; page: the plan figures and the
            page of enterprises too."""
            def query(snap: Snapshot) -> dict[str, Any]:
                at = _Pin(snap, q, now)
                from_cells = figures in CELL_PARTS and cells is not None and fast.current(snap, at.position)
                _tune(snap, region, cells.fact_days if cells is not None and from_cells else None, q)
                where = _Where(snap, q, region, scope, at, half)
                tally = Tally()
                result: dict[str, Any] = {"tally": tally}
                if cells is not None and from_cells:
                    if cells.edges and figures != "cells_escalations":
                        fast.edge_reminders(snap, where.narrowed(cells.fact_days), cells, q.kind, tally)
                    if cells.edges and figures != "cells_reminders":
                        self._escalation_figures(snap, where.narrowed(cells.edges), tally)
                    if cells.whole is not None and figures != "cells_escalations":
                        fast.region_cells(snap, region.code, cells, q.kind, tally)
                    if cells.whole is not None and figures != "cells_reminders":
                        self._escalation_figures(snap, where.narrowed((cells.whole,), open_only=True), tally)
                else:
                    if figures in ("reminders", "facts", "cells", "cells_reminders"):
                        self._reminder_figures(snap, where, tally)
                    if figures in ("escalations", "facts", "cells", "cells_escalations"):
                        self._escalation_figures(snap, where, tally)
                if page:
                    self._plan_figures(snap, where, tally)
                    result |= {"enterprises": self._enterprises(snap, where, first, after), "answer": at.answer({})}
                return result
            return query

        # Side by side only where a part reads many fact rows: on two cores, parts of ~10 ms each
        # cost more in connections and contention than they save.
        if cells is not None and _long(cells.fact_days):
            jobs = [part("cells_reminders", False), part("cells_escalations", False), part(None, True)]
        elif cells is not None:
            jobs = [part("cells", False), part(None, True)] if cells.whole is not None else [part("cells", True)]
        elif region.level is RegionLevel.PROVINCE and _long(((q.date_from, q.date_to),)):
            jobs = [part("reminders", False, h) for h in _halves(region)] + [part("escalations", True)]
        else:
            jobs = [part("facts", True)]
        run = lambda job: self._live.run(READS, job)  # noqa: E731
        results = [run(jobs[0])] if len(jobs) == 1 else list(_pool().map(run, jobs))
        tally = results[0]["tally"]
        for result in results[1:]:
            tally.add(result["tally"])
        totals, industries, by_child = tally.totals, tally.industries, tally.children
        table = henan_regions()
        children = [] if region.level is RegionLevel.COUNTY else table.children(region.code)
        known = {r.code for r in children}
        children += [r for code in sorted(by_child) if code not in known and (r := table.get(code)) is not None]
        rest = results[-1]
        return rest["answer"] | {
            "region": region_info(region), "industry": q.industry, "kind": q.kind,
            "period": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat()},
            "totals": finish(totals),
            "by_industry": [{"industry": name, "figures": finish(industries[name])} for name in sorted(industries)],
            "children": [{"region": region_info(r), "figures": finish(by_child.get(r.code, empty_figures()))}
                         for r in children],
            "enterprises": rest["enterprises"],
        }

    @staticmethod
    def _reminder_figures(snap: Snapshot, where: _Where, tally: Tally) -> None:
        """Per enterprise first (hash aggregation; an enterprise sits in one child x industry), then
        per child x industry: COUNT(DISTINCT) sorted all 150,000 reminders of a province."""
        r, at = where.t["rm_cl_reminders"], where.at
        complied = and_(r.c.resolved_position <= at.position,
                        or_(r.c.escalated_position.is_(None), r.c.escalated_position > at.position))
        inner = select(
            where.child(r), r.c.industry, func.count().label("raised"),
            *[func.count().filter(r.c.kind == kind).label(kind) for kind in KINDS],
            func.max(case((complied, 1), else_=0)).label("complied"),
        ).where(*where.of(r)).group_by(*where.keys(r), r.c.industry, r.c.credit_code).subquery()
        county = where.region.level is RegionLevel.COUNTY
        statement = select(
            literal(None).label("child") if county else inner.c.child, inner.c.industry,
            func.sum(inner.c.raised).label("raised"),
            *[func.sum(inner.c[kind]).label(kind) for kind in KINDS],
            func.count().label("notified"), func.sum(inner.c.complied).label("complied"),
        ).group_by(*([] if county else [inner.c.child]), inner.c.industry)
        for child, industry, raised, *rest in snap.conn.execute(statement):
            by_kind, (notified, complied_count) = [int(n or 0) for n in rest[:-2]], rest[-2:]
            for figures in tally.of(child, industry):
                figures["raised"] += int(raised)
                for kind, n in zip(KINDS, by_kind, strict=True):
                    figures["raised_by_kind"][kind] += n
                figures["enterprises_notified"] += int(notified)
                figures["enterprises_complied_before_escalation"] += int(complied_count or 0)

    @staticmethod
    def _escalation_figures(snap: Snapshot, where: _Where, tally: Tally) -> None:
        e, at = where.t["rm_cl_escalations"], where.at
        outcome = at.outcome(e).label("outcome")
        days = case((e.c.answered_position <= at.position, e.c.answered_days)).label("days")
        statement = (select(where.child(e), e.c.industry, outcome, days, func.count().label("n"))
                     .where(*where.of(e), e.c.escalated_position <= at.position)
                     .group_by(*where.keys(e), e.c.industry, outcome, days))
        for child, industry, outcome, days, n in snap.conn.execute(statement):
            for figures in tally.of(child, industry):
                count_outcome(figures, outcome, n, days)

    @staticmethod
    def _plan_figures(snap: Snapshot, where: _Where, tally: Tally) -> None:
        p = where.t["rm_cl_plan"]
        statement = (select(where.child(p), p.c.industry, func.count(distinct(p.c.credit_code)).label("n"))
                     .where(*where.of(p, plan=True)).group_by(*where.keys(p), p.c.industry))
        for row in snap.conn.execute(statement):
            for figures in tally.of(row.child, row.industry):
                figures["enterprises_on_plan"] += row.n

    @staticmethod
    def _enterprises(snap: Snapshot, where: _Where, first: int, after: str | None) -> dict[str, Any]:
        """Enterprises notified in the period (by credit code) with their own figures."""
        r, e, p, at = where.t["rm_cl_reminders"], where.t["rm_cl_escalations"], where.t["rm_cl_plan"], where.at
        conditions = where.of(r)
        if after is not None:
            conditions.append(r.c.credit_code > after)
        complied = and_(r.c.resolved_position <= at.position,
                        or_(r.c.escalated_position.is_(None), r.c.escalated_position > at.position))
        rows = [dict(m) for m in snap.conn.execute(
            select(r.c.credit_code, func.max(r.c.enterprise_name).label("enterprise_name"),
                   func.max(r.c.region_code).label("region_code"), func.max(r.c.industry).label("industry"),
                   func.count().label("raised"), func.count().filter(complied).label("complied_before_escalation"))
            .where(*conditions).group_by(r.c.credit_code).order_by(r.c.credit_code).limit(first + 1)).mappings()]
        has_next = len(rows) > first
        rows = rows[:first]
        codes = [row["credit_code"] for row in rows]
        outcomes: dict[str, Counter] = {code: Counter() for code in codes}
        on_plan: set[str] = set()
        if codes:
            outcome = at.outcome(e).label("outcome")
            for row in snap.conn.execute(
                    select(e.c.credit_code, outcome, func.count().label("n"))
                    .where(*where.of(e), e.c.escalated_position <= at.position, e.c.credit_code.in_(codes))
                    .group_by(e.c.credit_code, outcome)):
                outcomes[row.credit_code][row.outcome] += row.n
            on_plan = {row.credit_code for row in snap.conn.execute(
                select(distinct(p.c.credit_code).label("credit_code")).where(*where.of(p, plan=True),
                                                                              p.c.credit_code.in_(codes)))}
        for row in rows:
            counts = outcomes[row["credit_code"]]
            row.update(escalations=sum(counts.values()), answered_in_time=counts["in_time"],
                       answered_late=counts["late"], unanswered=counts["unanswered"], pending=counts["pending"],
                       on_plan=row["credit_code"] in on_plan)
        return {"items": rows, "has_next": has_next, "end_cursor": rows[-1]["credit_code"] if rows else None}

    # -- per supervisor ---------------------------------------------------------------------------------

    def by_supervisor(self, q: ClosedLoopQuery, now: datetime, scope: ReadScope | None = None,
                      first: int | None = None) -> dict[str, Any]:
        """Every supervisor told of (or answering) an escalation of a reminder in the report, or who
        put an enterprise of it on the plan; most unanswered first, then by username. `first`:
        only that many (their medians are all that is computed from the cells' histograms)."""
        region = _check(q)
        scope = scope or ReadScope()
        cells = fast.split(q.date_from, q.date_to) if self._cells(region, q, scope) and q.kind is None else None

        def query(snap: Snapshot) -> dict[str, Any]:
            at = _Pin(snap, q, now)
            from_cells = cells is not None and fast.current(snap, at.position)
            _tune(snap, region, cells.edges if cells is not None and from_cells else None, q)
            where = _Where(snap, q, region, scope, at)
            p = where.t["rm_cl_plan"]
            people: dict[str, dict[str, Any]] = {}

            def person(name: str) -> dict[str, Any]:
                found = people.get(name)
                if found is None:
                    found = people[name] = {
                        "username": name, "received": 0, "answered_in_time": 0, "answered_late": 0,
                        "answered_by_others": 0, "unanswered": 0, "pending": 0, "ended_before_deadline": 0,
                        "answered_unasked": 0, "plan_entries": 0, "response_days_median": None, "_days": Counter()}
                return found

            parts = [where]
            if cells is not None and cells.whole is not None and from_cells:
                fast.user_counts(snap, region.code, cells, person)
                parts = [where.narrowed((cells.whole,), open_only=True)]
                if cells.edges:
                    parts.append(where.narrowed(cells.edges))
            for part in parts:
                self._supervisor_rows(snap, part, person)
            for row in snap.conn.execute(
                    select(p.c.added_by, func.count(distinct(p.c.entry_id)).label("n"))
                    .where(*where.of(p, plan=True), p.c.origin == "supervisor").group_by(p.c.added_by)):
                person(row.added_by)["plan_entries"] += row.n
            items = sorted(people.values(), key=lambda f: (-f["unanswered"], f["username"]))[:first]
            if cells is not None and cells.whole is not None and from_cells:
                names = [f["username"] for f in items] if first is not None else None
                for name, days in fast.user_days(snap, region.code, cells, names).items():
                    people[name]["_days"].update(days)
            for figures in items:
                figures["response_days_median"] = percentile(figures.pop("_days"), 0.5)
            return at.answer({"items": items})

        return self._live.run(READS, query)

    @staticmethod
    def _supervisor_rows(snap: Snapshot, where: _Where, person: Callable[[str], dict[str, Any]]) -> None:
        u, at = where.t["rm_cl_recipients"], where.at
        outcome = case((u.c.notified == 0, "unasked"), else_=at.outcome(u, own=True)).label("outcome")
        days = case((u.c.own_position <= at.position, u.c.own_days)).label("days")
        for username, found, response_days, n in snap.conn.execute(
                select(u.c.username, outcome, days, func.count().label("n"))
                .where(*where.of(u), u.c.escalated_position <= at.position,
                       or_(u.c.notified == 1, u.c.own_position <= at.position))
                .group_by(u.c.username, outcome, days)):
            figures = person(username)
            figures[SUPERVISOR_FIGURE.get(found, found)] += n
            if found != "unasked":
                figures["received"] += n
            if response_days is not None:
                figures["_days"][response_days] += n

    # -- inaction -----------------------------------------------------------------------------------------

    def inaction(self, q: ClosedLoopQuery, now: datetime, scope: ReadScope | None = None, first: int = 20,
                 after: int | None = None) -> dict[str, Any]:
        """The unanswered escalations, oldest escalation first (keyset on its log position)."""
        region = _check(q)
        first = max(1, min(first, 100_000))

        def query(snap: Snapshot) -> dict[str, Any]:
            at = _Pin(snap, q, now)
            where = _Where(snap, q, region, scope or ReadScope(), at)
            e = where.t["rm_cl_escalations"]
            conditions = [*where.of(e), e.c.escalated_position <= at.position, at.outcome(e) == "unanswered"]
            if after is not None:
                conditions.append(e.c.escalated_position > after)
            why = case((e.c.next_position <= at.position, "climbed"),
                       (e.c.ended_position <= at.position, "ended_after_deadline"), else_="deadline_passed")
            rows = [dict(m) for m in snap.conn.execute(
                select(e.c.reminder_id, e.c.level, e.c.tier, e.c.credit_code, e.c.enterprise_name, e.c.region_code,
                       e.c.industry, e.c.kind, e.c.raised_day, e.c.escalated_at, e.c.escalated_position, e.c.respond_by,
                       e.c.usernames, why.label("why"))
                .where(*conditions).order_by(e.c.escalated_position).limit(first + 1)).mappings()]
            has_next = len(rows) > first
            rows = rows[:first]
            for row in rows:
                row["usernames"] = list(row["usernames"] or [])
            end = rows[-1]["escalated_position"] if rows else None
            return at.answer({"items": rows, "has_next": has_next, "end_cursor": end})

        return self._live.run(READS, query)

    # -- from a figure to the single reminder (the reminders read model) ---------------------------------

    def reminders_by_ids(self, ids: list[str], scope: ReadScope | None = None) -> dict[str, dict[str, Any]]:
        def query(snap: Snapshot) -> dict[str, dict[str, Any]]:
            r = snap.tables["rm_reminders"]
            if not ids:
                return {}
            rows = snap.conn.execute(select(r).where(r.c.reminder_id.in_(ids), *(scope or ReadScope()).conditions(r)))
            return {row["reminder_id"]: dict(row) for row in rows.mappings()}

        return self._live.run(("reminders",), query)

    def messages_of(self, reminder_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The messages of a reminder the caller already may see, in the order they fell due."""
        def query(snap: Snapshot) -> list[dict[str, Any]]:
            o = snap.tables["rm_outbox"]
            return [dict(row) for row in snap.conn.execute(
                select(o).where(o.c.reminder_id == reminder_id).order_by(o.c.due_at, o.c.message_id).limit(limit))
                .mappings()]

        return self._live.run(("reminders",), query)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Shared by every report of the process: 3 parts each (bounded, so a burst of reports queues
    here instead of opening connections without end)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=6, thread_name_prefix="closed-loop")
        return _POOL


def _halves(region: Region) -> list[tuple[bool, tuple[str, ...]] | None]:
    """The reminder figures' parts: every other child, and the rest (none below a county)."""
    if region.level is RegionLevel.COUNTY:
        return [None]
    codes = tuple(r.code for r in henan_regions().children(region.code))[::2]
    return [(True, codes), (False, codes)]


LONG_READ_DAYS = 45


def _long(days: tuple[tuple[date, date], ...]) -> bool:
    """Whether reading these raising days of a province's fact rows is worth parallel workers."""
    return sum((b - a).days + 1 for a, b in days) > LONG_READ_DAYS


def _tune(snap: Snapshot, region: Region, days: tuple[tuple[date, date], ...] | None, q: ClosedLoopQuery) -> None:
    """PostgreSQL: room to hash-aggregate in memory (the default 4 MB work_mem sorted a province's
    150,000 reminders on disk), and a province's long reads of fact rows in parallel (as the
    drill-down's, see projections/analytics/queries.py `_parallel`); `days`: the raising days
    read from the fact rows (None: the period's). Short reads stay serial: starting the workers
    cost ~10 ms of a week's 15 ms. SET LOCAL: for this read-only transaction only."""
    if snap.conn.dialect.name != "postgresql":
        return
    settings = "SET LOCAL work_mem = '64MB'"  # one round trip for all of them
    if region.level is RegionLevel.PROVINCE and _long(days if days is not None else ((q.date_from, q.date_to),)):
        settings += "; SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0"
    snap.conn.exec_driver_sql(settings)


def _check(q: ClosedLoopQuery) -> Region:
    region = henan_regions().get(q.region_code)
    if region is None:
        raise ValueError(f"unknown region code {q.region_code!r}")
    if q.date_to < q.date_from:
        raise ValueError("'to' is before 'from'")
    if q.kind is not None and q.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if q.as_of_position is not None and q.as_of_position < 0:
        raise ValueError("asOfPosition must not be negative")
    return region


class _Pin:
    """P and D of one call (see the module)."""

    def __init__(self, snap: Snapshot, q: ClosedLoopQuery, now: datetime) -> None:
        current = snap.positions["closed_loop"]
        if q.as_of_position is not None and q.as_of_position > current:
            raise ValueError(f"asOfPosition {q.as_of_position} is beyond the closed-loop read model's position {current}")
        self.position = current if q.as_of_position is None else q.as_of_position
        if q.judged_on is not None:
            self.day = q.judged_on
        elif q.as_of_position is None:
            self.day = china_day(now)
        else:
            d = snap.tables["rm_cl_days"]
            reached = snap.conn.execute(select(func.max(d.c.day)).where(d.c.first_position <= self.position)).scalar()
            self.day = reached or EPOCH

    def outcome(self, x: Table, *, own: bool = False) -> ColumnElement[str]:
        """in_time | late | unanswered | pending | ended (| by_others for a supervisor's own row)."""
        p = self.position
        answered = case((x.c.answered_in_time == 1, "in_time"), else_="late")
        whens: list[tuple[Any, Any]] = []
        if own:
            whens.append((x.c.own_position <= p, case((x.c.own_in_time == 1, "in_time"), else_="late")))
        whens += [
            (x.c.answered_position <= p, literal("by_others") if own else answered),
            (x.c.next_position <= p, literal("unanswered")),
            (and_(x.c.ended_position <= p, x.c.ended_day > x.c.respond_by), literal("unanswered")),
            (x.c.ended_position <= p, literal("ended")),
            (x.c.respond_by < self.day, literal("unanswered")),
        ]
        return case(*whens, else_=literal("pending"))

    def answer(self, result: dict[str, Any]) -> dict[str, Any]:
        return {"as_of_position": self.position, "judged_on": self.day.isoformat(), **result}


class _Where:
    """The conditions of one report on any closed-loop fact table."""

    def __init__(self, snap: Snapshot, q: ClosedLoopQuery, region: Region, scope: ReadScope, at: _Pin,
                 half: tuple[bool, tuple[str, ...]] | None = None, days: tuple[tuple[date, date], ...] | None = None,
                 open_only: bool = False) -> None:
        self.t, self.q, self.region, self.scope, self.at = snap.tables, q, region, scope, at
        self.half = half  # (inside, child codes): only the children listed, or all the others
        self.days = days  # raising days to read instead of the period's (ranges, inclusive)
        self.open_only = open_only  # only rows in no roll-up cell (open_day: closed_loop_rollup.py)

    def narrowed(self, days: tuple[tuple[date, date], ...], *, open_only: bool = False) -> _Where:
        """The same conditions over other raising days (or only the open rows of those days)."""
        other = copy(self)
        other.days, other.open_only = days, open_only
        return other

    def child(self, x: Table) -> Any:
        column = {RegionLevel.PROVINCE: func.coalesce(x.c.city_code, x.c.county_code),
                  RegionLevel.CITY: x.c.county_code}.get(self.region.level)
        return (literal(None) if column is None else column).label("child")

    def keys(self, x: Table) -> list[Any]:
        """The child to group by (none below a county: PostgreSQL refuses GROUP BY a constant)."""
        return [] if self.region.level is RegionLevel.COUNTY else [self.child(x)]

    def of(self, x: Table, *, plan: bool = False, period: bool = True) -> list[Any]:
        column = {RegionLevel.PROVINCE: x.c.province_code, RegionLevel.CITY: x.c.city_code}.get(
            self.region.level, x.c.county_code)
        found: list[Any] = [column == self.region.code, *self.scope.conditions(x)]
        if self.half is not None:
            inside, codes = self.half
            child = self.child(x)
            found.append(child.in_(codes) if inside else or_(child.is_(None), child.not_in(codes)))
        if self.q.industry is not None:
            found.append(x.c.industry == self.q.industry)
        if plan:
            p = self.at.position
            found += [x.c.since_position <= p, or_(x.c.until_position.is_(None), x.c.until_position > p)]
            if period:
                found.append(x.c.added_day.between(self.q.date_from, self.q.date_to))
        else:
            day = x.c.open_day if self.open_only else x.c.raised_day
            ranges = self.days if self.days is not None else ((self.q.date_from, self.q.date_to),)
            found += [x.c.raised_position <= self.at.position, or_(*[day.between(a, b) for a, b in ranges])]
            if self.q.kind is not None:
                found.append(x.c.kind == self.q.kind)
        return found
