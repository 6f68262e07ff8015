"""Henan (410000) administrative divisions, GB/T 2260 6-digit codes (行政区划代码).

Enterprises and supervisors are placed by region code, and supervision is routed up the
province / city / county chain, so the ledger needs the real tree, not just a 6-digit pattern.

The data file `domain/shared/data/regions_henan.csv` is generated from Appendix A of
shared/reference/domain-standards.md (NBS 2023 统计用区划代码 for Henan). Its `note` column:
- `nbs_only`: an NBS statistical code of a development zone (e.g. 410173 郑州航空港经济综合实验区), not
  a GB/T 2260 county. Accepted, because that is where enterprises actually are; flagged `nbs_only`.
- `nbs_grouping`: 419000 省直辖县级行政区划, an NBS grouping row, not an administrative unit. Refused by
  `parse`. GB/T 2260 places 419001 济源市 directly under the province, and so do we.
- `retired`: codes of the MCA 2019-04 GB/T 2260 list gone by NBS 2023. Kept so old data still resolves
  (`get`), but `parse` refuses them and names the successor.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from domain.shared.errors import InvalidValue

# Successor of each retired code (MCA 2019-04 vs NBS 2023, domain-standards.md §5.1):
# 孟津县 + 吉利区 -> 孟津区, 偃师市 -> 偃师区, 长垣县 -> 长垣市, 淮阳县 -> 淮阳区.
SUCCESSORS: dict[str, str] = {
    "410306": "410308",
    "410322": "410308",
    "410381": "410307",
    "410728": "410783",
    "411626": "411603",
}


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    retired: bool = False
    nbs_only: bool = False
    grouping: bool = False  # 419000-style NBS grouping row, not an administrative unit

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        """The prefecture-level city; None for the province and for counties directly under it (419001 济源市)."""
        if self.level is RegionLevel.CITY:
            return self.code
        if self.level is RegionLevel.COUNTY and self.parent_code and not self.parent_code.endswith("0000"):
            return self.parent_code
        return None

    @property
    def county_code(self) -> str | None:
        return self.code if self.level is RegionLevel.COUNTY else None

    @property
    def successor_code(self) -> str | None:
        return SUCCESSORS.get(self.code) if self.retired else None

    @property
    def label(self) -> str:
        """The path from the province down, e.g. "河南省 / 郑州市 / 登封市"."""
        path = henan_regions().ancestors(self.code) + [self]
        return " / ".join(region.name for region in path)


class RegionTable:
    """Lookup over the region rows: by code, down to children, up to ancestors."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {region.code: region for region in sorted(regions, key=lambda r: r.code)}

    @classmethod
    def from_csv(cls, text: str) -> RegionTable:
        regions = []
        for row in csv.DictReader(io.StringIO(text)):
            note = row["note"].strip()
            regions.append(
                Region(
                    code=row["code"].strip(),
                    name=row["name"].strip(),
                    level=RegionLevel(row["level"].strip()),
                    parent_code=row["parent"].strip() or None,
                    retired=note == "retired",
                    nbs_only=note in ("nbs_only", "nbs_grouping"),
                    grouping=note == "nbs_grouping",
                )
            )
        return cls(regions)

    @classmethod
    def load_henan(cls) -> RegionTable:
        text = resources.files("domain.shared.data").joinpath("regions_henan.csv").read_text(encoding="utf-8")
        return cls.from_csv(text)

    def get(self, code: str) -> Region | None:
        return self._by_code.get((code or "").strip())

    def _require(self, code: str) -> Region:
        region = self.get(code)
        if region is None:
            raise KeyError(f"{code!r} is not in the Henan region table")
        return region

    def parse(self, text: str, field: str = "region_code") -> Region:
        """A current Henan region for a command: 6 digits, known, not retired, not a grouping row."""
        code = (text or "").strip()
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise InvalidValue(field, f"{code!r} is not a region code; expected 6 digits (GB/T 2260), e.g. 410185")
        region = self.get(code)
        if region is None:
            raise InvalidValue(
                field,
                f"{code} is not a known Henan GB/T 2260 code; expected a code of Henan (41xxxx) from the region table",
            )
        if region.retired:
            successor = self.get(region.successor_code or "")
            instead = f"; use {successor.code} {successor.name} instead" if successor else ""
            raise InvalidValue(
                field,
                f"{code} {region.name} is a retired GB/T 2260 code (in the 2019 list, gone by 2023){instead}",
            )
        if region.grouping:
            members = [r for r in self._by_code.values() if r.code[:4] == code[:4] and not r.grouping]
            instead = "; use " + ", ".join(f"{r.code} {r.name}" for r in members) if members else ""
            raise InvalidValue(
                field, f"{code} {region.name} is an NBS grouping row, not an administrative unit{instead}"
            )
        return region

    def children(self, code: str, *, include_retired: bool = False) -> list[Region]:
        """Direct children sorted by code; grouping rows are left out, retired ones unless asked for."""
        self._require(code)
        return [
            r
            for r in self._by_code.values()
            if r.parent_code == code and not r.grouping and (include_retired or not r.retired)
        ]

    def ancestors(self, code: str) -> list[Region]:
        """From the province down to the direct parent; the region itself is not included."""
        chain: list[Region] = []
        region = self._require(code)
        while region.parent_code:
            region = self._require(region.parent_code)
            chain.append(region)
        return list(reversed(chain))

    def all(self) -> list[Region]:
        """Every row sorted by code, including retired codes and the grouping row."""
        return list(self._by_code.values())


@lru_cache(maxsize=1)
def henan_regions() -> RegionTable:
    return RegionTable.load_henan()
