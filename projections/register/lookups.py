"""Batch lookups over the registers for GraphQL DataLoaders: many keys in, one statement out.

A DataLoader collects the keys its resolvers asked for during one tick and calls one of these
with all of them, so a page of 50 enterprises with their risks costs one statement per field,
not one per enterprise. Every method runs exactly ONE statement (after the tracking-row read that
every query makes, see projections/live.py) whatever the number of keys, and returns
`{"as_of_position": int, "rows": ...}`.

Keys that match nothing: the `*_by_*` row lookups leave them out of "rows" (the loader answers
None); the per-enterprise lists give every requested enterprise a list, empty when it has none.

Lists are capped per enterprise with `row_number() OVER (PARTITION BY enterprise_id ...)` (SQLite
>= 3.25 and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlalchemy.engine import Engine

from projections.live import LiveTables, Snapshot
from projections.register.queries import _overdue

MAX_PER_ENTERPRISE = 500


def _unique(keys: Iterable[str]) -> list[str]:
    return sorted(set(keys))


class Lookups:
    def __init__(self, engine: Engine, live: LiveTables | None = None) -> None:
        self.live = live or LiveTables(engine)

    # --- enterprises ------------------------------------------------------------------------------

    def enterprises_by_credit_codes(self, codes: Sequence[str]) -> dict[str, Any]:
        """Enterprise register rows keyed by credit code."""
        return self._enterprises("credit_code", codes)

    def enterprises_by_ids(self, ids: Sequence[str]) -> dict[str, Any]:
        """Enterprise register rows keyed by enterprise id."""
        return self._enterprises("enterprise_id", ids)

    def _enterprises(self, key: str, keys: Sequence[str]) -> dict[str, Any]:
        wanted = _unique(keys)

        def query(snap: Snapshot) -> dict[str, Any]:
            if not wanted:
                return {"as_of_position": snap.as_of_position, "rows": {}}
            e = snap.tables["rm_enterprises"]
            found = snap.conn.execute(select(e).where(e.c[key].in_(wanted))).mappings()
            return {"as_of_position": snap.as_of_position, "rows": {m[key]: dict(m) for m in found}}

        return self.live.run(("registers",), query)

    # --- per-enterprise lists ---------------------------------------------------------------------

    def risks_by_enterprise(
        self, ids: Sequence[str], *, level: int | None = None, status: str | None = None,
        limit_per_enterprise: int = 100,
    ) -> dict[str, Any]:
        """Each enterprise's risks ordered by risk code (at most `limit_per_enterprise` each)."""

        def statement(tables: dict[str, Table], wanted: list[str]) -> tuple[Select, list[Any]]:
            r = tables["rm_risks"]
            conditions = [r.c.enterprise_id.in_(wanted)]
            if level is not None:
                conditions.append(r.c.level == level)
            if status is not None:
                conditions.append(r.c.status == status)
            return select(r).where(*conditions), [r.c.risk_code, r.c.risk_id]

        return self._per_enterprise("rm_risks", ids, limit_per_enterprise, statement)

    def hazards_by_enterprise(
        self, ids: Sequence[str], now: datetime, *, level: str | None = None, status: str | None = None,
        limit_per_enterprise: int = 100,
    ) -> dict[str, Any]:
        """Each enterprise's hazards ordered by hazard code, with "overdue" as of `now`."""

        def statement(tables: dict[str, Table], wanted: list[str]) -> tuple[Select, list[Any]]:
            h = tables["rm_hazards"]
            conditions = [h.c.enterprise_id.in_(wanted)]
            if level is not None:
                conditions.append(h.c.level == level)
            if status is not None:
                conditions.append(h.c.status == status)
            return select(h, _overdue(h, now).label("overdue")).where(*conditions), [h.c.hazard_code, h.c.hazard_id]

        result = self._per_enterprise("rm_hazards", ids, limit_per_enterprise, statement)
        for hazards in result["rows"].values():
            for hazard in hazards:
                hazard["overdue"] = bool(hazard["overdue"])
        return result

    def inspections_by_enterprise(self, ids: Sequence[str], *, limit_per_enterprise: int = 100) -> dict[str, Any]:
        """Each enterprise's investigation records, latest first."""

        def statement(tables: dict[str, Table], wanted: list[str]) -> tuple[Select, list[Any]]:
            i = tables["rm_inspections"]
            return select(i).where(i.c.enterprise_id.in_(wanted)), [i.c.performed_at.desc(), i.c.inspection_id]

        return self._per_enterprise("rm_inspections", ids, limit_per_enterprise, statement)

    def _per_enterprise(self, table: str, ids: Sequence[str], limit: int, statement: Any) -> dict[str, Any]:
        """Run `statement(tables, ids)` -> (select, order) capped at `limit` rows per enterprise."""
        wanted = _unique(ids)
        limit = max(1, min(limit, MAX_PER_ENTERPRISE))

        def query(snap: Snapshot) -> dict[str, Any]:
            rows: dict[str, list[dict[str, Any]]] = {key: [] for key in ids}
            if not wanted:
                return {"as_of_position": snap.as_of_position, "rows": rows}
            t = snap.tables[table]
            inner, order = statement(snap.tables, wanted)
            rank = func.row_number().over(partition_by=t.c.enterprise_id, order_by=order).label("rank_in_enterprise")
            ranked = inner.add_columns(rank).subquery()
            stmt = (
                select(*(c for c in ranked.c if c.name != "rank_in_enterprise"))
                .where(ranked.c.rank_in_enterprise <= limit)
                .order_by(ranked.c.enterprise_id, ranked.c.rank_in_enterprise)
            )
            for m in snap.conn.execute(stmt).mappings():
                rows[m["enterprise_id"]].append(dict(m))
            return {"as_of_position": snap.as_of_position, "rows": rows}

        return self.live.run(("registers",), query)
