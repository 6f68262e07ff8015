"""The dashboard's GraphQL types, built from read-model rows (never from aggregates or events).

Codes are the data standard's (industry, level, status); each has a Chinese label beside it for
the dashboard (glossary in DESIGN.md). Nested lists of an enterprise (risks, hazards,
inspections) and the enterprise of a risk or hazard resolve through the request's DataLoaders
(api/graphql/loaders.py), so a page of N enterprises costs one statement per kind, not N.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from domain.shared.codes import Industry, RiskLevel, SupervisionLevel


def _label(enum: Any, value: str | None) -> str | None:
    try:
        return enum(value).label_zh if value is not None else None
    except ValueError:
        return None


HAZARD_STATUS_ZH = {"rectifying": "整改中", "awaiting_acceptance": "待验收", "accepted": "已验收", "invalidated": "无效"}
HAZARD_LEVEL_ZH = {"general": "一般隐患", "major": "重大隐患"}
RISK_STATUS_ZH = {"valid": "有效", "invalidated": "已失效"}


@strawberry.type(description="行政区划: a region of Henan (GB/T 2260)")
class Region:
    code: str
    name: str
    level: str  # province | city | county

    @classmethod
    def of(cls, info: dict[str, str]) -> Region:
        return cls(code=info["code"], name=info["name"], level=info["level"])


@strawberry.type(description="Relay cursor connections' page info (forward pagination: `first` and `after`)")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="the last edge's cursor (null when there are no edges)")
    start_cursor: str | None = strawberry.field(description="the first edge's cursor (null when there are no edges)")
    earlier: strawberry.Private[Callable[[], Awaitable[bool]] | None]

    @strawberry.field(description="true when `after` was given and the connection has items before it; false "
                                  "without `after` (costs one more read, only when asked)")
    async def has_previous_page(self) -> bool:
        return await self.earlier() if self.earlier is not None else False


@strawberry.type(description="风险管控措施")
class ControlMeasure:
    description: str
    control_level: str
    department: str
    responsible_person: str


@strawberry.type(description="安全风险: one risk of an enterprise's risk list, current state")
class Risk:
    id: strawberry.ID
    risk_code: str
    name: str
    location: str
    assessment_method: str
    assessment_score: float
    inherent_level: int
    level: int = strawberry.field(description="1 低风险 .. 4 重大风险")
    level_label: str
    status: str
    status_label: str
    identified_at: datetime
    level_changed_at: datetime
    last_reported_at: datetime
    invalidated_at: datetime | None
    hazard_factors: list[str]
    accident_types: list[str]
    control_measures: list[ControlMeasure]
    enterprise_id: strawberry.Private[str]

    @strawberry.field(description="the enterprise it belongs to (within the caller's scope)")
    async def enterprise(self, info: Info) -> Enterprise | None:
        return await info.context.loaders.enterprise_by_id(self.enterprise_id)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Risk:
        details = row.get("details") or {}
        return cls(
            id=strawberry.ID(row["risk_id"]), risk_code=row["risk_code"], name=row["name"], location=row["location"],
            assessment_method=row["assessment_method"], assessment_score=row["assessment_score"],
            inherent_level=row["inherent_level"], level=row["level"], level_label=RiskLevel(row["level"]).label_zh,
            status=row["status"], status_label=RISK_STATUS_ZH.get(row["status"], row["status"]),
            identified_at=row["identified_at"], level_changed_at=row["level_changed_at"],
            last_reported_at=row["last_reported_at"], invalidated_at=row["invalidated_at"],
            hazard_factors=list(details.get("hazard_factors") or []),
            accident_types=list(details.get("accident_types") or []),
            control_measures=[
                ControlMeasure(description=m.get("description", ""), control_level=m.get("control_level", ""),
                               department=m.get("department", ""), responsible_person=m.get("responsible_person", ""))
                for m in details.get("control_measures") or []
            ],
            enterprise_id=row["enterprise_id"],
        )


@strawberry.type(description="事故隐患: one hazard and where it is in its rectification")
class Hazard:
    id: strawberry.ID
    hazard_code: str
    name: str
    description: str
    level: str
    level_label: str
    source: str
    governance_type: str
    responsible_person: str
    found_at: datetime
    rectification_deadline: datetime | None
    status: str
    status_label: str
    overdue: bool = strawberry.field(description="open with its rectification deadline passed")
    rectified_at: datetime | None
    closed_at: datetime | None
    invalidated_at: datetime | None
    failed_acceptances: int
    risk_id: strawberry.ID | None
    enterprise_id: strawberry.Private[str]

    @strawberry.field(description="the enterprise it belongs to (within the caller's scope)")
    async def enterprise(self, info: Info) -> Enterprise | None:
        return await info.context.loaders.enterprise_by_id(self.enterprise_id)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Hazard:
        return cls(
            id=strawberry.ID(row["hazard_id"]), hazard_code=row["hazard_code"], name=row["name"],
            description=row["description"], level=row["level"], level_label=HAZARD_LEVEL_ZH.get(row["level"], row["level"]),
            source=row["source"], governance_type=row["governance_type"], responsible_person=row["responsible_person"],
            found_at=row["found_at"], rectification_deadline=row["rectification_deadline"], status=row["status"],
            status_label=HAZARD_STATUS_ZH.get(row["status"], row["status"]), overdue=bool(row.get("overdue")),
            rectified_at=row["rectified_at"], closed_at=row["closed_at"], invalidated_at=row["invalidated_at"],
            failed_acceptances=row["failed_acceptances"],
            risk_id=strawberry.ID(row["risk_id"]) if row.get("risk_id") else None,
            enterprise_id=row["enterprise_id"],
        )


@strawberry.type(description="隐患排查记录: an investigation, with or without hazards found")
class Inspection:
    id: strawberry.ID
    inspection_code: str
    scope: str
    hazards_found: int
    inspector: str
    performed_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> Inspection:
        return cls(
            id=strawberry.ID(row["inspection_id"]), inspection_code=row["inspection_code"], scope=row["scope"],
            hazards_found=row["hazards_found"], inspector=row["inspector"], performed_at=row["performed_at"],
        )


@strawberry.type(description="有效风险 by level: counts of valid risks at their current level")
class RiskCounts:
    low: int
    general: int
    significant: int
    major: int


@strawberry.type(description="企业: the enterprise register's row for one enterprise")
class Enterprise:
    id: strawberry.ID
    credit_code: str
    name: str
    region_code: str
    province_code: str | None
    city_code: str | None
    county_code: str | None
    industry: str
    industry_label: str | None
    supervision_level: str
    supervision_level_label: str | None
    status: str
    registered_at: datetime
    deregistered_at: datetime | None
    first_risk_identified_at: datetime | None
    last_risk_report_at: datetime | None
    last_hazard_registered_at: datetime | None
    last_inspection_at: datetime | None
    valid_risks: RiskCounts
    open_general_hazards: int
    open_major_hazards: int
    as_of_position: int | None = strawberry.field(
        default=None, description="the notification position this row reflects (top-level lookups only)")

    @strawberry.field(description="open hazards past their rectification deadline, as of now")
    async def overdue_rectifications(self, info: Info) -> int:
        hazards = await info.context.loaders.hazards_of(str(self.id), None, None, 10_000)
        return sum(1 for h in hazards if h.overdue)

    @strawberry.field(description="its risks, by risk code")
    async def risks(self, info: Info, level: int | None = None, status: str | None = None, first: int = 100) -> list[Risk]:
        return await info.context.loaders.risks_of(str(self.id), level, status, first)

    @strawberry.field(description="its hazards, by hazard code")
    async def hazards(self, info: Info, level: str | None = None, status: str | None = None, first: int = 100) -> list[Hazard]:
        return await info.context.loaders.hazards_of(str(self.id), level, status, first)

    @strawberry.field(description="its investigation records, newest first")
    async def inspections(self, info: Info, first: int = 100) -> list[Inspection]:
        return await info.context.loaders.inspections_of(str(self.id), first)

    @classmethod
    def of(cls, row: dict[str, Any], as_of_position: int | None = None) -> Enterprise:
        return cls(
            as_of_position=as_of_position,
            id=strawberry.ID(row["enterprise_id"]), credit_code=row["credit_code"], name=row["name"],
            region_code=row["region_code"], province_code=row["province_code"], city_code=row["city_code"],
            county_code=row["county_code"], industry=row["industry"], industry_label=_label(Industry, row["industry"]),
            supervision_level=row["supervision_level"],
            supervision_level_label=_label(SupervisionLevel, row["supervision_level"]),
            status=row["status"], registered_at=row["registered_at"], deregistered_at=row["deregistered_at"],
            first_risk_identified_at=row["first_risk_identified_at"], last_risk_report_at=row["last_risk_report_at"],
            last_hazard_registered_at=row["last_hazard_registered_at"], last_inspection_at=row["last_inspection_at"],
            valid_risks=RiskCounts(low=row["risks_low"], general=row["risks_general"],
                                   significant=row["risks_significant"], major=row["risks_major"]),
            open_general_hazards=row["hazards_open_general"], open_major_hazards=row["hazards_open_major"],
        )


@strawberry.type(description="企业 in a drill-down: its register row and its status in the period")
class DrilldownEnterprise:
    risk_identified: bool = strawberry.field(description="identified or changed a risk within the period")
    hazard_registered: bool = strawberry.field(description="registered a hazard or recorded an inspection within the period")
    overdue_rectifications: int
    enterprise: Enterprise

    # Flattened for the dashboard's table: the same values as `enterprise { ... }`.
    credit_code: str
    name: str
    region_code: str
    industry: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> DrilldownEnterprise:
        return cls(
            risk_identified=row["risk_identified"], hazard_registered=row["hazard_registered"],
            overdue_rectifications=int(row["overdue_rectifications"] or 0), enterprise=Enterprise.of(row),
            credit_code=row["credit_code"], name=row["name"], region_code=row["region_code"], industry=row["industry"],
        )


@strawberry.type
class DrilldownEnterpriseEdge:
    cursor: str
    node: DrilldownEnterprise


@strawberry.type
class DrilldownEnterpriseConnection:
    edges: list[DrilldownEnterpriseEdge]
    page_info: PageInfo


@strawberry.type(description="统计: enterprises in scope and how many reported in the period")
class Totals:
    enterprises: int = strawberry.field(description="registered by the end of the period (企业总数)")
    risk_identified: int = strawberry.field(description="identified or changed risks in the period (已辨识)")
    risk_not_identified: int = strawberry.field(description="did not (未辨识)")
    hazard_registered: int = strawberry.field(description="registered a hazard or inspection in the period (已排查)")
    hazard_not_registered: int = strawberry.field(description="did not (未排查)")

    @classmethod
    def of(cls, totals: dict[str, int]) -> Totals:
        return cls(**totals)


@strawberry.type
class IndustryTotals:
    industry: str
    industry_label: str | None
    totals: Totals


@strawberry.type
class RegionTotals:
    region: Region
    totals: Totals


@strawberry.type
class Period:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.type
class RiskEdge:
    cursor: str
    node: Risk


@strawberry.type
class RiskConnection:
    as_of_position: int
    edges: list[RiskEdge]
    page_info: PageInfo


@strawberry.type
class HazardEdge:
    cursor: str
    node: Hazard


@strawberry.type
class HazardConnection:
    as_of_position: int
    edges: list[HazardEdge]
    page_info: PageInfo


def industry_totals(item: dict[str, Any]) -> IndustryTotals:
    return IndustryTotals(industry=item["industry"], industry_label=_label(Industry, item["industry"]),
                          totals=Totals.of(item["totals"]))
