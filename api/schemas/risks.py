"""Risk points (风险点): the risk-list interfaces of the data standard."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Accepted, MultiLineText, StandardModel
from domain.risks.aggregate import ControlLevel
from domain.risks.assessment import AssessmentMethod

# List limits of the data standard (docs/data-standard.md, "Limits"): far above any real risk point,
# low enough that one request cannot become a multi-megabyte event.
MAX_HAZARD_FACTORS = 50
MAX_ACCIDENT_TYPES = 20  # GB 6441-1986 has 20 accident types
MAX_CONTROL_MEASURES = 50
HazardFactor = Annotated[str, Field(min_length=1, max_length=200)]
AccidentType = Annotated[str, Field(min_length=1, max_length=20)]

LevelCode = Literal["low", "general", "significant", "major"]
LEVEL_DOC = "风险等级: low 低(蓝) / general 一般(黄) / significant 较大(橙) / major 重大(红)"


class Assessment(StandardModel):
    method: AssessmentMethod = Field(description="评估方法: lec / ls / mes / matrix")
    score: float = Field(ge=0, description="评估分值 (LEC: D=L×E×C; LS/matrix: R=L×S; MES: R=M×E×S)")


class ControlMeasureIn(StandardModel):
    description: MultiLineText = Field(min_length=1, max_length=1000, description="管控措施")
    control_level: ControlLevel = Field(description="管控层级: company 公司 / workshop 车间 / team 班组 / post 岗位")
    department: str = Field(min_length=1, max_length=100, description="责任部门")
    responsible_person: str = Field(min_length=1, max_length=50, description="责任人")


class ControlMeasureView(BaseModel):
    """A control measure as stored: views carry no input rules, so whatever the log holds
    (written before a rule existed, or by another writer) can always be read back."""

    description: str
    control_level: str
    department: str
    responsible_person: str


class AssessmentView(BaseModel):
    method: str
    score: float


class RiskIdentification(StandardModel):
    risk_code: str = Field(min_length=1, max_length=64, description="风险编码 (unique per enterprise)")
    name: str = Field(min_length=1, max_length=200, description="风险点名称")
    location: str = Field(min_length=1, max_length=200, description="风险点位置")
    hazard_factors: list[HazardFactor] = Field(min_length=1, max_length=MAX_HAZARD_FACTORS, description="危险有害因素")
    accident_types: list[AccidentType] = Field(
        min_length=1, max_length=MAX_ACCIDENT_TYPES, description="可能导致的事故类型 (GB 6441 code 01-20 or name)")
    assessment: Assessment
    inherent_level: LevelCode | None = Field(None, description="固有风险等级 (before controls); defaults to current_level")
    current_level: LevelCode = Field(description="现实风险等级. " + LEVEL_DOC)
    control_measures: list[ControlMeasureIn] = Field(min_length=1, max_length=MAX_CONTROL_MEASURES)
    identified_at: AwareDatetime = Field(description="辨识时间")


class RiskLevelChange(StandardModel):
    level: LevelCode = Field(description="新风险等级. " + LEVEL_DOC)
    reason: MultiLineText = Field(min_length=1, max_length=500, description="变更原因")
    changed_at: AwareDatetime = Field(description="变更时间")


class MeasuresRevision(StandardModel):
    control_measures: list[ControlMeasureIn] = Field(min_length=1, max_length=MAX_CONTROL_MEASURES)
    reason: MultiLineText = Field(min_length=1, max_length=500)


class RiskAccepted(Accepted):
    risk_id: str


class RiskView(BaseModel):
    risk_id: str
    risk_code: str
    name: str
    location: str
    hazard_factors: list[str]
    accident_types: list[str]
    assessment: AssessmentView
    inherent_level: LevelCode
    current_level: LevelCode
    current_level_label: str
    control_measures: list[ControlMeasureView]
    identified_at: AwareDatetime
    level_changed_at: AwareDatetime
    status: Literal["valid", "invalidated"]
    version: int
