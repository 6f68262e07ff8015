"""Enterprise register: the basic data (企业基本信息) of the data standard."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Accepted, MultiLineText, StandardModel
from domain.shared.codes import Industry, SupervisionLevel


class SafetyOfficer(StandardModel):
    name: str = Field(min_length=1, max_length=50, description="安全负责人姓名")
    mobile: str = Field(max_length=20, description="安全负责人手机号 (中国大陆手机号)")


class EnterpriseRegistration(StandardModel):
    credit_code: str = Field(max_length=32, description="统一社会信用代码 (18 位, GB 32100-2015 校验)")
    name: str = Field(min_length=1, max_length=200, description="企业名称")
    region_code: str = Field(max_length=12, description="行政区划代码 (GB/T 2260, 6 位)")
    industry: Industry = Field(description="监管行业")
    supervision_level: SupervisionLevel = Field(description="监管层级")
    safety_officer: SafetyOfficer
    registered_at: AwareDatetime = Field(description="注册时间 (business time, with offset)")


class EnterpriseUpdate(StandardModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    region_code: str | None = Field(None, max_length=12)
    industry: Industry | None = None
    supervision_level: SupervisionLevel | None = None
    safety_officer: SafetyOfficer | None = None

    def changes(self) -> dict[str, str]:
        data = self.model_dump(exclude_none=True, exclude={"safety_officer"}, mode="json")
        if self.safety_officer is not None:
            data["safety_officer_name"] = self.safety_officer.name
            data["safety_officer_mobile"] = self.safety_officer.mobile
        return data


class Deregistration(StandardModel):
    reason: MultiLineText = Field(min_length=1, max_length=500, description="注销原因")


class EnterpriseAccepted(Accepted):
    enterprise_id: str


class EnterpriseView(BaseModel):
    enterprise_id: str
    credit_code: str
    name: str
    region_code: str
    region_name: str
    industry: str
    industry_label: str
    supervision_level: str
    safety_officer: SafetyOfficer
    registered_at: AwareDatetime
    status: str = Field(description="active / deregistered")
    version: int
