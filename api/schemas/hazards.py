"""Hidden hazards (隐患) and their rectification loop."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Accepted, MultiLineText, StandardModel
from domain.hazards.aggregate import GovernanceType, HazardSource


class RectificationPlanIn(StandardModel):
    """治理方案 (required for a major hazard)."""

    objectives: MultiLineText = Field(min_length=1, max_length=2000, description="治理的目标和任务")
    methods_and_measures: MultiLineText = Field(min_length=1, max_length=2000, description="采取的方法和措施")
    funds_and_materials: MultiLineText = Field(min_length=1, max_length=2000, description="经费和物资的落实")
    responsible_organisation: MultiLineText = Field(min_length=1, max_length=2000, description="负责治理的机构和人员")
    time_limit_and_requirements: MultiLineText = Field(min_length=1, max_length=2000, description="治理的时限和要求")
    safety_and_emergency_measures: MultiLineText = Field(min_length=1, max_length=2000, description="安全措施和应急预案")


class HazardRegistration(StandardModel):
    hazard_code: str = Field(min_length=1, max_length=64, description="隐患编码 (unique per enterprise)")
    name: str = Field(min_length=1, max_length=200, description="隐患名称")
    description: MultiLineText = Field(min_length=1, max_length=2000, description="隐患描述")
    level: Literal["general", "major"] = Field(description="隐患等级: general 一般 / major 重大")
    source: HazardSource = Field(description="隐患来源: self_inspection 企业自查 / supervision 监督检查")
    risk_id: UUID | None = Field(None, description="关联风险点 id (optional)")
    found_at: AwareDatetime = Field(description="发现时间")
    rectification_deadline: AwareDatetime | None = Field(None, description="整改期限 (> found_at; required for 限期整改)")
    responsible_person: str = Field(min_length=1, max_length=50, description="整改责任人")
    governance_type: GovernanceType = Field(description="治理类型: immediate 即查即改 / deadline 限期整改")
    rectification_plan: RectificationPlanIn | None = None


class RectificationReport(StandardModel):
    measures: MultiLineText = Field(min_length=1, max_length=2000, description="整改措施")
    completed_at: AwareDatetime = Field(description="整改完成时间")
    responsible_person: str = Field(min_length=1, max_length=50)
    cost: float | None = Field(None, ge=0, description="整改资金 (元)")


class AcceptanceReport(StandardModel):
    passed: bool = Field(description="验收是否通过; false returns the hazard to rectification")
    accepted_by: str = Field(min_length=1, max_length=50, description="验收人")
    accepted_at: AwareDatetime = Field(description="验收时间")
    opinion: MultiLineText = Field(min_length=1, max_length=2000, description="验收意见")


class HazardAccepted(Accepted):
    hazard_id: str


class HazardView(BaseModel):
    hazard_id: str
    hazard_code: str
    name: str
    description: str
    level: str
    source: str
    risk_id: str | None
    found_at: AwareDatetime
    rectification_deadline: AwareDatetime | None
    responsible_person: str
    governance_type: str
    rectification_plan: RectificationPlanIn | None
    status: str = Field(description="rectifying 整改中 / awaiting_acceptance 待验收 / accepted 已验收 / invalidated 无效")
    rectification: dict | None
    acceptances: list[dict]
    version: int
