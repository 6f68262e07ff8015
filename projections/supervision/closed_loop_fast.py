"""The province's closed-loop report from the monthly cells (closed_loop_rollup.py) instead of a
year of fact rows: the whole months of the period from the cells, the days before and after them
from the fact rows (distinct enterprises through the chains' predecessor days, so without
grouping by enterprise), and the escalations still open (whose outcome waits on the judging day)
from their own small index. Same figures as the fact rows give (tests compare both ways), at a
cost that grows with the number of cells (~400 a year for a kind or all kinds) and the days at
the period's two ends.

Used only where the cells and chains apply: a report at the province (the chains are per city and
industry), of the read model's current position (the cells know no other), without an industry
filter (the cells are margins, per child region or per industry, not their cross product) and
with a scope that is the whole province. Anything else reads the fact rows, as every report did
before (closed_loop_queries.py).
"""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, select

from domain.shared.regions import Region, RegionLevel
from projections.live import Snapshot
from projections.scope import ReadScope, region_prefix
from projections.supervision.closed_loop_figures import KINDS, OUTCOME_FIGURE, SUPERVISOR_FIGURE, Tally
from projections.supervision.closed_loop_rollup import ALL, NONE, RAISED_BY_KIND, month_number, unit_start



@dataclass(frozen=True)
class Split:
    """A period as whole months (if it holds any) and the days at its ends."""

    date_from: date
    whole: tuple[date, date] | None  # the first day of the first whole month .. the last day of the last
    edges: tuple[tuple[date, date], ...]  # the days before and after the whole months (0-2 ranges)
    head_month: date | None  # the first day of `date_from`'s month when whole months follow it

    @property
    def fact_days(self) -> tuple[tuple[date, date], ...]:
        """The edges, the head reaching back to its month's first day: those rows fix up the
        chains of reminders in the whole months whose predecessor falls in that month."""
        if self.head_month is None:
            return self.edges
        return ((self.head_month, self.edges[0][1]), *self.edges[1:])


def split(date_from: date, date_to: date) -> Split:
    start = date_from if date_from.day == 1 else _next_month(date_from)
    end = date_to if date_to.day == monthrange(date_to.year, date_to.month)[1] else _month_before(date_to)
    if start is None or end is None or start > end:  # no whole month: all days are edge days
        return Split(date_from, None, ((date_from, date_to),), None)
    edges = []
    if date_from < start:
        edges.append((date_from, start - timedelta(1)))
    if end < date_to:
        edges.append((end + timedelta(1), date_to))
    return Split(date_from, (start, end), tuple(edges), date_from.replace(day=1) if date_from < start else None)


def applies(region: Region, industry: str | None, scope: ReadScope) -> bool:
    """Whether the cells can answer this report at all (the position is checked per snapshot)."""
    whole_province = scope.region_prefix in (None, region_prefix(region.code))
    return (region.level is RegionLevel.PROVINCE and industry is None and whole_province and not scope.industries
            and not scope.supervision_level and not scope.credit_code and not scope.nothing)


def current(snap: Snapshot, position: int) -> bool:
    """The cells describe the read model's own position, so they answer a report pinned to it only."""
    return snap.positions["closed_loop"] == position


# -- the region figures ---------------------------------------------------------------------------------


def region_cells(snap: Snapshot, province: str, s: Split, kind: str | None, tally: Tally) -> None:
    """Add the whole months' cells of all kinds (or of `kind`) to the tally (closed_loop_rollup.py)."""
    assert s.whole is not None
    c = snap.tables["rm_cl_cells"]
    counts = ("in_time", "late", "unanswered", "ended")
    by_kind = [c.c[name] for name in RAISED_BY_KIND.values()]
    statement = select(c.c.dim, c.c.member, c.c.unit, c.c.raised, *by_kind, *[c.c[n] for n in counts], c.c.days,
                       c.c.firsts, c.c.complied_firsts).where(
        c.c.province_code == province, c.c.kind == (kind or ALL), in_units(c.c.unit, *s.whole))
    start = month_number(s.date_from)
    for dim, member, unit, raised, *rest in snap.conn.execute(statement):
        raised_by_kind, outcomes, (days, firsts, complied) = rest[:3], rest[3:7], rest[7:]
        # A reminder counts its enterprise iff its chain predecessor is before the period's first
        # month (more months before this unit than the unit is after that month), or it has none.
        after = unit_start(unit) - start
        notified, complied_count = _first_of_period(firsts, after), _first_of_period(complied, after)
        histogram = Counter({int(value): n for value, n in days.items()})
        for figures in (tally.of_child(member or None) if dim == "child" else tally.of_industry(member)):
            figures["raised"] += raised
            if kind is None:
                for name, n in zip(KINDS, raised_by_kind, strict=True):
                    figures["raised_by_kind"][name] += n
            else:
                figures["raised_by_kind"][kind] += raised
            for outcome, n in zip(counts, outcomes, strict=True):
                figures["escalations"] += n
                figures[OUTCOME_FIGURE.get(outcome, outcome)] += n
            figures["_days"].update(histogram)
            figures["enterprises_notified"] += notified
            figures["enterprises_complied_before_escalation"] += complied_count


def _first_of_period(histogram: dict[str, int] | None, after: int) -> int:
    return sum(n for back, n in (histogram or {}).items() if back == NONE or int(back) > after)


def edge_reminders(snap: Snapshot, where: Any, s: Split, kind: str | None, tally: Tally) -> None:
    """The reminders of the days at the period's ends, counted through their chains like the cells,
    and the fix-up: a reminder before the period's first day in its month whose successor is in the
    whole months makes that successor not first (the cells cannot tell, they know months only)."""
    r, at = where.t["rm_cl_reminders"], where.at
    prev, succ = (r.c.prev_kind, r.c.next_kind) if kind is not None else (r.c.prev_any, r.c.next_any)
    comp_prev, comp_succ = ((r.c.prev_comp_kind, r.c.next_comp_kind) if kind is not None
                            else (r.c.prev_comp_any, r.c.next_comp_any))
    start, whole = s.date_from, s.whole or (date.max, date.max)
    inside, before = r.c.raised_day >= start, r.c.raised_day < start
    complied = and_(r.c.resolved_position <= at.position,
                    or_(r.c.escalated_position.is_(None), r.c.escalated_position > at.position))
    fixes = [func.count().filter(before, succ.between(*whole)).label("notified_fix"),
             func.count().filter(before, comp_succ.between(*whole)).label("complied_fix")] if s.head_month else [
             literal(0).label("notified_fix"), literal(0).label("complied_fix")]
    statement = select(
        where.child(r), r.c.industry, func.count().filter(inside).label("raised"),
        *[func.count().filter(inside, r.c.kind == k).label(k) for k in KINDS],
        func.count().filter(inside, or_(prev.is_(None), prev < start)).label("notified"),
        func.count().filter(inside, complied, or_(comp_prev.is_(None), comp_prev < start)).label("complied"),
        *fixes,
    ).where(*where.of(r)).group_by(where.child(r), r.c.industry)
    for child, industry, raised, *rest in snap.conn.execute(statement):
        by_kind, (notified, complied_count, notified_fix, complied_fix) = rest[:-4], rest[-4:]
        for figures in tally.of(child, industry):
            figures["raised"] += raised
            for k, n in zip(KINDS, by_kind, strict=True):
                figures["raised_by_kind"][k] += n
            figures["enterprises_notified"] += notified + notified_fix
            figures["enterprises_complied_before_escalation"] += complied_count + complied_fix


# -- per supervisor -------------------------------------------------------------------------------------

def user_counts(snap: Snapshot, province: str, s: Split, person: Any) -> None:
    """Add the whole months' per-supervisor counts to `person(username)`'s figures (one row each)."""
    assert s.whole is not None
    c = snap.tables["rm_cl_user_cells"]
    names = ("received", "in_time", "late", "by_others", "unanswered", "ended", "unasked")
    statement = (select(c.c.username, *[func.sum(c.c[n]) for n in names])
                 .where(c.c.province_code == province, in_units(c.c.unit, *s.whole))
                 .group_by(c.c.username))
    for username, *counts in snap.conn.execute(statement):
        figures = person(username)
        for name, n in zip(names, counts, strict=True):
            figures[SUPERVISOR_FIGURE.get(name, name)] += int(n)


def user_days(snap: Snapshot, province: str, s: Split, usernames: list[str] | None) -> dict[str, Counter]:
    """The whole months' response-day histograms of these supervisors (None: all)."""
    assert s.whole is not None
    c = snap.tables["rm_cl_user_cells"]
    conditions = [c.c.province_code == province, in_units(c.c.unit, *s.whole)]
    if usernames is not None:
        conditions.append(c.c.username.in_(usernames))
    found: dict[str, Counter] = {}
    for username, days in snap.conn.execute(select(c.c.username, c.c.days).where(*conditions)):
        histogram = found.setdefault(username, Counter())
        for value, n in days.items():
            histogram[int(value)] += n
    return found


def units(first: date, last: date) -> list[tuple[str, str, bool]]:
    """Whole months first..last as the fewest cells' units: ranges (lowest, highest, quarters?) of
    the months before the first whole quarter, the whole quarters, and the months after them.
    Ranges, not lists: a period of centuries is three conditions, not thousands of values."""
    month, end = month_number(first), month_number(last)
    quarter_from = month + (-month) % 3  # the first month of the first quarter starting at or after `first`
    quarter_to = end - (end + 1) % 3  # the last month of the last quarter ending at or before `last`
    if quarter_to - quarter_from < 2:
        return [(_unit(month), _unit(end), False)]
    found = []
    if month < quarter_from:
        found.append((_unit(month), _unit(quarter_from - 1), False))
    found.append((_unit(quarter_from, quarter=True), _unit(quarter_to, quarter=True), True))
    if quarter_to < end:
        found.append((_unit(quarter_to + 1), _unit(end), False))
    return found


def in_units(unit: Any, first: date, last: date) -> Any:
    """The condition on a cells' `unit` column for whole months first..last (see `units`)."""
    quarter = func.substr(unit, 6, 1) == "Q"
    return or_(*[and_(unit.between(low, high), quarter if quarters else ~quarter)
                 for low, high, quarters in units(first, last)])


def _unit(month: int, *, quarter: bool = False) -> str:
    year, index = divmod(month, 12)
    return f"{year:04d}-Q{index // 3 + 1}" if quarter else f"{year:04d}-{index + 1:02d}"


def _next_month(day: date) -> date | None:
    """The first day of the next month (None past the calendar's end)."""
    if (day.year, day.month) == (date.max.year, 12):
        return None
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_before(day: date) -> date | None:
    """The last day of the month before (None before the calendar's start)."""
    return None if (day.year, day.month) == (date.min.year, 1) else day.replace(day=1) - timedelta(1)
