"""Investigation records (隐患排查记录)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Accepted, MultiLineText, StandardModel


class InspectionRecord(StandardModel):
    inspection_code: str = Field(min_length=1, max_length=64, description="排查记录编码 (unique per enterprise)")
    performed_at: AwareDatetime = Field(description="排查时间")
    scope: MultiLineText = Field(min_length=1, max_length=500, description="排查范围")
    hazards_found: int = Field(ge=0, description="发现隐患数 (0 proves an investigation with no hazard)")
    inspector: str = Field(min_length=1, max_length=50, description="排查人")


class InspectionAccepted(Accepted):
    inspection_id: str


class InspectionView(BaseModel):
    """As stored, without the input rules (see risks.ControlMeasureView)."""

    inspection_code: str
    performed_at: AwareDatetime
    scope: str
    hazards_found: int
    inspector: str
    inspection_id: str
    version: int
