"""The interface platform: catalog, subscriptions, client credentials."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import MULTILINE, MultiLineText, StandardModel


# List limits of the data standard (docs/data-standard.md, "Limits").
MAX_OPERATIONS = 20
MAX_SUBSCRIBED_INTERFACES = 100
MAX_SCHEMA_CHARACTERS = 100_000
InterfaceCode = Annotated[str, Field(min_length=1, max_length=64)]


class Operation(StandardModel):
    method: str = Field(max_length=10)
    path: str = Field(max_length=200)


class InterfaceIn(StandardModel):
    code: str = Field(min_length=1, max_length=64, description="接口编码")
    name_zh: str = Field(min_length=1, max_length=100, description="接口名称")
    name_en: str = Field(min_length=1, max_length=100)
    description: MultiLineText = Field("", max_length=2000)
    version: str = Field(min_length=1, max_length=20)
    operations: list[Operation] = Field(min_length=1, max_length=MAX_OPERATIONS)
    request_schema: Annotated[str | None, MULTILINE] = Field(None, max_length=MAX_SCHEMA_CHARACTERS)
    response_schema: Annotated[str | None, MULTILINE] = Field(None, max_length=MAX_SCHEMA_CHARACTERS)


class OperationView(BaseModel):
    method: str
    path: str


class InterfaceView(BaseModel):
    """As stored, without the input rules (see risks.ControlMeasureView)."""

    code: str
    name_zh: str
    name_en: str
    description: str = ""
    version: str
    operations: list[OperationView]
    request_schema: str | None = None
    response_schema: str | None = None
    status: Literal["published", "withdrawn"]
    version_in_ledger: int


class Withdrawal(StandardModel):
    reason: MultiLineText = Field(min_length=1, max_length=500, description="撤回原因")


class Contact(StandardModel):
    name: str = Field(min_length=1, max_length=50, description="联系人")
    mobile: str = Field(max_length=20, description="联系人手机号")


class SubscriptionApplication(StandardModel):
    interfaces: list[InterfaceCode] = Field(min_length=1, max_length=MAX_SUBSCRIBED_INTERFACES, description="申请的接口编码")
    purpose: MultiLineText = Field(min_length=1, max_length=500, description="用途")
    contact: Contact


class Decision(BaseModel):
    decision: str
    by: str
    at: AwareDatetime
    reason: str | None


class SubscriptionView(BaseModel):
    subscription_id: str
    credit_code: str
    interfaces: list[str]
    status: Literal["pending", "approved", "rejected", "revoked"] = Field(description="pending 待审核 / approved 已通过 / rejected 已驳回 / revoked 已撤销")
    purpose: str
    contact: Contact
    applied_at: AwareDatetime
    decisions: list[Decision] = Field(description="approval trail; rejection reasons are shown to the enterprise")
    client_id: str | None = Field(None, description="set once approved")
    client_secret: str | None = Field(None, description="shown exactly once, on the first read after approval or rotation")
    key_version: int
    version: int


class SubscriptionPage(BaseModel):
    items: list[SubscriptionView]
    total: int
    offset: int
    limit: int


class Reason(StandardModel):
    reason: MultiLineText = Field(min_length=1, max_length=500)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    scope: str = Field(description="space-separated interface codes of the subscription")
