"""Reports rebuilt from the log and compared with the live read models (projection drift detection).

A report shown to a leader names the log position it reflects. To check it, the projections the
report reads are rebuilt from the log into scratch tables up to that position (their own names,
`zz_audit_<token>_<template>`, never a generation: the runner neither sees nor drops them, and
the live tables are only read), the same query code computes the figures from the scratch tables
(`ScratchTables` stands in for `LiveTables`), and the two answers are compared field by field.
Equal answers are "identical"; any difference means the live read model no longer says what the
log says (drift: a row changed by hand, a lost or doubled write, a fold bug since fixed): the
digests (SHA-256 of the canonical JSON) and every differing field are reported.

Which position. The closed-loop queries answer for any position up to their read model's
(`as_of_position`), so the closed-loop report is compared at the P asked for (default: the read
model's position). The drill-down answers only for its read models' current positions (the
registers and the drill-down facts, each at its own), so it is rebuilt at exactly those positions
(read before and after the live answer, and read again if a worker moved them meanwhile); asking
for another position is refused as not comparable: the live drill-down cannot answer for it.

Events a projection could not apply are skipped in the rebuild too (as the live runner sets them
aside, projections/failures.py) and listed with the result.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Index, MetaData, Table
from sqlalchemy.engine import Engine

from projections import failures
from projections.analytics.projection import DrilldownProjection
from projections.analytics.queries import MAX_PAGE as DRILLDOWN_PAGE
from projections.analytics.queries import READS as DRILLDOWN_READS
from projections.analytics.queries import Analytics
from projections.base import Projection
from projections.live import LiveTables, Snapshot
from projections.reading import Decoded, LogReader, Undecodable
from projections.register.projection import RegisterProjection
from projections.store import Store
from projections.supervision.closed_loop import ClosedLoopProjection
from projections.supervision.closed_loop_queries import MAX_PAGE as CLOSED_LOOP_PAGE
from projections.supervision.closed_loop_queries import READS as CLOSED_LOOP_READS
from projections.supervision.closed_loop_queries import ClosedLoopQuery, ClosedLoopReads
from projections.tracking import read_rows

T = TypeVar("T")
SCRATCH_PREFIX = "zz_audit_"
BATCH = 5000


class NotComparable(ValueError):
    """The live read model cannot answer for the position asked (or it is beyond the log)."""


# --- scratch tables ---------------------------------------------------------------------------------


def scratch_tables(templates: Sequence[Table], token: str) -> tuple[MetaData, dict[str, Table]]:
    """Copies of the templates under scratch names (template name -> table)."""
    md = MetaData()
    tables: dict[str, Table] = {}
    n = 0
    for template in templates:
        table = Table(f"{SCRATCH_PREFIX}{token}_{template.name}", md, *(c._copy() for c in template.columns))
        for index in template.indexes:
            n += 1
            Index(f"{table.name}_ix{n}", *(table.c[c.name] for c in index.columns), unique=index.unique)
        tables[template.name] = table
    return md, tables


class ScratchTables:
    """What the query classes need of LiveTables, over scratch tables at fixed positions."""

    def __init__(self, engine: Engine, tables: dict[str, Table], positions: dict[str, int]) -> None:
        self.engine = engine
        self.tables = tables
        self.positions = positions

    def run(self, names: Sequence[str], query: Callable[[Snapshot], T]) -> T:
        with self.engine.connect() as conn, conn.begin():
            return query(Snapshot(conn, self.tables, {n: self.positions[n] for n in names}))


class ScratchBuild:
    """Projections rebuilt from the log into scratch tables, each up to its position; dropped on
    close (also after a failure)."""

    def __init__(self, ledger: Any, engine: Engine, batch_size: int = BATCH) -> None:
        self.engine = engine
        self._log = LogReader(ledger.recorder, ledger.mapper, engine)
        self.batch_size = batch_size
        self.token = secrets.token_hex(4)
        self._metadata: list[MetaData] = []
        self.skipped: dict[str, list[int]] = {}  # projection -> positions it could not apply

    def __enter__(self) -> ScratchBuild:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for md in reversed(self._metadata):
            md.drop_all(self.engine, checkfirst=True)
        self._metadata.clear()

    def build(self, projections: Sequence[Projection], positions: dict[str, int]) -> ScratchTables:
        head = self._log.head()
        tables: dict[str, Table] = {}
        for projection in projections:
            position = positions[projection.name]
            if position > head:
                raise NotComparable(f"position {position} is beyond the log's head {head}")
            md, own = scratch_tables(projection.tables, self.token)
            self._metadata.append(md)
            md.create_all(self.engine)
            self._fill(projection, own, position)
            tables |= own
        return ScratchTables(self.engine, tables, dict(positions))

    def _fill(self, projection: Projection, tables: dict[str, Table], until: int) -> None:
        omit = frozenset(getattr(projection, "unread_fields", ()))
        start = 0
        while start < until:
            decoded = self._log.read(start, until, self.batch_size, projection.topics, omit, tolerant=True)
            if not decoded:
                break
            with self.engine.begin() as conn:
                self._apply(Store(conn), projection, tables, decoded)
            if len(decoded) < self.batch_size:
                break
            start = decoded[-1][0]

    def _apply(self, store: Store, projection: Projection, tables: dict[str, Table], events: Decoded) -> None:
        """Apply in a savepoint; on an event's fault, halves in turn down to the single events that
        are skipped (as the live runner's failure policy does)."""
        good = [(p, t, e) for p, t, e in events if not isinstance(e, Undecodable)]
        for p, _, e in events:
            if isinstance(e, Undecodable):
                self.skipped.setdefault(projection.name, []).append(p)
        if not good:
            return
        try:
            with store.conn.begin_nested():
                projection.apply(store, tables, [(p, e) for p, _, e in good])
            return
        except Exception as error:
            if not failures.event_at_fault(error):
                raise
            if len(good) == 1:
                self.skipped.setdefault(projection.name, []).append(good[0][0])
                return
        middle = len(good) // 2
        self._apply(store, projection, tables, good[:middle])
        self._apply(store, projection, tables, good[middle:])


# --- comparing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    field: str
    live: Any
    rebuilt: Any


@dataclass
class Comparison:
    report: str
    positions: dict[str, int]  # projection -> the position both answers reflect
    live: dict[str, Any]
    rebuilt: dict[str, Any]
    differences: list[Difference]
    skipped: dict[str, list[int]] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not self.differences

    @property
    def live_digest(self) -> str:
        return digest(self.live)

    @property
    def rebuilt_digest(self) -> str:
        return digest(self.rebuilt)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def digest(report: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, times as ISO text)."""
    text = json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(item: Any, i: int) -> str:
    if isinstance(item, dict):
        for name in ("credit_code", "username", "industry", "reminder_id"):
            if isinstance(item.get(name), str):
                return item[name]
        region = item.get("region")
        if isinstance(region, dict) and "code" in region:
            return region["code"]
    return str(i)


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """path -> leaf value; list items keyed by their natural key (credit code, username, region...)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= flatten(v, f"{path}.{k}" if path else str(k))
        return out or {path: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= flatten(v, f"{path}[{_key(v, i)}]")
        return out or {path: []}
    return {path: value}


def differences(live: Any, rebuilt: Any) -> list[Difference]:
    a, b = flatten(live), flatten(rebuilt)
    missing = object()
    found = []
    for name in sorted(a.keys() | b.keys()):
        x, y = a.get(name, missing), b.get(name, missing)
        if x != y:
            found.append(Difference(name, None if x is missing else x, None if y is missing else y))
    return found


# --- the drill-down ------------------------------------------------------------------------------------


def _positions(live: LiveTables, names: Sequence[str]) -> dict[str, int]:
    with live.engine.connect() as conn:
        rows = read_rows(conn, names)
    missing = [n for n in names if n not in rows]
    if missing:
        raise NotComparable(f"read model(s) {', '.join(missing)} not built yet")
    return {n: rows[n].position for n in names}


def full_drilldown(analytics: Analytics, region: str, industry: str | None, date_from: date, date_to: date,
                   now: datetime) -> dict[str, Any]:
    """The drill-down with every page of enterprises."""
    report = analytics.drilldown(region, industry, date_from, date_to, now, first=DRILLDOWN_PAGE)
    items = list(report["enterprises"]["items"])
    page = report["enterprises"]
    while page["has_next"]:
        page = analytics.drilldown(region, industry, date_from, date_to, now, first=DRILLDOWN_PAGE,
                                   after=page["end_cursor"])["enterprises"]
        items += page["items"]
    return report | {"enterprises": items}


def compare_drilldown(ledger: Any, engine: Engine, region: str, industry: str | None, date_from: date, date_to: date,
                      now: datetime, at_position: int | None = None) -> Comparison:
    live = LiveTables(engine)
    for _ in range(5):
        before = _positions(live, DRILLDOWN_READS)
        live_report = full_drilldown(Analytics(engine, live), region, industry, date_from, date_to, now)
        if _positions(live, DRILLDOWN_READS) == before:
            break
    else:
        raise NotComparable("the drill-down's read models kept moving; stop the projection worker or try when quiet")
    if at_position is not None and any(p != at_position for p in before.values()):
        raise NotComparable(
            f"the live drill-down answers only for its read models' current positions "
            f"({', '.join(f'{n} {p}' for n, p in before.items())}), not for {at_position}; "
            "run without --at-position (it rebuilds at the live positions)")
    with ScratchBuild(ledger, engine) as build:
        scratch = build.build([RegisterProjection(), DrilldownProjection()], before)
        rebuilt = full_drilldown(Analytics(engine, scratch), region, industry, date_from, date_to, now)  # type: ignore[arg-type]
        skipped = build.skipped
    return Comparison("drilldown", before, live_report, rebuilt, differences(live_report, rebuilt), skipped)


# --- the closed-loop report ------------------------------------------------------------------------------


def full_closed_loop(reads: ClosedLoopReads, q: ClosedLoopQuery, now: datetime) -> dict[str, Any]:
    """The report with every page of enterprises, and the figures per supervisor."""
    report = reads.report(q, now, first=CLOSED_LOOP_PAGE)
    items = list(report["enterprises"]["items"])
    page = report["enterprises"]
    while page["has_next"]:
        page = reads.report(q, now, first=CLOSED_LOOP_PAGE, after=page["end_cursor"])["enterprises"]
        items += page["items"]
    supervisors = reads.by_supervisor(q, now)
    return report | {"enterprises": items, "by_supervisor": supervisors["items"]}


def compare_closed_loop(ledger: Any, engine: Engine, q: ClosedLoopQuery, now: datetime) -> Comparison:
    live = LiveTables(engine)
    current = _positions(live, CLOSED_LOOP_READS)["closed_loop"]
    if q.as_of_position is not None and q.as_of_position > current:
        raise NotComparable(f"position {q.as_of_position} is beyond the closed-loop read model's position {current}")
    q = replace(q, as_of_position=current if q.as_of_position is None else q.as_of_position)
    # The live read model is read twice: as users read it (the monthly cells where they apply,
    # closed_loop_fast.py) and from its fact rows alone; both must equal the rebuild, so a changed
    # cell and a changed fact row are drift alike. The first that differs is the one shown.
    live_reports = [full_closed_loop(ClosedLoopReads(live, use_cells=cells), q, now) for cells in (True, False)]
    positions = {"closed_loop": q.as_of_position or 0}
    with ScratchBuild(ledger, engine) as build:
        scratch = build.build([ClosedLoopProjection()], positions)
        rebuilt = full_closed_loop(ClosedLoopReads(scratch), q, now)  # type: ignore[arg-type]
        skipped = build.skipped
    found = [(report, differences(report, rebuilt)) for report in live_reports]
    live_report, drift = next(((report, d) for report, d in found if d), found[0])
    return Comparison("closed-loop", positions, live_report, rebuilt, drift, skipped)
