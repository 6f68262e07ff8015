"""Whose data a read may return, as conditions on the enterprise register.

Every read-model query that can reach an enterprise's data takes a `ReadScope` and adds its
conditions to the statement itself (joining the enterprise register where the rows are risks,
hazards or inspections), so out-of-scope rows are never fetched: there is no later filter to
forget, and pages stay full. Built by the API from the caller's role (api/graphql/scope.py):
supervisors by region (a code prefix) and optionally industries and supervision level,
enterprise users by their own credit code; analysts and admins get `ReadScope()` (everything).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, false


@dataclass(frozen=True)
class ReadScope:
    region_prefix: str | None = None  # "41" province, "4101" city, "410185" county
    industries: tuple[str, ...] = field(default_factory=tuple)
    supervision_level: str | None = None
    credit_code: str | None = None  # an enterprise user sees only this enterprise
    nothing: bool = False  # e.g. an enterprise user not bound to an enterprise

    @property
    def unrestricted(self) -> bool:
        return not (self.region_prefix or self.industries or self.supervision_level or self.credit_code or self.nothing)

    def conditions(self, e: Table) -> list[Any]:
        """WHERE conditions on an rm_enterprises table (any generation)."""
        if self.nothing:
            return [false()]
        found: list[Any] = []
        if self.region_prefix:
            found.append(e.c.region_code.startswith(self.region_prefix, autoescape=True))
        if self.industries:
            found.append(e.c.industry.in_(self.industries))
        if self.supervision_level:
            found.append(e.c.supervision_level == self.supervision_level)
        if self.credit_code:
            found.append(e.c.credit_code == self.credit_code)
        return found

    def covers(self, enterprise: Mapping[str, Any]) -> bool:
        """The same rules over a register row already in hand."""
        if self.nothing:
            return False
        if self.region_prefix and not str(enterprise["region_code"]).startswith(self.region_prefix):
            return False
        if self.industries and enterprise["industry"] not in self.industries:
            return False
        if self.supervision_level and enterprise["supervision_level"] != self.supervision_level:
            return False
        return not (self.credit_code and enterprise["credit_code"] != self.credit_code)

    def covers_region(self, region_code: str) -> bool:
        """Whether a drill-down of this region stays inside the scope's region."""
        if self.nothing or self.credit_code:
            return False
        return not self.region_prefix or region_code.startswith(self.region_prefix)


def region_prefix(region_code: str) -> str:
    """The code prefix a region's enterprises share: 410000 -> 41, 410100 -> 4101, 410185 -> 410185."""
    if region_code.endswith("0000"):
        return region_code[:2]
    return region_code[:4] if region_code.endswith("00") else region_code
