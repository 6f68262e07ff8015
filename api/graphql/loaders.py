"""Per-request DataLoaders: the nested lists of a page of enterprises in one statement per kind.

A dashboard page asks for 20-50 enterprises with their risks or hazards; resolving each list
separately would cost a statement per enterprise. Each loader collects the enterprise ids asked
for in one tick of the event loop and fetches them with one `Lookups` call (one SQL statement,
projections/register/lookups.py). Loaders are keyed by their arguments (level, status, page
size), so differently filtered lists in one query do not mix.

Key lookups (the enterprise of a risk or a hazard) are checked against the caller's scope here,
so a field can never lead out of it even if its parent row were in scope by mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from api.graphql.types import Enterprise, Hazard, Inspection, Risk
from projections.register.lookups import Lookups
from projections.scope import ReadScope

MAX_NESTED = 500


class Loaders:
    def __init__(self, lookups: Lookups, scope: ReadScope, now: datetime) -> None:
        self.lookups = lookups
        self.scope = scope
        self.now = now
        self._loaders: dict[tuple[Any, ...], DataLoader] = {}
        self.statements = 0  # batched calls made (tests check the bound)

    def _loader(self, key: tuple[Any, ...], fetch: Callable[[list[str]], dict[str, Any]]) -> DataLoader:
        loader = self._loaders.get(key)
        if loader is None:
            async def load(ids: Sequence[str]) -> list[Any]:
                self.statements += 1
                rows = (await run_in_threadpool(fetch, list(ids)))["rows"]
                return [rows.get(i) for i in ids]

            loader = self._loaders[key] = DataLoader(load_fn=load)
        return loader

    async def enterprise_by_id(self, enterprise_id: str) -> Enterprise | None:
        row = await self._loader(("enterprise",), self.lookups.enterprises_by_ids).load(enterprise_id)
        return Enterprise.of(row) if row is not None and self.scope.covers(row) else None

    async def risks_of(self, enterprise_id: str, level: int | None, status: str | None, first: int) -> list[Risk]:
        first = _bounded(first)
        rows = await self._loader(("risks", level, status, first), lambda ids: self.lookups.risks_by_enterprise(
            ids, level=level, status=status, limit_per_enterprise=first)).load(enterprise_id)
        return [Risk.of(row) for row in rows or []]

    async def hazards_of(self, enterprise_id: str, level: str | None, status: str | None, first: int) -> list[Hazard]:
        first = _bounded(first)
        rows = await self._loader(("hazards", level, status, first), lambda ids: self.lookups.hazards_by_enterprise(
            ids, self.now, level=level, status=status, limit_per_enterprise=first)).load(enterprise_id)
        return [Hazard.of(row) for row in rows or []]

    async def inspections_of(self, enterprise_id: str, first: int) -> list[Inspection]:
        first = _bounded(first)
        rows = await self._loader(("inspections", first), lambda ids: self.lookups.inspections_by_enterprise(
            ids, limit_per_enterprise=first)).load(enterprise_id)
        return [Inspection.of(row) for row in rows or []]


def _bounded(first: int) -> int:
    return max(1, min(first, MAX_NESTED))


